"""Newer shipped forms installed when a vault made with an earlier fieldkit is unlocked."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from sqlmodel import select

from fieldkit.bundle import PublishedForm
from fieldkit.domain.formfile import load_form
from fieldkit.domain.forms import FormDefinition
from fieldkit.services import forms as form_service
from fieldkit.services import records, shipped_forms, unlocking
from fieldkit.services.vaults import create_vault
from fieldkit.vault import audit, repo
from fieldkit.vault.models import AuditRow
from fieldkit.vault.store import Vault
from tests.conftest import DATA, PASSPHRASE

ATTACK = "attack-on-activist"
MARKET = "illicit-market-observation"
HQ_KEY_ID = "hq-test-key-0001"


def _previous_paths() -> list[Path]:
    return sorted((form_service.shipped_forms_dir() / "previous").glob("*-1.yaml"))


def _previous_form(form_id: str) -> FormDefinition:
    path = form_service.shipped_forms_dir() / "previous" / f"{form_id}-1.yaml"
    return load_form(path.read_bytes(), path.name, form_service.shipped_vocabularies().resolve)


def _version_one_vault(vault_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Vault:
    """A vault as an earlier fieldkit made it: the version-1 files were the shipped forms."""
    with monkeypatch.context() as patched:
        patched.setattr(form_service, "shipped_form_paths", _previous_paths)
        return create_vault(vault_dir, PASSPHRASE, device_name="old laptop")


def _unlock(vault_dir: Path) -> Vault:
    return unlocking.unlock(vault_dir, PASSPHRASE, wait=None)


def _installed(vault: Vault) -> dict[tuple[str, str], tuple[bool, str | None]]:
    """(id, version) -> (offered for new records, signing key id)."""
    return {
        (f.form_id, f.version): (f.current, f.signed_by)
        for f in form_service.list_installed(vault, "en")
    }


def _form_audit_count(vault: Vault) -> int:
    with vault.read() as session:
        rows = session.exec(select(AuditRow).where(AuditRow.action == audit.Action.FORM_INSTALLED))
        return len(list(rows))


def _signed(form: FormDefinition) -> PublishedForm:
    """A form as headquarters published it (its signature already verified)."""
    return PublishedForm(
        form_id=form.id,
        version=form.version,
        sha256="0" * 64,
        size=0,
        published="2026-11-01T00:00:00Z",
        hq_key_id=HQ_KEY_ID,
        definition=form,
    )


def test_a_version_one_vault_gets_version_two_at_its_next_unlock_and_keeps_its_records(
    vault_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = _version_one_vault(vault_dir, monkeypatch)
    answers = json.loads((DATA / "records" / "attack-on-activist.valid.json").read_text())
    try:
        sealed_id = records.create(old, ATTACK, answers, final=True)
        # time_precision is a version-1 question (version 2 has none)
        draft_id = records.create(old, ATTACK, {"time_precision": answers["time_precision"]})
        assert _installed(old) == {(ATTACK, "1"): (True, None), (MARKET, "1"): (True, None)}
    finally:
        old.close()

    vault = _unlock(vault_dir)
    try:
        assert _installed(vault) == {
            (ATTACK, "1"): (False, None),
            (ATTACK, "2"): (True, None),  # a local form, as at creation: not signed by HQ
            (MARKET, "1"): (False, None),
            (MARKET, "2"): (True, None),
        }
        with vault.read() as session:
            assert form_service.version(session, ATTACK, "2") == load_form(
                (form_service.shipped_forms_dir() / f"{ATTACK}.yaml").read_bytes(),
                f"{ATTACK}.yaml",
                form_service.shipped_vocabularies().resolve,
            )
        assert _form_audit_count(vault) == 4  # two at creation, two now
        # Records keep the version they were made with; the draft stays a version-1 draft.
        sealed = records.detail(vault, sealed_id)
        assert sealed.item.form_version == "1"
        assert sealed.chain_valid
        assert records.detail(vault, draft_id).item.form_version == "1"
        assert records.form_of(vault, draft_id) == _previous_form(ATTACK)
        assert records.detail(vault, draft_id).data["time_precision"] == answers["time_precision"]
        records.save_draft(vault, draft_id, answers)  # checked against version 1
        records.finalize(vault, draft_id)
        assert records.detail(vault, draft_id).item.form_version == "1"
        assert records.detail(vault, records.create(vault, ATTACK, {})).item.form_version == "2"
    finally:
        vault.close()


def test_unlocking_again_installs_nothing_new(
    vault_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _version_one_vault(vault_dir, monkeypatch).close()
    _unlock(vault_dir).close()
    vault = _unlock(vault_dir)
    try:
        before = _installed(vault)
        audited = _form_audit_count(vault)
        assert shipped_forms.install_newer_shipped(vault) == []
        with vault.write() as session:  # without the remembered fingerprint, it looks again
            repo.set_setting(session, shipped_forms.SETTING_SHIPPED_FINGERPRINT, None)
        assert shipped_forms.install_newer_shipped(vault) == []
        assert _installed(vault) == before
        assert _form_audit_count(vault) == audited
    finally:
        vault.close()


def test_a_newer_version_published_by_headquarters_is_kept(
    vault_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = _version_one_vault(vault_dir, monkeypatch)
    newer = _previous_form(ATTACK).model_copy(update={"version": "3"})
    with old.write() as session:
        form_service.install(session, newer, _signed(newer))
    old.close()

    vault = _unlock(vault_dir)
    try:
        installed = _installed(vault)
        assert (ATTACK, "2") not in installed
        assert installed[(ATTACK, "3")] == (True, HQ_KEY_ID)
        assert installed[(MARKET, "2")] == (True, None)  # the other form is upgraded
    finally:
        vault.close()


def test_a_form_headquarters_signed_is_left_for_headquarters_to_upgrade(
    vault_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """HQ published the shipped version 1 itself: a shipped version 2 does not replace it."""
    old = _version_one_vault(vault_dir, monkeypatch)
    with old.write() as session:
        form_service.install(session, _previous_form(ATTACK), _signed(_previous_form(ATTACK)))
    old.close()

    vault = _unlock(vault_dir)
    try:
        installed = _installed(vault)
        assert installed[(ATTACK, "1")] == (True, HQ_KEY_ID)
        assert (ATTACK, "2") not in installed
    finally:
        vault.close()


def test_a_version_two_already_installed_with_other_content_is_left_as_it_is(
    vault_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = _version_one_vault(vault_dir, monkeypatch)
    local_two = _previous_form(MARKET).model_copy(update={"version": "2"})
    with old.write() as session:
        form_service.install(session, local_two)
        digest = repo.get_form(session, MARKET, "2")
        assert digest is not None
        before = digest.sha256
    old.close()

    vault = _unlock(vault_dir)
    try:
        with vault.read() as session:
            row = repo.get_form(session, MARKET, "2")
            assert row is not None
            assert row.sha256 == before
        assert _installed(vault)[(ATTACK, "2")] == (True, None)
    finally:
        vault.close()


def test_a_vault_without_a_form_does_not_get_it(
    vault_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    create_vault(vault_dir, PASSPHRASE, install_forms=False).close()
    with caplog.at_level(logging.INFO, logger="fieldkit"):
        vault = _unlock(vault_dir)
    try:
        assert _installed(vault) == {}
        assert "not brought up to date" not in caplog.text  # decided, not failed
        with vault.read() as session:
            assert repo.get_setting(session, shipped_forms.SETTING_SHIPPED_FINGERPRINT)
    finally:
        vault.close()


def test_a_damaged_shipped_file_does_not_block_the_unlock(
    vault_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _version_one_vault(vault_dir, monkeypatch).close()
    shipped = form_service.shipped_forms_dir()
    damaged = tmp_path / f"{ATTACK}.yaml"
    text = (shipped / f"{ATTACK}.yaml").read_text(encoding="utf-8")
    damaged.write_text(text[: len(text) // 2] + "\n  - secret-marker: [unclosed\n", "utf-8")
    missing = tmp_path / "gone.yaml"
    paths = [damaged, missing, shipped / f"{MARKET}.yaml"]
    monkeypatch.setattr(form_service, "shipped_form_paths", lambda: paths)

    with caplog.at_level(logging.INFO, logger="fieldkit"):
        vault = _unlock(vault_dir)
    try:
        installed = _installed(vault)
        assert installed[(ATTACK, "1")] == (True, None)
        assert (ATTACK, "2") not in installed
        assert installed[(MARKET, "2")] == (True, None)
        logged = caplog.text
        assert f"{ATTACK}.yaml skipped" in logged
        assert "gone.yaml skipped" in logged
        assert "secret-marker" not in logged
        assert "victim" not in logged
    finally:
        vault.close()

    # Once the file is whole again, the next unlock installs it.
    damaged.write_text(text, "utf-8")
    monkeypatch.setattr(form_service, "shipped_form_paths", lambda: [damaged])
    vault = _unlock(vault_dir)
    try:
        assert _installed(vault)[(ATTACK, "2")] == (True, None)
    finally:
        vault.close()


def test_a_failed_write_leaves_the_vault_open_and_unchanged(
    vault_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _version_one_vault(vault_dir, monkeypatch).close()
    calls: list[str] = []

    def refuse(session: object, form: FormDefinition, published: object = None) -> object:
        calls.append(form.id)
        if len(calls) == 2:
            raise OSError("disk full")
        return real_install(session, form, published)  # type: ignore[arg-type]

    real_install = form_service.install
    monkeypatch.setattr(form_service, "install", refuse)
    vault = _unlock(vault_dir)
    try:
        assert len(calls) == 2
        installed = _installed(vault)  # the first install was rolled back with the second
        assert (ATTACK, "2") not in installed
        assert (MARKET, "2") not in installed
    finally:
        vault.close()
    monkeypatch.setattr(form_service, "install", real_install)
    vault = _unlock(vault_dir)  # the next unlock tries again
    try:
        assert _installed(vault)[(MARKET, "2")] == (True, None)
    finally:
        vault.close()


def test_the_unlock_tells_the_user_which_forms_were_updated_once(
    vault_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _version_one_vault(vault_dir, monkeypatch).close()
    told: list[str] = []
    warned: list[str] = []
    unlocking.unlock(
        vault_dir, PASSPHRASE, wait=None, warn=warned.append, inform=told.append
    ).close()
    assert warned == []
    assert told == [
        "Forms updated with fieldkit: Attack on an activist (version 2), Illicit-market "
        "observation (version 2). New records use them; records and drafts made before keep the "
        "version they were made with."
    ]
    told.clear()
    unlocking.unlock(vault_dir, PASSPHRASE, wait=None, inform=told.append).close()
    assert told == []


def test_the_notice_is_translated() -> None:
    form = _previous_form(ATTACK).model_copy(update={"version": "2"})
    from fieldkit.i18n import set_language

    set_language("fr")
    try:
        notice = shipped_forms.upgrade_notice([form])
    finally:
        set_language("en")
    assert notice.startswith("Formulaires mis à jour avec fieldkit : Attaque contre un militant")


def test_a_new_vault_is_up_to_date_and_its_unlock_reads_no_form_file(
    vault_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    create_vault(vault_dir, PASSPHRASE).close()

    read: list[object] = []

    def counting(*args: object, **kwargs: object) -> FormDefinition:
        read.append(args[1])
        return load_form(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(shipped_forms, "load_form", counting)
    vault = _unlock(vault_dir)
    try:
        assert read == []
        assert _installed(vault) == {(ATTACK, "2"): (True, None), (MARKET, "2"): (True, None)}
    finally:
        vault.close()
