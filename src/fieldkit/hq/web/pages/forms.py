"""The forms page (admins): the forms HQ published, each verified with HQ's key, and which
devices have them (:mod:`fieldkit.hq.workspace.forms`)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from fieldkit.hq.web.context import workspace
from fieldkit.hq.web.routing import Account, Role, route
from fieldkit.hq.web.templating import render
from fieldkit.hq.workspace.forms import forms_overview


@route("/forms", role=Role.ADMIN)
def forms_list(request: Request, account: Account) -> Response:
    state = workspace(request)
    rows = forms_overview(state.repository, state.paths, state.config.signing_public_key)
    return render(request, "forms/list.html", {"forms": rows})


routes = [forms_list]
