"""Factories for HQ tests: an HQ with keys, enrolled devices, bundles on a stick, canary forms.

Keys are made directly (no passphrase-protected key file, whose scrypt costs seconds); the CLI
tests make a real HQ folder with ``fieldkit-hq init``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from fieldkit.bundle import (
    SealedRevision,
    make_device_identity_file,
    read_device_identity_file,
    read_receipt,
)
from fieldkit.bundle.agefile import new_identity
from fieldkit.bundle.writer import new_bundle_file_name
from fieldkit.crypto.identity import SigningKey
from fieldkit.domain.forms import FormDefinition
from fieldkit.hq.ingest import Ingestor
from fieldkit.hq.keys import HqConfig, HqKeys
from fieldkit.hq.paths import HqPaths
from fieldkit.hq.repository.base import Repository
from tests.bundle.factory import Keys, forms_for, make_bundle, sealed

CANARY_NAME = "CANARY-NAME-Zq8wPx"
CANARY_CONTACT = "CANARY-CONTACT-+22370000000"
CANARY_CHILD = "CANARY-CHILD-Ut5rKd"

_FIELDS: list[dict[str, Any]] = [
    {"name": "subject", "type": "text", "label": {"en": "Subject"}, "sensitivity": "public"},
    {"name": "narrative", "type": "long_text", "label": {"en": "Narrative"}},
    {"name": "count", "type": "integer", "label": {"en": "Count"}},
    {"name": "market", "type": "select_multiple", "choices": "market", "label": {"en": "Market"}},
    {
        "name": "where",
        "type": "group",
        "label": {"en": "Where"},
        "fields": [{"name": "position", "type": "geopoint", "label": {"en": "Position"}}],
    },
    {
        "name": "witness_name",
        "type": "text",
        "label": {"en": "Witness"},
        "sensitivity": "identifying",
    },
    {
        "name": "victims",
        "type": "repeat",
        "label": {"en": "Victim"},
        "fields": [
            {"name": "age", "type": "integer", "label": {"en": "Age"}},
            {
                "name": "contact",
                "type": "text",
                "label": {"en": "Contact"},
                "sensitivity": "identifying",
            },
        ],
    },
    {
        "name": "photos",
        "type": "attachment",
        "label": {"en": "Photos"},
        "sensitivity": "identifying",
    },
]


def _form(version: str, extra: Sequence[dict[str, Any]] = ()) -> FormDefinition:
    return FormDefinition.model_validate(
        {
            "id": "canary-observation",
            "version": version,
            "title": {"en": "Canary observation"},
            "languages": ["en"],
            "choice_lists": {
                "market": {
                    "name": "market",
                    "choices": [
                        {"code": "gold", "label": {"en": "Gold"}},
                        {"code": "fuel", "label": {"en": "Fuel"}},
                    ],
                }
            },
            "fields": [*_FIELDS, *extra],
        }
    )


FORM_V1 = _form("1")
FORM_V2 = _form("2", [{"name": "route", "type": "text", "label": {"en": "Route"}}])


def canary_answers(**overrides: Any) -> dict[str, Any]:
    answers: dict[str, Any] = {
        "subject": "Fuel levy at the bridge",
        "narrative": "Trucks paid at the checkpoint.",
        "count": 4,
        "market": ["gold", "fuel"],
        "position": {"lat": 16.27, "lon": -0.04, "precision_m": 10},
        "witness_name": CANARY_NAME,
        "victims": [{"age": 34, "contact": CANARY_CONTACT}, {"age": 15}],
    }
    answers.update(overrides)
    return answers


@dataclass
class Device:
    """A field device: its signing key, its receipt key, its chain of bundles."""

    key: SigningKey = field(default_factory=SigningKey.generate)
    age: tuple[str, str] = field(default_factory=new_identity)
    name: str = "field laptop 7"
    sequence: int = 0
    previous: str | None = None

    def identity_file(self) -> bytes:
        return make_device_identity_file(
            device_key=self.key, age_recipient=self.age[1], device_name=self.name
        )

    def register(self, repository: Repository) -> None:
        repository.add_device(
            read_device_identity_file(self.identity_file()), "2026-03-14T09:00:00Z"
        )

    def revision(
        self,
        *,
        record_id: str | None = None,
        number: int = 1,
        previous: str | None = None,
        data: dict[str, Any] | None = None,
        form: FormDefinition = FORM_V1,
        attachments: Sequence[str] = (),
    ) -> SealedRevision:
        return sealed(
            self.key,
            record_id=record_id,
            number=number,
            previous=previous,
            data=canary_answers() if data is None else data,
            form=form,
            attachments=attachments,
        )


@dataclass
class Hq:
    """An HQ folder with keys in memory, a repository and a stick to put bundles on."""

    root: Path
    repository: Repository
    keys: Keys = field(default_factory=Keys)

    @property
    def paths(self) -> HqPaths:
        return HqPaths(self.root / "hq")

    @property
    def stick(self) -> Path:
        folder = self.root / "stick"
        folder.mkdir(exist_ok=True)
        return folder

    @property
    def config(self) -> HqConfig:
        return HqConfig(
            name="Test HQ",
            address=None,
            ingest_recipient=self.keys.hq[1],
            escrow_recipient=self.keys.escrow[1],
            signing_public_key=self.keys.hq_signing.public.public_key,
            created="2026-03-01T00:00:00Z",
        )

    @property
    def secrets(self) -> HqKeys:
        return HqKeys(ingest_identity=self.keys.hq[0], signing_key=self.keys.hq_signing)

    def ingestor(self, receipts_dir: Path | None = None) -> Ingestor:
        return Ingestor(
            self.repository, self.paths, self.config, self.secrets, receipts_dir=receipts_dir
        )

    def bundle(
        self,
        device: Device,
        revisions: Sequence[SealedRevision],
        attachments: Sequence[bytes] = (),
        *,
        sequence: int | None = None,
        previous: str | None = None,
        recipients: Sequence[str] | None = None,
        advance: bool = True,
        forms: Sequence[FormDefinition] = (),
    ) -> Path:
        """Write a bundle of ``device`` onto the stick; by default the next in its chain."""
        number = device.sequence + 1 if sequence is None else sequence
        data, info = make_bundle(
            self.keys,
            revisions,
            attachments,
            sequence=number,
            previous=device.previous if previous is None and number > 1 else previous,
            recipients=recipients,
            device=device.key,
            forms=forms_for(revisions, known=(FORM_V1, FORM_V2, *forms)),
        )
        if advance:
            device.sequence, device.previous = number, info.manifest_sha256
        path = self.stick / new_bundle_file_name()
        path.write_bytes(data)
        return path

    def receipt_of(self, device: Device, path: Path) -> Any:
        """The receipt in ``path``, read as the device reads it."""
        return read_receipt(
            path.read_bytes(), device.age[0], self.keys.hq_signing.public.public_key
        )


def files_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in files_in(folder)}


def holds(folder: Path, text: str | bytes) -> list[Path]:
    """Files under ``folder`` whose bytes contain ``text`` in clear (UTF-8 or JSON-escaped)."""
    needles = (
        {text} if isinstance(text, bytes) else {text.encode(), json.dumps(text).encode()[1:-1]}
    )
    return [p for p in files_in(folder) if any(n in p.read_bytes() for n in needles)]


@pytest.fixture
def hq(repository: Repository, tmp_path: Path) -> Hq:
    """An HQ on each repository backend (``repository`` of conftest.py; SQLite's file is
    ``hq.sqlite3`` in the HQ folder, so folder scans see it)."""
    return Hq(tmp_path, repository)


class Run:
    """Runs a command-line ``main`` in-process; checks the exit status and, for 1, that stderr is
    exactly one line naming the program."""

    def __init__(self, capsys: pytest.CaptureFixture[str], main: Any, prog: str) -> None:
        self.capsys = capsys
        self.main = main
        self.prog = prog
        self.err = ""

    def __call__(self, *args: str, code: int = 0) -> str:
        try:
            result = self.main(list(args))
        except SystemExit as exit_:  # argparse exits for usage and --help
            result = int(exit_.code or 0)
        out, err = self.capsys.readouterr()
        assert result == code, (args, out, err)
        self.err = err
        if code == 1:
            assert err.count("\n") == 1 and err.startswith(f"{self.prog}: "), err
        assert "Traceback" not in out + err
        return out
