"""Errors that carry their own user message.

Every error a user may see derives from :class:`FieldkitError`. Its message is one translated line
that names what is wrong and what to do; it never contains record content, passphrases or keys.
The CLI and the GUI show ``user_message`` in one place each and never a traceback.
"""

from __future__ import annotations

import contextlib
import difflib
from collections.abc import Iterable, Iterator
from pathlib import Path

from fieldkit.i18n import _


class FieldkitError(Exception):
    """An error meant for the user: one line, translated, free of secrets and record content."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.user_message = " ".join(message.split())


class NotFoundError(FieldkitError):
    """Something the user named does not exist."""


class InvalidInputError(FieldkitError):
    """A file, value or argument the user gave cannot be used."""


class ConflictError(FieldkitError):
    """The action does not fit the current state (for example, editing a sealed revision)."""


def did_you_mean(given: str, known: Iterable[str]) -> str:
    """ " Did you mean 'x'?" for the known name closest to a mistyped one, else ""."""
    close = difflib.get_close_matches(given, list(known), n=1, cutoff=0.6)
    return " " + _("Did you mean '{name}'?").format(name=close[0]) if close else ""


@contextlib.contextmanager
def reading_file(path: Path) -> Iterator[None]:
    """Turn an ``OSError`` from opening or reading the file the user gave into the one-line
    error the user sees: no such file, a folder, or why it cannot be read."""
    try:
        yield
    except FileNotFoundError:
        raise NotFoundError(_("{path}: no such file.").format(path=path)) from None
    except IsADirectoryError:
        raise InvalidInputError(_("{path}: is a folder, not a file.").format(path=path)) from None
    except OSError as exc:
        raise InvalidInputError(
            _("{path}: cannot be read ({reason}).").format(path=path, reason=exc.strerror)
        ) from None
