"""HQ's audit log: ``/audit`` (analysts and admins), newest first, in pages
(``?before=<entry number>``); ``?verify=1`` checks the whole log (chain and signatures, and
every signed review and victim decision against it) and shows the result. A bad ``before``
answers the 400 page with its one-line reason."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from fieldkit.hq import audit
from fieldkit.hq.errors import InvalidInputError
from fieldkit.hq.web.context import workspace
from fieldkit.hq.web.routing import Account, Role, route
from fieldkit.hq.web.templating import render
from fieldkit.i18n import _


def _before(value: str | None) -> int | None:
    if value is None or not value.strip():
        return None
    try:
        return int(value)
    except ValueError:
        raise InvalidInputError(_("before: give an entry number of 1 or more.")) from None


@route("/audit", role=Role.ANALYST)
def audit_page(request: Request, account: Account) -> Response:
    state = workspace(request)
    query = request.query_params
    before = _before(query.get("before"))
    page = audit.page(state.repository, before=before)
    report = None
    if query.get("verify"):
        report = audit.verify(state.repository, state.config.signing_public_key)
    context = {
        "page": page,
        "rows": [(entry, audit.shown_detail(entry)) for entry in page.entries],
        "report": report,
        "before": before,
    }
    return render(request, "audit/log.html", context)


routes = [audit_page]
