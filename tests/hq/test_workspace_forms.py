"""The forms overview (fieldkit.hq.workspace.forms) on SQLite and PostgreSQL: published forms,
verified, current or superseded, with the devices that fetched each and those that sent records
made with it."""

from __future__ import annotations

import shutil
from pathlib import Path

from fieldkit.bundle.forms import form_bytes
from fieldkit.crypto.identity import SigningKey
from fieldkit.hq import deliveries
from fieldkit.hq.paths import HqPaths
from fieldkit.hq.publishing import publish
from fieldkit.hq.repository import NewForm, Repository
from fieldkit.hq.workspace.forms import forms_overview
from tests.conftest import DATA
from tests.hq import factory

ROOT = Path(__file__).resolve().parents[2]
VOCABULARIES = ROOT / "forms" / "vocabularies"
REGISTERED = "2026-03-02T08:00:00Z"


def _publish_two_versions(tmp_path: Path, key: SigningKey) -> tuple[HqPaths, list[NewForm]]:
    paths = HqPaths(tmp_path / "hq-folder")
    paths.make_folders()
    source = tmp_path / "all-types.yaml"
    made = []
    for version in ("1", "2"):
        text = (DATA / "forms" / "all-types.yaml").read_text(encoding="utf-8")
        source.write_text(text.replace('version: "1"', f'version: "{version}"', 1), "utf-8")
        form = publish(paths, key, source, vocabularies=VOCABULARIES).form
        content = form_bytes(form.definition)
        made.append(NewForm(form.sha256, form.form_id, form.version, content))
    return paths, made


def test_the_published_forms_and_who_has_them(sql_repository: Repository, tmp_path: Path) -> None:
    key = SigningKey.generate()
    paths, (first, second) = _publish_two_versions(tmp_path, key)
    damaged = paths.forms / "damaged-1.fkf"
    shutil.copyfile(paths.forms / "all-types-1.fkf", damaged)
    damaged.write_bytes(damaged.read_bytes()[:-40])
    fetcher, sender, both = (factory.identity(n) for n in ("Fetcher", "Sender", "Both"))
    for identity in (fetcher, sender, both):
        sql_repository.add_device(identity, REGISTERED)
    deliveries.record(sql_repository, fetcher.key_id, first.sha256, "2026-05-01T10:00:00Z")
    deliveries.record(sql_repository, both.key_id, first.sha256, "2026-05-02T10:00:00Z")
    deliveries.record(sql_repository, both.key_id, first.sha256, "2026-05-03T10:00:00Z")
    deliveries.record(sql_repository, both.key_id, first.sha256, "2026-05-02T12:00:00Z")  # late
    for identity in (sender, both):
        revisions = [factory.revision(identity.key_id, form=first) for _ in range(2)]
        sql_repository.store_bundle(factory.batch(identity.key_id, 1, revisions, forms=[first]))

    rows = forms_overview(sql_repository, paths, key.public.public_key, "fr")

    one, two, bad = rows
    assert (one.form_id, one.version, two.version) == ("all-types", "1", "2")
    assert one.title == "Tous les types de champs" and one.verified and two.verified
    assert one.sha256 == first.sha256 and two.sha256 == second.sha256
    assert (one.superseded, one.superseded_by, two.superseded) == (True, "2", False)
    assert [(r.name, r.first_at, r.last_at) for r in one.fetched_by] == [
        ("Fetcher", "2026-05-01T10:00:00Z", "2026-05-01T10:00:00Z"),
        ("Both", "2026-05-02T10:00:00Z", "2026-05-03T10:00:00Z"),
    ]
    assert one.sent_by == 2
    assert (two.fetched_by, two.sent_by) == ((), 0)
    assert bad.file_name == "damaged-1.fkf" and not bad.verified and bad.problem
    assert bad.form_id is None


def test_no_published_form(sql_repository: Repository, tmp_path: Path) -> None:
    paths = HqPaths(tmp_path / "empty")
    assert forms_overview(sql_repository, paths, SigningKey.generate().public.public_key) == []


def test_a_file_signed_by_another_key_does_not_verify(
    sql_repository: Repository, tmp_path: Path
) -> None:
    paths, _forms = _publish_two_versions(tmp_path, SigningKey.generate())
    rows = forms_overview(sql_repository, paths, SigningKey.generate().public.public_key, "en")
    assert [r.verified for r in rows] == [False, False]
    assert all(r.problem for r in rows)
