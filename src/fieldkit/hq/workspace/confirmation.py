"""What the workspace's forms for changes that cannot be undone ask: a ticked box."""

from __future__ import annotations

from fieldkit.hq.errors import InvalidInputError
from fieldkit.i18n import _

CONFIRM_FIELD = "confirm"
CONFIRM_VALUE = "yes"


def confirmed(value: str | None) -> None:
    """Refuse, in one line, a form whose confirmation box was not ticked."""
    if value != CONFIRM_VALUE:
        raise InvalidInputError(
            _("Tick the box that confirms it to go ahead; nothing was changed.")
        )
