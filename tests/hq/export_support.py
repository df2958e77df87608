"""A stocked HQ for the export tests: victim reports with consent, photos, partial dates and
analysis rows (written here directly, replacing whatever ingest put there, so that the tests
say exactly which rows the filters and tables see)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from fieldkit.domain.forms import FormDefinition
from fieldkit.domain.records import sha256_hex
from fieldkit.hq.analysis import tables as an
from fieldkit.hq.analysis.store import delete_rows
from tests.bundle.factory import forms_for, make_bundle
from tests.hq.support import Device, Hq

NAMED = "CANARY-NAMED-Kq3vLm"
UNNAMED = "CANARY-UNNAMED-Xw7pRt"
PHOTO_NAMED = b"photo of the named victim"
PHOTO_UNNAMED = b"photo of the victim who did not consent"


def _vocabulary(name: str, codes: dict[str, tuple[str, str, str]]) -> dict[str, Any]:
    return {
        "name": name,
        "vocabulary": True,
        "version": "1",
        "choices": [
            {"code": code, "label": {"en": en, "fr": fr, "ar": ar}}
            for code, (en, fr, ar) in codes.items()
        ],
    }


VICTIM_FORM = FormDefinition.model_validate(
    {
        "id": "victim-report",
        "version": "1",
        "title": {"en": "Victim report"},
        "languages": ["en", "fr", "ar"],
        "choice_lists": {
            "sdg-sex": _vocabulary(
                "sdg-sex", {"f": ("Female", "Femme", "أنثى"), "m": ("Male", "Homme", "ذكر")}
            ),
            "fieldkit-consent-scope": _vocabulary(
                "fieldkit-consent-scope",
                {
                    "record_only": ("Record only", "Enregistrement uniquement", "التسجيل فقط"),
                    "publish_named": ("Publish with name", "Publication nominative", "النشر"),
                },
            ),
            "acled-geo-precision": _vocabulary(
                "acled-geo-precision",
                {
                    "1": ("Exact place", "Lieu exact", "مكان دقيق"),
                    "4": ("Region", "Région", "إقليم"),
                },
            ),
        },
        "fields": [
            {"name": "subject", "type": "text", "label": {"en": "Subject", "fr": "Sujet"}},
            {
                "name": "geo_precision",
                "type": "select_one",
                "choices": "acled-geo-precision",
                "label": {"en": "Precision"},
                "sensitivity": "public",
            },
            {"name": "position", "type": "geopoint", "label": {"en": "Position"}},
            {
                "name": "victims",
                "type": "repeat",
                "label": {"en": "Victim"},
                "fields": [
                    {
                        "name": "victim_sex",
                        "type": "select_one",
                        "choices": "sdg-sex",
                        "label": {"en": "Sex", "fr": "Sexe", "ar": "الجنس"},
                    },
                    {
                        "name": "consent_scope",
                        "type": "select_multiple",
                        "choices": "fieldkit-consent-scope",
                        "label": {"en": "Consent"},
                    },
                    {
                        "name": "victim_identity",
                        "type": "group",
                        "label": {"en": "Identity"},
                        "sensitivity": "identifying",
                        "fields": [
                            {"name": "victim_name", "type": "text", "label": {"en": "Name"}},
                            {
                                "name": "victim_photo",
                                "type": "attachment",
                                "label": {"en": "Photo"},
                            },
                        ],
                    },
                ],
            },
        ],
    }
)


def _photo(data: bytes) -> list[dict[str, Any]]:
    return [
        {
            "sha256": sha256_hex(data),
            "name": "face.JPG",
            "media_type": "image/jpeg",
            "size": len(data),
        }
    ]


def victim(sex: str, scope: str, name: str, photo: bytes | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "victim_sex": f"sdg-sex:1:{sex}",
        "consent_scope": [f"fieldkit-consent-scope:1:{scope}"],
        "victim_name": name,
    }
    if photo is not None:
        entry["victim_photo"] = _photo(photo)
    return entry


@dataclass
class Stock:
    hq: Hq
    ids: dict[str, str]
    """Record ids by their part in the tests: year, february, may, region."""


def stock(hq: Hq) -> Stock:
    """Four victim reports: dated only "2026" (two victims: one named, one not), 2026-02-14,
    2026-05-01 (in Niger), and one whose precision is the region only."""
    device = Device()
    device.register(hq.repository)
    revisions = {
        "year": device.revision(
            form=VICTIM_FORM,
            data={
                "subject": '=HYPERLINK("http://x")',
                "geo_precision": "acled-geo-precision:1:1",
                "position": {"lat": 16.27, "lon": -0.04, "precision_m": 10},
                "victims": [
                    victim("f", "publish_named", NAMED, PHOTO_NAMED),
                    victim("m", "record_only", UNNAMED, PHOTO_UNNAMED),
                ],
            },
            attachments=[sha256_hex(PHOTO_NAMED), sha256_hex(PHOTO_UNNAMED)],
        ),
        "february": device.revision(form=VICTIM_FORM, data={"subject": "february"}),
        "may": device.revision(form=VICTIM_FORM, data={"subject": "may"}),
        "region": device.revision(
            form=VICTIM_FORM,
            data={
                "subject": "region only",
                "geo_precision": "acled-geo-precision:1:4",
                "position": {"lat": 15.0, "lon": 1.0, "precision_m": 10},
            },
        ),
    }
    data, _info = make_bundle(
        hq.keys,
        list(revisions.values()),
        [PHOTO_NAMED, PHOTO_UNNAMED],
        device=device.key,
        forms=forms_for(list(revisions.values()), known=(VICTIM_FORM,)),
    )
    (hq.stick / "0123456789abcdef0123456789abcdef.fkb").write_bytes(data)
    assert hq.ingestor().run([hq.stick]).ok
    ids = {part: revision.record_id for part, revision in revisions.items()}
    days = {
        "year": ("2026", "2026-01-01", "2026-12-31", "MLI", "ML-7"),
        "february": ("2026-02-14", "2026-02-14", "2026-02-14", "MLI", "ML-6"),
        "may": ("2026-05-01", "2026-05-01", "2026-05-01", "NER", "NE-2"),
        "region": ("2025-11", "2025-11-01", "2025-11-30", "MLI", None),
    }
    for part, revision in revisions.items():
        answered, first, last, country, admin1 = days[part]
        _analysis_rows(
            hq, revision.record_id, revision.sha256, answered, first, last, country, admin1
        )
    year = ids["year"]
    _victims(
        hq,
        [
            {"victim_id": f"{year}.1", "record_id": year, "entry": 1, "sex": "f", "named_ok": True,
             "consent_scope": "publish_named"},
            {"victim_id": f"{year}.2", "record_id": year, "entry": 2, "sex": "m", "named_ok": False,
             "consent_scope": "record_only"},
        ],
    )  # fmt: skip
    return Stock(hq, ids)


def _engine(hq: Hq) -> sa.Engine:
    engine = getattr(hq.repository, "engine")  # noqa: B009 - the SQL repositories have one
    assert isinstance(engine, sa.Engine)
    return engine


def _analysis_rows(
    hq: Hq,
    record_id: str,
    sha256: str,
    answered: str,
    first: str,
    last: str,
    country: str,
    admin1: str | None,
) -> None:
    with _engine(hq).begin() as conn:
        delete_rows(conn, [record_id])
        conn.execute(
            an.an_records.insert().values(
                record_id=record_id,
                revision_sha256=sha256,
                revision=1,
                form_id=VICTIM_FORM.id,
                form_version="1",
                kind="attack",
                device_key_id="d",
                received_at="2026-03-14T10:00:00Z",
                date_start=answered,
                day_from=first,
                day_to=last,
                country=country,
                admin1=admin1,
                admin1_status="coded" if admin1 else "missing",
            )
        )


def _victims(hq: Hq, rows: list[dict[str, Any]]) -> None:
    with _engine(hq).begin() as conn:
        conn.execute(
            an.an_victims.insert(),
            [{"person_id": row["victim_id"], "kind": "person", **row} for row in rows],
        )
