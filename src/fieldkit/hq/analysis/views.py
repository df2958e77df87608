"""The ``fk_*`` views and the read-only analysts' role (PostgreSQL).

The views (made by migration 0004, columns in docs/hq.md, "Analysis views") show the analysis
tables without what locates or names anyone beyond the first-level place: no coordinates, no
exact answered dates (``day_from``/``day_to`` only), no free-text place, no verifier, no device,
no consent details (``named_ok`` only). :func:`grant_readonly` lets a PostgreSQL role read the
views and nothing else of the repository's schema: views run with their owner's rights, so the
role needs no right on any table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlalchemy as sa

from fieldkit.hq.analysis.session import engine_of, transaction
from fieldkit.hq.errors import InvalidInputError, NotFoundError
from fieldkit.hq.repository.base import Repository
from fieldkit.i18n import _

VIEWS = (
    "fk_records",
    "fk_victims",
    "fk_acts",
    "fk_perpetrators",
    "fk_sources",
    "fk_markets",
    "fk_commodities",
    "fk_actors",
    "fk_quantities",
    "fk_exploited",
)
ROLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_$-]{0,62}$")


@dataclass(frozen=True)
class Grant:
    role: str
    schema: str
    views: tuple[str, ...]


def grant_readonly(repository: Repository, role: str) -> Grant:
    """Let the existing PostgreSQL ``role`` read the ``fk_*`` views, and only them: every right
    it had on the schema's tables and views is revoked first, in the same transaction."""
    engine = engine_of(repository)
    if engine.dialect.name != "postgresql":
        raise InvalidInputError(
            _(
                "A read-only role needs a PostgreSQL repository (SQLite has no roles); the fk_* "
                "views are in the SQLite file too. Nothing was changed."
            )
        )
    if not ROLE_NAME.match(role):
        raise InvalidInputError(
            _(
                "{role}: not a role name fieldkit-hq grants to (letters, digits, _ $ -, at most "
                "63, not starting with a digit). Nothing was changed."
            ).format(role=role)
        )
    quote = engine.dialect.identifier_preparer.quote_identifier
    with transaction(repository, write=True) as conn:
        exists = conn.execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role})
        if exists.first() is None:
            raise NotFoundError(
                _(
                    "No PostgreSQL role {role}: create it first (CREATE ROLE {role} LOGIN "
                    "PASSWORD '...'). Nothing was changed."
                ).format(role=role)
            )
        schema = str(conn.execute(sa.text("SELECT current_schema()")).scalar_one())
        who, where = quote(role), quote(schema)
        conn.exec_driver_sql(f"REVOKE ALL ON ALL TABLES IN SCHEMA {where} FROM {who}")
        conn.exec_driver_sql(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {where} FROM {who}")
        conn.exec_driver_sql(f"GRANT USAGE ON SCHEMA {where} TO {who}")
        for view in VIEWS:
            conn.exec_driver_sql(f"GRANT SELECT ON {where}.{quote(view)} TO {who}")
    return Grant(role, schema, VIEWS)
