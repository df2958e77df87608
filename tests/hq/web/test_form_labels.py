"""Forms are parsed once per process, by content hash, whatever the page that names them."""

from __future__ import annotations

from fieldkit.hq.repository import open_repository
from fieldkit.hq.workspace.labels import FormLabels
from tests.hq.web.support import WorkspaceHq


def test_each_stored_form_is_parsed_once_and_shared(workspace_hq: WorkspaceHq) -> None:
    repository = open_repository(workspace_hq.db_url)
    try:
        stored = repository.forms()
        assert stored
        for form in stored:
            first = FormLabels(repository).form(form.form_id, form.version)
            again = FormLabels(repository).form(form.form_id, form.version)
            assert first is not None and first is again
            assert first.id == form.form_id and str(first.version) == form.version
        assert FormLabels(repository).form("no-such-form", "1") is None
        assert FormLabels(repository).title("no-such-form", "1", "en") == "no-such-form"
    finally:
        repository.close()
