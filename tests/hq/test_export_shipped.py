"""Exports of the shipped forms' version 2 records, their analysis rows made by ingest: tables
keyed to their victims and acts, labelled from the shipped vocabularies, names only with consent."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import openpyxl

from fieldkit.hq.analysis.filters import Filters
from fieldkit.hq.export import ExportFormat, ExportOptions, export_records
from fieldkit.hq.exports.codebook import write_codebook
from fieldkit.hq.repository.base import Repository
from tests.bundle.factory import forms_for, make_bundle, sealed
from tests.hq.analysis_forms import ATTACK, MARKET, example, shipped_form, stored
from tests.hq.support import Device, Hq

NAMED = "CANARY-SHIPPED-NAMED-Pq4x"
UNNAMED = "CANARY-SHIPPED-UNNAMED-Wz8c"


def _sheets(path: Path) -> dict[str, list[dict[str, Any]]]:
    book = openpyxl.load_workbook(path, read_only=True)
    sheets = {}
    for sheet in book.worksheets:
        rows = list(sheet.iter_rows(values_only=True))
        width = len(rows[0])
        sheets[sheet.title] = [
            dict(zip(rows[0], (*row, *[None] * (width - len(row))), strict=True))
            for row in rows[1:]
        ]
    book.close()
    return sheets


def test_shipped_version_2_records_export_as_labelled_tables(
    sql_repository: Repository, tmp_path: Path
) -> None:
    hq = Hq(tmp_path, sql_repository)
    device = Device()
    device.register(sql_repository)
    attack_form, market_form = shipped_form(ATTACK, "2"), shipped_form(MARKET, "2")
    attack = example(ATTACK, "2")
    attack["victims"][0].update(consent_scope=["share_mission", "publish_named"], victim_name=NAMED)
    attack["victims"][1].update(victim_name=UNNAMED)
    revisions = [
        sealed(device.key, form=attack_form, data=stored(attack_form, attack)),
        sealed(device.key, form=market_form, data=stored(market_form, example(MARKET, "2"))),
    ]
    data, _info = make_bundle(
        hq.keys, revisions, device=device.key,
        forms=forms_for(revisions, known=(attack_form, market_form)),
    )  # fmt: skip
    (hq.stick / "0123456789abcdef0123456789abcdef.fkb").write_bytes(data)
    report = hq.ingestor().run([hq.stick])
    assert report.ok, [r.reason for r in report.results]
    attack_id = revisions[0].record_id

    out = tmp_path / "tables.xlsx"
    options = ExportOptions(tables=True, labels="fr", identity=hq.keys.hq[0])
    result = export_records(sql_repository, out, ExportFormat.XLSX, options=options)
    assert result.tables["records"] == 2 and result.tables["victims"] == 3
    sheets = _sheets(out)
    victims = {v["victim_id"]: v for v in sheets["victims"]}
    assert set(victims) == {f"{attack_id}.{n}" for n in (1, 2, 3)}
    assert victims[f"{attack_id}.1"]["victim_name"] == NAMED
    assert victims[f"{attack_id}.2"]["victim_name"] is None, "record_only: no name"
    assert UNNAMED not in repr(sheets)
    acts = sheets["acts"]
    assert {a["victim_id"] for a in acts} <= set(victims), "acts keyed to their victim"
    assert all(a["act_type_label"] and a["act_type_label"] != a["act_type"] for a in acts)
    records = {r["record_id"]: r for r in sheets["records"]}
    assert records[attack_id]["country_label"] not in (None, "BFA"), "a French country name"
    assert sheets["markets"] and all(m["market_label"] for m in sheets["markets"])

    selected = export_records(
        sql_repository,
        tmp_path / "sept.csv",
        ExportFormat.CSV,
        options=ExportOptions(
            filters=Filters.parse(date_from="2026-09", date_to="2026-09", form_id=ATTACK)
        ),
    )
    assert selected.records == 1 and selected.uncertain == 0

    codebook = tmp_path / "codebook.csv"
    assert write_codebook(sql_repository, codebook).forms == 2
    rows = list(csv.DictReader(io.StringIO(codebook.read_text("utf-8"))))
    sex = {r["code"]: r for r in rows if r["form_id"] == ATTACK and r["field"] == "victim_sex"}
    assert sex["other"]["fieldkit"] == "true", "fieldkit's own code, not the SDG list's"
    assert sex["female"]["fieldkit"] == "false"
    assert sex["female"]["code_label_fr"] and sex["female"]["table"] == "victims"
    acts = [r for r in rows if r["form_id"] == ATTACK and r["field"] == "act_type"]
    assert acts and {r["table"] for r in acts} == {"victims/acts"}
    name = next(r for r in rows if r["form_id"] == ATTACK and r["field"] == "victim_name")
    assert name["sensitivity"] == "identifying"
