"""Errors that carry their own user message.

Every error a user may see derives from :class:`FieldkitError`. Its message is one translated line
that names what is wrong and what to do; it never contains record content, passphrases or keys.
The CLI and the GUI show ``user_message`` in one place each and never a traceback.
"""

from __future__ import annotations


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
