"""An indicator's output as a Vega-Lite chart, built on the server from the same figures as its
table: the browser draws it with vendored Vega (no expression is evaluated with ``eval``).

The chart follows the indicator's shape:

- ``share``: an indicator that publishes a share (of records verified, of cases attributed to
  organised crime...) is a horizontal bar of that share per row, from 0 to 100 %;
- ``statistic``: one figure per row (the median delay), a horizontal bar;
- ``time``: rows by year, quarter or month (killings per quarter) are vertical bars in time
  order, one bar per column side by side;
- ``counts``: anything else is a horizontal bar per row, the columns side by side.

A withheld figure is in the chart's data as ``null`` with ``withheld: true`` and drawn as the
word for "withheld" at zero, never as a number. Labels, axis titles and the reading direction
follow the current language.
"""

from __future__ import annotations

from typing import Any

from fieldkit.hq.indicators.model import Output
from fieldkit.hq.workspace import indicator_labels as labels
from fieldkit.i18n import _, current_language, is_right_to_left, ngettext

SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"
"""The specification's version (an identifier; nothing is fetched from it)."""
TIME_DIMENSIONS = ("year", "quarter", "month")
WIDTH = 560
STEP = 22


def kind(output: Output) -> str:
    """Which chart suits the output (module docstring)."""
    chosen = output.indicator
    if chosen.share_of is not None:
        return "share"
    if chosen.statistic is not None:
        return "statistic"
    if output.row_dims and output.row_dims[0] in TIME_DIMENSIONS and len(output.row_dims) == 1:
        return "time"
    return "counts"


def points(output: Output) -> list[dict[str, Any]]:
    """The chart's data: one point per row and series; ``value`` is None when withheld."""
    chart = kind(output)
    out: list[dict[str, Any]] = []
    for order, row in enumerate(output.rows):
        label = " · ".join(labels.value(part) for part in row.key) or _("all")
        if chart == "share":
            share_index = output.columns.index(output.indicator.share_of or "")
            hidden = row.values[share_index] is None or row.total is None
            out.append(_point(order, label, labels.name("share"), row.share, hidden))
        elif chart == "statistic":
            small = output.min_cell is not None and (row.total or 0) < output.min_cell
            hidden = row.statistic is None and (row.values[0] is None or small)
            name = labels.name(output.indicator.statistic or "")
            out.append(_point(order, label, name, row.statistic, hidden))
        else:
            for column, value in zip(output.columns, row.values, strict=True):
                out.append(_point(order, label, labels.value(column), value, value is None))
    return out


def _point(
    order: int, label: str, series: str, value: float | None, hidden: bool
) -> dict[str, Any]:
    withheld = hidden and value is None
    return {
        "order": order,
        "label": label,
        "series": series,
        "value": None if withheld else value,
        "withheld": withheld,
        "status": labels.withheld() if withheld else "",
    }


def spec(output: Output) -> dict[str, Any]:
    """The Vega-Lite specification, data included."""
    chart = kind(output)
    rtl = is_right_to_left()
    data = points(output)
    series = list(dict.fromkeys(point["series"] for point in data))
    grouped = len(series) > 1
    value_title = _value_title(output, chart)
    category_title = " · ".join(labels.name(d) for d in output.row_dims) or _(
        output.indicator.title
    )
    quantitative: dict[str, Any] = {
        "field": "value",
        "type": "quantitative",
        "title": value_title,
        "scale": {"reverse": rtl} if chart != "time" else {},
    }
    if chart == "share":
        quantitative["scale"] = {"domain": [0, 1], "reverse": rtl}
        quantitative["axis"] = {"format": ".0%"}
    elif chart in ("counts", "time"):
        quantitative["axis"] = {"format": "d", "tickMinStep": 1}
    category: dict[str, Any] = {
        "field": "label",
        "type": "ordinal" if chart == "time" else "nominal",
        "title": category_title,
        "sort": {"field": "order", "op": "min"},
    }
    color: dict[str, Any] = {
        "field": "series",
        "type": "nominal",
        "title": labels.name(output.column_dim) if output.column_dim else "",
        "sort": series,
        "legend": {"orient": "bottom"} if grouped else None,
    }
    tooltip = [
        {"field": "label", "type": "nominal", "title": category_title},
        {"field": "series", "type": "nominal", "title": color["title"] or value_title},
        {"field": "value", "type": "quantitative", "title": value_title},
        {"field": "status", "type": "nominal", "title": labels.withheld()},
    ]
    if chart == "time":
        category["scale"] = {"reverse": rtl}
        category["axis"] = {"labelAngle": 0}
        quantitative["axis"] = {**quantitative["axis"], "orient": "right" if rtl else "left"}
        encoding: dict[str, Any] = {"x": category, "y": quantitative}
        offset, zero = "xOffset", {"y": {"datum": 0}}
        size: dict[str, Any] = {"width": WIDTH, "height": 260}
        text_mark: dict[str, Any] = {
            "type": "text",
            "angle": 270 if not rtl else 90,
            "align": "left",
            "dx": 4,
        }
    else:
        category["axis"] = {"orient": "right" if rtl else "left"}
        encoding = {"y": category, "x": quantitative}
        offset, zero = "yOffset", {"x": {"datum": 0}}
        size = {"width": WIDTH, "height": {"step": STEP * max(1, len(series))}}
        text_mark = {"type": "text", "align": "right" if rtl else "left", "dx": -4 if rtl else 4}
    encoding["color"] = color
    encoding["tooltip"] = tooltip
    if grouped:
        encoding[offset] = {"field": "series", "sort": series}
    text_encoding = {
        key: value for key, value in encoding.items() if key not in ("color", "tooltip")
    }
    text_encoding.update(zero)
    text_encoding["text"] = {"field": "status"}
    return {
        "$schema": SCHEMA,
        "description": _(output.indicator.title),
        "title": {
            "text": _(output.indicator.title),
            "subtitle": _subtitle(output),
            "anchor": "end" if rtl else "start",
        },
        **size,
        "data": {"values": data},
        "layer": [
            {"mark": {"type": "bar", "tooltip": True}, "encoding": encoding},
            {
                "name": "withheld",
                "transform": [{"filter": "datum.withheld"}],
                "mark": {**text_mark, "fontStyle": "italic", "color": "#555"},
                "encoding": text_encoding,
            },
        ],
        "config": {"view": {"stroke": None}, "locale": {"number": _number_locale()}},
        "usermeta": {
            "indicator": output.indicator.id,
            "tier": output.tier,
            "period": output.period,
            "filters": output.filters,
            "min_cell": output.min_cell,
            "withheld": len(output.suppressed),
            "kind": chart,
            "rtl": rtl,
        },
    }


def _value_title(output: Output, chart: str) -> str:
    if chart == "share":
        return labels.name("share")
    if chart == "statistic":
        return labels.name(output.indicator.statistic or "")
    return _(output.indicator.unit)


def _subtitle(output: Output) -> list[str]:
    line = _("{tier} tier, {period}").format(tier=labels.tier(output.tier), period=output.period)
    if output.filters:
        line += " · " + ", ".join(f"{k}={v}" for k, v in sorted(output.filters.items()))
    lines = [line]
    if output.suppressed:
        n = len(output.suppressed)
        lines.append(
            ngettext(
                "{n} figure withheld (counts below {k} and what would reveal them)",
                "{n} figures withheld (counts below {k} and what would reveal them)",
                n,
            ).format(n=n, k=output.min_cell)
        )
    return lines


NUMBER_LOCALES = {
    "en": {"decimal": ".", "thousands": ",", "grouping": [3], "currency": ["$", ""]},
    "fr": {
        "decimal": ",",
        "thousands": "\u202f",
        "grouping": [3],
        "currency": ["", "\u00a0€"],
        "percent": "\u202f%",
    },
    "ar": {"decimal": ",", "thousands": ".", "grouping": [3], "currency": ["", ""]},
}
"""How numbers are written on the axes, per language (d3-format locales)."""


def _number_locale() -> dict[str, Any]:
    return NUMBER_LOCALES.get(current_language(), NUMBER_LOCALES["en"])
