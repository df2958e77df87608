"""Passphrase strength: how hard a passphrase is to guess (zxcvbn), with a minimum length.

Used when a passphrase is chosen: for a vault on a device, or for the keys of headquarters.
"""

from __future__ import annotations

from dataclasses import dataclass

from fieldkit.errors import InvalidInputError
from fieldkit.i18n import N_, _

MIN_LENGTH = 12
MIN_SCORE = 3  # zxcvbn: 0 (guessable) to 4 (very unguessable)
MAX_LENGTH = 1024

SCORE_LABELS = (N_("very weak"), N_("weak"), N_("fair"), N_("strong"), N_("very strong"))


@dataclass(frozen=True)
class Strength:
    score: int  # 0..4
    acceptable: bool
    advice: str  # translated, empty when acceptable

    @property
    def label(self) -> str:
        return _(SCORE_LABELS[self.score])


def strength(passphrase: str, context: tuple[str, ...] = ()) -> Strength:
    from zxcvbn import zxcvbn

    if len(passphrase) < MIN_LENGTH:
        score = 0 if len(passphrase) < 8 else 1
        return Strength(
            score,
            False,
            _("Use at least {n} characters; several unrelated words are easy to remember.").format(
                n=MIN_LENGTH
            ),
        )
    result = zxcvbn(passphrase[:100], user_inputs=list(context))
    score = int(result["score"])
    if score < MIN_SCORE:
        return Strength(
            score,
            False,
            _("This passphrase is too easy to guess. Add more unrelated words."),
        )
    return Strength(score, True, "")


def check_new_passphrase(passphrase: str, confirmation: str | None = None) -> None:
    if confirmation is not None and passphrase != confirmation:
        raise InvalidInputError(_("The two passphrases differ. Type the same passphrase twice."))
    if len(passphrase) > MAX_LENGTH:
        raise InvalidInputError(
            _("The passphrase is longer than {n} characters.").format(n=MAX_LENGTH)
        )
    verdict = strength(passphrase)
    if not verdict.acceptable:
        raise InvalidInputError(verdict.advice)
