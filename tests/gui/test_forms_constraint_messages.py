"""The shipped forms' constraint messages say what is wrong with what was entered, in every
language of the form, naming the choices that cannot go together."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from typing import Any

import pytest

from fieldkit.vault.store import Vault
from tests.gui.forms_support.editing import new_record

SCOPE = "victims[1].consent_scope"


@pytest.mark.parametrize(
    ("language", "names"),
    [
        ("en", ["'Record only'", "share or publish", "untick"]),
        ("fr", ["« Enregistrement uniquement »", "partage ou une publication", "décochez"]),
        ("ar", ["«التسجيل فقط»", "مشاركة أو نشر", "ألغِ تحديد"]),
    ],
)
def test_record_only_with_sharing_names_what_cannot_go_together(
    qtbot: Any, vault: Vault, language: str, names: list[str]
) -> None:
    _editor, d = new_record(qtbot, vault, "attack-on-activist", language)
    d.choose("victims[1].consent_given", "yes")
    d.tick(SCOPE, "record_only")
    assert d.error(SCOPE) == ""
    d.tick(SCOPE, "share_mission")
    message = d.error(SCOPE).replace("\xa0", " ").replace("\u202f", " ")  # French spacing
    assert d.row(SCOPE).error.isVisible()
    for name in names:
        assert name in message, message
    assert "anonymised or named publication" not in message


def test_both_publications_name_both_choices(qtbot: Any, vault: Vault) -> None:
    _editor, d = new_record(qtbot, vault, "attack-on-activist")
    d.choose("victims[1].consent_given", "yes")
    d.tick(SCOPE, "publish_anonymised")
    d.tick(SCOPE, "publish_named")
    message = d.error(SCOPE)
    assert "'Publish anonymised' cannot be ticked with 'Publish with name'" in message
