"""Translation of user-visible strings (gettext, domain ``fieldkit``).

Every user-visible string goes through :func:`_` (or :func:`N_` where the string is defined at
import time and translated when shown). The catalogues live in ``fieldkit/locale``.
"""

from __future__ import annotations

import gettext
import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path

DOMAIN = "fieldkit"
LOCALE_DIR = Path(__file__).parent / "locale"
SUPPORTED_LANGUAGES = ("en", "fr", "ar")
RIGHT_TO_LEFT = frozenset({"ar", "fa", "he", "ur"})

_translation: gettext.NullTranslations = gettext.NullTranslations()
_language = "en"
_scoped: ContextVar[tuple[str, gettext.NullTranslations] | None] = ContextVar(
    "fieldkit_language", default=None
)
"""The language of the current context (a web request), when it differs from the process's."""


def _from_environment() -> str:
    for name in ("FIELDKIT_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name, "")
        if value:
            code = value.split(":")[0].split(".")[0].split("_")[0].lower()
            if code in SUPPORTED_LANGUAGES:
                return code
            if code not in ("c", "posix"):
                return "en"
    return "en"


def supported(language: str | None) -> str:
    """``language`` if fieldkit speaks it, else English."""
    code = (language or "").lower()
    return code if code in SUPPORTED_LANGUAGES else "en"


@cache
def translation_for(code: str) -> gettext.NullTranslations:
    """The catalogue of a supported language (loaded once)."""
    return gettext.translation(DOMAIN, localedir=LOCALE_DIR, languages=[code], fallback=True)


def set_language(language: str | None = None) -> str:
    """Switch the process to ``language`` (or the environment's); return the language in use."""
    global _translation, _language
    code = supported(language or _from_environment())
    _translation = translation_for(code)
    _language = code
    return code


@contextmanager
def using_language(language: str) -> Iterator[str]:
    """Within the block, :func:`_` and :func:`ngettext` answer in ``language`` (an unsupported
    one means English) in this context only: this thread or task, not the whole process."""
    code = supported(language)
    token = _scoped.set((code, translation_for(code)))
    try:
        yield code
    finally:
        _scoped.reset(token)


def _current() -> gettext.NullTranslations:
    scoped = _scoped.get()
    return _translation if scoped is None else scoped[1]


def current_language() -> str:
    scoped = _scoped.get()
    return _language if scoped is None else scoped[0]


def is_right_to_left(language: str | None = None) -> bool:
    return (language or current_language()) in RIGHT_TO_LEFT


def _(message: str) -> str:
    """Translate ``message`` into the current language."""
    return _current().gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _current().ngettext(singular, plural, n)


def N_(message: str) -> str:  # noqa: N802 - the conventional gettext marker name
    """Mark ``message`` for extraction without translating it now."""
    return message
