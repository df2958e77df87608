"""Jinja2 for the workspace: autoescaped HTML, gettext in the request's language, and the
globals every template reads (``csrf_field()``, ``account``, ``lang``, ``rtl``, ``url()``,
``static()``, ``nav_active``).

Messages are written ``{% trans %}...{% endtrans %}`` (whitespace trimmed) or ``_("...")``;
``scripts/translations.py`` extracts both. Jinja treats every translated message as a
``%``-format string: write a literal ``%`` as ``%%``.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from fieldkit.hq.web.static import static_url
from fieldkit.i18n import _, current_language, is_right_to_left, ngettext

TEMPLATES = Path(__file__).resolve().parent / "templates"


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(("html", "xml", "svg"), default=True),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.policies["ext.i18n.trimmed"] = True
    # fieldkit's _ and ngettext follow the language of the request being answered
    env.install_gettext_callables(_, ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals.update(static=static_url, url=url)
    return env


def url(path: str, **query: Any) -> str:
    """``path`` with the query ``query`` (empty and None values left out)."""
    kept = {key: value for key, value in query.items() if value not in (None, "")}
    return path + ("?" + urlencode(kept, doseq=True) if kept else "")


def _csrf_field(token: str) -> Any:
    def csrf_field() -> Markup:
        return Markup('<input type="hidden" name="csrf" value="{}">').format(escape(token))

    return csrf_field


def _nav(request: Request) -> str:
    path = str(request.scope.get("fieldkit.route") or request.url.path)
    return "/" + path.strip("/").split("/")[0]


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> HTMLResponse:
    """The page ``template`` (under ``templates/``) for this request."""
    language = current_language()
    values: dict[str, Any] = {
        "request": request,
        "account": getattr(request.state, "account", None),
        "lang": language,
        "rtl": is_right_to_left(language),
        "csrf_field": _csrf_field(str(getattr(request.state, "csrf", ""))),
        "csrf_token": str(getattr(request.state, "csrf", "")),
        "nav_active": _nav(request),
    }
    values.update(context or {})
    html = environment().get_template(template).render(values)
    return HTMLResponse(html, status_code=status_code)


def error_page(request: Request, status: int, message: str | None = None) -> HTMLResponse:
    """The error page for ``status``, with a one-line ``message`` (or the usual one)."""
    usual = {
        400: _("The request is not valid; nothing was changed."),
        403: _("Your account may not open this page."),
        404: _("There is no such page or record."),
        405: _("The request is not valid; nothing was changed."),
        409: _("Nothing was changed."),
        429: _("Wait a minute and try again."),
        500: _("The workspace could not answer this request; nothing was changed."),
    }
    titles = {
        400: _("This request cannot be done"),
        403: _("Not allowed"),
        404: _("Not found"),
        405: _("This request cannot be done"),
        409: _("This conflicts with what is stored"),
        429: _("Too many attempts"),
        500: _("Something went wrong"),
    }
    return render(
        request,
        "errors/error.html",
        {
            "status": status,
            "heading": titles.get(status, titles[500]),
            "message": message or usual.get(status, usual[500]),
        },
        status_code=status,
    )
