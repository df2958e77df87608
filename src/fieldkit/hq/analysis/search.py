"""Full-text search over records' non-identifying answers, per scope of readers.

Each record has two search documents, made from its newest revision's stored answers (public
and restricted; identifying answers never reach them, they are sealed before anything is
stored): scope ``public`` holds the text of its PUBLIC answers only, scope ``all`` the text of
its public and restricted answers. A viewer's search reads the ``public`` documents, an
analyst's the ``all`` ones, so a word written only in a restricted answer never finds a record
for a viewer.

A document holds the words the device's own search finds a record by (the form's title, text
answers, a chosen choice's code and its labels in every language of the form), normalised in
Python the same way for both databases: accents and other combining marks removed, case folded,
split on anything that is not a letter or a digit (``armed_group``: "armed", "group"). A query
matches the records whose document holds every word of it, each as a prefix ("kidnap" finds
"kidnapping").

Storage (migration 0007, kept off the shared table definitions because it differs per
database):

- PostgreSQL: ``ws_search`` with a ``tsvector`` (configuration ``simple``: no language's
  stemming, words as written) and one GIN index per scope (partial), so that each role's search
  reads only its own documents;
- SQLite: ``ws_search`` holding the text and an FTS5 index ``ws_search_fts`` over it (external
  content, kept in step by triggers).

The rows are written with the analysis rows, in the same transaction
(:mod:`fieldkit.hq.analysis.store`), at ingest and by ``fieldkit-hq analysis rebuild``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy import ColumnElement
from sqlalchemy.engine import Connection
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ColumnElement as _ColumnElement

from fieldkit.domain.forms import FieldType, FormDefinition, Sensitivity
from fieldkit.domain.records import searchable_text
from fieldkit.hq.repository.rows import CHUNK, chunks

PUBLIC = "public"
"""The scope of viewers: public answers only."""
ALL = "all"
"""The scope of analysts: public and restricted answers."""
SCOPES = (PUBLIC, ALL)

TABLE = "ws_search"
FTS_TABLE = "ws_search_fts"
"""SQLite only: the FTS5 index over :data:`TABLE`."""

MAX_TERMS = 12
"""Words of a query beyond these are ignored."""
MAX_QUERY = 200
"""Characters of a query (more is refused by the filters)."""
MAX_DOCUMENT = 100_000
"""Characters of one document: the rest of a very long record is not searched."""

search_rows = sa.table(
    TABLE,
    sa.column("record_id", sa.String),
    sa.column("scope", sa.String),
    sa.column("document", sa.Text),
)
"""The search table as queries see it (its real definition is in migration 0007)."""
_fts = sa.table(FTS_TABLE, sa.column("rowid", sa.Integer))

_WORD = re.compile(r"[^\W_]+")


def is_search_table(name: str | None) -> bool:
    """Whether ``name`` is one of the search tables (SQLite: with FTS5's shadow tables), which
    migration 0007 makes per database and the shared table definitions leave out."""
    return name == TABLE or (name or "").startswith(FTS_TABLE)


def words(text: str) -> list[str]:
    """The words of ``text``: accents removed, case folded; ``_`` and punctuation separate."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return _WORD.findall(plain)


def query_terms(text: str) -> tuple[str, ...]:
    """The distinct words of a query, in order, at most :data:`MAX_TERMS`."""
    found: list[str] = []
    for word in words(text):
        if word not in found:
            found.append(word)
    return tuple(found[:MAX_TERMS])


# -- documents -------------------------------------------------------------------------------------


def documents(form: FormDefinition, answers: Mapping[str, Any]) -> dict[str, str]:
    """The search documents of a record whose newest revision has ``answers`` (public and
    restricted answers, as stored): scope -> normalised words separated by spaces. The words
    are those the device's own search finds a record by (:func:`fieldkit.domain.records.
    searchable_text`: the form's title, text answers, every label of chosen choices; never an
    identifying answer)."""
    language = form.languages[0]
    return {
        scope: " ".join(
            words(searchable_text(form, searchable(form, answers, scope == PUBLIC), language))
        )[:MAX_DOCUMENT]
        for scope in SCOPES
    }


def searchable(form: FormDefinition, answers: Mapping[str, Any], public: bool) -> dict[str, Any]:
    """The answers a document is made of: not identifying, only PUBLIC ones when ``public`` (a
    field's own label decides: a repeat's label covers none of its fields, docs/forms.md), and
    only answers of the shape their field's type gives (HQ does not check stored answers again;
    an odd one is left out rather than failing the record's documents)."""
    by_name = form.index.by_name
    kept: dict[str, Any] = {}
    for name, value in answers.items():
        field = by_name.get(name)
        if field is None or form.is_identifying(name) or value is None:
            continue
        kind = field.type
        if kind is FieldType.REPEAT:
            if isinstance(value, list):
                entries = [searchable(form, e, public) for e in value if isinstance(e, Mapping)]
                if any(entries):
                    kept[name] = entries
            continue
        if public and field.sensitivity is not Sensitivity.PUBLIC:
            continue
        if kind is FieldType.SELECT_ONE:
            if isinstance(value, str):
                kept[name] = value
        elif kind is FieldType.SELECT_MULTIPLE:
            if isinstance(value, list):
                kept[name] = [code for code in value if isinstance(code, str)]
        elif kind is FieldType.ATTACHMENT:
            if isinstance(value, list):
                kept[name] = [
                    {"name": ref["name"]}
                    for ref in value
                    if isinstance(ref, Mapping) and isinstance(ref.get("name"), str)
                ]
        elif isinstance(value, str | int | float) and kind is not FieldType.GEOPOINT:
            kept[name] = value
    return kept


# -- writing ---------------------------------------------------------------------------------------


def delete_documents(conn: Connection, record_ids: Sequence[str]) -> None:
    """Delete the search rows of these records (the SQLite index follows by trigger)."""
    for chunk in chunks(record_ids):
        conn.execute(sa.delete(search_rows).where(search_rows.c.record_id.in_(chunk)))


def insert_documents(conn: Connection, items: Iterable[tuple[str, Mapping[str, str]]]) -> None:
    """Insert the documents of records (record id, scope -> text) that have none."""
    rows = [
        {"record_id": record_id, "scope": scope, "body": text}
        for record_id, docs in items
        for scope, text in sorted(docs.items())
        if scope in SCOPES
    ]
    if not rows:
        return
    body = sa.bindparam("body", type_=sa.Text)
    document: Any = body
    if conn.dialect.name == "postgresql":
        document = sa.func.to_tsvector(sa.literal_column("'simple'::regconfig"), body)
    statement = sa.insert(search_rows).values(
        record_id=sa.bindparam("record_id"), scope=sa.bindparam("scope"), document=document
    )
    for start in range(0, len(rows), CHUNK):
        conn.execute(statement, rows[start : start + CHUNK])


# -- matching --------------------------------------------------------------------------------------


class Matches(_ColumnElement[bool]):
    """``record_id`` is among the records whose ``scope`` document holds every term (each as a
    prefix); compiled per database (:func:`matches`)."""

    inherit_cache = False
    type = sa.Boolean()

    def __init__(self, record_id: ColumnElement[str], terms: Sequence[str], scope: str) -> None:
        if scope not in SCOPES:
            raise ValueError(scope)
        self.record_id = record_id
        self.terms = tuple(terms)
        self.scope = scope


def matches(record_id: ColumnElement[str], terms: Sequence[str], scope: str) -> ColumnElement[bool]:
    """Records (by ``record_id``) whose ``scope`` document holds every word of ``terms``
    (from :func:`query_terms`); always false without terms."""
    clean = tuple(t for t in terms if _WORD.fullmatch(t))
    if not clean:
        return sa.false()
    return Matches(record_id, clean, scope)


def _scope(scope: str) -> ColumnElement[bool]:
    # a literal, not a parameter: PostgreSQL then proves the partial GIN index of this scope
    return search_rows.c.scope == sa.literal_column(f"'{scope}'")


def matching(dialect: str, terms: Sequence[str], scope: str) -> sa.Select[Any]:
    """The ids of the records whose ``scope`` document holds every term, read from the search
    table alone (by its full-text index), for the database ``dialect`` names."""
    if dialect == "postgresql":
        tsquery = " & ".join(f"{term}:*" for term in terms)
        return sa.select(search_rows.c.record_id).where(
            _scope(scope),
            search_rows.c.document.bool_op("@@")(
                sa.func.to_tsquery(sa.literal_column("'simple'::regconfig"), tsquery)
            ),
        )
    expression = " ".join(f'"{term}"*' for term in terms)
    rowids = sa.select(_fts.c.rowid).where(sa.literal_column(FTS_TABLE).op("MATCH")(expression))
    return sa.select(search_rows.c.record_id).where(
        _scope(scope), sa.literal_column(f"{TABLE}.rowid").in_(rowids)
    )


def holds(
    dialect: str, record_id: ColumnElement[str], terms: Sequence[str], scope: str
) -> ColumnElement[bool]:
    """Whether the record ``record_id`` names holds every term, checked record by record (by
    the search table's primary key): for a list read in its own order when many records match,
    so that the database stops at the page's last row instead of sorting every match. Written
    so that PostgreSQL keeps it a per-row check, not a join."""
    if dialect == "postgresql":
        # the record's document by primary key, matched outside the subquery: no index of the
        # words is read (nor every match hashed), only this record's document
        document = (
            sa.select(search_rows.c.document)
            .where(search_rows.c.record_id == record_id, _scope(scope))
            .scalar_subquery()
        )
        tsquery = " & ".join(f"{term}:*" for term in terms)
        found = document.bool_op("@@")(
            sa.func.to_tsquery(sa.literal_column("'simple'::regconfig"), tsquery)
        )
        return sa.func.coalesce(found, sa.false())
    own = matching(dialect, terms, scope).where(search_rows.c.record_id == record_id)
    return sa.func.coalesce(own.exists(), sa.false())


@compiles(Matches, "postgresql")
def _postgresql(element: Matches, compiler: SQLCompiler, **kw: Any) -> str:
    found = matching("postgresql", element.terms, element.scope)
    return compiler.process(element.record_id.in_(found), **kw)


@compiles(Matches)
def _sqlite(element: Matches, compiler: SQLCompiler, **kw: Any) -> str:
    found = matching("sqlite", element.terms, element.scope)
    return compiler.process(element.record_id.in_(found), **kw)


__all__ = [
    "ALL",
    "PUBLIC",
    "SCOPES",
    "delete_documents",
    "documents",
    "holds",
    "insert_documents",
    "matches",
    "matching",
    "query_terms",
    "words",
]
