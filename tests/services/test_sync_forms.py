"""Forms HQ published reach the device on sync, verified against the pinned HQ key; a form file
that is not signed by that key is refused; a form already seen is not fetched again."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from fieldkit.bundle import make_published_form
from fieldkit.crypto.identity import SigningKey
from fieldkit.hq import publishing
from fieldkit.services import forms, sync
from fieldkit.sync.client import HqClient
from fieldkit.sync.forms import RemoteForm
from fieldkit.vault import repo
from tests.hq.support import Hq
from tests.hq.sync_server import Server, server, shared_hq
from tests.services.sync_support import enrol

__all__ = ["server", "shared_hq"]

FORM = """fieldkit_form: 1
id: checkpoint-log
version: "{version}"
title: {{en: Checkpoint log}}
languages: [en]
fields:
  - {{name: subject, type: text, label: {{en: Subject}}, required: true}}
"""


def _form_file(folder: Path, version: str) -> Path:
    path = folder / f"checkpoint-log-{version}.yaml"
    path.write_text(FORM.format(version=version))
    return path


def _installed(vault: Any) -> set[tuple[str, str, str | None]]:
    with vault.read() as session:
        return {(r.form_id, r.version, r.signed_by) for r in repo.all_forms(session)}


def test_forms_published_by_hq_are_installed_once(
    vault: Any, shared_hq: Hq, server: Server, tmp_path: Path
) -> None:
    enrol(vault, shared_hq, server, tmp_path / "enrol")
    publishing.publish(shared_hq.paths, shared_hq.keys.hq_signing, _form_file(tmp_path, "1"))
    report = sync.sync_once(vault)
    assert report.forms_installed == ("checkpoint-log 1",)
    hq_key = shared_hq.keys.hq_signing.key_id
    assert ("checkpoint-log", "1", hq_key) in _installed(vault)
    fetched: list[str] = []

    class Counting(HqClient):
        def form(self, name: str) -> bytes:
            fetched.append(name)
            return super().form(name)

    assert sync.sync_once(vault, client_factory=Counting).forms_installed == ()
    assert fetched == []  # known by its SHA-256: not fetched again
    with vault.read() as session:
        assert forms.current(session, "checkpoint-log").version == "1"


class _Impostor(HqClient):
    """Lists and serves a form signed by another key than HQ's (as a compromised or mistaken
    server could)."""

    data = b""

    def forms(self) -> list[RemoteForm]:
        digest = hashlib.sha256(self.data).hexdigest()
        return [RemoteForm("forged-2.fkf", "checkpoint-log", "2", digest, len(self.data), "x")]

    def form(self, name: str) -> bytes:
        return self.data


def test_a_form_not_signed_by_the_pinned_hq_key_is_refused(
    vault: Any, shared_hq: Hq, server: Server, tmp_path: Path
) -> None:
    from fieldkit.services.forms import read_form_file

    enrol(vault, shared_hq, server, tmp_path / "enrol")
    forged = make_published_form(
        hq_key=SigningKey.generate(), form=read_form_file(_form_file(tmp_path, "2"))
    )
    _Impostor.data = forged
    report = sync.sync_once(vault, client_factory=_Impostor)
    assert report.forms_installed == ()
    assert ("checkpoint-log", "2") not in {(i, v) for i, v, _by in _installed(vault)}
