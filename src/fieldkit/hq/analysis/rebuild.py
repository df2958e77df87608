"""``fieldkit-hq analysis rebuild``: the analysis tables made again from the stored revisions.

Needed once for revisions stored before the analysis tables existed, and after an update of
fieldkit that changes the mapping. Each record's newest revision is streamed from the
repository (:meth:`~fieldkit.hq.repository.base.Repository.iter_revisions`) and its rows are
written :data:`BATCH` records per transaction: memory stays flat whatever the repository's
size, and ingests go on meanwhile (a record a concurrent ingest gave a newer revision keeps the
newer rows: :func:`fieldkit.hq.analysis.store.write_facts`). Settled places are kept, and
person ids are applied again from the victim links at the end
(:func:`fieldkit.hq.victims.links.apply_person_ids`), and the rebuild is noted in
``an_rebuilds``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from fieldkit.domain.records import utc_timestamp
from fieldkit.hq.analysis.mapping import safe_facts
from fieldkit.hq.analysis.session import engine_of, transaction
from fieldkit.hq.analysis.store import RecordFacts, first_received, write_facts
from fieldkit.hq.analysis.tables import an_rebuilds
from fieldkit.hq.records import FormCache
from fieldkit.hq.repository.base import Repository, StoredRevision
from fieldkit.hq.sqlwork import transaction as judgement_transaction
from fieldkit.hq.victims.links import apply_person_ids

log = logging.getLogger(__name__)

BATCH = 500
"""Records written per transaction."""


@dataclass(frozen=True)
class RebuildReport:
    records: int
    """Records read (each record's newest revision)."""
    written: int
    """Records whose rows were written (the others got a newer revision meanwhile)."""


def rebuild(
    repository: Repository,
    *,
    batch: int = BATCH,
    progress: Callable[[int], None] | None = None,
) -> RebuildReport:
    """Write the analysis rows of every record from its newest revision; ``progress`` is told
    the number of records read after each batch."""
    engine_of(repository)  # refuses a repository without tables before reading anything
    forms = FormCache(repository)
    pending: list[StoredRevision] = []
    read = written = 0
    for revision in repository.iter_revisions(latest_only=True):
        pending.append(revision)
        if len(pending) >= batch:
            written += _write(repository, forms, pending)
            read += len(pending)
            pending = []
            if progress is not None:
                progress(read)
    if pending:
        written += _write(repository, forms, pending)
        read += len(pending)
    with judgement_transaction(repository, write=True) as conn:
        apply_person_ids(conn)  # from the signed victim links, over whatever the rows now hold
        # Tells readers that keep computed results (the workspace) that the rows may differ.
        conn.execute(an_rebuilds.insert().values(at=utc_timestamp(), records=read))
    log.info("analysis rebuilt: %d records read, %d written", read, written)
    return RebuildReport(read, written)


def _write(repository: Repository, forms: FormCache, revisions: Sequence[StoredRevision]) -> int:
    items = [
        (revision, safe_facts(forms.get(revision.form_sha256), revision.answers))
        for revision in revisions
    ]
    with transaction(repository, write=True) as conn:
        received = first_received(conn, [revision.record_id for revision in revisions])
        return write_facts(
            conn,
            (
                RecordFacts(
                    revision.record_id,
                    revision.number,
                    revision.sha256,
                    revision.form_id,
                    revision.form_version,
                    revision.device_key_id,
                    received[revision.record_id],
                    facts,
                )
                for revision, facts in items
            ),
            rebuild=True,
        )
