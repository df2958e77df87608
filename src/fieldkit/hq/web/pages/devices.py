"""The devices page (admins): every enrolled device with its state, bundles, last contact, gaps
and alarms; revoking a device and declaring it lost, with the use cases of ``fieldkit-hq
devices revoke`` and ``devices lost`` (:mod:`fieldkit.hq.devices`)."""

from __future__ import annotations

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from fieldkit.hq import devices
from fieldkit.hq.web.context import workspace
from fieldkit.hq.web.routing import Account, Role, route
from fieldkit.hq.web.templating import render
from fieldkit.hq.workspace.confirmation import CONFIRM_FIELD, confirmed


@route("/devices", role=Role.ADMIN)
def devices_list(request: Request, account: Account) -> Response:
    return _page(request, [])


@route("/devices/{key_id}/revoke", role=Role.ADMIN, methods=("POST",))
def devices_revoke(request: Request, account: Account, form: FormData) -> Response:
    return _change(request, account, form, devices.revoke)


@route("/devices/{key_id}/lost", role=Role.ADMIN, methods=("POST",))
def devices_lost(request: Request, account: Account, form: FormData) -> Response:
    return _change(request, account, form, devices.declare_lost)


def _change(
    request: Request, account: Account, form: FormData, action: devices.DeviceAction
) -> Response:
    confirmed(_text(form, CONFIRM_FIELD))
    sequence = devices.parse_sequence(_text(form, "from_seq"))
    state = workspace(request)
    done = action(
        state.repository, state.keys, account.name, request.path_params["key_id"], sequence
    )
    return _page(request, done.lines())


def _page(request: Request, notice: list[str]) -> Response:
    rows = devices.overview(workspace(request).repository)
    context = {"devices": rows, "alarms": devices.alarm_views(rows), "notice": notice}
    return render(request, "devices/list.html", context)


def _text(form: FormData, name: str) -> str | None:
    value = form.get(name)
    return value if isinstance(value, str) else None


routes = [devices_list, devices_revoke, devices_lost]
