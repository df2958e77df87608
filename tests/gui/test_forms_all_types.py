"""The all-types form: every input type, filled through its widgets, sealed and read back; an
attached image gets a thumbnail made in memory, and no file appears outside the vault folder."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import datetime as dt
import hashlib
import tempfile
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QLineEdit, QStyleOptionToolButton

from fieldkit.domain import validation
from fieldkit.domain.forms import FormDefinition
from fieldkit.domain.geo import parse_geopoint
from fieldkit.gui.forms.fields_attachment import AttachmentInput
from fieldkit.gui.forms.fields_choice import SelectOneInput
from fieldkit.gui.forms.fields_date import DateInput
from fieldkit.gui.forms.fields_datetime import DateTimeInput
from fieldkit.gui.forms.fields_geo import GeopointInput
from fieldkit.gui.forms.fields_multi import SelectMultipleInput
from fieldkit.gui.forms.fields_number import NumberInput
from fieldkit.gui.forms.fields_text import LongTextInput, TextInput
from fieldkit.gui.forms.group import GroupView
from fieldkit.gui.forms.note import NoteView
from fieldkit.gui.forms.renderer import FormRenderer
from fieldkit.gui.forms.repeat import RepeatView
from fieldkit.services import records
from fieldkit.vault.store import Vault
from tests.conftest import snapshot
from tests.gui.forms_support.driver import FormDriver
from tests.gui.forms_support.editing import WAIT_MS, attach, new_record, png_bytes, seal

DMS = "12°30'15\"N 1°15'W"


def _files_outside(root: Path, vault_folder: Path) -> dict[str, bytes]:
    return {
        name: data
        for name, data in snapshot(root).items()
        if not (root / name).resolve().is_relative_to(vault_folder.resolve())
    }


def test_every_input_type_through_its_widget(
    qtbot: Any, vault: Vault, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    photo = tmp_path / "checkpoint.png"
    photo.write_bytes(png_bytes())
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    home = Path(os.environ["HOME"])

    editor, d = new_record(qtbot, vault, "all-types")
    outside_before = _files_outside(tmp_path, vault.folder)
    home_before = snapshot(home)

    # One widget per field type.
    kinds = {
        "subject": TextInput,
        "story": LongTextInput,
        "count": NumberInput,
        "weight": NumberInput,
        "day": DateInput,
        "seen_at": DateTimeInput,
        "colour": SelectOneInput,
        "flags": SelectMultipleInput,
        "position": GeopointInput,
        "files": AttachmentInput,
    }
    for path, kind in kinds.items():
        assert isinstance(d.input(path), kind), path
    assert isinstance(d.renderer.node_at("intro"), NoteView)
    assert isinstance(d.renderer.node_at("where"), GroupView)
    assert isinstance(d.renderer.node_at("people"), RepeatView)
    colour = d.input("colour")
    assert isinstance(colour, SelectOneInput) and len(colour.radios) == 3  # few: radio buttons

    d.type("subject", "Checkpoint levy on fuel trucks")
    d.type("story", "Drivers paid at the bridge.")
    d.type("count", "3")
    d.type("weight", "12,5")  # a decimal comma is read as a decimal point

    # A date at month precision: the entry takes the form of the chosen precision.
    day = d.input("day")
    assert isinstance(day, DateInput)
    assert [day.precision.itemData(i) for i in range(day.precision.count())] == [
        "day",
        "month",
        "year",
    ]
    day.precision.setCurrentIndex(1)
    assert day.line.placeholderText() == "YYYY-MM"
    d.type("day", "2026-03-14")  # the day part does not fit a month-precision date
    assert day.line.text() == "2026-03"

    d.type("seen_at", "2026-03-14 09:30")
    seen_at = d.input("seen_at")
    assert isinstance(seen_at, DateTimeInput)
    assert "local time, UTC" in seen_at.offset.text()

    # Relevance: "other" reveals the required "other colour"; another choice hides it.
    assert not d.shown("colour_other")
    d.choose("colour", "other")
    assert d.shown("colour_other")
    d.type("colour_other", "Teal")
    d.choose("colour", "green")
    assert not d.shown("colour_other")
    d.tick("flags", "yes")
    d.type("place", "Bridge north of the market")

    # A position in DMS, shown back in all three notations; then in MGRS with a precision.
    position = d.input("position")
    assert isinstance(position, GeopointInput)
    d.type("position", "12°30'")
    assert d.error("position") != ""  # half a position cannot be read
    d.retype("position", DMS)
    assert d.error("position") == ""
    point = parse_geopoint(DMS)
    shown = position.shown.text()
    assert point.as_decimal() in shown
    assert point.as_dms() in shown
    assert "MGRS: 30PXU" in shown
    grid = point.as_mgrs(4)
    d.retype("position", grid)
    d.type("position", "")
    position.precision.setFocus()
    qtbot.keyClicks(position.precision, "25")
    assert "Precision: 25.0 m" in position.shown.text()

    # An identifying attachment: the thumbnail is made in memory, and shown only when revealed.
    attach(qtbot, monkeypatch, d.input("files"), [photo])
    files = d.input("files")
    assert isinstance(files, AttachmentInput)
    assert [e.name.text() for e in files.entries] == ["checkpoint.png"]
    assert files.thumbnails_shown() == 0
    files_row = d.row("files")
    assert files_row.reveal is not None
    qtbot.mouseClick(files_row.reveal, Qt.MouseButton.LeftButton)
    assert files.thumbnails_shown() == 1
    thumbnail = files.entries[0].thumbnail.pixmap()
    assert (thumbnail.width(), thumbnail.height()) == (96, 72)  # 40x30 scaled to fit 96x96
    qtbot.mouseClick(files_row.reveal, Qt.MouseButton.LeftButton)
    assert files.thumbnails_shown() == 0

    d.type("witness_name", "Witness Alpha")
    witness = d.input("witness_name")
    assert isinstance(witness, TextInput)
    assert witness.line.echoMode() == QLineEdit.EchoMode.Password

    d.type("people[1].age", "34")
    d.add_entry("people")
    assert not d.shown("people[2].minor_guardian")
    d.type("people[2].age", "15")
    assert d.shown("people[2].minor_guardian")
    d.type("people[2].minor_guardian", "Uncle")

    seal(qtbot, editor)
    sealed = records.detail(vault, editor.record_id).sealed
    ref = {
        "sha256": hashlib.sha256(photo.read_bytes()).hexdigest(),
        "name": "checkpoint.png",
        "media_type": "image/png",
        "size": photo.stat().st_size,
    }
    typed = {
        "subject": "Checkpoint levy on fuel trucks",
        "story": "Drivers paid at the bridge.",
        "count": 3,
        "weight": 12.5,
        "day": "2026-03",
        "seen_at": dt.datetime(2026, 3, 14, 9, 30).astimezone().isoformat(),
        "colour": "green",
        "flags": ["yes"],
        "place": "Bridge north of the market",
        "position": parse_geopoint(grid, 25).to_json() | {"text": grid},  # kept as typed
        "files": [ref],
        "witness_name": "Witness Alpha",
        "people": [{"age": 34}, {"age": 15, "minor_guardian": "Uncle"}],
    }
    assert sealed == validation.check(d.form, typed).data
    assert sealed is not None
    assert sealed["flags"] == ["fieldkit-yes-no:1:yes"]
    assert sealed["position"]["precision_m"] == 25
    assert "colour_other" not in sealed

    # Nothing was written outside the vault folder, and the temporary folder stayed empty.
    assert _files_outside(tmp_path, vault.folder) == outside_before
    assert snapshot(home) == home_before
    assert list(temp.iterdir()) == []
    for name, data in snapshot(vault.folder).items():
        assert photo.read_bytes() not in data, f"{name} holds the image in clear"


def test_a_date_picked_from_the_calendar_takes_the_chosen_precision(
    qtbot: Any, vault: Vault
) -> None:
    editor, d = new_record(qtbot, vault, "all-types")
    day = d.input("day")
    assert isinstance(day, DateInput)
    menu = day.calendar_menu
    assert day.calendar is None  # made only when first opened
    menu.aboutToShow.emit()
    assert day.calendar is not None
    day.precision.setCurrentIndex(1)  # month
    day.calendar.clicked.emit(QDate(2026, 3, 14))
    assert day.line.text() == "2026-03"
    editor.flush()
    draft = records.detail(vault, editor.record_id).draft
    assert draft is not None and draft["day"] == "2026-03"
    day.precision.setCurrentIndex(0)  # back to day: the entry asks for the day
    assert d.error("day") == "Day: Write the date as YYYY-MM-DD, or choose another precision."


def test_the_calendar_button_has_no_menu_arrow_and_opens_the_calendar(
    qtbot: Any, vault: Vault
) -> None:
    _editor, d = new_record(qtbot, vault, "all-types")
    day = d.input("day")
    assert isinstance(day, DateInput)
    button = day.calendar_button
    assert button.menu() is None  # a menu would put its arrow over the text
    option = QStyleOptionToolButton()
    button.initStyleOption(option)
    assert not option.features & QStyleOptionToolButton.ToolButtonFeature.HasMenu
    assert not option.features & QStyleOptionToolButton.ToolButtonFeature.MenuButtonPopup
    text_width = button.fontMetrics().horizontalAdvance(button.text())
    assert button.sizeHint().width() >= text_width
    button.setFocus()
    qtbot.keyClick(button, Qt.Key.Key_Space)  # the keyboard opens it as a click does
    qtbot.waitUntil(day.calendar_menu.isVisible, timeout=WAIT_MS)
    calendar = day.calendar
    assert calendar is not None and calendar.isVisible()
    calendar.setSelectedDate(QDate(2026, 3, 14))
    calendar.activated.emit(calendar.selectedDate())
    assert day.line.text() == "2026-03-14"
    assert not day.calendar_menu.isVisible()


def test_files_are_removed_and_limited_to_max_files(
    qtbot: Any, vault: Vault, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    form = FormDefinition.model_validate(
        {
            "id": "one-file",
            "version": "1",
            "title": {"en": "One file"},
            "languages": ["en"],
            "fields": [
                {"name": "scan", "type": "attachment", "label": {"en": "Scan"}, "max_files": 2}
            ],
        }
    )
    renderer = FormRenderer(form, "en", vault)
    qtbot.addWidget(renderer)
    renderer.show()
    d = FormDriver(qtbot, renderer)
    paths = []
    for number in range(3):
        path = tmp_path / f"page-{number}.png"
        path.write_bytes(png_bytes(10 + number, 10))
        paths.append(path)
    scan = d.input("scan")
    assert isinstance(scan, AttachmentInput)
    attach(qtbot, monkeypatch, scan, paths)
    assert [e.name.text() for e in scan.entries] == ["page-0.png", "page-1.png"]
    assert scan.message.text() == "This field takes at most 2 files."
    assert not scan.add_button.isEnabled()
    assert scan.thumbnails_shown() == 2  # not identifying: shown at once
    qtbot.mouseClick(scan.entries[0].remove, Qt.MouseButton.LeftButton)
    assert [ref["name"] for ref in renderer.data()["scan"]] == ["page-1.png"]
    assert scan.add_button.isEnabled()
