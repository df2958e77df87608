"""Repeat entries are laid out lazily: a form whose blank record needs hundreds of entries opens
with a bounded number of them built; the others hold their answers as data and are built when
they come into view, when a problem names a field in them, or when the user asks."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import time
from typing import Any

from fieldkit.domain.forms import FormDefinition
from fieldkit.gui.forms.context import EAGER_ENTRIES
from fieldkit.gui.forms.field_row import FieldRow
from fieldkit.gui.forms.renderer import FormRenderer

VISITS, PEOPLE = 30, 30

FORM = FormDefinition.model_validate(
    {
        "id": "many-entries",
        "version": "1",
        "title": {"en": "Many entries"},
        "languages": ["en"],
        "fields": [
            {
                "name": "visits",
                "type": "repeat",
                "label": {"en": "Visit"},
                "min_count": VISITS,
                "fields": [
                    {"name": "place", "type": "text", "label": {"en": "Place"}},
                    {
                        "name": "people",
                        "type": "repeat",
                        "label": {"en": "Person"},
                        "min_count": PEOPLE,
                        "fields": [
                            {
                                "name": "who",
                                "type": "text",
                                "label": {"en": "Who"},
                                "required": True,
                            }
                        ],
                    },
                ],
            }
        ],
    }
)


def _open(qtbot: Any, data: dict[str, Any] | None = None) -> tuple[FormRenderer, float]:
    started = time.perf_counter()
    renderer = FormRenderer(FORM, "en", None)
    qtbot.addWidget(renderer)
    if data is not None:
        renderer.set_data(data)
    renderer.resize(700, 600)
    renderer.show()
    qtbot.waitExposed(renderer)
    qtbot.wait(50)  # let the renderer lay out what is in view
    return renderer, time.perf_counter() - started


def _built(renderer: FormRenderer) -> int:
    return sum(entry.built for entry in renderer.entries())


def test_a_form_with_900_required_entries_opens_with_a_bounded_number_built(qtbot: Any) -> None:
    renderer, seconds = _open(qtbot)
    assert _built(renderer) <= EAGER_ENTRIES + 10  # the budget, and what is in view
    assert len(renderer.widget().findChildren(FieldRow)) <= EAGER_ENTRIES + 10
    assert seconds < 5
    data = renderer.data()  # the data model holds every entry all the same
    assert len(data["visits"]) == VISITS
    assert all(len(visit["people"]) == PEOPLE for visit in data["visits"])
    required = [p for p in renderer.show_all_problems() if p.rule == "required"]
    assert len(required) == VISITS * PEOPLE
    assert required[-1].path == f"visits[{VISITS}].people[{PEOPLE}].who"


def test_an_entry_is_built_when_a_problem_names_a_field_in_it(qtbot: Any) -> None:
    renderer, _ = _open(qtbot)
    last = f"visits[{VISITS}].people[{PEOPLE}].who"
    assert renderer.input_at(last) is None  # not built yet
    assert renderer.focus_path(last)
    field = renderer.input_at(last)
    assert field is not None and renderer.window().focusWidget() in field.focus_widgets()


def test_entries_are_built_as_they_come_into_view_and_keep_their_answers(qtbot: Any) -> None:
    saved = {
        "visits": [
            {"place": f"Place {v}", "people": [{"who": f"P{v}.{p}"} for p in range(1, 3)]}
            for v in range(1, VISITS + 1)
        ]
    }
    renderer, _ = _open(qtbot, saved)
    assert renderer.data()["visits"][-1]["people"][:2] == [
        {"who": f"P{VISITS}.1"},
        {"who": f"P{VISITS}.2"},
    ]
    last = renderer.entries()
    waiting = [entry for entry in last if not entry.built]
    assert waiting
    for _ in range(200):  # scroll to the end, a page at a time, as a reader would
        bar = renderer.verticalScrollBar()
        if bar.value() == bar.maximum() and renderer.lay_out_visible() == 0:
            break
        bar.setValue(bar.value() + bar.pageStep())
        renderer.lay_out_visible()
    assert renderer.input_at(f"visits[{VISITS}].place") is not None
    assert renderer.input_at(f"visits[{VISITS}].place").raw_value() == f"Place {VISITS}"
    assert renderer.data() == {
        "visits": [
            {**visit, "people": visit["people"] + [{}] * (PEOPLE - 2)} for visit in saved["visits"]
        ]
    }


def test_show_builds_a_waiting_entry_and_moves_the_focus_into_it(qtbot: Any) -> None:
    renderer, _ = _open(qtbot)
    waiting = next(entry for entry in renderer.entries() if not entry.built)
    assert waiting.show_button.accessibleName().startswith("Show Visit")
    waiting.show_button.click()
    assert waiting.built and waiting.nodes
    assert waiting.isAncestorOf(renderer.window().focusWidget())
