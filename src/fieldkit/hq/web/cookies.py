"""The workspace's cookies: the session, the pre-sign-in CSRF token, the language.

Over TLS the session and CSRF cookies carry the ``__Host-`` prefix (the browser then insists on
Secure, Path=/ and no Domain); all are HttpOnly and SameSite=Strict. None holds identifying data.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from fieldkit.hq.web.state import WebSettings
from fieldkit.i18n import SUPPORTED_LANGUAGES

SESSION = "fk_session"
CSRF = "fk_csrf"
LANGUAGE = "fk_lang"
LANGUAGE_MAX_AGE = 365 * 24 * 3600


def name(base: str, settings: WebSettings) -> str:
    return f"__Host-{base}" if settings.tls else base


def read(request: Request, base: str, settings: WebSettings) -> str | None:
    return request.cookies.get(name(base, settings))


def put(
    response: Response,
    base: str,
    value: str,
    settings: WebSettings,
    *,
    max_age: int | None = None,
) -> None:
    response.set_cookie(
        name(base, settings),
        value,
        max_age=max_age,
        path="/",
        secure=True,
        httponly=True,
        samesite="strict",
    )


def drop(response: Response, base: str, settings: WebSettings) -> None:
    response.delete_cookie(
        name(base, settings), path="/", secure=True, httponly=True, samesite="strict"
    )


def language(request: Request) -> str:
    """The language chosen with the switch, else the browser's first supported one, else
    English."""
    chosen = request.cookies.get(LANGUAGE, "")
    if chosen in SUPPORTED_LANGUAGES:
        return chosen
    for part in request.headers.get("accept-language", "").split(","):
        code = part.split(";")[0].strip().split("-")[0].lower()
        if code in SUPPORTED_LANGUAGES:
            return code
    return "en"
