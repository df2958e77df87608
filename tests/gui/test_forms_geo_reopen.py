"""A position reopens as it was typed: MGRS stays MGRS, and a precision that came from the
notation stays implied (the precision box empty), while one typed in the box is kept."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from typing import Any

import pytest

from fieldkit.gui.forms.fields_geo import GeopointInput
from fieldkit.services import records
from fieldkit.vault.store import Vault
from tests.gui.forms_support.editing import new_record, open_editor


@pytest.mark.parametrize(
    ("typed", "precision", "stored_precision"),
    [
        ("30PXU90168293", "", 10),  # MGRS, 4 digits a side: a 10 m square
        ("30PXU9016882930", "", 1),
        ("30PXU 9016 8293", "25", 25),
        ("12°30'15\"N 1°15'W", "", 1855.3),  # minutes of longitude: about 1.9 km
        ("12.5042, -1.2500", "", 11.1),
    ],
)
def test_reopening_a_draft_shows_the_position_as_typed(
    qtbot: Any, vault: Vault, typed: str, precision: str, stored_precision: float
) -> None:
    editor, d = new_record(qtbot, vault, "all-types")
    d.type("position", typed)
    position = d.input("position")
    assert isinstance(position, GeopointInput)
    if precision:
        position.precision.setFocus()
        qtbot.keyClicks(position.precision, precision)
    editor.flush()
    stored = records.detail(vault, editor.record_id).draft["position"]  # type: ignore[index]
    assert stored["text"] == typed and round(stored["precision_m"]) == round(stored_precision)
    editor.request_close()

    _again, reopened = open_editor(qtbot, vault, editor.record_id)
    field = reopened.input("position")
    assert isinstance(field, GeopointInput)
    assert field.line.text() == typed
    assert field.precision.text() == precision
    assert reopened.renderer.data()["position"] == stored  # nothing changed by reopening
    assert f"Precision: {stored['precision_m']:,.1f} m" in field.shown.text()
