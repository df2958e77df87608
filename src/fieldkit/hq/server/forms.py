"""Forms over sync: the signed forms HQ published (:mod:`fieldkit.hq.publishing`),
listed and served to signed-in devices as the very files ``forms publish`` wrote.

Only files that verify with HQ's own signing key are listed or served; a device verifies each
again against the key it pinned at enrolment before installing it. A name is checked against the
shape of a published file name (``ID-VERSION.fkf``: no separator, no leading dot) before
anything on disk is touched, and only a file of that name in ``forms/`` that verifies is served:
that is, one of the listed files, and nothing else under the HQ folder.

Each file served to a device is recorded as delivered to it (:mod:`fieldkit.hq.deliveries`),
for the workspace's forms page.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fieldkit.bundle import PUBLISHED_FORM_SUFFIX, max_published_form_bytes, read_published_form
from fieldkit.console import read_small_file
from fieldkit.domain.records import utc_timestamp
from fieldkit.errors import FieldkitError
from fieldkit.hq import deliveries
from fieldkit.hq.paths import HqPaths
from fieldkit.hq.publishing import published_paths
from fieldkit.hq.repository import Device, Repository
from fieldkit.hq.server.errors import Code, SyncError
from fieldkit.i18n import _

log = logging.getLogger("fieldkit.hq.server")

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,254}" + re.escape(PUBLISHED_FORM_SUFFIX))


@dataclass(frozen=True)
class ServedForm:
    name: str
    form_id: str
    version: str
    sha256: str
    """Of the whole ``.fkf`` file."""
    size: int
    published_at: str
    form_sha256: str
    """Of the form's definition (what the publication signs and revisions name)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "id": self.form_id,
            "version": self.version,
            "sha256": self.sha256,
            "size": self.size,
            "published_at": self.published_at,
        }


class Forms:
    def __init__(self, paths: HqPaths, signing_public_key: bytes, repository: Repository) -> None:
        self._paths = paths
        self._key = signing_public_key
        self._repository = repository

    def listing(self) -> list[ServedForm]:
        """Every published form that verifies with HQ's key, by file name."""
        return [entry for entry, _data in self._verified()]

    def file(self, name: str) -> bytes:
        """The bytes of the published form file ``name``; ``not-found`` for any other name."""
        return self._found(name)[1]

    def deliver(self, device: Device, name: str) -> bytes:
        """:meth:`file`, for a signed-in device: the delivery is recorded before the bytes go."""
        served, data = self._found(name)
        deliveries.record(self._repository, device.key_id, served.form_sha256, utc_timestamp())
        return data

    def _found(self, name: str) -> tuple[ServedForm, bytes]:
        if _NAME.fullmatch(name):
            found = self._served(self._paths.forms / name)
            if found is not None:
                return found
        raise SyncError(Code.NOT_FOUND, _("HQ publishes no form of that name."))

    def _verified(self) -> list[tuple[ServedForm, bytes]]:
        found = []
        for path in published_paths(self._paths):
            served = self._served(path)  # each file read and verified once per listing
            if served is None:
                log.warning("a published form file does not verify with HQ's key; not served")
            else:
                found.append(served)
        return found

    def _served(self, path: Path) -> tuple[ServedForm, bytes] | None:
        """The file at ``path`` and its description, if it verifies with HQ's key (the bytes
        served are the bytes verified, whatever the file held when it was listed)."""
        try:
            data = read_small_file(path, max_published_form_bytes())
            form = read_published_form(data, self._key)
        except FieldkitError:  # no such file, unreadable, or not a form HQ signed
            return None
        return (
            ServedForm(
                name=path.name,
                form_id=form.form_id,
                version=form.version,
                sha256=hashlib.sha256(data).hexdigest(),
                size=len(data),
                published_at=form.published,
                form_sha256=form.sha256,
            ),
            data,
        )
