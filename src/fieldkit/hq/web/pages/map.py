"""The map page and its data: ``/map``, ``/map/points.geojson``, ``/map/values.json``.

Each route parses its query, calls a use case of :mod:`fieldkit.hq.workspace.mapping` or
:mod:`fieldkit.hq.workspace.map_values` for the account's role, and renders; the page itself
only lays out the map, whose script (``static/js/map.js``) fetches the data endpoints.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from fieldkit.hq.errors import InvalidInputError
from fieldkit.hq.web.context import workspace
from fieldkit.hq.web.routing import Account, Role, route
from fieldkit.hq.web.templating import render
from fieldkit.hq.workspace import map_values as values
from fieldkit.hq.workspace import mapping
from fieldkit.hq.workspace.choices import filter_choices
from fieldkit.hq.workspace.filters import RecordFilters
from fieldkit.i18n import current_language

GEOJSON = "application/geo+json"


@route("/map", role=Role.VIEWER)
def map_page(request: Request, account: Account) -> Response:
    params = dict(request.query_params)
    try:
        filters = RecordFilters.from_query(params)
        error, given = None, filters.to_query()
    except InvalidInputError as refused:
        filters, error, given = RecordFilters(), str(refused), params
    page = values.MapPage.of(params, filters)
    choices = filter_choices(workspace(request).repository, filters, current_language())
    context = {"filters": filters, "given": given, "choices": choices, "error": error}
    return render(
        request, "map/map.html", {**context, "page": page}, status_code=400 if error else 200
    )


@route("/map/points.geojson", role=Role.VIEWER)
def map_points(request: Request, account: Account) -> Response:
    try:
        filters = RecordFilters.from_query(dict(request.query_params))
        result = mapping.map_points(workspace(request).repository, filters, account.role)
    except InvalidInputError as refused:
        return JSONResponse({"error": str(refused)}, status_code=400)
    return Response(mapping.geojson_text(result), media_type=GEOJSON)


@route("/map/values.json", role=Role.VIEWER)
def map_values(request: Request, account: Account) -> Response:
    query = request.query_params
    try:
        result = values.map_values(
            workspace(request).repository,
            query.get("indicator", ""),
            account.role,
            period=query.get("period") or None,
            level=query.get("level") or "admin1",
        )
    except InvalidInputError as refused:
        return JSONResponse({"error": str(refused)}, status_code=400)
    return JSONResponse(values.as_json(result))


routes = [map_page, map_points, map_values]
