"""The workspace's roles: admin ⊇ analyst ⊇ viewer."""

from __future__ import annotations

from enum import StrEnum

from fieldkit.errors import did_you_mean
from fieldkit.hq.errors import InvalidInputError
from fieldkit.i18n import N_, _


class Role(StrEnum):
    VIEWER = "viewer"
    ANALYST = "analyst"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        """The role's name in the current language."""
        return _(_LABELS[self])

    @property
    def rank(self) -> int:
        return _RANKS[self]

    def includes(self, other: Role | str) -> bool:
        """Whether this role may do what ``other`` may (admin ⊇ analyst ⊇ viewer)."""
        return self.rank >= Role(other).rank


_RANKS = {Role.VIEWER: 0, Role.ANALYST: 1, Role.ADMIN: 2}
_LABELS = {Role.VIEWER: N_("viewer"), Role.ANALYST: N_("analyst"), Role.ADMIN: N_("admin")}


def parse_role(value: str) -> Role:
    try:
        return Role(value.strip().lower())
    except ValueError:
        known = [role.value for role in Role]
        raise InvalidInputError(
            _("'{value}' is not a role.").format(value=value[:40])
            + did_you_mean(value, known)
            + " "
            + _("Choose from: {choices}.").format(choices=", ".join(known))
        ) from None
