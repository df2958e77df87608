"""Build the demonstration HQ that docs/hq.md section 18 walks through.

Usage: ``.venv/bin/python scripts/hq_demo.py FOLDER`` makes ``FOLDER/hq`` (an HQ made with
``fieldkit-hq init``, passphrase from ``$FIELDKIT_HQ_PASSPHRASE``, set here to a demo value) and
``FOLDER/stick`` (one bundle of a field device), registers the device and ingests the stick with
``fieldkit-hq ingest``. Everything goes through fieldkit's own code: records are the shipped
attack form's (version 2, and version 1 as older devices still send it), checked as a device
checks them, signed by the device's key, sealed in a bundle encrypted to HQ, and ingested,
which makes their analysis rows and the victims' keyed hashes. Every name is fictional.

Record ids are fixed (``de...NN``) so that the walkthrough's outputs can name them; keys, ids of
bundles and times are made afresh on each run (the walkthrough's test masks them).
"""

from __future__ import annotations

import datetime as dt
import io
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from fieldkit.bundle import (
    DEFAULT_LIMITS,
    FormSource,
    SealedRevision,
    form_bytes,
    make_device_identity_file,
    write_bundle,
)
from fieldkit.bundle.agefile import new_identity
from fieldkit.bundle.writer import new_bundle_file_name
from fieldkit.crypto.identity import SigningKey
from fieldkit.domain.formfile import load_form, load_vocabulary
from fieldkit.domain.forms import ChoiceList, FormDefinition
from fieldkit.domain.records import RevisionEnvelope, revision_signing_message, sha256_hex
from fieldkit.domain.validation import check
from fieldkit.hq.cli import main as hq_main
from fieldkit.hq.keys import load_config
from fieldkit.hq.paths import PASSPHRASE_ENV, HqPaths

ROOT = Path(__file__).resolve().parents[1]
FORMS = ROOT / "forms"
ATTACK = "attack-on-activist"
PASSPHRASE = "demo only: grey heron lantern quarry"  # noqa: S105 - a published demo value
CLOCK = dt.datetime(2026, 4, 15, 9, 0, tzinfo=dt.UTC)


def rid(number: int) -> str:
    """Record ``number``'s id: 32 hex digits, ``de`` then zeros then the number."""
    return "de" + f"{number:02d}".rjust(30, "0")


@cache
def _vocabularies() -> tuple[ChoiceList, ...]:
    """Every shipped vocabulary, read once (a form names dozens of them)."""
    return tuple(
        load_vocabulary(path.read_text("utf-8"), path.name)
        for path in sorted((FORMS / "vocabularies").rglob("*.yaml"))
    )


def _vocabulary(name: str, version: str | None) -> ChoiceList | None:
    found: dict[str, ChoiceList] = {}
    for vocabulary in _vocabularies():
        if vocabulary.name == name:
            found[vocabulary.version or ""] = vocabulary
    if version is not None:
        return found.get(version)
    return found[max(found)] if found else None


def attack_form(version: str) -> FormDefinition:
    path = FORMS / f"{ATTACK}.yaml" if version == "2" else FORMS / "previous" / f"{ATTACK}-1.yaml"
    form = load_form(path.read_text("utf-8"), path.name, vocabularies=_vocabulary)
    if form.version != version:
        raise SystemExit(f"{path} is version {form.version}, not {version}")
    return form


# --- the records ------------------------------------------------------------------------------

_SOURCES = [
    {
        "source_pseudonym": "SRC-D01",
        "source_type": "victim",
        "source_connection": "victim",
        "source_independent": "yes",
        "source_reliability": "B",
        "info_credibility": "2",
    },
    {
        "source_pseudonym": "SRC-D02",
        "source_type": "media",
        "source_connection": "third_party",
        "source_independent": "yes",
        "source_reliability": "C",
        "info_credibility": "2",
    },
]


def _v2(
    date: str,
    admin1: str,
    victim: dict[str, Any],
    perpetrator: str,
    *,
    verified: bool = True,
    country: str = "MLI",
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "date_start": date,
        "country": country,
        "admin1": admin1,
        "place_name": "Demo place",
        "geo_precision": "4",
        "location_type": "road",
        "victims": [victim],
        "perpetrators": [
            {
                "perp_category": perpetrator,
                "perp_involvement": "carried_out",
                "state_complicity": "none_known",
            }
        ],
        "motive": "political",
        "work_related": "confirmed",
        "justice_status": "none",
        "justice_status_date": "2026-04",
        "information": [
            dict(s, info_date=date if len(date) == 10 else "2026-04-01") for s in _SOURCES
        ],
        "verification_status": "verified" if verified else "corroborated",
        "classification": "confidential",
        "risk_level": "medium",
        "protection_response": "Fictional: follow-up by the demo protection partner.",
        "retention_date": "2036-01-01",
        "narrative": "Fictional demonstration record.",
    }
    if verified:
        data.update(verified_by="Demo analysis unit", verified_on="2026-04-10")
    return data


def _victim_v2(
    name: str, pseudonym: str, sex: str, age: str, act: str, perpetrator: str, outcome: str
) -> dict[str, Any]:
    return {
        "victim_pseudonym": pseudonym,
        "victim_kind": "person",
        "consent_given": "yes",
        "consent_scope": ["share_mission"],
        "consent_by": "victim" if outcome != "killed" else "family",
        "consent_date": "2026-03-31",
        "victim_name": name,
        "victim_sex": sex,
        "victim_age": age,
        "victim_category": "journalist",
        "outcome": outcome,
        "acts": [{"act_type": act, "act_method": ["beating"], "act_perpetrator": perpetrator}],
    }


def _v1(
    date: str,
    country: str,
    admin1: str,
    name: str,
    pseudonym: str,
    act: str,
    perpetrator: str,
    *,
    category: str = "journalist",
    verification: str = "verified",
) -> dict[str, Any]:
    victim = {
        "victim_pseudonym": pseudonym,
        "consent_given": "yes",
        "consent_scope": ["share_mission"],
        "consent_by": "victim",
        "consent_date": "2026-03-31",
        "victim_name": name,
        "victim_sex": "female",
        "victim_age": "age_30_44",
        "victim_category": category,
        "act_type": act,
        "method": ["beating"],
        "outcome": "released" if act == "arbitrary_detention" else "injured",
    }
    if act == "other_harmful_act":
        victim["act_subtype"] = ["death_threat"]
    return {
        "date_start": date,
        "time_precision": "1",
        "country": country,
        "admin1": admin1,
        "place_name": "Demo place",
        "geo_precision": "3",
        "location_type": "road",
        "main_act": act,
        "victims": [victim],
        "perpetrators": [
            {
                "perp_category": perpetrator,
                "perp_involvement": "carried_out",
                "state_complicity": "none_known",
            }
        ],
        "motive": "political",
        "work_related": "confirmed",
        "justice_status": "none",
        "information": [
            {k: v for k, v in s.items() if k != "source_independent"} | {"info_date": "2026-04-01"}
            for s in _SOURCES
        ],
        "verification_status": verification,
        "n_sources": 2,
        "classification": "confidential",
        "risk_level": "medium",
        "protection_response": "Fictional: follow-up by the demo protection partner.",
        "retention_date": "2036-01-01",
        "narrative": "Fictional demonstration record.",
    }


@dataclass(frozen=True)
class DemoRecord:
    number: int
    version: str
    data: dict[str, Any]
    note: str


def demo_records() -> list[DemoRecord]:
    """The demonstration's attack records: Gao (ML-7) in 2026 Q1 unless said."""
    j = _victim_v2
    return [
        DemoRecord(
            1,
            "2",
            _v2(
                "2026-01-12",
                "ML-7",
                j(
                    "Amadou EXEMPLE",
                    "VIC-DM01",
                    "male",
                    "age_30_44",
                    "arbitrary_detention",
                    "state_agent",
                    "released",
                ),
                "state_agent",
            ),
            "v2, journalist detained by state agents",
        ),
        DemoRecord(
            2,
            "2",
            _v2(
                "2026-02-20",
                "ML-7",
                j(
                    "exemple, amadou",
                    "VIC-DM02",
                    "male",
                    "age_30_44",
                    "kidnapping",
                    "armed_group",
                    "released",
                ),
                "armed_group",
            ),
            "v2, the SAME journalist (name spelt otherwise) kidnapped by an armed group",
        ),
        DemoRecord(
            3,
            "1",
            _v1("2026-03-05", "MLI", "Gao", "Mariam FICTIVE", "VIC-DM03", "torture", "armed_group"),
            "v1, region typed 'Gao'",
        ),
        DemoRecord(
            4,
            "1",
            _v1(
                "2026-02-14",
                "MLI",
                "GAO",
                "Ibrahim DEMO",
                "VIC-DM04",
                "other_harmful_act",
                "state_agent",
                verification="corroborated",
            ),
            "v1, region typed 'GAO', only corroborated",
        ),
        DemoRecord(
            5,
            "2",
            _v2(
                "2026",
                "ML-7",
                j(
                    "Fatou SAMPLE",
                    "VIC-DM05",
                    "female",
                    "age_45_59",
                    "arbitrary_detention",
                    "state_agent",
                    "released",
                ),
                "state_agent",
            ),
            "v2, dated only '2026'",
        ),
        DemoRecord(
            6,
            "1",
            _v1(
                "2026-01-30",
                "MLI",
                "Région de Gao",
                "Oumar PLACEHOLDER",
                "VIC-DM06",
                "arbitrary_detention",
                "state_agent",
            ),
            "v1, region typed 'Région de Gao' (no match)",
        ),
        DemoRecord(
            7,
            "2",
            _v2(
                "2026-03-20",
                "ML-7",
                j(
                    "Seydou INVENTED",
                    "VIC-DM07",
                    "male",
                    "age_18_29",
                    "killing",
                    "unknown",
                    "killed",
                ),
                "unknown",
            ),
            "v2, a killing HQ's review rejects",
        ),
        DemoRecord(
            8,
            "2",
            _v2(
                "2026-02-10",
                "ML-1",
                j(
                    "Awa MADEUP",
                    "VIC-DM08",
                    "female",
                    "age_18_29",
                    "arbitrary_detention",
                    "state_agent",
                    "released",
                ),
                "state_agent",
            ),
            "v2, Kayes (ML-1): outside Gao",
        ),
        DemoRecord(
            9,
            "1",
            _v1(
                "2026-01-20",
                "NER",
                "Tillabéri",
                "Halima TESTCASE",
                "VIC-DM09",
                "arbitrary_detention",
                "state_agent",
                category="human_rights_defender",
            ),
            "v1, Niger 'Tillabéri'",
        ),
        DemoRecord(
            10,
            "1",
            _v1(
                "2026-02-03",
                "NER",
                "Tillaberi",
                "Moussa TESTCASE",
                "VIC-DM10",
                "arbitrary_detention",
                "state_agent",
                category="human_rights_defender",
            ),
            "v1, Niger 'Tillaberi'",
        ),
        DemoRecord(
            11,
            "1",
            _v1(
                "2026-03-10",
                "NER",
                "TILLABERI",
                "Zara TESTCASE",
                "VIC-DM11",
                "arbitrary_detention",
                "state_agent",
                category="human_rights_defender",
            ),
            "v1, Niger 'TILLABERI'",
        ),
        DemoRecord(
            12,
            "1",
            _v1(
                "2026-03-15",
                "NER",
                "Tillabery",
                "Ali TESTCASE",
                "VIC-DM12",
                "arbitrary_detention",
                "state_agent",
                category="human_rights_defender",
            ),
            "v1, Niger 'Tillabery'",
        ),
    ]


# --- the device, the bundle, the HQ -----------------------------------------------------------


def _sealed(device: SigningKey, record: DemoRecord, form: FormDefinition) -> SealedRevision:
    outcome = check(form, record.data, clock=lambda: CLOCK)
    if not outcome.ok:
        problems = "; ".join(p.describe() for p in outcome.problems)
        raise SystemExit(f"demo record {record.number} does not check: {problems}")
    envelope = RevisionEnvelope(
        record_id=rid(record.number),
        number=1,
        form_id=form.id,
        form_version=form.version,
        data=outcome.data,
        attachments=(),
        previous=None,
        sealed_at="2026-04-14T10:00:00Z",
        device=device.key_id,
    )
    content = envelope.canonical()
    return SealedRevision(
        rid(record.number),
        1,
        sha256_hex(content),
        content,
        device.sign(revision_signing_message(content)),
    )


def _form_source(form: FormDefinition) -> FormSource:
    definition = form_bytes(form)
    return FormSource(form.id, form.version, sha256_hex(definition), definition)


def hq(folder: Path, *args: str) -> int:
    """Run ``fieldkit-hq --hq FOLDER/hq ARGS`` in this process; returns its exit status."""
    return hq_main(["--hq", str(folder / "hq"), *args])


def build(folder: Path, records: Sequence[DemoRecord] | None = None) -> Path:
    """Make the demonstration HQ in ``folder`` and ingest the demo records; returns the HQ
    folder. Output of the commands goes to stdout as usual."""
    os.environ[PASSPHRASE_ENV] = PASSPHRASE
    folder.mkdir(parents=True, exist_ok=True)
    if hq(folder, "init", "--name", "Demo HQ (fictional data)") != 0:
        raise SystemExit("fieldkit-hq init failed")
    device, age = SigningKey.generate(), new_identity()
    identity = folder / "device.json"
    identity.write_bytes(
        make_device_identity_file(
            device_key=device, age_recipient=age[1], device_name="Gao field laptop"
        )
    )
    if hq(folder, "devices", "add", str(identity)) != 0:
        raise SystemExit("fieldkit-hq devices add failed")
    config = load_config(HqPaths(folder / "hq"))
    recipients = [config.ingest_recipient, *filter(None, [config.escrow_recipient])]
    forms = {version: attack_form(version) for version in ("1", "2")}
    chosen = list(demo_records() if records is None else records)
    revisions = [_sealed(device, r, forms[r.version]) for r in chosen]
    stick = folder / "stick"
    stick.mkdir(exist_ok=True)
    out = io.BytesIO()
    write_bundle(
        out,
        device_key=device,
        sequence=1,
        previous=None,
        recipients=recipients,
        revisions=revisions,
        attachments=[],
        forms=[_form_source(f) for f in forms.values()],
        limits=DEFAULT_LIMITS,
    )
    (stick / new_bundle_file_name()).write_bytes(out.getvalue())
    if hq(folder, "ingest", str(stick)) != 0:
        raise SystemExit("fieldkit-hq ingest failed")
    return folder / "hq"


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: hq_demo.py FOLDER")
    build(Path(sys.argv[1]))
