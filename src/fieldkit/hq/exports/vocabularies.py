"""Codes to labels, from the vocabularies of the forms HQ holds.

Every stored form version brings its choice lists; a vocabulary's codes are stable (never
renamed nor reused), so one lookup by (list name, short code) serves records of every version:
where versions label a code differently, the newest form version's label wins. Exports put a
label beside each code (``--labels en|fr|ar``) and the codebook lists them all.
"""

from __future__ import annotations

from collections.abc import Iterable

from fieldkit.domain import places
from fieldkit.domain.forms import Choice, ChoiceList, FormDefinition, localized
from fieldkit.hq.errors import InvalidInputError
from fieldkit.hq.records import FormCache, form_ids
from fieldkit.hq.repository.base import Repository
from fieldkit.i18n import _

LABEL_LANGUAGES = ("en", "fr", "ar")
"""Languages labels can be asked in (those of fieldkit's shipped vocabularies)."""


def check_language(language: str) -> str:
    if language not in LABEL_LANGUAGES:
        raise InvalidInputError(
            _("'{language}' is not a label language: use one of {languages}.").format(
                language=language, languages=", ".join(LABEL_LANGUAGES)
            )
        )
    return language


def is_fieldkit_code(choice: Choice) -> bool:
    """Whether fieldkit added this code to a standard list (``fieldkit: true`` on the choice;
    forms older than that flag have none)."""
    return bool(getattr(choice, "fieldkit", False))


class Vocabularies:
    """Choice lists by name, merged over form versions (give the forms newest first)."""

    def __init__(self, forms: Iterable[FormDefinition]) -> None:
        self._choices: dict[str, dict[str, Choice]] = {}
        self._languages: dict[str, tuple[str, ...]] = {}
        for form in forms:
            for name, choice_list in form.choice_lists.items():
                known = self._choices.setdefault(_key(name, choice_list), {})
                for choice in choice_list.choices:
                    known.setdefault(choice.code, choice)  # the newest version's label
                self._languages.setdefault(_key(name, choice_list), tuple(form.languages))

    def __contains__(self, name: str) -> bool:
        return name in self._choices

    def label(self, name: str, codes: str | None, language: str) -> str | None:
        """The label of ``codes`` (one short code, or several separated by spaces: their labels
        joined by "; ") in list ``name``; None when there is no code or no such list. A code the
        list does not hold is given as it is."""
        if codes is None or codes == "":
            return None
        choices = self._choices.get(name)
        if choices is None:
            return None
        fallbacks = self._languages.get(name, ())
        labels = []
        for code in str(codes).split(" "):
            choice = choices.get(code.rsplit(":", 1)[-1])
            labels.append(code if choice is None else localized(choice.label, language, fallbacks))
        return "; ".join(labels)


def _key(name: str, choice_list: ChoiceList) -> str:
    """Lists are found by their vocabulary's name (a form may name its list otherwise)."""
    return choice_list.name if choice_list.vocabulary else name


def held_vocabularies(repository: Repository, forms: FormCache) -> Vocabularies:
    """The vocabularies of every form version HQ holds (newest versions first)."""
    return Vocabularies(
        form for form_id in form_ids(repository) for form in forms.versions(form_id)
    )


def place_label(code: str, language: str) -> str | None:
    """The name of a first-level ISO 3166-2 subdivision ("ML-7" -> "Gao") in ``language``
    where pycountry's catalogues translate it, else its ISO name; None for an unknown code."""
    found = places.subdivision(code, language)
    return None if found is None else found.local_name
