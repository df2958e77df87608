"""The forms page: every form HQ published, verified, and which devices have it.

A form reaches a device in two ways HQ can see: the device fetched the signed file over sync
(recorded in ``form_deliveries``, :mod:`fieldkit.hq.deliveries`), or HQ holds records the device
made with it (its revisions name the form's definition hash). A file carried on a stick leaves
no trace until records made with it come back. Both counts are shown, side by side.

Of the published versions of one form, the one published last is current; the others are
superseded (devices may still hold them, and records made with them stay readable).
"""

from __future__ import annotations

from dataclasses import dataclass

from fieldkit.hq import deliveries, publishing
from fieldkit.hq.paths import HqPaths
from fieldkit.hq.repository import Repository
from fieldkit.hq.sqlwork import transaction
from fieldkit.i18n import current_language


@dataclass(frozen=True)
class DeviceReach:
    key_id: str
    name: str
    first_at: str
    last_at: str


@dataclass(frozen=True)
class FormOverview:
    file_name: str
    form_id: str | None
    """None when the file does not verify (then ``problem`` says why)."""
    version: str | None
    title: str
    published_at: str | None
    sha256: str | None
    """Of the form's definition."""
    problem: str | None
    superseded_by: str | None
    """The version published after this one, if any."""
    fetched_by: tuple[DeviceReach, ...]
    """Devices that fetched the file over sync, first fetch first."""
    sent_by: int
    """How many devices HQ holds records made with this version from."""

    @property
    def verified(self) -> bool:
        return self.problem is None

    @property
    def superseded(self) -> bool:
        return self.superseded_by is not None


def forms_overview(
    repository: Repository, paths: HqPaths, signing_public_key: bytes, language: str | None = None
) -> list[FormOverview]:
    """Every file in ``forms/`` (by form id, then publication), each checked with HQ's key."""
    lang = language or current_language()
    files = publishing.published(paths, signing_public_key)
    names = {device.key_id: device.name for device in repository.devices()}
    with transaction(repository) as conn:
        delivered = deliveries.deliveries(conn)
        senders = deliveries.senders(
            conn, {f.form.sha256: f.form.form_id for f in files if f.form is not None}
        )
    reached: dict[str, list[DeviceReach]] = {}
    for delivery in delivered:
        reached.setdefault(delivery.form_sha256, []).append(
            DeviceReach(
                delivery.device_key_id,
                names.get(delivery.device_key_id, ""),
                delivery.first_at,
                delivery.last_at,
            )
        )
    current: dict[str, tuple[str, str]] = {}
    for item in files:
        if item.form is not None:
            key = (item.form.published, item.form.version)
            current[item.form.form_id] = max(current.get(item.form.form_id, key), key)
    found = []
    for item in files:
        form = item.form
        if form is None:
            found.append(
                FormOverview(item.path.name, None, None, "", None, None, item.problem, None, (), 0)
            )
            continue
        newest = current[form.form_id][1]
        found.append(
            FormOverview(
                file_name=item.path.name,
                form_id=form.form_id,
                version=form.version,
                title=form.definition.localized_title(lang),
                published_at=form.published,
                sha256=form.sha256,
                problem=None,
                superseded_by=None if newest == form.version else newest,
                fetched_by=tuple(reached.get(form.sha256, ())),
                sent_by=len(senders.get(form.sha256, ())),
            )
        )
    found.sort(
        key=lambda f: (f.form_id is None, f.form_id or "", f.published_at or "", f.file_name)
    )
    return found
