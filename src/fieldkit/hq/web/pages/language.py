"""The language switch: a cookie ``fk_lang`` (en, fr, ar), then back to the page it was on."""

from __future__ import annotations

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from fieldkit.hq.web import cookies
from fieldkit.hq.web.routing import Account, route
from fieldkit.i18n import SUPPORTED_LANGUAGES


def _back_to(value: object) -> str:
    """A path on this site to go back to (never another site's address)."""
    if isinstance(value, str) and value.startswith("/") and not value.startswith(("//", "/\\")):
        return value
    return "/"


@route("/language", role=None, methods=("POST",))
def choose_language(request: Request, account: Account | None, form: FormData) -> Response:
    response = RedirectResponse(_back_to(form.get("next")), status_code=303)
    chosen = form.get("lang")
    if isinstance(chosen, str) and chosen in SUPPORTED_LANGUAGES:
        response.set_cookie(
            cookies.LANGUAGE,
            chosen,
            max_age=cookies.LANGUAGE_MAX_AGE,
            path="/",
            secure=True,
            httponly=True,
            samesite="strict",
        )
    return response


routes = [choose_language]
