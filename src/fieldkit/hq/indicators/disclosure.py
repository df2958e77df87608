"""Disclosure control of indicator tables: small-cell suppression with secondary suppression.

Pure functions, no database. A table of counts leaves headquarters (the ``release`` tier) only
after :func:`protect` has chosen which cells to withhold:

- primary suppression: every published count from 1 to ``k - 1`` (``k`` = the minimum cell,
  5 unless configured), margins included. Zeros are published.
- secondary suppression: a published total is the sum of its cells, so one withheld cell in a
  row or column would be the difference. Every row and column (a *line*: its cells and its
  total) that has a withheld cell gets at least two, and when the line's total is published the
  withheld cells of the line add up to at least ``k`` (else the difference would reveal that
  each is small). Cells are taken smallest first, preferring a cell whose other line already
  has a withheld cell (fewer cells lost), and margins only when no inner cell will do.
- audit: the published values define a system of linear equations in the withheld ones; a
  withheld cell is *recoverable* when the system fixes its value (its unit vector lies in the
  row space of the equations, found by exact Gaussian elimination over the rationals). Until no
  withheld cell is recoverable, one more cell next to each recoverable one is withheld.

The result names every withheld cell and why, so that each output can say what was suppressed.
The ``internal`` tier publishes exact values and never calls :func:`protect`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

Cell = tuple[int | None, int | None]
"""A cell of a grid: ``(row, column)``; ``None`` as the row is a column's total, ``None`` as the
column a row's total, ``(None, None)`` the grand total."""

DEFAULT_MIN_CELL = 5
LOWEST_MIN_CELL = 3
"""No release with a threshold below 3 (the lowest agencies use)."""


@dataclass(frozen=True)
class Grid:
    """Counts in ``rows`` x ``columns`` cells and which of their totals are published.

    A total that would repeat a cell (the row total of a one-column grid) is never published;
    a grid with one of the two kinds of totals has no separate grand total (the total of its
    totals is then the grand total only when ``grand_total`` asks for it).
    """

    values: tuple[tuple[int, ...], ...]
    row_totals: bool = True
    column_totals: bool = True
    grand_total: bool = True

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.values), (len(self.values[0]) if self.values else 0)

    def publishes_row_totals(self) -> bool:
        return self.row_totals and self.shape[1] > 1

    def publishes_column_totals(self) -> bool:
        return self.column_totals and self.shape[0] > 1

    def publishes_grand_total(self) -> bool:
        rows, columns = self.shape
        if not self.grand_total or rows == 0 or columns == 0:
            return False
        if self.publishes_row_totals() and self.publishes_column_totals():
            return True
        # With one kind of totals only, the grand total is a line of its own (the sum of those
        # totals); with none, it is the sum of every cell. Not when it would repeat a total.
        if self.publishes_row_totals():
            return rows > 1
        if self.publishes_column_totals():
            return columns > 1
        return rows * columns > 1

    def cells(self) -> dict[Cell, int]:
        """Every published value: inner cells, then the totals the grid publishes."""
        rows, columns = self.shape
        out: dict[Cell, int] = {}
        for i in range(rows):
            for j in range(columns):
                out[(i, j)] = self.values[i][j]
        if self.publishes_row_totals():
            for i in range(rows):
                out[(i, None)] = sum(self.values[i])
        if self.publishes_column_totals():
            for j in range(columns):
                out[(None, j)] = sum(row[j] for row in self.values)
        if self.publishes_grand_total():
            out[(None, None)] = sum(sum(row) for row in self.values)
        return out

    def lines(self) -> list[Line]:
        """The additive relations between published values: each line's cells sum to its total."""
        rows, columns = self.shape
        out: list[Line] = []
        if self.publishes_row_totals():
            for i in range(rows):
                out.append(Line(tuple((i, j) for j in range(columns)), (i, None)))
        if self.publishes_column_totals():
            for j in range(columns):
                out.append(Line(tuple((i, j) for i in range(rows)), (None, j)))
        if self.publishes_grand_total():
            by_row = self.publishes_row_totals()
            by_column = self.publishes_column_totals()
            if by_row:
                out.append(Line(tuple((i, None) for i in range(rows)), (None, None)))
            if by_column:
                out.append(Line(tuple((None, j) for j in range(columns)), (None, None)))
            if not by_row and not by_column:
                every = tuple((i, j) for i in range(rows) for j in range(columns))
                out.append(Line(every, (None, None)))
        return out


@dataclass(frozen=True)
class Line:
    """Published cells ``members`` whose sum is the published value ``total``."""

    members: tuple[Cell, ...]
    total: Cell

    def cells(self) -> tuple[Cell, ...]:
        return (*self.members, self.total)


@dataclass(frozen=True)
class Protection:
    """What :func:`protect` withholds: ``primary`` (small counts) and ``secondary`` cells."""

    min_cell: int
    primary: frozenset[Cell]
    secondary: frozenset[Cell]

    @property
    def suppressed(self) -> frozenset[Cell]:
        return self.primary | self.secondary

    def value(self, cells: Mapping[Cell, int], cell: Cell) -> int | None:
        """The published value of ``cell``: ``None`` when withheld."""
        return None if cell in self.suppressed else cells[cell]


def is_small(value: int, min_cell: int) -> bool:
    """A count that could single out people: from 1 to ``min_cell - 1``."""
    return 0 < value < min_cell


def protect(grid: Grid, min_cell: int = DEFAULT_MIN_CELL) -> Protection:
    """The cells of ``grid`` to withhold so that no count below ``min_cell`` is published or
    can be worked out from what is (module docstring)."""
    if min_cell < 1:
        raise ValueError("min_cell must be at least 1")
    values = grid.cells()
    lines = grid.lines()
    primary = {cell for cell, value in values.items() if is_small(value, min_cell)}
    suppressed = set(primary)
    while True:
        if _complete_lines(values, lines, suppressed, min_cell):
            continue
        recoverable_now = recoverable(values, lines, suppressed)
        if not recoverable_now:
            break
        added = False
        for cell in sorted(recoverable_now, key=_order):
            for line in _lines_through(lines, cell):
                candidate = _candidate(values, lines, suppressed, line, positive_only=False)
                if candidate is not None:
                    suppressed.add(candidate)
                    added = True
                    break
            if added:
                break
        if not added:  # cannot happen with consistent totals; withhold everything to be safe
            suppressed.update(values)
            break
    return Protection(min_cell, frozenset(primary), frozenset(suppressed - primary))


def _complete_lines(
    values: Mapping[Cell, int], lines: Sequence[Line], suppressed: set[Cell], min_cell: int
) -> bool:
    """Withhold one more cell in the first line that needs one; False when none does."""
    for line in lines:
        withheld = [cell for cell in line.cells() if cell in suppressed]
        if not withheld:
            continue
        if len(withheld) == 1:
            candidate = _candidate(values, lines, suppressed, line, positive_only=False)
        elif line.total not in suppressed and sum(values[c] for c in withheld) < min_cell:
            candidate = _candidate(values, lines, suppressed, line, positive_only=True)
        else:
            continue
        if candidate is not None:
            suppressed.add(candidate)
            return True
    return False


def _candidate(
    values: Mapping[Cell, int],
    lines: Sequence[Line],
    suppressed: set[Cell],
    line: Line,
    *,
    positive_only: bool,
) -> Cell | None:
    """The published cell of ``line`` whose loss costs least (module docstring)."""
    best: tuple[tuple[int, int, int, int, tuple[int, int]], Cell] | None = None
    for cell in line.cells():
        if cell in suppressed:
            continue
        value = values[cell]
        if positive_only and value <= 0:
            continue
        crossing = [other for other in _lines_through(lines, cell) if other != line]
        helped = any(any(c in suppressed for c in other.cells()) for other in crossing)
        is_total = cell == line.total or None in cell
        score = (int(value <= 0), int(is_total), int(not helped), value, _order(cell))
        if best is None or score < best[0]:
            best = (score, cell)
    return None if best is None else best[1]


def _lines_through(lines: Sequence[Line], cell: Cell) -> list[Line]:
    return [line for line in lines if cell in line.cells()]


def _order(cell: Cell) -> tuple[int, int]:
    row, column = cell
    return (-1 if row is None else row, -1 if column is None else column)


def recoverable(
    values: Mapping[Cell, int], lines: Sequence[Line], suppressed: Iterable[Cell]
) -> set[Cell]:
    """The withheld cells whose value the published values and the lines fix exactly.

    Each line is the equation ``sum(members) - total = 0``; published values are constants, the
    withheld cells unknowns. After reduction to row echelon form (exact fractions), an unknown
    is fixed exactly when some reduced equation involves it alone.
    """
    unknowns = sorted(set(suppressed) & set(values), key=_order)
    index = {cell: n for n, cell in enumerate(unknowns)}
    equations: list[dict[int, Fraction]] = []
    for line in lines:
        row: dict[int, Fraction] = {}
        for cell, coefficient in [*((m, 1) for m in line.members), (line.total, -1)]:
            if cell in index:
                n = index[cell]
                row[n] = row.get(n, Fraction(0)) + coefficient
        row = {n: c for n, c in row.items() if c != 0}
        if row:
            equations.append(row)
    reduced = _row_echelon(equations)
    return {unknowns[next(iter(row))] for row in reduced if len(row) == 1}


def _row_echelon(equations: list[dict[int, Fraction]]) -> list[dict[int, Fraction]]:
    """Reduced row echelon form of sparse rows (column index -> coefficient)."""
    rows = [dict(row) for row in equations]
    pivots: list[tuple[int, dict[int, Fraction]]] = []
    while rows:
        rows = [row for row in rows if row]
        if not rows:
            break
        column = min(min(row) for row in rows)
        chosen = next(row for row in rows if column in row)
        rows.remove(chosen)
        scale = chosen[column]
        chosen = {n: c / scale for n, c in chosen.items()}
        rows = [_eliminate(row, chosen, column) for row in rows]
        pivots = [(c, _eliminate(row, chosen, column)) for c, row in pivots]
        pivots.append((column, chosen))
    return [row for _column, row in pivots if row]


def _eliminate(
    row: dict[int, Fraction], pivot: dict[int, Fraction], column: int
) -> dict[int, Fraction]:
    factor = row.get(column)
    if not factor:
        return row
    out = dict(row)
    for n, c in pivot.items():
        value = out.get(n, Fraction(0)) - factor * c
        if value:
            out[n] = value
        else:
            out.pop(n, None)
    return out


def share(numerator: int | None, denominator: int | None) -> float | None:
    """``numerator / denominator`` when both are published and the denominator is not zero."""
    if numerator is None or denominator is None or denominator == 0:
        return None
    return numerator / denominator


def coarsen_date(day: str) -> str:
    """A date as the release tier publishes it: ``YYYY-MM-DD`` -> ``YYYY-MM`` (months, not days);
    a month or a year is kept."""
    return day[:7] if len(day) > 7 else day


def coarsen_place(code: str) -> str:
    """A place as the release tier publishes it: the first-level subdivision of an ISO 3166-2
    code (``ML-7`` stays, a deeper ``FR-69-123`` becomes ``FR-69``), a country stays."""
    parts = code.split("-")
    return "-".join(parts[:2])
