"""The account page: change the password (a temporary one must be changed first), and set up the
second factor (TOTP) with a QR code."""

from __future__ import annotations

import segno
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from fieldkit.errors import FieldkitError
from fieldkit.hq import accounts
from fieldkit.hq.accounts import totp
from fieldkit.hq.accounts.sessions import Stage
from fieldkit.hq.web import cookies
from fieldkit.hq.web.context import workspace
from fieldkit.hq.web.routing import Account, Role, route
from fieldkit.hq.web.templating import render


def _field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _account_page(
    request: Request, account: Account, *, error: str | None = None, status_code: int = 200
) -> Response:
    user = accounts.find_user(workspace(request).repository, account.name)
    return render(
        request,
        "account/account.html",
        {
            "user": user,
            "error": error,
            "changed": request.query_params.get("done") == "password",
            "second_factor_on": request.query_params.get("done") == "totp",
        },
        status_code=status_code,
    )


@route("/account", role=Role.VIEWER)
def account_page(request: Request, account: Account) -> Response:
    return _account_page(request, account)


@route("/account/password", role=Role.VIEWER, methods=("POST",))
def change_password(request: Request, account: Account, form: FormData) -> Response:
    state = workspace(request)
    try:
        accounts.change_password(
            state.repository,
            account.name,
            _field(form, "current"),
            _field(form, "new"),
            _field(form, "confirm"),
        )
    except FieldkitError as error:
        return _account_page(request, account, error=str(error), status_code=400)
    # every session of the account ends; this browser gets a new one
    accounts.revoke_user_sessions(state.repository, account.name)
    token, _session = accounts.create_session(
        state.repository, account.name, Stage.FULL, signs_in=False
    )
    response = RedirectResponse("/account?done=password", status_code=303)
    cookies.put(response, cookies.SESSION, token, state.settings)
    return response


def _setup_page(
    request: Request, account: Account, *, error: str | None = None, status_code: int = 200
) -> Response:
    state = workspace(request)
    secret = totp.begin_setup(state.repository, state.totp_key, account.name)
    uri = totp.provisioning_uri(secret, account.name, state.config.name)
    qr = segno.make(uri, error="m").svg_data_uri(scale=5, border=2)
    grouped = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    return render(
        request,
        "account/totp.html",
        {"qr": qr, "secret": grouped, "error": error},
        status_code=status_code,
    )


@route("/account/totp", role=Role.VIEWER)
def totp_page(request: Request, account: Account) -> Response:
    user = accounts.find_user(workspace(request).repository, account.name)
    if user is not None and user.second_factor:
        return RedirectResponse("/account", status_code=303)
    return _setup_page(request, account)


@route("/account/totp", role=Role.VIEWER, methods=("POST",))
def totp_confirm(request: Request, account: Account, form: FormData) -> Response:
    state = workspace(request)
    try:
        totp.confirm_setup(state.repository, state.totp_key, account.name, _field(form, "code"))
    except FieldkitError as error:
        return _setup_page(request, account, error=str(error), status_code=400)
    return RedirectResponse("/account?done=totp", status_code=303)


routes = [account_page, change_password, totp_page, totp_confirm]
