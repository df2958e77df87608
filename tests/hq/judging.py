"""Helpers for the tests of reviews, victim linking and the audit log: records of the shipped
attack form ingested into an HQ on a SQL repository (ingest writes their analysis rows)."""

from __future__ import annotations

import functools
from typing import Any

import sqlalchemy as sa

from fieldkit.bundle import SealedRevision
from fieldkit.domain.formfile import load_form
from fieldkit.domain.forms import FormDefinition
from fieldkit.hq.analysis.tables import an_victims
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
    """Ingest one bundle of attack-form revisions (which writes their analysis rows)."""
    path = hq.bundle(device, revisions, forms=[attack_form()])
    result = hq.ingestor().ingest_file(path)
    assert result.outcome is Outcome.ACCEPTED, result.reason


def person_ids(repository: Repository) -> dict[str, str]:
    engine: sa.Engine = repository.engine  # type: ignore[attr-defined]
    with engine.connect() as conn:
        rows = conn.execute(sa.select(an_victims.c.victim_id, an_victims.c.person_id))
        return {str(r.victim_id): str(r.person_id) for r in rows}


APPEND_ONLY = ("audit_log", "reviews", "victim_links")


def drop_append_only_guard(connection: sa.Connection) -> None:
    """What someone who owns the database can do first: drop the triggers that refuse UPDATE and
    DELETE on the append-only tables (the signatures and the chain must still show tampering)."""
    for table in APPEND_ONLY:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        else:
            for event in ("update", "delete"):
                connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {table}_no_{event}")
