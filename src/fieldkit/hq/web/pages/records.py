"""The records pages: the list with its filters, a record, its reveal and its attachments.

Each route parses the request, calls a use case of :mod:`fieldkit.hq.workspace` and renders.
Roles: the list and the record page for every account (a viewer sees public answers only); the
reveal and the attachments for analysts, and the attachments only while the session holds an
active reveal of the record (403 otherwise, never the file).
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from fieldkit.errors import InvalidInputError
from fieldkit.hq.web.context import current_session, workspace
from fieldkit.hq.web.routing import Account, Role, route
from fieldkit.hq.web.templating import error_page, render, url
from fieldkit.hq.workspace import reveal as reveals
from fieldkit.hq.workspace.attachments import open_attachment
from fieldkit.hq.workspace.choices import filter_choices
from fieldkit.hq.workspace.filters import RecordFilters
from fieldkit.hq.workspace.record_list import COUNT_CAP, list_records
from fieldkit.hq.workspace.record_view import view_record
from fieldkit.i18n import _, current_language


@route("/records", role=Role.VIEWER)
def records_list(request: Request, account: Account) -> Response:
    state = workspace(request)
    language = current_language()
    params = dict(request.query_params)
    try:
        filters = RecordFilters.from_query(params)
    except InvalidInputError as error:
        return render(
            request,
            "records/list.html",
            {
                "filters": RecordFilters(),
                "given": params,
                "choices": filter_choices(state.repository, RecordFilters(), language),
                "page": None,
                "error": str(error),
                "cap": COUNT_CAP,
            },
            status_code=400,
        )
    page = list_records(
        state.repository, filters, account.role, language, after=params.get("after") or None
    )
    return render(
        request,
        "records/list.html",
        {
            "filters": filters,
            "given": filters.to_query(),
            "choices": filter_choices(state.repository, filters, language),
            "page": page,
            "error": None,
            "cap": COUNT_CAP,
            "next_url": None
            if page.next is None
            else url("/records", **filters.to_query(), after=page.next.token),
            "first_url": url("/records", **filters.to_query()),
        },
    )


def _record_page(
    request: Request,
    account: Account,
    record_id: str,
    *,
    error: str | None = None,
    reason: str = "",
    status_code: int = 200,
) -> Response:
    state = workspace(request)
    session = current_session(request)
    until = None
    if account.may(Role.ANALYST):
        reveals.check_record_id(record_id)
        until = state.session_reveals.until(session, record_id)
    page = view_record(
        state.repository,
        state.keys,
        state.paths,
        record_id,
        account.role,
        current_language(),
        revealed=until is not None,
    )
    context: dict[str, Any] = {
        "record": page.view,
        "record_id": page.view.record_id,
        "review": page.review,
        "reveal_until": until,
        "reveal_error": error,
        "reason": reason,
        "reason_min": reveals.MIN_REASON,
        "reason_max": reveals.MAX_REASON,
        "reveal_minutes": state.settings.reveal_minutes,
    }
    return render(request, "records/record.html", context, status_code=status_code)


@route("/records/{record_id}", role=Role.VIEWER)
def record_page(request: Request, account: Account) -> Response:
    return _record_page(request, account, str(request.path_params["record_id"]))


@route("/records/{record_id}/reveal", role=Role.ANALYST, methods=("POST",))
def record_reveal(request: Request, account: Account, form: FormData) -> Response:
    state = workspace(request)
    record_id = str(request.path_params["record_id"])
    given = form.get("reason")
    reason = given if isinstance(given, str) else ""
    try:
        reveals.reveal(state.repository, state.keys, account.name, record_id, reason)
    except InvalidInputError as error:
        return _record_page(
            request, account, record_id, error=str(error), reason=reason, status_code=400
        )
    state.session_reveals.grant(current_session(request), record_id)
    return RedirectResponse(f"/records/{record_id}#identities", status_code=303)


@route("/records/{record_id}/attachments/{sha256}", role=Role.ANALYST)
def record_attachment(request: Request, account: Account) -> Response:
    state = workspace(request)
    record_id = reveals.check_record_id(str(request.path_params["record_id"]))
    if not state.session_reveals.active(current_session(request), record_id):
        return error_page(
            request,
            403,
            _("Reveal the record first (with a reason) to see its attachments."),
        )
    content = open_attachment(
        state.repository, state.keys, state.paths, record_id, str(request.path_params["sha256"])
    )
    disposition = "inline" if content.inline else "attachment"
    return Response(
        content.data,
        media_type=content.media_type,
        headers={
            "Cache-Control": "no-store",
            "Content-Disposition": f'{disposition}; filename="{content.file_name}"',
            "X-Content-Type-Options": "nosniff",
        },
    )


routes = [record_attachment, record_reveal, record_page, records_list]
