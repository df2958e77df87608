"""Helpers for the tests of reviews, victim linking and the audit log: records of the shipped
attack form ingested into an HQ on a SQL repository, with their analysis rows."""

from __future__ import annotations

import functools
import json
from typing import Any

import sqlalchemy as sa

from fieldkit.bundle import SealedRevision
from fieldkit.domain.formfile import load_form
from fieldkit.domain.forms import FormDefinition
from fieldkit.hq.analysis.tables import an_records, an_victims
from fieldkit.hq.ingest import Outcome
from fieldkit.hq.repository import Repository
from fieldkit.services.forms import shipped_forms_dir, shipped_vocabularies
from tests.hq.support import Device, Hq


@functools.cache
def attack_form() -> FormDefinition:
    path = shipped_forms_dir() / "attack-on-activist.yaml"
    return load_form(path.read_text(encoding="utf-8"), path.name, shipped_vocabularies().resolve)


def victim(name: str | None, pseudonym: str, **more: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"victim_pseudonym": pseudonym, **more}
    if name is not None:
        entry["victim_name"] = name
    return entry


def attack(*victims: dict[str, Any]) -> dict[str, Any]:
    return {"victims": list(victims)}


def ingest(hq: Hq, device: Device, *records: dict[str, Any]) -> list[str]:
    """Ingest one bundle holding a record per answers given; returns their record ids."""
    form = attack_form()
    revisions = [device.revision(data=answers, form=form) for answers in records]
    ingest_revisions(hq, device, revisions)
    return [r.record_id for r in revisions]


def ingest_revisions(hq: Hq, device: Device, revisions: list[SealedRevision]) -> None:
    """Ingest one bundle of attack-form revisions, and make sure each record has its analysis
    rows."""
    path = hq.bundle(device, revisions, forms=[attack_form()])
    result = hq.ingestor().ingest_file(path)
    assert result.outcome is Outcome.ACCEPTED, result.reason
    for revision in revisions:
        answers = json.loads(revision.content)["data"]
        ensure_analysis_rows(hq.repository, revision.record_id, len(answers["victims"]))


def ensure_analysis_rows(repository: Repository, record_id: str, victims: int) -> None:
    """The record's ``an_records`` row and ``an_victims`` rows (person_id = victim_id), when
    ingest has not written them (the analysis mapping fills them where it is present)."""
    engine: sa.Engine = repository.engine  # type: ignore[attr-defined]
    with engine.begin() as conn:
        held = conn.execute(
            sa.select(an_records.c.record_id).where(an_records.c.record_id == record_id)
        ).first()
        if held is not None:
            return
        conn.execute(
            an_records.insert().values(
                record_id=record_id,
                revision_sha256="0" * 64,
                revision=1,
                form_id="attack-on-activist",
                form_version="1",
                kind="attack",
                device_key_id="0" * 32,
                received_at="2026-03-14T10:00:00Z",
                admin1_status="missing",
            )
        )
        for n in range(1, victims + 1):
            conn.execute(
                an_victims.insert().values(
                    victim_id=f"{record_id}.{n}",
                    record_id=record_id,
                    entry=n,
                    person_id=f"{record_id}.{n}",
                    kind="person",
                    named_ok=False,
                )
            )


def person_ids(repository: Repository) -> dict[str, str]:
    engine: sa.Engine = repository.engine  # type: ignore[attr-defined]
    with engine.connect() as conn:
        rows = conn.execute(sa.select(an_victims.c.victim_id, an_victims.c.person_id))
        return {str(r.victim_id): str(r.person_id) for r in rows}
