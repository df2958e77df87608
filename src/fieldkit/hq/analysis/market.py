"""Illicit-market observation (``illicit-market-observation``), versions 1 and 2, to analysis
rows. Version 2 changed only what both shipped forms share (time, place, sources,
verification: :mod:`fieldkit.hq.analysis.common`), so the rest reads the same in both."""

from __future__ import annotations

from fieldkit.hq.analysis.facts import Facts, Kind, Row
from fieldkit.hq.analysis.reading import Reader


def market_facts(answers: Reader, event: Row) -> Facts:
    """The facts of a market observation; ``event`` holds its time, place and verification."""
    record = dict(event)
    record.update(
        collection_method=answers.code("collection_method"),
        activity_stage=answers.joined("activity_stage"),
        state_response=answers.joined("state_response"),
        value_usd=answers.number("value_usd"),
        fatalities=answers.integer("fatalities"),
        persons_exploited=answers.integer("persons_exploited"),
        children_involved=answers.integer("children_involved"),
        arms_observed=answers.integer("arms_observed"),
        arms_seized=answers.integer("arms_seized"),
        arms_traced=answers.integer("arms_traced"),
    )
    return Facts(
        kind=Kind.MARKET,
        record=record,
        markets=answers.codes("market"),
        commodities=answers.codes("commodity"),
        actors=[
            {
                "entry": entry,
                "actor_type": actor.code("actor_type"),
                "role": actor.code("actor_role"),
                "involvement": actor.code("actor_involvement"),
            }
            for entry, actor in enumerate(answers.entries("actors"), start=1)
        ],
        quantities=[
            {
                "entry": entry,
                "commodity": amount.code("amount_commodity"),
                "quantity": amount.number("quantity"),
                "unit": amount.code("unit"),
            }
            for entry, amount in enumerate(answers.entries("amounts"), start=1)
        ],
        exploited=[
            {
                "entry": entry,
                "sex": group.code("expl_sex"),
                "age_group": group.code("expl_age"),
                "form": group.code("expl_form"),
                "count": group.integer("expl_count"),
            }
            for entry, group in enumerate(answers.entries("exploited_groups"), start=1)
        ],
    )
