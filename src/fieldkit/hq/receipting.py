"""Writing HQ's receipt for a stored bundle: signed, encrypted to its device, recorded.

The receipt (``docs/bundle-format.md``, section 6) lists the revisions the bundle added and those
HQ already held. It is written atomically under a random ``<32 hex>.fkr`` name, then recorded in
the repository, so that a later ingest of the same bundle knows a receipt exists.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from pathlib import Path

from fieldkit.bundle import DEFAULT_LIMITS, Limits, make_receipt, new_receipt_file_name
from fieldkit.domain.records import utc_timestamp
from fieldkit.files import atomic_write_bytes
from fieldkit.hq.batches import BundleRef
from fieldkit.hq.errors import NotFoundError
from fieldkit.hq.keys import HqKeys
from fieldkit.hq.repository.base import IssuedReceipt, Repository
from fieldkit.i18n import _


def write_receipt(
    repository: Repository,
    keys: HqKeys,
    folder: Path,
    bundle: BundleRef,
    accepted: Sequence[str],
    known: Sequence[str],
    limits: Limits = DEFAULT_LIMITS,
) -> Path:
    """Write and record the receipt of a stored bundle; return its path.

    Raises a FieldkitError or an OSError (a full disk, a read-only stick); nothing is recorded
    then, and a later ingest of the bundle writes the receipt again.
    """
    device = repository.device(bundle.device_key_id)
    if device is None:
        raise NotFoundError(
            _("No device with key id {key_id} is registered.").format(key_id=bundle.device_key_id)
        )
    receipt_id = secrets.token_hex(16)
    issued = utc_timestamp()
    data = make_receipt(
        hq_key=keys.signing_key,
        device_recipient=device.age_recipient,
        bundle_id=bundle.bundle_id,
        manifest_sha256=bundle.manifest_sha256,
        device_key_id=bundle.device_key_id,
        sequence=bundle.sequence,
        accepted=accepted,
        known=known,
        receipt_id=receipt_id,
        issued=issued,
        limits=limits,
    )
    target = folder / new_receipt_file_name()
    atomic_write_bytes(target, data)
    issued_receipt = IssuedReceipt(
        receipt_id=receipt_id,
        manifest_sha256=bundle.manifest_sha256,
        device_key_id=bundle.device_key_id,
        sequence=bundle.sequence,
        issued=issued,
        accepted=len(accepted),
        known=len(known),
        file_name=target.name,
    )
    try:
        repository.add_receipt(issued_receipt)
    except BaseException:
        target.unlink(missing_ok=True)  # unrecorded: the next ingest of the bundle writes one
        raise
    return target
