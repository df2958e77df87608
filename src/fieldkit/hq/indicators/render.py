"""An indicator's output as a text table, CSV or JSON. Each says the indicator, its source and
unit, the tier, the period, the filters, the minimum cell and what was withheld; a withheld
value is written ``[c]`` (confidential) in tables and CSV and ``null`` in JSON."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from fieldkit.hq.indicators.model import Indicator, Output
from fieldkit.i18n import _

WITHHELD = "[c]"
FORMATS = ("table", "csv", "json")
TOTAL = "total"


def _cell(value: int | float | None) -> str:
    if value is None:
        return WITHHELD
    if isinstance(value, float):
        return f"{value:.3f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))
    return str(value)


def header(output: Output) -> list[tuple[str, str]]:
    """What every format states before the figures."""
    filters = ", ".join(f"{k}={v}" for k, v in sorted(output.filters.items())) or _("none")
    withheld = _("none")
    if output.suppressed:
        primary = sum(1 for s in output.suppressed if s.reason == "primary")
        withheld = _(
            "{n} cells: {primary} below {k}, {secondary} more so that none can be worked out "
            "from the totals"
        ).format(
            n=len(output.suppressed),
            primary=primary,
            k=output.min_cell,
            secondary=len(output.suppressed) - primary,
        )
    pairs = [
        (_("indicator"), f"{output.indicator.id}: {_(output.indicator.title)}"),
        (_("source"), output.indicator.source),
        (_("unit"), _(output.indicator.unit)),
        (_("tier"), output.tier),
        (_("period"), output.period),
        (_("filters"), filters),
    ]
    if output.min_cell is not None:
        pairs.append((_("minimum cell"), str(output.min_cell)))
        pairs.append((_("withheld"), withheld))
    return pairs


def columns(output: Output) -> list[str]:
    names = [*output.row_dims, *output.columns]
    if output.publishes_row_totals:
        names.append(TOTAL)
    if output.indicator.share_of is not None:
        names.append("share")
    if output.indicator.statistic is not None:
        names.append(output.indicator.statistic)
    if output.indicator.change is not None:
        names.append("change")
    return names


def rows(output: Output) -> list[list[str]]:
    out = []
    for row in output.rows:
        line = [*row.key, *(_cell(v) for v in row.values)]
        if output.publishes_row_totals:
            line.append(_cell(row.total))
        if output.indicator.share_of is not None:
            line.append("" if row.share is None else f"{row.share:.3f}")
        if output.indicator.statistic is not None:
            line.append("" if row.statistic is None else _cell(row.statistic))
        if output.indicator.change is not None:
            line.append("" if row.change is None else f"{row.change:+d}")
        out.append(line)
    if output.column_totals is not None and len(output.rows) > 1:
        line = [TOTAL, *([""] * (len(output.row_dims) - 1))] if output.row_dims else [TOTAL]
        line += [_cell(v) for v in output.column_totals]
        if output.publishes_row_totals:
            line.append(_cell(output.grand_total))
        out.append(line + [""] * (len(columns(output)) - len(line)))
    return out


def as_table(output: Output) -> str:
    lines = [f"{name}: {value}" for name, value in header(output)]
    lines.append("")
    table = [columns(output), *rows(output)]
    widths = [max(len(r[i]) for r in table) for i in range(len(table[0]))]
    for index, row in enumerate(table):
        lines.append("  ".join(c.ljust(widths[i]) for i, c in enumerate(row)).rstrip())
        if index == 0:
            lines.append("  ".join("-" * w for w in widths))
    if not output.rows:
        lines.append(_("(nothing to count in this period)"))
    lines.extend(f"* {note}" for note in output.notes)
    return "\n".join(lines) + "\n"


def as_csv(output: Output) -> str:
    """CSV whose first lines, starting with ``#``, carry the header."""
    buffer = io.StringIO()
    for name, value in header(output):
        buffer.write(f"# {name}: {value}\n")
    for note in output.notes:
        buffer.write(f"# {note}\n")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns(output))
    writer.writerows(rows(output))
    return buffer.getvalue()


def listing(indicators: Sequence[Indicator]) -> list[dict[str, Any]]:
    """Indicators as ``indicators list --json`` prints them (title and unit translated)."""
    return [
        {
            "id": i.id,
            "title": _(i.title),
            "source": i.source,
            "unit": _(i.unit),
            "dimensions": list(i.dimensions),
        }
        for i in indicators
    ]


def as_json(output: Output) -> dict[str, Any]:
    chosen = output.indicator
    return {
        "indicator": chosen.id,
        "title": _(chosen.title),
        "source": chosen.source,
        "unit": _(chosen.unit),
        "tier": output.tier,
        "period": output.period,
        "filters": output.filters,
        "min_cell": output.min_cell,
        "dimensions": list(output.row_dims),
        "column_dimension": output.column_dim,
        "columns": list(output.columns),
        "rows": [
            {
                "key": dict(zip(output.row_dims, row.key, strict=True)),
                "values": dict(zip(output.columns, row.values, strict=True)),
                **({"total": row.total} if output.publishes_row_totals else {}),
                **({"share": row.share} if chosen.share_of else {}),
                **({chosen.statistic: row.statistic} if chosen.statistic else {}),
                **({"change": row.change} if chosen.change else {}),
            }
            for row in output.rows
        ],
        "column_totals": (
            None
            if output.column_totals is None
            else dict(zip(output.columns, output.column_totals, strict=True))
        ),
        "grand_total": output.grand_total,
        "suppressed": [
            {
                "row": None if s.row is None else dict(zip(output.row_dims, s.row, strict=True)),
                "column": s.column,
                "reason": s.reason,
            }
            for s in output.suppressed
        ],
        "notes": list(output.notes),
    }
