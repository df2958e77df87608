"""Forms published by headquarters, fetched over sync and installed once verified.

Each file is checked against HQ's signing key pinned at enrolment (as a form file from a stick
is) before anything is installed. Files already seen are skipped by their SHA-256, which the vault
remembers; a file that does not verify is not installed and is fetched again next time (HQ may
publish it again, correctly signed)."""

from __future__ import annotations

import hashlib
import logging

from fieldkit.bundle import read_published_form
from fieldkit.errors import FieldkitError
from fieldkit.services import forms as form_service
from fieldkit.services.sync_settings import known_forms, remember_forms
from fieldkit.sync.client import HqClient
from fieldkit.sync.errors import SyncError
from fieldkit.vault import repo
from fieldkit.vault.store import Vault

log = logging.getLogger("fieldkit.services.sync")


def install_new_forms(vault: Vault, client: HqClient) -> tuple[str, ...]:
    """Install the forms HQ published that this device has not seen; their "id version"."""
    remote = client.forms()
    with vault.read() as session:
        seen = known_forms(session)
        enrolled = repo.active_enrolment(session)
    if enrolled is None:  # pragma: no cover - sync checks the enrolment first
        return ()
    installed: list[str] = []
    for entry in remote:
        if entry.sha256 in seen:
            continue
        data = client.form(entry.name)
        if hashlib.sha256(data).hexdigest() != entry.sha256:
            log.warning("a form file from headquarters did not match its listed SHA-256")
            continue
        try:
            published = read_published_form(data, enrolled.signing_public_key)
            with vault.write() as session:
                result = form_service.install(session, published.definition, published)
                remember_forms(session, {entry.sha256})
        except SyncError:
            raise
        except FieldkitError as error:
            log.warning("a form file from headquarters was not installed: %s", error)
            continue
        if result.installed:
            installed.append(f"{result.form_id} {result.version}")
    return tuple(installed)
