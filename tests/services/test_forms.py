"""Installing forms: versions, the version offered for new records, shipped forms."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from fieldkit.domain.formfile import FormError, load_form
from fieldkit.services import forms as form_service
from fieldkit.services import records
from fieldkit.services.vaults import create_vault
from fieldkit.vault.repo import version_order
from tests.conftest import DATA, PASSPHRASE


def _write_version(tmp_path: Path, version: str) -> Path:
    text = (DATA / "forms" / "all-types.yaml").read_text(encoding="utf-8")
    path = tmp_path / f"all-types-{version}.yaml"
    path.write_text(text.replace('version: "1"', f'version: "{version}"'), encoding="utf-8")
    return path


def test_the_highest_version_is_offered_whatever_the_install_order(
    vault: Any, tmp_path: Path
) -> None:
    for version in ("10", "9", "2"):
        form_service.install_file(vault, _write_version(tmp_path, version))
    record_id = records.create(vault, "all-types", {})
    assert records.detail(vault, record_id).item.form_version == "10"
    listed = {
        f.version: f.current
        for f in form_service.list_installed(vault, "en")
        if f.form_id == "all-types"
    }
    assert listed == {"1": False, "2": False, "9": False, "10": True}


@pytest.mark.parametrize(
    ("lower", "higher"),
    [("9", "10"), ("2024.3", "2024.12"), ("1", "1.1"), ("v2", "v10"), ("2026031501", "2026031502")],
)
def test_versions_sort_naturally(lower: str, higher: str) -> None:
    assert version_order(lower) < version_order(higher)


def test_shipped_forms_are_installed_in_a_new_vault(vault: Any) -> None:
    installed = {f.form_id for f in form_service.list_installed(vault, "fr")}
    assert {"illicit-market-observation", "attack-on-activist"} <= installed
    titles = {f.form_id: f.title for f in form_service.list_installed(vault, "fr")}
    assert titles["attack-on-activist"] == "Attaque contre un militant"


@pytest.mark.parametrize(
    ("after", "extra", "reason"),
    [
        ("", "choice_lists: {}\n", "'choice_lists' is not part of a form file"),
        (
            "\nchoices:\n",
            "  c: {vocabulary: true, version: '1', choices: [{code: a, label: {en: A}}]}\n",
            "a form's own list cannot be a vocabulary",
        ),
    ],
    ids=["raw-choice-lists", "local-list-posing-as-vocabulary"],
)
def test_form_files_cannot_declare_vocabularies_themselves(
    tmp_path: Path, after: str, extra: str, reason: str
) -> None:
    """The extra text goes at the end of the file, or into the form's own 'choices' block."""
    text = (DATA / "forms" / "all-types.yaml").read_text(encoding="utf-8")
    if after:
        assert text.count(after) == 1
        text = text.replace(after, after + extra)
    else:
        text += extra
    path = tmp_path / "sneaky.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(FormError, match=reason):
        form_service.read_form_file(path)


def test_shipped_forms_install_version_two_and_never_the_kept_version_one() -> None:
    paths = form_service.shipped_form_paths()
    assert [p.name for p in paths] == ["attack-on-activist.yaml", "illicit-market-observation.yaml"]
    previous = form_service.shipped_forms_dir() / "previous"
    assert sorted(p.name for p in previous.glob("*.yaml")) == [
        "attack-on-activist-1.yaml",
        "illicit-market-observation-1.yaml",
    ]


def _previous_form(form_id: str) -> Any:
    path = form_service.shipped_forms_dir() / "previous" / f"{form_id}-1.yaml"
    return load_form(path.read_bytes(), path.name, form_service.shipped_vocabularies().resolve)


def test_a_version_one_record_stays_valid_and_readable_after_version_two_is_installed(
    vault_dir: Path,
) -> None:
    """A vault made before version 2 holds version-1 records; installing version 2 (from the
    shipped files or from headquarters) keeps version 1, and the records keep using it."""
    old = create_vault(vault_dir, PASSPHRASE, device_name="old laptop", install_forms=False)
    try:
        with old.write() as session:
            form_service.install(session, _previous_form("attack-on-activist"))
        answers = json.loads((DATA / "records" / "attack-on-activist.valid.json").read_text())
        record_id = records.create(old, "attack-on-activist", answers, final=True)
        with old.write() as session:
            installed = form_service.install_shipped(session)
        assert {(r.form_id, r.version, r.installed) for r in installed} >= {
            ("attack-on-activist", "2", True)
        }
        with old.read() as session:
            assert form_service.current(session, "attack-on-activist").version == "2"
            assert form_service.version(session, "attack-on-activist", "1").version == "1"
        shown = records.detail(old, record_id, "fr")
        assert shown.item.form_version == "1"
        assert shown.chain_valid
        assert shown.data["time_precision"] == "acled-time-precision:2023:1"
        assert shown.data["victims"][0]["act_type"] == "sdg16101-act-type:2021:killing"
        assert records.form_of(old, record_id).version == "1"
        amended = dict(shown.data, risk_level="medium")
        records.amend(old, record_id, amended)  # still checked against version 1
        assert records.detail(old, record_id).item.form_version == "1"
        listed = {
            f.version: f.current
            for f in form_service.list_installed(old, "en")
            if f.form_id == "attack-on-activist"
        }
        assert listed == {"1": False, "2": True}
        new_id = records.create(old, "attack-on-activist", {})
        assert records.detail(old, new_id).item.form_version == "2"
    finally:
        old.close()
