"""What a record list shows of a record (its title, date and place, in every language of its
form) and the title words its search text holds, worked out as cheaply as a bulk import needs:
what depends on the form alone is worked out once per form."""

from __future__ import annotations

import json
from typing import Any

from fieldkit.domain.forms import FieldType, FormDefinition
from fieldkit.domain.records import Summary, summarize


def summary_values(form: FormDefinition, data: dict[str, Any]) -> tuple[dict[str, str], str]:
    """What a record list shows, in every language of the form (titles and places are made of
    choice labels, which each language has), so that a list follows the user's language; and
    the title words the search index holds (each language's title once)."""
    languages = form.languages
    default = summarize(form, data, languages[0])
    if not _summary_has_choices(form) and default.title != _first_title(form):
        # Choice labels, and the form's own title standing in for an empty one, are all that
        # differ between languages: without them, every language's summary is the first one's,
        # written once and put under each language's key (as _TEXTS writes the whole object).
        keys = _language_keys(form)
        values = {
            "title": "{" + ", ".join([k + _TEXTS(default.title) for k in keys]) + "}",
            "event_date": default.date,
            "place": "{" + ", ".join([k + _TEXTS(default.place) for k in keys]) + "}",
        }
        return values, default.title
    return summary_values_by_language(form, data, default)


def summary_values_by_language(
    form: FormDefinition, data: dict[str, Any], default: Summary
) -> tuple[dict[str, str], str]:
    """:func:`summary_values`, each language's summary made and written on its own."""
    languages = form.languages
    summaries = {languages[0]: default}
    summaries.update((language, summarize(form, data, language)) for language in languages[1:])
    titles = {k: s.title for k, s in summaries.items()}
    values = {
        "title": _TEXTS(titles),
        "event_date": default.date,
        "place": _TEXTS({k: s.place for k, s in summaries.items()}),
    }
    return values, " ".join(dict.fromkeys(titles.values()))


_TEXTS = json.JSONEncoder(ensure_ascii=False).encode
"""``json.dumps(texts, ensure_ascii=False)``, with an encoder made once."""


def _first_title(form: FormDefinition) -> str:
    """The form's title in its first language, worked out once per form (and again for a copy
    of the form with another title or languages)."""
    cached = form.derived.get("first_title")
    if cached is not None and cached[0] is form.title and cached[1] is form.languages:
        return cached[2]  # type: ignore[no-any-return]
    found = form.localized_title(form.languages[0])
    form.derived["first_title"] = (form.title, form.languages, found)
    return found


def _language_keys(form: FormDefinition) -> list[str]:
    """``"code": `` for each language of the form, as _TEXTS writes an object's keys (worked
    out once per form, and again for a copy of the form with other languages)."""
    cached = form.derived.get("language_keys")
    if cached is not None and cached[0] is form.languages:
        return cached[1]  # type: ignore[no-any-return]
    found = [_TEXTS(code) + ": " for code in dict.fromkeys(form.languages)]
    form.derived["language_keys"] = (form.languages, found)
    return found


def _summary_has_choices(form: FormDefinition) -> bool:
    """Whether a field the list summary shows is a choice (whose label depends on the language);
    worked out once per form, from the form alone."""
    key = "summary_has_choices"
    found: bool | None = form.derived.get(key)
    if found is None:
        shown = [*form.summary.title, *form.summary.place]
        if form.summary.date:
            shown.append(form.summary.date)
        found = any(
            form.field(name).type in (FieldType.SELECT_ONE, FieldType.SELECT_MULTIPLE)
            for name in shown
        )
        form.derived[key] = found
    return found


def in_language(stored: str, language: str) -> str:
    """A list text in ``language``, else in the first language it was stored in."""
    try:
        texts = json.loads(stored)
    except ValueError:
        return stored
    if not isinstance(texts, dict) or not texts:
        return stored
    return str(texts.get(language) or next(iter(texts.values())))
