"""Installing forms: versions, the version offered for new records, shipped forms."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from fieldkit.domain.formfile import FormError
from fieldkit.services import forms as form_service
from fieldkit.services import records
from fieldkit.vault.repo import version_order
from tests.conftest import DATA


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
