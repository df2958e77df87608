"""Revision signatures verified in worker processes (fieldkit.hq.signatures): every signature is
still checked, a bad one still refuses the bundle, and a worker that dies or cannot start only
moves the work back to the calling thread."""

from __future__ import annotations

import io
import subprocess
from collections.abc import Collection
from pathlib import Path

import pytest

from fieldkit.bundle import InlineSignatureChecks
from fieldkit.crypto.identity import SigningKey
from fieldkit.domain.records import REVISION_SIGNATURE_DOMAIN, revision_signing_message
from fieldkit.hq import signatures
from fieldkit.hq.ingest import Ingestor, Outcome
from fieldkit.hq.signature_worker import U32, encode_request, serve
from fieldkit.hq.signatures import ProcessSignatureChecker, ProcessSignatureChecks
from tests.bundle.factory import REVISION, decrypt, encrypt, join, split
from tests.hq.support import Device, Hq, files_in, hq

__all__ = ["hq"]

KEY = SigningKey.generate()


def _signed(count: int, bad: Collection[int] = ()) -> list[tuple[bytes, bytes]]:
    items = []
    for index in range(count):
        content = b'{"n":%d}' % index
        signature = KEY.sign(revision_signing_message(content))
        items.append((bytes(64) if index in bad else signature, content))
    return items


def _run(checks: ProcessSignatureChecks, items: list[tuple[bytes, bytes]]) -> bool:
    try:
        answers = [checks.add(signature, content) for signature, content in items]
        ok = all(answers)
        return checks.finish() and ok
    finally:
        checks.close()


# -- the worker's protocol ------------------------------------------------------------------------


def _hello() -> bytes:
    return (
        U32.pack(len(REVISION_SIGNATURE_DOMAIN)) + REVISION_SIGNATURE_DOMAIN + KEY.public.public_key
    )


def test_the_worker_answers_each_request() -> None:
    requests = [_signed(3), _signed(5, bad={4}), _signed(1), _signed(2, bad={0})]
    out = io.BytesIO()
    serve(io.BytesIO(_hello() + b"".join(b"".join(encode_request(r)) for r in requests)), out)
    assert out.getvalue() == b"\x01\x00\x01\x00"


def test_the_worker_stops_at_a_cut_request_without_answering_it() -> None:
    request = b"".join(encode_request(_signed(3)))
    out = io.BytesIO()
    serve(io.BytesIO(_hello() + b"".join(encode_request(_signed(1))) + request[:-1]), out)
    assert out.getvalue() == b"\x01"


# -- checks in worker processes -------------------------------------------------------------------


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(signatures, "BATCH", 16)


@pytest.mark.usefixtures("small_batches")
def test_workers_verify_every_signature() -> None:
    assert _run(ProcessSignatureChecks(KEY.public, 2), _signed(100))
    assert not _run(ProcessSignatureChecks(KEY.public, 2), _signed(100, bad={97}))
    assert not _run(ProcessSignatureChecks(KEY.public, 2), _signed(100, bad={0}))


@pytest.mark.usefixtures("small_batches")
def test_a_dead_worker_leaves_its_signatures_to_the_caller() -> None:
    for bad in ((), (90,)):
        checks = ProcessSignatureChecks(KEY.public, 2)
        items = _signed(100, bad=bad)
        for signature, content in items[:40]:
            checks.add(signature, content)
        for worker in checks._workers:  # the test kills them
            worker._process.kill()
        assert _run(checks, items[40:]) is not bool(bad)


@pytest.mark.usefixtures("small_batches")
def test_workers_that_cannot_start_leave_the_work_to_the_caller(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise OSError("no more processes")

    monkeypatch.setattr(subprocess, "Popen", refuse)
    checks = ProcessSignatureChecks(KEY.public, 2)
    assert checks._workers == []
    assert _run(checks, _signed(40))
    assert not _run(ProcessSignatureChecks(KEY.public, 2), _signed(40, bad={39}))


def test_small_bundles_are_verified_on_the_calling_thread() -> None:
    checker = ProcessSignatureChecker(parallel_from=100, workers=2)
    assert isinstance(checker(KEY.public, 99), InlineSignatureChecks)
    large = checker(KEY.public, 100)
    assert isinstance(large, ProcessSignatureChecks)
    large.close()
    assert isinstance(ProcessSignatureChecker(workers=0)(KEY.public, 10**5), InlineSignatureChecks)


# -- ingest ---------------------------------------------------------------------------------------


def _ingestor(hq: Hq) -> Ingestor:
    return Ingestor(
        hq.repository,
        hq.paths,
        hq.config,
        hq.secrets,
        signature_checker=ProcessSignatureChecker(parallel_from=1, workers=2),
    )


@pytest.mark.usefixtures("small_batches")
def test_ingest_with_workers_refuses_a_forged_revision_signature(hq: Hq, tmp_path: Path) -> None:
    device = Device()
    device.register(hq.repository)
    revisions = [device.revision() for _ in range(40)]
    path = hq.bundle(device, revisions, advance=False)
    frames = split(decrypt(path.read_bytes(), hq.keys.hq[0]))
    at = [i for i, (kind, _p) in enumerate(frames) if kind == REVISION][33]
    frames[at] = (REVISION, bytes(64) + frames[at][1][64:])
    forged = tmp_path / "forged.fkb"
    forged.write_bytes(encrypt(join(frames), [hq.keys.hq[1], hq.keys.escrow[1]]))
    before = hq.repository.counts()

    result = _ingestor(hq).ingest_file(forged)
    assert result.outcome is Outcome.REJECTED and result.reason is not None
    assert "damaged" in result.reason
    assert hq.repository.counts() == before
    assert files_in(hq.paths.attachments) == []

    accepted = _ingestor(hq).ingest_file(path)
    assert accepted.outcome is Outcome.ACCEPTED
    assert sorted(accepted.accepted) == sorted(r.sha256 for r in revisions)
