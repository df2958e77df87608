"""Counting each victim once: ``/victims`` (candidate pairs and decisions), ``POST
/victims/link`` and ``POST /victims/unlink`` (analysts).

The page narrows to one record with ``?record=<id>``. Names are shown only for a pair whose
two records the session revealed (the records page's reveal, with its reason in the audit log).
A decision is the CLI's: signed with HQ's key, in the audit log, by the signed-in account.
"""

from __future__ import annotations

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from fieldkit.errors import ConflictError, FieldkitError, InvalidInputError, NotFoundError
from fieldkit.hq import victims
from fieldkit.hq.web.context import current_session, workspace
from fieldkit.hq.web.pages.review import given
from fieldkit.hq.web.routing import Account, Role, route
from fieldkit.hq.web.templating import render
from fieldkit.hq.workspace.victims import victims_view


def _page(
    request: Request,
    record: str | None,
    *,
    message: str | None = None,
    refused: FieldkitError | None = None,
) -> Response:
    state = workspace(request)
    session = current_session(request)
    view = None
    error = refused
    try:
        view = victims_view(
            state.repository,
            state.keys,
            record=record,
            revealed=lambda record_id: state.reveals.active(session, record_id),
        )
    except (InvalidInputError, NotFoundError) as found:
        error = error or found
    context = {
        "view": view,
        "record": record,
        "message": message,
        "error": None if error is None else str(error),
    }
    return render(request, "victims/list.html", context, status_code=_status(error))


def _status(error: FieldkitError | None) -> int:
    if error is None:
        return 200
    if isinstance(error, NotFoundError):
        return 404
    if isinstance(error, ConflictError):
        return 409
    return 400


@route("/victims", role=Role.ANALYST)
def victims_page(request: Request, account: Account) -> Response:
    return _page(request, request.query_params.get("record"))


def _decide(request: Request, account: Account, form: FormData, link: bool) -> Response:
    state = workspace(request)
    record = given(form, "record")
    a, b = given(form, "a") or "", given(form, "b") or ""
    decide = victims.link if link else victims.unlink
    try:
        outcome = decide(state.repository, state.keys, a, b, actor=account.name)
    except (InvalidInputError, NotFoundError, ConflictError) as refused:
        return _page(request, record, refused=refused)
    return _page(request, record, message=outcome.describe())


@route("/victims/link", role=Role.ANALYST, methods=("POST",))
def victims_link(request: Request, account: Account, form: FormData) -> Response:
    return _decide(request, account, form, link=True)


@route("/victims/unlink", role=Role.ANALYST, methods=("POST",))
def victims_unlink(request: Request, account: Account, form: FormData) -> Response:
    return _decide(request, account, form, link=False)


routes = [victims_page, victims_link, victims_unlink]
