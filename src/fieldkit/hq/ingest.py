"""Ingest: verify a bundle, store what it adds in one transaction, answer with a signed receipt.

For each bundle file (or every bundle file in a folder, so that a whole stick can be ingested
again at no risk):

1. :func:`fieldkit.bundle.open_bundle` decrypts and verifies everything, streaming each
   attachment into age encryption to HQ's own keys (:mod:`fieldkit.hq.spool`: no attachment
   plaintext reaches disk) in a private folder under ``spool/``, locked while the ingest runs
   (folders of dead runs are removed when an ingest starts); a large bundle's revision
   signatures are verified in worker processes meanwhile (:mod:`fieldkit.hq.signatures`), and
   each revision is split as it is parsed (:class:`fieldkit.hq.batches.RevisionPreparer`).
   Once the device's signature over the manifest verifies, :meth:`_Gate.check_manifest`
   refuses a device revoked from that sequence number on; that refusal stores and writes
   nothing.
2. Only once the whole age stream is decrypted and authenticated (docs/bundle-format.md,
   section 2: a truncated or altered copy is found only at its end) does HQ compare the bundle
   with what it holds: a bundle HQ holds already is a replay (nothing added); another manifest
   at the same device and sequence number is a fork (refused, and a FORK alarm is the only
   thing stored). A damaged copy of either is rejected as damaged, and raises no alarm.
3. :func:`fieldkit.hq.batches.build_batch` links the encrypted attachments into place; the
   revisions' identifying answers are sealed to HQ's own keys part by part as the repository
   stores them.
4. :meth:`Repository.store_bundle` stores the whole bundle or nothing, in one transaction. A
   broken chain or a conflicting revision found there is refused with a CHAIN or CONFLICT
   alarm; the attachments this ingest wrote are removed again.
5. The keyed hashes of the named victims of the revisions stored
   (:func:`fieldkit.hq.victims.index_at_ingest`), from the identifying answers still in memory:
   never the names themselves. A failure here leaves the bundle stored and says to run
   ``fieldkit-hq victims index``.
6. A receipt (:func:`fieldkit.hq.receipting.write_receipt`). A bundle HQ held already gets one
   too if none was recorded for it (a crash after storing).

After a run, the sequence numbers still missing for the devices seen are reported, and a GAP
alarm is raised for those no earlier alarm named. (Bundle files on a stick come in random order,
so gaps are judged once the whole run is stored.)

Nothing here logs record content: log lines carry ids and counts.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import BinaryIO

from fieldkit.bundle import (
    DEFAULT_LIMITS,
    Limits,
    Manifest,
    OpenedBundle,
    SignatureChecker,
    UntrustedSignerError,
    find_bundle_files,
    open_bundle,
)
from fieldkit.domain.records import sha256_hex, utc_timestamp
from fieldkit.files import make_private_dir
from fieldkit.hq import victims
from fieldkit.hq.batches import BundleRef, RevisionPreparer, build_batch
from fieldkit.hq.errors import FieldkitError, InvalidInputError, NotFoundError
from fieldkit.hq.keys import HqConfig, HqKeys
from fieldkit.hq.paths import HqPaths
from fieldkit.hq.receipting import write_receipt
from fieldkit.hq.repository.base import (
    AlarmKind,
    AlreadyStoredError,
    BundleRefusedError,
    NewAlarm,
    Repository,
    StoredBundle,
)
from fieldkit.hq.signatures import ProcessSignatureChecker
from fieldkit.hq.spool import EncryptingSink, SpoolWriteError, remove_dead_folders, run_folder
from fieldkit.i18n import _

log = logging.getLogger("fieldkit.hq.ingest")


class Outcome(StrEnum):
    ACCEPTED = "accepted"
    ALREADY_INGESTED = "already-ingested"
    REJECTED = "rejected"


@dataclass(frozen=True)
class BundleResult:
    """What became of one bundle file."""

    source: Path
    outcome: Outcome
    reason: str | None = None
    """For a rejected bundle: why, in one translated line."""
    bundle: BundleRef | None = None
    """None when the bundle could not be read far enough to know."""
    accepted: tuple[str, ...] = ()
    """Revision hashes the bundle added (for a replay: those it added when first ingested)."""
    known: tuple[str, ...] = ()
    receipt: Path | None = None
    """The receipt written now, if any (a replay whose receipt was recorded writes none)."""
    receipt_error: str | None = None
    """The bundle is stored, but its receipt could not be written (ingest it again)."""
    alarm: AlarmKind | None = None

    @property
    def ok(self) -> bool:
        return self.outcome is not Outcome.REJECTED and self.receipt_error is None


@dataclass(frozen=True)
class Gap:
    device_key_id: str
    missing: tuple[int, ...]
    """Every sequence number of the device that HQ holds no bundle for."""
    new: tuple[int, ...]
    """Those no earlier GAP alarm named: the alarm raised now names them."""


@dataclass(frozen=True)
class IngestReport:
    results: tuple[BundleResult, ...]
    gaps: tuple[Gap, ...]

    @property
    def ok(self) -> bool:
        return all(result.ok for result in self.results)


class _Gate:
    """What ``open_bundle`` asks HQ while it reads: is this key enrolled, and may this manifest
    be read on? Both run before the age stream is authenticated, so they only ever refuse, and
    store and write nothing."""

    def __init__(self, repository: Repository) -> None:
        self._repository = repository

    def is_trusted(self, key_id: str, public_key: bytes) -> bool:
        device = self._repository.device(key_id)
        return device is not None and device.public_key == public_key and device.trusted_for(1)

    def check_manifest(self, manifest: Manifest) -> None:
        device = self._repository.device(manifest.device_key_id)
        if device is None or not device.trusted_for(manifest.sequence):
            if device is not None and self._repository.bundle(_manifest_sha256(manifest)):
                return  # a copy of a bundle HQ holds from before the revocation: read it to its end
            raise UntrustedSignerError(
                _(
                    "Bundle {seq} of device {key_id} comes after the device was revoked (from "
                    "bundle {revoked} on); nothing stored."
                ).format(
                    seq=manifest.sequence,
                    key_id=manifest.device_key_id,
                    revoked=device.revoked_from if device is not None else 1,
                )
            )


class Ingestor:
    """Ingests bundles into ``repository`` with HQ's unlocked keys.

    Receipts go to ``receipts_dir``, an existing folder (default: ``receipts/`` in the HQ folder).
    ``signature_checker`` verifies revision signatures (default: worker processes for large
    bundles, see :mod:`fieldkit.hq.signatures`).
    """

    def __init__(
        self,
        repository: Repository,
        paths: HqPaths,
        config: HqConfig,
        keys: HqKeys,
        *,
        receipts_dir: Path | None = None,
        limits: Limits = DEFAULT_LIMITS,
        signature_checker: SignatureChecker | None = None,
    ) -> None:
        self._repository = repository
        self._signature_checker = signature_checker or ProcessSignatureChecker()
        self._paths = paths
        self._config = config
        self._keys = keys
        self._limits = limits
        self._gate = _Gate(repository)
        if receipts_dir is not None and not receipts_dir.is_dir():
            raise NotFoundError(
                _("{path}: no such folder for receipts; create it first.").format(path=receipts_dir)
            )
        self._receipts = receipts_dir or paths.receipts
        for folder in (paths.spool, paths.attachments, paths.receipts):
            make_private_dir(folder)
        removed = remove_dead_folders(paths)
        if removed:
            log.info("removed %d spool folder(s) of interrupted ingests", removed)

    # -- a run --------------------------------------------------------------------------------

    def run(self, untrusted_paths: Iterable[Path]) -> IngestReport:
        """Ingest every bundle named (for a folder: every bundle file in it), then judge gaps."""
        results = tuple(self.ingest_file(path) for path in expand(untrusted_paths))
        devices = sorted({r.bundle.device_key_id for r in results if r.bundle is not None})
        return IngestReport(results, tuple(self.check_gaps(devices)))

    def check_gaps(self, device_key_ids: Sequence[str]) -> Iterator[Gap]:
        """The devices' missing sequence numbers; a GAP alarm for those not reported before."""
        for key_id in device_key_ids:
            missing = self._repository.missing_sequences(key_id)
            if not missing:
                continue
            reported: set[int] = set()
            for alarm in self._repository.alarms(key_id):
                if alarm.kind is AlarmKind.GAP:
                    reported.update(int(n) for n in alarm.detail.get("missing", ()))
            new = tuple(n for n in missing if n not in reported)
            if new:
                self._repository.add_alarm(
                    NewAlarm(AlarmKind.GAP, key_id, None, None, {"missing": list(new)}),
                    utc_timestamp(),
                )
                log.info("gap: device %s misses %d bundle(s)", key_id, len(new))
            yield Gap(key_id, tuple(missing), new)

    # -- one bundle ---------------------------------------------------------------------------

    def ingest_file(self, untrusted_path: Path) -> BundleResult:
        """Ingest one bundle file. A bad bundle does not raise: the result says why."""
        with run_folder(self._paths) as spool:
            return self._ingest(untrusted_path, spool)

    def _ingest(self, untrusted_path: Path, spool: Path) -> BundleResult:
        preparer = RevisionPreparer()
        try:
            with _open_untrusted(untrusted_path) as untrusted:
                opened = open_bundle(
                    untrusted,
                    [self._keys.ingest_identity],
                    self._gate.is_trusted,
                    EncryptingSink(spool, self._config.recipients),
                    self._limits,
                    self._gate.check_manifest,
                    self._signature_checker,
                    preparer,
                )
        except FieldkitError as error:
            return BundleResult(untrusted_path, Outcome.REJECTED, error.user_message)
        except SpoolWriteError as error:
            return BundleResult(untrusted_path, Outcome.REJECTED, _not_stored(error))
        except OSError as error:
            reason = _cannot_read(untrusted_path, error)
            return BundleResult(untrusted_path, Outcome.REJECTED, reason)
        try:
            return self._held(untrusted_path, opened) or self._store(
                untrusted_path, opened, preparer
            )
        finally:
            opened.discard()

    def _held(self, source: Path, opened: OpenedBundle) -> BundleResult | None:
        """For a bundle opened and verified to its end: a replay or a fork of one HQ holds;
        None for a bundle HQ has not seen."""
        bundle = BundleRef.of(opened)
        try:
            stored = self._repository.bundle(bundle.manifest_sha256)
            if stored is not None:
                return self._replay(source, stored)
            other = self._repository.manifest_at(bundle.device_key_id, bundle.sequence)
            if other is not None:
                return self._refuse(source, bundle, AlarmKind.FORK, other)
        except FieldkitError as error:
            return BundleResult(source, Outcome.REJECTED, error.user_message, bundle)
        return None

    def _store(
        self, source: Path, opened: OpenedBundle, preparer: RevisionPreparer
    ) -> BundleResult:
        bundle = BundleRef.of(opened)
        written: list[Path] = []
        try:
            known = self._repository.known_revisions([r.sha256 for r in opened.revisions])
            recipients = self._config.recipients
            batch = build_batch(
                opened, known, recipients, self._paths.attachments, written, preparer
            )
            outcome = self._repository.store_bundle(batch)
        except BaseException as error:
            _delete(written)
            if isinstance(error, AlreadyStoredError):  # another ingest of it, just now
                stored = self._repository.bundle(bundle.manifest_sha256)
                if stored is not None:
                    return self._replay(source, stored)
            if isinstance(error, BundleRefusedError):
                return self._refuse(source, bundle, error.kind, error.other)
            if isinstance(error, FieldkitError):
                return BundleResult(source, Outcome.REJECTED, error.user_message, bundle)
            if isinstance(error, OSError):
                return BundleResult(source, Outcome.REJECTED, _not_stored(error), bundle)
            raise
        log.info(
            "stored bundle %d of device %s: %d new, %d known revision(s)",
            bundle.sequence,
            bundle.device_key_id,
            len(outcome.accepted),
            len(outcome.known),
        )
        self._hash_victims(opened, preparer, outcome.accepted)
        return self._answer(
            BundleResult(source, Outcome.ACCEPTED, None, bundle, outcome.accepted, outcome.known)
        )

    def _hash_victims(
        self, opened: OpenedBundle, preparer: RevisionPreparer, accepted: Sequence[str]
    ) -> None:
        """Keyed hashes of the named victims of the revisions just stored, while their
        identifying answers are in memory (:func:`fieldkit.hq.victims.index_at_ingest`). The
        bundle is stored either way: if this fails, `fieldkit-hq victims index` makes them."""
        wanted = set(accepted)
        found = []
        for revision in opened.revisions:
            if revision.sha256 not in wanted:
                continue
            prepared = preparer.prepared.get(revision.sha256)
            if prepared is None:
                value = json.loads(revision.content)
                form = opened.form_for(value["form"]["id"], value["form"]["version"])
                prepared = preparer.prepare(value, form)
            found.append((revision.record_id, revision.number, prepared.identifying))
        try:
            hashed = victims.index_at_ingest(self._repository, self._keys, found)
        except FieldkitError:
            log.warning("victim keys of this bundle were not stored; run `victims index`")
            return
        if hashed:
            log.info("hashed %d named victim(s)", hashed)

    def _replay(self, source: Path, stored: StoredBundle) -> BundleResult:
        """A bundle HQ holds: nothing is added; a receipt is written if none was recorded."""
        bundle = BundleRef(
            stored.bundle_id, stored.manifest_sha256, stored.device_key_id, stored.sequence
        )
        result = BundleResult(
            source, Outcome.ALREADY_INGESTED, None, bundle, stored.accepted, stored.known
        )
        if self._repository.receipts(stored.manifest_sha256):
            return result
        return self._answer(result)

    def receipt_again(self, manifest_sha256: str) -> BundleResult | None:
        """A new receipt, in this ingest's receipt folder, for a bundle HQ holds (its receipts
        were written elsewhere, such as a stick's folder given to ``ingest --receipts``); None
        if HQ holds no such bundle."""
        stored = self._repository.bundle(manifest_sha256)
        if stored is None:
            return None
        bundle = BundleRef(
            stored.bundle_id, stored.manifest_sha256, stored.device_key_id, stored.sequence
        )
        return self._answer(
            BundleResult(
                Path(), Outcome.ALREADY_INGESTED, None, bundle, stored.accepted, stored.known
            )
        )

    def _answer(self, result: BundleResult) -> BundleResult:
        """``result`` with the receipt written for its stored bundle, or why it could not be."""
        assert result.bundle is not None  # noqa: S101 - only stored bundles are answered
        try:
            path = write_receipt(
                self._repository,
                self._keys,
                self._receipts,
                result.bundle,
                result.accepted,
                result.known,
                self._limits,
            )
        except FieldkitError as error:
            return replace(result, receipt_error=error.user_message)
        except OSError as error:
            problem = _("{path}: cannot be written ({reason}).").format(
                path=self._receipts, reason=error.strerror
            )
            return replace(result, receipt_error=problem)
        return replace(result, receipt=path)

    def _refuse(
        self, source: Path, bundle: BundleRef, kind: AlarmKind, other: str | None
    ) -> BundleResult:
        """Reject a bundle with an alarm, unless the same alarm was raised for this manifest
        before (an operator ingesting a stick again does not multiply alarms)."""
        raised = any(
            alarm.kind is kind and alarm.manifest_sha256 == bundle.manifest_sha256
            for alarm in self._repository.alarms(bundle.device_key_id)
        )
        if not raised:
            key_id, sequence = bundle.device_key_id, bundle.sequence
            log.info("%s alarm: bundle %d of device %s", kind.value, sequence, key_id)
            key = "other_revision" if kind is AlarmKind.CONFLICT else "other_manifest"
            detail = {key: other} if other else {}
            alarm = NewAlarm(kind, key_id, sequence, bundle.manifest_sha256, detail)
            self._repository.add_alarm(alarm, utc_timestamp())
        reason = refused_message(kind, bundle.sequence)
        return BundleResult(source, Outcome.REJECTED, reason, bundle, alarm=kind)


def expand(untrusted_paths: Iterable[Path]) -> Iterator[Path]:
    """Files as given; for a folder, every file in it named like a bundle. A folder without any
    is yielded itself, so that its result says so."""
    for path in untrusted_paths:
        if path.is_dir():
            yield from find_bundle_files(path) or [path]
        else:
            yield path


def refused_message(kind: AlarmKind, sequence: int) -> str:
    """Why a bundle refused with an alarm was refused."""
    if kind is AlarmKind.FORK:
        text = _(
            "The device already sent another bundle numbered {seq} (a fork: its key may have "
            "been copied, or the device restored from a backup); FORK alarm raised, nothing "
            "stored."
        )
    elif kind is AlarmKind.CHAIN:
        text = _(
            "Bundle {seq} does not chain to the device's bundles HQ holds (one of them was "
            "altered or replaced); CHAIN alarm raised, nothing stored."
        )
    else:
        text = _(
            "Bundle {seq} holds a revision that differs from the one HQ holds with the same "
            "record and revision number; CONFLICT alarm raised, nothing stored."
        )
    return text.format(seq=sequence)


def _manifest_sha256(manifest: Manifest) -> str:
    return sha256_hex(manifest.canonical())  # the manifest is canonical JSON: the same bytes


def _open_untrusted(untrusted_path: Path) -> BinaryIO:
    if untrusted_path.is_dir():
        raise NotFoundError(
            _("{path}: no bundle files (named like 0123…cdef.fkb) in this folder.").format(
                path=untrusted_path
            )
        )
    if untrusted_path.exists() and not untrusted_path.is_file():
        raise InvalidInputError(_("{path}: not a regular file.").format(path=untrusted_path))
    return untrusted_path.open("rb")


def _cannot_read(path: Path, error: OSError) -> str:
    if isinstance(error, FileNotFoundError):
        return _("{path}: no such file.").format(path=path)
    return _("{path}: cannot be read ({reason}).").format(path=path, reason=error.strerror)


def _not_stored(error: OSError) -> str:
    return _("Headquarters could not store it ({reason}); nothing stored.").format(
        reason=error.strerror
    )


def _delete(paths: Iterable[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)
