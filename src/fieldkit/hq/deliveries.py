"""Which enrolled devices fetched which published forms over sync (table ``form_deliveries``).

The sync server records a delivery each time a signed-in device fetches a published form file
(:meth:`fieldkit.hq.server.forms.Forms.deliver`): one row per device and form, with the first
and the last time. A form is named by the SHA-256 of its definition, the hash that the
publication signs and that every revision made with the form carries (``revisions.form_sha256``),
so that a form's deliveries and the records made with it are counted alike.

A delivery says the device received the file, not that its user installed it: a device refuses
a file HQ did not sign, and its user may not install a form at all.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from fieldkit.hq.repository import Repository
from fieldkit.hq.repository import tables as t
from fieldkit.hq.repository.database import WRITE, database_errors
from fieldkit.hq.repository.tables_web import form_deliveries
from fieldkit.hq.sqlwork import engine_of


@dataclass(frozen=True)
class Delivery:
    device_key_id: str
    form_sha256: str
    first_at: str
    last_at: str


@contextmanager
def _writing(repository: Repository) -> Iterator[Connection]:
    engine = engine_of(repository)
    with database_errors(engine.url), engine.connect() as connection:
        connection.execution_options(**{WRITE: True})
        with connection.begin():
            yield connection


def record(repository: Repository, device_key_id: str, form_sha256: str, at: str) -> None:
    """Record that the device fetched the form at ``at``: a new row the first time, else a later
    last time (an earlier ``at``, from a request that took longer, changes nothing)."""
    c = form_deliveries.c
    dialect = postgresql if engine_of(repository).dialect.name == "postgresql" else sqlite
    insert = dialect.insert(form_deliveries).values(
        device_key_id=device_key_id, form_sha256=form_sha256, first_at=at, last_at=at
    )
    upsert = insert.on_conflict_do_update(
        index_elements=[c.device_key_id, c.form_sha256],
        set_={"last_at": insert.excluded.last_at},
        where=c.last_at < insert.excluded.last_at,
    )
    with _writing(repository) as conn:
        conn.execute(upsert)


def deliveries(conn: Connection) -> list[Delivery]:
    """Every delivery, by form, then first time, then device."""
    c = form_deliveries.c
    query = sa.select(form_deliveries).order_by(c.form_sha256, c.first_at, c.device_key_id)
    return [
        Delivery(row.device_key_id, row.form_sha256, row.first_at, row.last_at)
        for row in conn.execute(query)
    ]


def last_fetches(conn: Connection) -> dict[str, str]:
    """Each device's last form fetch (devices that fetched none are absent)."""
    c = form_deliveries.c
    query = sa.select(c.device_key_id, sa.func.max(c.last_at).label("at")).group_by(c.device_key_id)
    return {row.device_key_id: str(row.at) for row in conn.execute(query)}


def senders(conn: Connection, forms: Mapping[str, str]) -> dict[str, frozenset[str]]:
    """For each of ``forms`` (definition hash: form id), the devices HQ holds revisions made
    with it from (the form id lets the database use its index)."""
    if not forms:
        return {}
    r = t.revisions.c
    query = (
        sa.select(r.form_sha256, r.device_key_id)
        .where(r.form_id.in_(sorted(set(forms.values()))), r.form_sha256.in_(sorted(forms)))
        .distinct()
    )
    found: dict[str, set[str]] = {}
    for row in conn.execute(query):
        found.setdefault(row.form_sha256, set()).add(row.device_key_id)
    return {form: frozenset(devices) for form, devices in found.items()}
