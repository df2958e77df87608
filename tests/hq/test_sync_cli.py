"""``fieldkit-hq init`` and ``tls create`` make the sync server's certificate, owner-only, and pin
it in the enrolment file; ``serve`` names what is missing in one line."""

from __future__ import annotations

import socket
import stat
from pathlib import Path

import pytest

from fieldkit.bundle import make_enrolment, new_identity, read_enrolment
from fieldkit.bundle.errors import BundleError
from fieldkit.crypto.identity import SigningKey
from fieldkit.hq import tls
from fieldkit.hq.cli import main as hq_main
from tests.conftest import PASSPHRASE
from tests.hq.support import Run


@pytest.fixture
def hq(capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Run:
    monkeypatch.setenv("FIELDKIT_HQ", str(tmp_path / "hq"))
    monkeypatch.setenv("FIELDKIT_HQ_PASSPHRASE", PASSPHRASE)
    monkeypatch.delenv("FIELDKIT_HQ_DB", raising=False)
    run = Run(capsys, hq_main, "fieldkit-hq")
    run("init", "--name", "Mission HQ", "--address", "https://hq.example.org:8443")
    return run


def test_init_makes_an_owner_only_key_and_pins_the_certificate(hq: Run, tmp_path: Path) -> None:
    folder = tmp_path / "hq"
    assert stat.S_IMODE((folder / "tls.key").stat().st_mode) == 0o600
    enrolment = read_enrolment((folder / "enrolment.fke").read_bytes())
    assert enrolment.tls_spki_sha256 == tls.read_pin(folder / "tls.crt")
    names = tls_names(folder / "tls.crt")
    assert {"hq.example.org", "localhost", "127.0.0.1"} <= names


def test_an_older_hq_folder_gets_a_certificate_with_tls_create(hq: Run, tmp_path: Path) -> None:
    folder = tmp_path / "hq"
    (folder / "tls.crt").unlink()
    (folder / "tls.key").unlink()
    hq("serve", "--listen", "127.0.0.1:0", code=1)
    assert "fieldkit-hq tls create" in hq.err
    shown = hq("tls", "create", "--host", "hq.internal")
    new_pin = tls.read_pin(folder / "tls.crt")
    assert new_pin in shown
    assert read_enrolment((folder / "enrolment.fke").read_bytes()).tls_spki_sha256 == new_pin
    assert tls_names(folder / "tls.crt") == {"hq.internal"}
    hq("tls", "create", code=1)  # kept unless --replace
    assert "exists already" in hq.err
    hq("tls", "create", "--replace")
    assert tls.read_pin(folder / "tls.crt") != new_pin


def test_serve_refuses_bad_options_in_one_line(hq: Run, tmp_path: Path) -> None:
    hq("serve", "--listen", "8443", code=1)
    assert "--listen must be HOST:PORT" in hq.err
    hq("serve", "--workers", "0", code=1)
    assert "--workers must be 1 or more" in hq.err
    hq("serve", "--cert", str(tmp_path / "hq" / "tls.crt"), code=1)
    assert "--cert and --key together" in hq.err
    key = tmp_path / "hq" / "tls.key"
    hq("serve", "--cert", str(key), "--key", str(key), code=1)
    assert "cannot be used together" in hq.err
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        hq("serve", "--listen", f"127.0.0.1:{port}", code=1)
    assert f"Cannot listen on 127.0.0.1:{port}" in hq.err


def test_an_enrolment_without_a_pin_still_reads_and_a_bad_pin_is_refused() -> None:
    key = SigningKey.generate()
    plain = make_enrolment(hq_key=key, hq_name="HQ", ingest_recipient=new_identity()[1])
    assert read_enrolment(plain).tls_spki_sha256 is None
    pinned = make_enrolment(
        hq_key=key, hq_name="HQ", ingest_recipient=new_identity()[1], tls_spki_sha256="a" * 64
    )
    assert read_enrolment(pinned).tls_spki_sha256 == "a" * 64
    with pytest.raises(BundleError, match="tls_spki_sha256 must be lowercase hexadecimal"):
        make_enrolment(
            hq_key=key, hq_name="HQ", ingest_recipient=new_identity()[1], tls_spki_sha256="A1"
        )


def tls_names(cert: Path) -> set[str]:
    from cryptography import x509

    certificate = x509.load_pem_x509_certificate(cert.read_bytes())
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return {str(getattr(name, "value", name)) for name in names}


def test_an_operators_own_certificate_is_imported_and_pinned(hq: Run, tmp_path: Path) -> None:
    own = tls.TlsFiles(tmp_path / "own.crt", tmp_path / "own.key")
    pin = tls.create(own, "hq.example.org", ["hq.example.org"])
    folder = tmp_path / "hq"
    hq("tls", "import", "--cert", str(own.cert), "--key", str(own.key.parent / "missing"), code=1)
    assert "no such file" in hq.err
    hq("tls", "import", "--cert", str(own.cert), "--key", str(folder / "tls.key"), code=1)
    assert "cannot be used together" in hq.err
    assert tls.read_pin(folder / "tls.crt") != pin  # nothing changed
    assert pin in hq("tls", "import", "--cert", str(own.cert), "--key", str(own.key))
    assert tls.read_pin(folder / "tls.crt") == pin
    assert stat.S_IMODE((folder / "tls.key").stat().st_mode) == 0o600
    assert read_enrolment((folder / "enrolment.fke").read_bytes()).tls_spki_sha256 == pin
