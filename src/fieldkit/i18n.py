"""Translation of user-visible strings (gettext, domain ``fieldkit``).

Every user-visible string goes through :func:`_` (or :func:`N_` where the string is defined at
import time and translated when shown). The catalogues live in ``fieldkit/locale``.
"""

from __future__ import annotations

import gettext
import os
from pathlib import Path

DOMAIN = "fieldkit"
LOCALE_DIR = Path(__file__).parent / "locale"
SUPPORTED_LANGUAGES = ("en", "fr", "ar")
RIGHT_TO_LEFT = frozenset({"ar", "fa", "he", "ur"})

_translation: gettext.NullTranslations = gettext.NullTranslations()
_language = "en"


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


def set_language(language: str | None = None) -> str:
    """Switch the process to ``language`` (or the environment's); return the language in use."""
    global _translation, _language
    code = (language or _from_environment()).lower()
    if code not in SUPPORTED_LANGUAGES:
        code = "en"
    _translation = gettext.translation(
        DOMAIN, localedir=LOCALE_DIR, languages=[code], fallback=True
    )
    _language = code
    return code


def current_language() -> str:
    return _language


def is_right_to_left(language: str | None = None) -> bool:
    return (language or _language) in RIGHT_TO_LEFT


def _(message: str) -> str:
    """Translate ``message`` into the current language."""
    return _translation.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _translation.ngettext(singular, plural, n)


def N_(message: str) -> str:  # noqa: N802 - the conventional gettext marker name
    """Mark ``message`` for extraction without translating it now."""
    return message
