"""An answer that fails its own type check is reported alone: the rules of other fields that use
it treat it as unanswered, so no false knock-on message appears elsewhere."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from typing import Any

from fieldkit.domain.forms import FormDefinition
from fieldkit.domain.validation import check
from fieldkit.vault.store import Vault
from tests.gui.forms_support.editing import new_record


def test_an_impossible_first_day_is_reported_alone(qtbot: Any, vault: Vault) -> None:
    editor, d = new_record(qtbot, vault, "attack-on-activist")
    d.type("date_start", "2026-13-45")
    d.type("date_end", "2026-09-15")
    d.type("retention_date", "2030-01-01")
    assert d.error("date_start") != ""
    assert d.row("date_start").error.isVisible()
    assert d.error("date_end") == ""
    assert not d.row("date_end").error.isVisible()
    assert d.error("retention_date") == ""
    problems = editor.renderer.show_all_problems() if editor.renderer is not None else []
    by_path = {p.path: p.rule for p in problems}
    assert by_path["date_start"] == "type"
    assert "date_end" not in by_path
    assert "retention_date" not in by_path


def test_the_domain_skips_rules_that_use_a_refused_answer() -> None:
    form = FormDefinition.model_validate(
        {
            "id": "two-days",
            "version": "1",
            "title": {"en": "Two days"},
            "languages": ["en"],
            "fields": [
                {"name": "first", "type": "date", "label": {"en": "First"}},
                {
                    "name": "last",
                    "type": "date",
                    "label": {"en": "Last"},
                    "constraint": ". >= ${first}",
                    "constraint_message": {"en": "The last day is before the first day."},
                },
            ],
        }
    )
    outcome = check(form, {"first": "2026-13-45", "last": "2026-09-15"})
    assert [(p.path, p.rule) for p in outcome.problems] == [("first", "type")]
    # The same when the caller could not read the answer and left it out (the editor does).
    left_out = check(form, {"last": "2026-09-15"}, refused={"first"})
    assert left_out.problems == []
