"""Both shipped forms filled entirely through the widgets, sealed, and read back."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from fieldkit.domain import validation
from fieldkit.domain.geo import parse_geopoint
from fieldkit.services import records
from fieldkit.vault.store import Vault
from tests.conftest import DATA
from tests.gui.forms_support.answers import in_form_order
from tests.gui.forms_support.editing import (
    attach,
    fill_attack_on_activist,
    new_record,
    png_bytes,
    seal,
    without,
)


def _answers(name: str) -> dict[str, Any]:
    text = (DATA / "records" / "v2" / name).read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def _as_typed(answers: dict[str, Any]) -> dict[str, Any]:
    """The answers as the editor stores them: a position keeps the text typed in its box."""
    typed = answers["coordinates"]
    return {**answers, "coordinates": parse_geopoint(typed).to_json() | {"text": typed}}


def test_attack_on_activist_through_the_widgets(qtbot: Any, vault: Vault) -> None:
    answers = _answers("attack-on-activist.valid.json")
    editor, d = new_record(qtbot, vault, "attack-on-activist")
    form = d.form

    fill_attack_on_activist(d, answers)

    seal(qtbot, editor)
    detail = records.detail(vault, editor.record_id)
    assert detail.draft is None
    assert [r.number for r in detail.revisions] == [1]
    expected = in_form_order(form, validation.check(form, _as_typed(answers)).data)
    assert detail.sealed == expected
    sealed = detail.sealed
    assert sealed is not None
    assert "location_type_other" not in sealed
    assert sealed["country"] == "iso3166-alpha3:2023:BFA"
    harmful = form.choice_lists["sdg16101-other-harmful-act"]
    assert sealed["victims"][1]["acts"][0]["act_subtype"] == [
        f"sdg16101-other-harmful-act:{harmful.version}:assault",
        f"sdg16101-other-harmful-act:{harmful.version}:death_threat",
    ]
    assert "act_subtype" not in sealed["victims"][0]["acts"][0]
    assert "victim_sex" not in sealed["victims"][2]  # an organisation
    assert sealed["victims"][2]["org_type"] == "fieldkit-organisation-type:1:media_outlet"
    assert len(sealed["perpetrators"]) == 2
    assert len(sealed["information"]) == 3
    assert sealed["narrative"] == answers["narrative"]


def test_illicit_market_observation_through_the_widgets(
    qtbot: Any, vault: Vault, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = _answers("illicit-market-observation.valid.json")
    del answers["attachments"]
    editor, d = new_record(qtbot, vault, "illicit-market-observation")
    form = d.form

    order = list(answers)
    d.fill({k: answers[k] for k in order[: order.index("market")]})

    # Markets: ticking "other" reveals its "specify" field; unticking hides it again.
    assert not d.shown("market_other")
    d.tick("market", "other")
    assert d.shown("market_other")
    d.type("market_other", "Charcoal export")
    d.tick("market", "other")
    assert not d.shown("market_other")
    d.fill({"market": answers["market"]})

    # Quantities are asked once a commodity is ticked.
    assert not d.shown("amounts")
    d.fill({"commodity": answers["commodity"]})
    assert d.shown("amounts")
    d.fill(
        {k: answers[k] for k in order[order.index("activity_stage") : order.index("persons_seen")]}
    )

    # Persons exploited: the group appears once "yes" is chosen.
    assert not d.shown("exploitation")
    d.choose("persons_seen", "yes")
    assert d.shown("exploitation")
    d.fill(
        {
            k: answers[k]
            for k in order[order.index("persons_exploited") : order.index("arms_observed")]
        }
    )

    # Arms: more traced than seized is refused beside the field, then corrected.
    d.type("arms_observed", "7")
    d.type("arms_seized", "0")
    d.type("arms_traced", "2")
    d.move_to("persons_exploited")  # the arms section is left
    assert "more than the number of arms seized" in d.error("arms_traced")
    d.retype("arms_traced", "0")
    assert d.error("arms_traced") == ""

    d.fill(without(answers, *order[: order.index("actors")]))

    photo = tmp_path / "IMG_0412.png"
    photo.write_bytes(png_bytes())
    attach(qtbot, monkeypatch, d.input("attachments"), [photo])

    seal(qtbot, editor)
    detail = records.detail(vault, editor.record_id)
    sealed = detail.sealed
    assert sealed is not None
    ref = {
        "sha256": hashlib.sha256(photo.read_bytes()).hexdigest(),
        "name": "IMG_0412.png",
        "media_type": "image/png",
        "size": photo.stat().st_size,
    }
    assert sealed == in_form_order(
        form, validation.check(form, {**_as_typed(answers), "attachments": [ref]}).data
    )
    assert "market_other" not in sealed
    # Ticked choices are stored in the order of the form's list, whatever the order of ticking.
    assert sealed["market"] == [
        "gitoc-market:2023.2:extortion_protection_racketeering",
        "gitoc-market:2023.2:non_renewable_resource_crimes",
    ]
    assert sealed["route_transit"] == ["iso3166-alpha3:2023:SEN"]
    assert sealed["amounts"][0] == {
        "amount_commodity": form.choice_lists["fieldkit-commodity"].stored_code("gold"),
        "quantity": 2.5,
        "unit": form.choice_lists["fieldkit-quantity-unit"].stored_code("kg"),
    }
    assert sealed["arms_traced"] == 0
    assert len(sealed["exploited_groups"]) == 3
