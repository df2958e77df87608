"""Sign-in (password, then the second factor's code if the account has one) and sign-out."""

from __future__ import annotations

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from fieldkit.hq import accounts
from fieldkit.hq.accounts import totp
from fieldkit.hq.accounts.sessions import Stage
from fieldkit.hq.web import cookies
from fieldkit.hq.web.context import workspace
from fieldkit.hq.web.routing import Account, Role, route
from fieldkit.hq.web.templating import error_page, render
from fieldkit.i18n import _

HOME = "/records"


def _field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _client(request: Request) -> str:
    return request.client.host if request.client else "-"


def _signed_in(request: Request, token: str, target: str) -> Response:
    response = RedirectResponse(target, status_code=303)
    cookies.put(response, cookies.SESSION, token, workspace(request).settings)
    request.state.drop_session_cookie = False
    return response


@route("/", role=Role.VIEWER)
def home(request: Request, account: Account) -> Response:
    return RedirectResponse(HOME, status_code=303)


@route("/sign-in", role=None)
def sign_in_page(request: Request, account: Account | None) -> Response:
    if account is not None:
        return RedirectResponse(HOME, status_code=303)
    return render(request, "auth/sign_in.html", {"error": None, "name": ""})


@route("/sign-in", role=None, methods=("POST",))
def sign_in(request: Request, account: Account | None, form: FormData) -> Response:
    state = workspace(request)
    name = _field(form, "name").strip().lower()
    if not state.sign_in_limit.allow(_client(request)):
        return error_page(request, 429)
    try:
        user = accounts.authenticate(
            state.repository, name, _field(form, "password"), policy=state.settings.lockout
        )
    except accounts.SignInRefusedError as refused:
        return render(
            request, "auth/sign_in.html", {"error": str(refused), "name": name}, status_code=400
        )
    previous = cookies.read(request, cookies.SESSION, state.settings)
    if user.second_factor:
        token, _session = accounts.create_session(
            state.repository, user.name, Stage.CODE, replacing=previous
        )
        return _signed_in(request, token, "/sign-in/code")
    token, _session = accounts.create_session(
        state.repository, user.name, Stage.FULL, replacing=previous
    )
    return _signed_in(request, token, "/account" if user.must_change else HOME)


@route("/sign-in/code", role=None)
def code_page(request: Request, account: Account | None) -> Response:
    if request.state.pending is None:
        return RedirectResponse("/sign-in", status_code=303)
    return render(request, "auth/code.html", {"error": None})


@route("/sign-in/code", role=None, methods=("POST",))
def code(request: Request, account: Account | None, form: FormData) -> Response:
    state = workspace(request)
    pending = request.state.pending
    if pending is None:
        return RedirectResponse("/sign-in", status_code=303)
    if not state.sign_in_limit.allow(_client(request)):
        return error_page(request, 429)
    try:
        totp.verify_code(
            state.repository,
            state.totp_key,
            pending.user_name,
            _field(form, "code"),
            policy=state.settings.lockout,
        )
    except accounts.SignInRefusedError:
        return render(
            request,
            "auth/code.html",
            {"error": _("That code is not right, or the account is locked for a while.")},
            status_code=400,
        )
    token, _session = accounts.create_session(
        state.repository,
        pending.user_name,
        Stage.FULL,
        replacing=cookies.read(request, cookies.SESSION, state.settings),
    )
    return _signed_in(request, token, "/account" if pending.must_change else HOME)


@route("/sign-out", role=Role.VIEWER, methods=("POST",))
def sign_out(request: Request, account: Account, form: FormData) -> Response:
    state = workspace(request)
    token = cookies.read(request, cookies.SESSION, state.settings)
    if token:
        accounts.revoke_session(state.repository, token)
    response = RedirectResponse("/sign-in", status_code=303)
    cookies.drop(response, cookies.SESSION, state.settings)
    return response


routes = [home, sign_in_page, sign_in, code_page, code, sign_out]
