"""Which records an export holds, read a page at a time, each with the consent its victims gave.

Without filters on dates, places or review, records come from the repository's own
:meth:`~fieldkit.hq.repository.base.Repository.iter_revisions` (any backend). With them, one
query joins the revisions to the analysis table ``an_records`` (filled at ingest) through
:class:`~fieldkit.hq.analysis.filters.Filters`, streamed in ingest order: PostgreSQL with a
server-side cursor in one read-only REPEATABLE READ snapshot, SQLite with a cursor stepped as the
rows are written. Nothing holds more than a page of rows.

Consent: in a repeat group whose entries ask for consent (a ``consent_scope`` field, as the
victims of the attack form do), an entry's identifying answers (name, contact, photo...) are kept
only when its consent scope includes ``publish_named``; the consent answers themselves stay.
This is the rule the analysis table ``an_victims.named_ok`` records. Forms that ask for no
consent keep their identifying answers as they are (still only with HQ's identity).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from fieldkit.domain.forms import FieldType, FormDefinition
from fieldkit.hq.analysis.filters import Filters
from fieldkit.hq.analysis.tables import an_records
from fieldkit.hq.answers import merge_answers
from fieldkit.hq.errors import ConflictError, InvalidInputError
from fieldkit.hq.records import ExportRecord, FormCache
from fieldkit.hq.repository import rows
from fieldkit.hq.repository import tables as t
from fieldkit.hq.repository.base import Repository, StoredRevision
from fieldkit.hq.sealing import SealedReader
from fieldkit.i18n import _

PAGE = 1000
"""Rows fetched at a time."""
CONSENT_SCOPE = "consent_scope"
PUBLISH_NAMED = "publish_named"
CONSENT_FIELDS = frozenset({"consent_given", "consent_scope", "consent_by", "consent_date"})
"""A consenting entry's own consent answers: kept whatever the scope (they name nobody)."""


@dataclass(frozen=True)
class Selected:
    record: ExportRecord
    uncertain: bool | None
    """With a period: whether the record may lie partly outside it; None without one."""


def needs_analysis(filters: Filters) -> bool:
    """Whether ``filters`` select through the analysis tables (anything but the form)."""
    return bool(filters.dated or filters.country or filters.admin1 or filters.review)


def engine_of(repository: Repository) -> sa.Engine:
    """The SQL engine behind ``repository``; analysis filters and tables need one."""
    engine = getattr(repository, "engine", None)
    if not isinstance(engine, sa.Engine):
        raise InvalidInputError(
            _(
                "This repository has no analysis tables: filters and --tables need SQLite or "
                "PostgreSQL."
            )
        )
    return engine


def select_records(
    repository: Repository,
    forms: FormCache,
    filters: Filters,
    *,
    identity: str | None = None,
    all_revisions: bool = False,
) -> Iterator[Selected]:
    """The selected records in ingest order (every revision of each with ``all_revisions``);
    with ``identity`` (HQ's age identity) their identifying answers, as consent allows."""
    reader = None if identity is None else SealedReader(identity, repository.sealed_batch)
    for revision, uncertain in _revisions(repository, filters, all_revisions):
        form = forms.get(revision.form_sha256)
        answers = revision.answers
        if reader is not None:
            entry = reader.entry(revision.batch_id, revision.position)
            if entry.link != revision.link_id or entry.revision != revision.sha256:
                raise ConflictError(_("A sealed batch in the repository is damaged."))
            answers = with_consent(form, merge_answers(answers, entry.identifying))
        yield Selected(ExportRecord(revision, form, answers), uncertain)


def _revisions(
    repository: Repository, filters: Filters, all_revisions: bool
) -> Iterator[tuple[StoredRevision, bool | None]]:
    if not needs_analysis(filters):
        for revision in repository.iter_revisions(
            form_id=filters.form_id, latest_only=not all_revisions
        ):
            yield revision, None
        return
    engine = engine_of(repository)
    query = (
        rows.revisions_query(filters.form_id, not all_revisions, upper=None)
        .join(an_records, an_records.c.record_id == t.revisions.c.record_id)
        .where(filters.clause(an_records))
        .add_columns(filters.uncertain(an_records).label("uncertain"))
    )
    dated = filters.dated
    for row in stream(engine, query):
        yield rows.to_revision(row), (bool(row.uncertain) if dated else None)


def stream(engine: sa.Engine, query: sa.Select[Any]) -> Iterator[sa.Row[Any]]:
    """The rows of ``query``, fetched :data:`PAGE` at a time from one consistent snapshot."""
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        with conn.begin():
            result = conn.execution_options(stream_results=True, yield_per=PAGE).execute(query)
            yield from result


def with_consent(form: FormDefinition, answers: dict[str, Any]) -> dict[str, Any]:
    """``answers`` without the identifying answers of entries that did not consent to being
    named (see the module's description)."""
    return _entries_with_consent(form, (), answers)


def named_ok(entry: dict[str, Any]) -> bool:
    """Whether an entry's consent scope includes publishing the name."""
    scope = entry.get(CONSENT_SCOPE)
    codes = scope if isinstance(scope, list) else [scope] if isinstance(scope, str) else []
    return any(isinstance(c, str) and c.rsplit(":", 1)[-1] == PUBLISH_NAMED for c in codes)


def _entries_with_consent(
    form: FormDefinition, chain: tuple[str, ...], values: dict[str, Any]
) -> dict[str, Any]:
    result = dict(values)
    for field in form.index.members.get(chain, []):
        entries = result.get(field.name)
        if field.type is not FieldType.REPEAT or not isinstance(entries, list):
            continue
        scope = (*chain, field.name)
        members = form.index.members.get(scope, [])
        asks = any(member.name == CONSENT_SCOPE for member in members)
        hidden = (
            {m.name for m in members if form.is_identifying(m.name)} - CONSENT_FIELDS
            if asks
            else set()
        )
        kept = []
        for item in entries:
            if isinstance(item, dict):
                item = _entries_with_consent(form, scope, item)
                if hidden and not named_ok(item):
                    item = {key: value for key, value in item.items() if key not in hidden}
            kept.append(item)
        result[field.name] = kept
    return result
