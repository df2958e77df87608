"""The users page (admins): every account of the workspace; adding one (a temporary password
shown once), disabling and resetting, with the use cases of ``fieldkit-hq users``
(:mod:`fieldkit.hq.workspace.users`)."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from fieldkit.hq.web.context import workspace
from fieldkit.hq.web.routing import Account, Role, route
from fieldkit.hq.web.templating import render
from fieldkit.hq.workspace import users
from fieldkit.hq.workspace.confirmation import CONFIRM_FIELD, confirmed
from fieldkit.i18n import _


@route("/users", role=Role.ADMIN)
def users_list(request: Request, account: Account) -> Response:
    return _page(request)


@route("/users", role=Role.ADMIN, methods=("POST",), name="users_add")
def users_add(request: Request, account: Account, form: FormData) -> Response:
    name = _text(form, "name").strip()
    state = workspace(request)
    user, temporary = users.add_with_temporary_password(
        state.repository, state.keys, account.name, name, _text(form, "role")
    )
    notice = _("Added the account {name} ({role}).").format(name=user.name, role=user.role.label)
    return _page(request, notice=notice, password={"name": user.name, "value": temporary})


@route("/users/{name}/disable", role=Role.ADMIN, methods=("POST",))
def users_disable(request: Request, account: Account, form: FormData) -> Response:
    _confirmed(form)
    state = workspace(request)
    user = users.disable(state.repository, state.keys, account.name, request.path_params["name"])
    notice = _("Disabled the account {name}; its sessions are ended.").format(name=user.name)
    return _page(request, notice=notice)


@route("/users/{name}/reset", role=Role.ADMIN, methods=("POST",))
def users_reset(request: Request, account: Account, form: FormData) -> Response:
    _confirmed(form)
    name = request.path_params["name"]
    state = workspace(request)
    temporary = users.reset(state.repository, state.keys, account.name, name)
    notice = _(
        "The account {name} has a new temporary password; its second factor, lock-out and "
        "sessions are cleared."
    ).format(name=name)
    return _page(request, notice=notice, password={"name": name, "value": temporary})


def _page(request: Request, *, notice: str | None = None, password: Any = None) -> Response:
    state = workspace(request)
    rows = users.users_overview(state.repository, state.settings.sessions)
    roles = [(role.value, role.label) for role in Role]
    context = {"users": rows, "roles": roles, "notice": notice, "password": password}
    return render(request, "users/list.html", context)


def _confirmed(form: FormData) -> None:
    confirmed(_text(form, CONFIRM_FIELD))


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


routes = [users_list, users_add, users_disable, users_reset]
