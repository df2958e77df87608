"""The indicator pages: ``/indicators`` (the list), ``/indicators/{name}`` (a table and a chart),
its downloads (``.csv``, ``.json``, ``.vl.json``) and ``/report`` (every indicator, for print).

Each endpoint parses the query, calls :mod:`fieldkit.hq.workspace.indicators` (the same use case
as ``fieldkit-hq indicators``) and renders; the use case decides the tier an account gets.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from fieldkit.hq.errors import InvalidInputError, NotFoundError
from fieldkit.hq.indicators.definitions import BY_ID
from fieldkit.hq.indicators.model import INTERNAL, RELEASE, Indicator, Output
from fieldkit.hq.web.context import workspace
from fieldkit.hq.web.routing import Account, Role, route
from fieldkit.hq.web.templating import render
from fieldkit.hq.workspace import indicators
from fieldkit.hq.workspace.indicators import IndicatorQuery
from fieldkit.i18n import _


def _query(request: Request, account: Account, default_tier: str = INTERNAL) -> IndicatorQuery:
    return IndicatorQuery.from_query(
        request.query_params,
        internal_allowed=account.may(Role.ANALYST),
        default_tier=default_tier,
    )


def _indicator(request: Request) -> Indicator:
    """The indicator the path names; NotFoundError (the 404 page) for any other name."""
    name = str(request.path_params["name"])
    found = BY_ID.get(name)
    if found is None:
        raise NotFoundError(
            _("There is no indicator '{name}': the Indicators page lists them.").format(name=name)
        )
    return found


def _filename(output: Output, extension: str) -> str:
    """``ID-PERIOD-TIER.EXT``: the checked codes, never what the query typed."""
    return f"{output.indicator.id}-{output.period}-{output.tier}.{extension}"


def _download(body: str | bytes, media_type: str, filename: str) -> Response:
    return Response(
        body,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@route("/indicators", role=Role.VIEWER)
def indicators_list(request: Request, account: Account) -> Response:
    return render(
        request,
        "indicators/list.html",
        {
            "indicators": indicators.catalogue(),
            "internal_allowed": account.may(Role.ANALYST),
        },
    )


@route("/indicators/{name}.csv", role=Role.VIEWER)
def indicator_csv(request: Request, account: Account) -> Response:
    name = _indicator(request).id
    query = _query(request, account)
    output = indicators.compute(workspace(request).repository, name, query)
    return _download(indicators.csv_of(output), "text/csv; charset=utf-8", _filename(output, "csv"))


@route("/indicators/{name}.vl.json", role=Role.VIEWER)
def indicator_chart(request: Request, account: Account) -> Response:
    name = _indicator(request).id
    query = _query(request, account)
    view = indicators.view(workspace(request).repository, name, query)
    body = json.dumps(view.chart, ensure_ascii=False, indent=1)
    return _download(body, "application/json", _filename(view.output, "vl.json"))


@route("/indicators/{name}.json", role=Role.VIEWER)
def indicator_json(request: Request, account: Account) -> Response:
    name = _indicator(request).id
    query = _query(request, account)
    output = indicators.compute(workspace(request).repository, name, query)
    body = json.dumps(indicators.json_of(output), ensure_ascii=False, indent=1)
    return _download(body, "application/json", _filename(output, "json"))


@route("/indicators/{name}", role=Role.VIEWER)
def indicator_page(request: Request, account: Account) -> Response:
    chosen = _indicator(request)
    context: dict[str, Any] = {
        "indicator": chosen,
        "params": dict(request.query_params),
        "internal_allowed": account.may(Role.ANALYST),
        "error": None,
        "default_tier": INTERNAL,
    }
    try:
        query = _query(request, account)
        view = indicators.view(workspace(request).repository, chosen.id, query)
    except InvalidInputError as error:
        context["error"] = str(error)
        return render(request, "indicators/show.html", context, status_code=400)
    return render(request, "indicators/show.html", {**context, "view": view, "query": query})


@route("/report", role=Role.VIEWER)
def report(request: Request, account: Account) -> Response:
    context: dict[str, Any] = {
        "params": dict(request.query_params),
        "internal_allowed": account.may(Role.ANALYST),
        "title": _("Indicators report"),
        "error": None,
        "default_tier": RELEASE,
    }
    try:
        query = _query(request, account, RELEASE)
        views = indicators.report(workspace(request).repository, query)
    except InvalidInputError as error:
        context["error"] = str(error)
        return render(request, "indicators/report.html", context, status_code=400)
    return render(request, "indicators/report.html", {**context, "views": views, "query": query})


routes = [indicators_list, indicator_csv, indicator_chart, indicator_json, indicator_page, report]
