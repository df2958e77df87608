"""Search documents of records (fieldkit.hq.analysis.search): words, scopes, SQL per database."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from fieldkit.domain.forms import FormDefinition
from fieldkit.hq.analysis import search
from fieldkit.hq.analysis.tables import an_records

FORM = FormDefinition.model_validate(
    {
        "id": "search-test",
        "version": "1",
        "title": {"en": "Search test"},
        "languages": ["en", "fr"],
        "choice_lists": {
            "acts": {
                "name": "acts",
                "choices": [
                    {
                        "code": "armed_attack",
                        "label": {"en": "Armed attack", "fr": "Attaque armée"},
                    },
                    {"code": "threat", "label": {"en": "Threat", "fr": "Menace"}},
                ],
            }
        },
        "fields": [
            {
                "name": "act",
                "type": "select_one",
                "choices": "acts",
                "label": {"en": "Act"},
                "sensitivity": "public",
            },
            {"name": "narrative", "type": "long_text", "label": {"en": "Narrative"}},
            {"name": "name", "type": "text", "label": {"en": "Name"}, "sensitivity": "identifying"},
            {
                "name": "details",
                "type": "group",
                "fields": [
                    {
                        "name": "town",
                        "type": "text",
                        "label": {"en": "Town"},
                        "sensitivity": "public",
                    },
                ],
            },
            {
                "name": "victims",
                "type": "repeat",
                "fields": [
                    {
                        "name": "pseudonym",
                        "type": "text",
                        "label": {"en": "Pseudonym"},
                        "sensitivity": "public",
                    },
                    {"name": "age", "type": "integer", "label": {"en": "Age"}},
                ],
            },
        ],
    }
)


def test_words_fold_case_and_accents() -> None:
    assert search.words("Élodie's GOLD-mine, Ségou_2026") == [
        "elodie",
        "s",
        "gold",
        "mine",
        "segou",
        "2026",
    ]
    assert search.words("ذَهَب") == ["ذهب"]
    assert search.query_terms("gold Gold mine  ") == ("gold", "mine")
    assert len(search.query_terms(" ".join(f"w{n}" for n in range(30)))) == search.MAX_TERMS


def test_documents_by_scope() -> None:
    docs = search.documents(
        FORM,
        {
            "act": "armed_attack",
            "narrative": "Shots near the gold mine",
            "name": "Amadou",  # identifying: never searched even when at hand
            "town": "Ségou",
            "victims": [{"pseudonym": "V-ALPHA", "age": 34}, "not an entry"],
        },
    )
    public = docs[search.PUBLIC].split()
    everything = docs[search.ALL].split()
    assert {"armed", "attack", "attaque", "armee", "segou", "v", "alpha"} <= set(public)
    assert not {"gold", "34", "amadou"} & set(public)
    assert {"gold", "mine", "34", "segou", "alpha"} <= set(everything)
    assert "amadou" not in everything


def _sql(clause: sa.ColumnElement[bool], dialect: sa.Dialect) -> str:
    return str(sa.select(an_records.c.record_id).where(clause).compile(dialect=dialect))


def test_match_sql_per_database() -> None:
    clause = search.matches(an_records.c.record_id, ("gold", "mine"), search.PUBLIC)
    pg = _sql(clause, postgresql.dialect())
    assert "@@ to_tsquery('simple'::regconfig" in pg
    assert "ws_search.scope = 'public'" in pg
    lite = _sql(clause, sqlite.dialect())
    assert "ws_search_fts MATCH" in lite
    assert "ws_search.scope = 'public'" in lite
    assert "all" in _sql(
        search.matches(an_records.c.record_id, ("x",), search.ALL), sqlite.dialect()
    )


def test_no_words_match_nothing() -> None:
    assert search.matches(an_records.c.record_id, (), search.ALL).compare(sa.false())
