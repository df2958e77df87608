"""Newer shipped forms, installed when a vault is opened.

A vault installs the shipped forms when it is created; a vault created with an earlier fieldkit
holds the versions that fieldkit shipped. At each unlock (``services.unlocking``, which both the
desktop app and ``fieldkit-cli`` go through) :func:`install_newer_shipped` installs each shipped
form version that is newer than every installed version of the same form id, as a local form
(unsigned, as at creation). Nothing else changes:

- earlier versions stay, and so do the records and drafts made with them: a record names its form
  version, and a draft is saved, checked and finalized against that version; only new records
  take the newer one;
- a form id the vault does not hold is not added (a vault may have been made without the shipped
  forms);
- a form whose highest installed version headquarters signed is headquarters' to upgrade: a
  shipped version never replaces it for new records, whether HQ's version is newer or older;
- a version already installed (with the same content or not) is left as it is;
- a shipped file that cannot be read or checked is skipped with a log line naming the file and
  the kind of error, never its content, and the unlock carries on.

Every install happens in one write transaction, decided again inside it, so two programs
unlocking together install a version once. The vault remembers a fingerprint of the shipped files
it last looked at, so that later unlocks skip the parsing (some tenths of a second) until
fieldkit's shipped forms change. The unlock tells the user which forms were updated
(:func:`upgrade_notice`).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session

from fieldkit.domain.formfile import load_form
from fieldkit.domain.forms import FormDefinition
from fieldkit.errors import FieldkitError
from fieldkit.i18n import _, current_language
from fieldkit.services import forms as form_service
from fieldkit.vault import repo
from fieldkit.vault.store import Vault

log = logging.getLogger(__name__)

SETTING_SHIPPED_FINGERPRINT = "shipped_forms_checked"
"""The fingerprint of the shipped form files this vault was last brought up to date with."""


@dataclass(frozen=True)
class ShippedForm:
    """A shipped form file, read and checked."""

    file_name: str
    form: FormDefinition


def _fingerprint(paths: list[Path]) -> str | None:
    """SHA-256 over the names and contents of the shipped form files; None if one is unreadable
    (then every unlock looks again, until it can be read)."""
    digest = hashlib.sha256()
    try:
        for path in paths:
            digest.update(path.name.encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    except OSError as exc:
        log.warning("shipped forms: a file could not be read (%s)", type(exc).__name__)
        return None
    return digest.hexdigest()


def _read_shipped(paths: list[Path]) -> list[ShippedForm]:
    """The shipped forms that read and check cleanly; each other one is logged and skipped."""
    found = []
    for path in paths:
        try:
            form = load_form(
                path.read_bytes(), path.name, form_service.shipped_vocabularies().resolve
            )
        except (FieldkitError, OSError, ValueError, RecursionError) as exc:
            log.warning(
                "shipped form file %s skipped: it could not be read or checked (%s)",
                path.name,
                type(exc).__name__,
            )
            continue
        found.append(ShippedForm(path.name, form))
    return found


def _should_install(session: Session, form: FormDefinition) -> bool:
    """Whether ``form`` is newer than every installed version of its id, none of which is
    headquarters' highest."""
    rows = repo.form_versions(session, form.id)
    if not rows:
        return False
    if any(row.version == form.version for row in rows):
        return False
    highest = max(rows, key=lambda row: repo.version_order(row.version))
    if highest.signed_by is not None:
        return False
    return repo.version_order(form.version) > repo.version_order(highest.version)


def install_newer_shipped(vault: Vault) -> list[FormDefinition]:
    """Install the shipped form versions newer than the vault's (see the module's docstring);
    the forms installed. Never raises for a damaged shipped file or a failed write: the vault
    opens as it was, and the next unlock tries again."""
    paths = form_service.shipped_form_paths()
    fingerprint = _fingerprint(paths)
    try:
        with vault.read() as session:
            if (
                fingerprint is not None
                and repo.get_setting(session, SETTING_SHIPPED_FINGERPRINT) == fingerprint
            ):
                return []
        shipped = _read_shipped(paths)
        with vault.write() as session:
            installed = []
            for item in shipped:
                if _should_install(session, item.form):
                    form_service.install(session, item.form)
                    installed.append(item.form)
            if fingerprint is not None:
                repo.set_setting(session, SETTING_SHIPPED_FINGERPRINT, fingerprint)
    except Exception as exc:  # the unlock must not fail for an optional upgrade
        log.warning("shipped forms not brought up to date: %s", type(exc).__name__)
        return []
    for form in installed:
        log.info("installed shipped form %s version %s", form.id, form.version)
    return installed


def mark_up_to_date(session: Session) -> None:
    """Remember that the vault holds the shipped forms of this fieldkit (a new vault, which just
    installed them), so that its first unlock does not read them again."""
    fingerprint = _fingerprint(form_service.shipped_form_paths())
    if fingerprint is not None:
        repo.set_setting(session, SETTING_SHIPPED_FINGERPRINT, fingerprint)


def upgrade_notice(installed: list[FormDefinition], language: str | None = None) -> str:
    """What to tell the user once newer shipped forms were installed (one line)."""
    language = language or current_language()
    names = ", ".join(
        _("{title} (version {version})").format(
            title=form.localized_title(language), version=form.version
        )
        for form in installed
    )
    return _(
        "Forms updated with fieldkit: {forms}. New records use them; records and drafts made "
        "before keep the version they were made with."
    ).format(forms=names)


__all__ = [
    "SETTING_SHIPPED_FINGERPRINT",
    "ShippedForm",
    "install_newer_shipped",
    "mark_up_to_date",
    "upgrade_notice",
]
