"""Network sync, the use cases the CLI and the app share.

:func:`sync_once` makes sure the server is headquarters (the signed ping), writes what waits
into outbox bundles (:mod:`fieldkit.services.outbox`), uploads each waiting bundle (records
bundles first) and fetches its receipt. A bundle is delivered only when that receipt verifies
against HQ's pinned signing key and is imported with the same code as a receipt from a stick; a
200 answer proves nothing. Then new forms HQ published are installed (verified). Every step is
idempotent: a run cut anywhere is simply run again (the upload resumes from HQ's offset; an
upload HQ already ingested answers with its receipt).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from fieldkit.bundle import BundleError, read_enrolment
from fieldkit.crypto.identity import SigningKey
from fieldkit.errors import ConflictError, InvalidInputError
from fieldkit.i18n import _
from fieldkit.services import enrolment as enrolment_service
from fieldkit.services import erasure, outbox, receipts, vaults
from fieldkit.services.outbox import ItemState, OutboxItem, prepare, status
from fieldkit.services.sync_forms import install_new_forms
from fieldkit.services.sync_settings import Backoff, SyncSettings, save_settings, settings
from fieldkit.sync.client import HqClient, HqEndpoint
from fieldkit.sync.errors import BundleRejectedError, DeviceLostError, ProtocolError, SyncError
from fieldkit.vault import repo
from fieldkit.vault.erased import VaultErasedError
from fieldkit.vault.store import Vault

__all__ = [
    "Backoff",
    "ClientFactory",
    "ItemState",
    "OutboxItem",
    "SyncReport",
    "SyncSettings",
    "VaultErasedError",
    "endpoint",
    "prepare",
    "reachable",
    "save_settings",
    "settings",
    "status",
    "sync_once",
]

log = logging.getLogger("fieldkit.services.sync")

ClientFactory = Callable[[HqEndpoint, SigningKey], HqClient]
Progress = Callable[[OutboxItem], None]
PROGRESS_STEP = 0.02
"""A sending item's progress is reported each time another 2 % of it reached HQ."""


@dataclass(frozen=True)
class SyncReport:
    delivered: int  # items delivered by this run
    waiting: int  # items not delivered yet after it (waiting, or at HQ without a receipt)
    refused: int  # items HQ refused in this run
    forms_installed: tuple[str, ...]  # "form-id version" of each form installed
    erased: bool  # always False in a report: a vault erased on HQ's order raises
    # VaultErasedError instead


def endpoint(vault: Vault, address: str | None = None) -> HqEndpoint:
    """Where and who headquarters is: its address (``address``, or the enrolment's), its TLS
    key pin and signing key, as pinned at enrolment."""
    with vault.read() as session:
        row = enrolment_service.active_row(session)
    if row is None:
        raise ConflictError(
            _(
                "This device is not enrolled with a headquarters: import the enrolment file "
                "your headquarters gave you first (fieldkit-cli enroll)."
            )
        )
    pin = read_enrolment(row.document).tls_spki_sha256
    if not pin:
        raise ConflictError(
            _(
                "The enrolment file of {name} was made before network sync and pins no TLS key: "
                "ask headquarters for a new enrolment file and enrol with it again."
            ).format(name=row.hq_name)
        )
    chosen = (address or row.address or "").strip()
    if not chosen:
        raise ConflictError(
            _(
                "The enrolment file of {name} gives no network address: give one with "
                "--address https://HOST:PORT."
            ).format(name=row.hq_name)
        )
    parts = urlsplit(chosen)
    if parts.scheme != "https" or not parts.hostname:
        raise InvalidInputError(
            _("{address}: headquarters' address must begin with https://.").format(address=chosen)
        )
    return HqEndpoint(chosen, pin, row.signing_public_key, row.hq_key_id)


def reachable(
    vault: Vault, address: str | None = None, client_factory: ClientFactory = HqClient
) -> bool:
    """Whether headquarters answers and signs the ping (only that: no sign-in, nothing sent)."""
    target = endpoint(vault, address)
    try:
        with client_factory(target, vaults.signing_key(vault)) as client:
            client.ping()
    except SyncError:
        return False
    return True


def sync_once(
    vault: Vault,
    *,
    text_first: bool = True,
    address: str | None = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    client_factory: ClientFactory = HqClient,
) -> SyncReport:
    """One attempt to send everything waiting and fetch the receipts (see the module's
    description). Raises the first failure (a :class:`SyncError`, ``retryable`` or not) after
    keeping what was reached; a bundle HQ refuses is reported, not raised.

    If HQ reported this device lost and its erase order verifies (HQ's pinned key, this
    device's key id), the vault is erased and closed, and :class:`VaultErasedError` raised."""
    target = endpoint(vault, address)
    key = vaults.signing_key(vault)
    delivered = refused = 0
    try:
        with client_factory(target, key) as client:
            client.ping()
            outbox.set_aside(vault)
            prepare(vault, text_first=text_first)
            for item in outbox.open_items(vault):
                if cancel is not None and cancel.is_set():
                    break
                final = _send(vault, client, item, progress, cancel)
                delivered += final.state == ItemState.DELIVERED
                refused += final.state == ItemState.REFUSED
            forms = _forms(vault, client)
    except DeviceLostError as lost:
        raise _obey(vault, lost) from None
    finally:
        if vault.is_open:
            outbox.remove_finished_files(vault)
    return SyncReport(
        delivered=delivered,
        waiting=len(outbox.open_items(vault)),
        refused=refused,
        forms_installed=forms,
        erased=False,
    )


def _obey(vault: Vault, lost: DeviceLostError) -> Exception:
    """Erase the vault on HQ's order if the order verifies; the error to raise either way."""
    with vault.read() as session:
        enrolled = enrolment_service.active_row(session)
        identity = repo.active_identity(session)
    if enrolled is None or identity is None:  # pragma: no cover - checked before signing in
        return lost
    try:
        notice = erasure.obey_erase_order(
            vault.folder,
            lost.order,
            enrolled.signing_public_key,
            enrolled.hq_name,
            identity.key_id,
        )
    except BundleError as error:
        log.info("an erase order that does not verify was ignored")
        return ConflictError(
            _(
                "Headquarters refuses this device as lost, but its order to erase the vault "
                "does not verify ({reason}); nothing was erased. Ask headquarters."
            ).format(reason=error)
        )
    vault.close()
    return VaultErasedError(notice)


def _forms(vault: Vault, client: HqClient) -> tuple[str, ...]:
    """New forms from HQ; a failure here does not undo what was delivered, so it is only
    logged (the next sync fetches them)."""
    try:
        return install_new_forms(vault, client)
    except SyncError as error:
        if not error.retryable:
            raise
        log.warning("forms from headquarters were not fetched: %s", error)
        return ()


def _send(
    vault: Vault,
    client: HqClient,
    item: OutboxItem,
    progress: Progress | None,
    cancel: threading.Event | None,
) -> OutboxItem:
    """Upload one item unless HQ has it already, then fetch and import its receipt."""
    report = progress or (lambda _item: None)
    if item.state == ItemState.AT_HQ:
        data = client.receipt(item.sha256)
        if data is not None:
            return _deliver(vault, item, data, report)
    item = outbox.update(vault, item.sequence, state=ItemState.SENDING)
    report(item)
    shown = [item.sent]

    def sent(done: int, total: int) -> None:
        if done >= total or done - shown[0] >= max(1, int(total * PROGRESS_STEP)):
            shown[0] = done
            report(outbox.update(vault, item.sequence, sent=done))  # `sync status` sees it too

    try:
        client.upload(outbox.path_of(vault, item), item.sha256, progress=sent, cancel=cancel)
    except BundleRejectedError as error:
        refused = outbox.update(
            vault, item.sequence, state=ItemState.REFUSED, sent=shown[0], reason=error.reason
        )
        report(refused)
        return refused
    except BaseException:
        if vault.is_open:
            report(outbox.update(vault, item.sequence, state=ItemState.WAITING, sent=shown[0]))
        raise
    item = outbox.update(vault, item.sequence, state=ItemState.AT_HQ, sent=item.size)
    report(item)
    data = client.receipt(item.sha256)
    if data is None:
        return item  # HQ has it; its receipt is asked for again next time
    return _deliver(vault, item, data, report)


def _deliver(vault: Vault, item: OutboxItem, data: bytes, report: Progress) -> OutboxItem:
    """Import HQ's answer as a receipt; the item is delivered only if it verifies and is the
    receipt of this very bundle."""
    try:
        receipts.import_receipt_bytes(vault, data)
    except (BundleError, ConflictError) as error:
        raise ProtocolError(
            _(
                "Headquarters' receipt for bundle {seq} does not verify ({reason}); the bundle "
                "is not counted as delivered."
            ).format(seq=item.sequence, reason=error)
        ) from None
    done = outbox.get(vault, item.sequence)
    if done.state != ItemState.DELIVERED:
        raise ProtocolError(
            _(
                "Headquarters answered with a receipt for another bundle than bundle {seq}; "
                "it is not counted as delivered."
            ).format(seq=item.sequence)
        )
    report(done)
    return done
