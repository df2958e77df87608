"""Disclosure control: small cells withheld, and no withheld cell recoverable from the totals.

The attackers here are independent of the module: a dense rank test over the rationals (is the
cell's unit vector in the span of the published equations?) and a brute-force search over every
non-negative integer table that agrees with what is published.
"""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fieldkit.hq.indicators.disclosure import (
    Cell,
    Grid,
    coarsen_date,
    coarsen_place,
    protect,
    recoverable,
    share,
)

K = 5


def _rank(matrix: list[list[Fraction]]) -> int:
    rows = [list(r) for r in matrix]
    rank, width = 0, len(rows[0]) if rows else 0
    for column in range(width):
        pivot = next((r for r in range(rank, len(rows)) if rows[r][column] != 0), None)
        if pivot is None:
            continue
        rows[rank], rows[pivot] = rows[pivot], rows[rank]
        for r in range(len(rows)):
            if r != rank and rows[r][column] != 0:
                factor = rows[r][column] / rows[rank][column]
                rows[r] = [a - factor * b for a, b in zip(rows[r], rows[rank], strict=True)]
        rank += 1
    return rank


def _linear_attack(grid: Grid, withheld: frozenset[Cell]) -> set[Cell]:
    """Withheld cells the published totals fix: adding the cell's unit row keeps the rank."""
    unknowns = sorted(withheld, key=str)
    matrix: list[list[Fraction]] = []
    for line in grid.lines():
        row = [Fraction(0)] * len(unknowns)
        for n, cell in enumerate(unknowns):
            row[n] += Fraction(line.members.count(cell)) - (1 if cell == line.total else 0)
        matrix.append(row)
    if not unknowns:
        return set()
    base = _rank(matrix) if matrix else 0
    fixed = set()
    for n, cell in enumerate(unknowns):
        unit = [Fraction(int(m == n)) for m in range(len(unknowns))]
        if _rank([*matrix, unit]) == base:
            fixed.add(cell)
    return fixed


def _brute_force_alternatives(grid: Grid, withheld: frozenset[Cell]) -> dict[Cell, bool]:
    """For each withheld cell, whether a non-negative integer table that agrees with
    everything published gives it another value (searched exhaustively if need be)."""
    cells = grid.cells()
    rows, columns = grid.shape
    inner = [(i, j) for i in range(rows) for j in range(columns)]
    unknown = [c for c in inner if c in withheld]

    def covered(cell: Cell) -> list[Cell]:
        i, j = cell
        return [(a, b) for a, b in inner if (i is None or a == i) and (j is None or b == j)]

    # Every published total is the sum of the inner cells it covers.
    constraints = [(covered(c), cells[c]) for c in cells if None in c and c not in withheld]
    total = sum(cells[c] for c in inner)

    def search(table: dict[Cell, int], position: int, wanted: Cell) -> bool:
        for members, target in constraints:
            assigned = sum(table[m] for m in members if m in table)
            if assigned > target:
                return False
            if all(m in table for m in members) and assigned != target:
                return False
        if position == len(unknown):
            return sum(table[m] for m in covered(wanted)) != cells[wanted]
        cell = unknown[position]
        bound = min([t for members, t in constraints if cell in members], default=total + 1)
        for value in range(bound + 1):
            table[cell] = value
            if search(table, position + 1, wanted):
                return True
        del table[cell]
        return False

    fixed = {c: cells[c] for c in inner if c not in withheld}
    return {cell: search(dict(fixed), 0, cell) for cell in withheld}


def _grids(max_rows: int = 4, max_columns: int = 4, max_value: int = 12):
    values = st.integers(0, max_value)
    return st.tuples(st.integers(1, max_rows), st.integers(1, max_columns)).flatmap(
        lambda shape: st.tuples(
            st.lists(
                st.lists(values, min_size=shape[1], max_size=shape[1]),
                min_size=shape[0],
                max_size=shape[0],
            ),
            st.booleans(),
            st.booleans(),
            st.booleans(),
        )
    )


def _grid(drawn) -> Grid:
    values, rows, columns, grand = drawn
    return Grid(tuple(tuple(r) for r in values), rows, columns, grand)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_grids())
def test_no_small_count_is_published_and_no_withheld_cell_is_recoverable(drawn) -> None:
    grid = _grid(drawn)
    protection = protect(grid, K)
    cells = grid.cells()
    published = {c: v for c, v in cells.items() if c not in protection.suppressed}
    assert not [v for v in published.values() if 0 < v < K]
    assert protection.primary == {c for c, v in cells.items() if 0 < v < K}
    assert not protection.primary & protection.secondary
    # Every line with a withheld cell has two, and a published total never leaves a small gap.
    for line in grid.lines():
        withheld = [c for c in line.cells() if c in protection.suppressed]
        assert len(withheld) != 1, (line, withheld)
        if withheld and line.total not in protection.suppressed:
            assert sum(cells[c] for c in withheld) >= K or all(
                c in protection.suppressed for c in line.members
            )
    assert _linear_attack(grid, protection.suppressed) == set()
    assert recoverable(cells, grid.lines(), protection.suppressed) == set()


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_grids(max_rows=3, max_columns=3, max_value=5))
def test_brute_force_finds_another_value_for_every_withheld_cell(drawn) -> None:
    grid = _grid(drawn)
    protection = protect(grid, K)
    found = _brute_force_alternatives(grid, protection.suppressed)
    assert all(found.values()), found


def test_brute_force_recovers_a_cell_withheld_alone() -> None:
    # The attacker works: primary suppression alone gives 3 back; with the complements,
    # nothing comes back.
    grid = Grid(((3, 10, 7), (8, 9, 12), (6, 6, 20)))
    assert _brute_force_alternatives(grid, frozenset({(0, 0)})) == {(0, 0): False}
    assert all(_brute_force_alternatives(grid, protect(grid, K).suppressed).values())


def test_one_small_cell_takes_a_second_cell_in_its_row_and_column() -> None:
    # Row 0 is 3 + 10 + 7 = 20, column 0 is 3 + 8 + 6 = 17: withholding 3 alone would leave
    # it as 20 - 10 - 7. The cheapest complements: 7 in row 0 and 6 in column 0, then 20 in
    # row 2 / column 2 closes the rectangle (3, 7 / 6, 20); every line then has two.
    grid = Grid(((3, 10, 7), (8, 9, 12), (6, 6, 20)))
    protection = protect(grid, K)
    assert protection.primary == {(0, 0)}
    assert protection.secondary == {(0, 2), (2, 0), (2, 2)}
    assert _linear_attack(grid, protection.suppressed) == set()


def test_the_margins_alone_would_give_the_cell_back() -> None:
    # Without secondary suppression, 3 is 20 - 10 - 7: the attack finds it.
    grid = Grid(((3, 10, 7), (8, 9, 12), (6, 6, 20)))
    assert _linear_attack(grid, frozenset({(0, 0)})) == {(0, 0)}
    assert recoverable(grid.cells(), grid.lines(), {(0, 0)}) == {(0, 0)}


def test_a_bridge_between_two_rectangles_is_recoverable_and_gets_fixed() -> None:
    # Two withheld rectangles joined by one withheld cell: each line has two withheld cells,
    # yet the joining cell is fixed (a bridge). The audit must see it.
    grid = Grid(((6, 6, 0, 0), (6, 6, 6, 0), (0, 0, 6, 6), (0, 0, 6, 6)))
    pattern = frozenset({(0, 0), (0, 1), (1, 0), (1, 1), (1, 2), (2, 2), (2, 3), (3, 2), (3, 3)})
    # rows: 0 {0,1}, 1 {0,1,2}, 2 {2,3}, 3 {2,3}; columns: 0 {0,1}, 1 {0,1}, 2 {1,2,3}, 3 {2,3}
    assert (1, 2) in _linear_attack(grid, pattern)
    assert (1, 2) in recoverable(grid.cells(), grid.lines(), pattern)


def test_a_one_column_table_with_a_total() -> None:
    # 3 + 10 + 7 = 20 published: 3 and the next smallest, 7, are withheld (their sum 10 >= 5).
    grid = Grid(((3,), (10,), (7,)))
    protection = protect(grid, K)
    assert protection.primary == {(0, 0)}
    assert protection.secondary == {(2, 0)}


def test_small_withheld_cells_are_joined_by_enough_to_hide_their_sum() -> None:
    # 1 and 2 withheld alone would publish their sum, 3: both small. 8 joins them (sum 11).
    grid = Grid(((1,), (2,), (8,), (9,)))
    protection = protect(grid, K)
    assert protection.primary == {(0, 0), (1, 0)}
    assert protection.secondary == {(2, 0)}


def test_a_small_total_is_withheld_too() -> None:
    # Row 0 = 1 + 2 = 3 is itself a small count.
    grid = Grid(((1, 2), (9, 8)))
    protection = protect(grid, K)
    assert (0, None) in protection.primary
    assert _linear_attack(grid, protection.suppressed) == set()


def test_nothing_small_nothing_withheld() -> None:
    grid = Grid(((0, 5), (12, 7)))
    protection = protect(grid, K)
    assert protection.suppressed == frozenset()


def test_min_cell_is_configurable() -> None:
    grid = Grid(((3,), (10,), (7,)))
    assert protect(grid, 3).suppressed == frozenset()
    assert protect(grid, 11).primary == {(0, 0), (1, 0), (2, 0)}
    with pytest.raises(ValueError):
        protect(grid, 0)


def test_share_only_from_published_counts() -> None:
    assert share(3, 12) == 0.25
    assert share(None, 12) is None
    assert share(3, None) is None
    assert share(0, 0) is None


def test_coarsening() -> None:
    assert coarsen_date("2026-03-14") == "2026-03"
    assert coarsen_date("2026-03") == "2026-03"
    assert coarsen_date("2026") == "2026"
    assert coarsen_place("ML-7") == "ML-7"
    assert coarsen_place("FR-69-123") == "FR-69"
    assert coarsen_place("MLI") == "MLI"


@settings(max_examples=100, deadline=None)
@given(
    st.dictionaries(
        st.tuples(st.sampled_from(["BF-08", "ML-1", "ML-7", "NE-1"]), st.sampled_from(["f", "m"])),
        st.integers(0, 12),
        min_size=1,
    )
)
def test_a_release_output_publishes_consistent_totals_and_no_small_count(cells) -> None:
    """The use case's layout: a two-dimension cross table, released; what it publishes adds up
    and a linear attack on it recovers nothing."""
    from fieldkit.hq.analysis.filters import Period
    from fieldkit.hq.indicators.definitions import BY_ID
    from fieldkit.hq.indicators.model import Counts
    from fieldkit.hq.indicators.service import lay_out

    counts = Counts(columns=("persons",))
    for (place, sex), n in cells.items():
        counts.add((place, sex), "persons", n)
    out = lay_out(
        BY_ID["sdg-16-10-1"], counts, ("admin1", "sex"), "release", K, Period.parse("2026"), {}
    )
    assert out.row_dims == ("admin1",) and out.column_dim == "sex"
    grid = Grid(tuple(tuple(cells.get((r.key[0], c), 0) for c in out.columns) for r in out.rows))
    shown: dict[Cell, int | None] = {}
    for i, row in enumerate(out.rows):
        shown.update({(i, j): v for j, v in enumerate(row.values)})
        if grid.publishes_row_totals():
            shown[(i, None)] = row.total
    if grid.publishes_column_totals():
        shown.update({(None, j): v for j, v in enumerate(out.column_totals or ())})
    if grid.publishes_grand_total():
        shown[(None, None)] = out.grand_total
    truth = grid.cells()
    assert set(shown) == set(truth)
    withheld = frozenset(c for c, v in shown.items() if v is None)
    assert all(shown[c] == truth[c] for c in truth if c not in withheld)
    assert not [v for v in shown.values() if v is not None and 0 < v < K]
    assert _linear_attack(grid, withheld) == set()
    assert len(out.suppressed) == len(withheld)


def test_a_release_merges_finer_places_and_days_into_their_coarse_rows() -> None:
    """Whatever a query returns, a release shows first-level places and months: rows of a
    deeper place or of a day are added into theirs before suppression."""
    from fieldkit.hq.analysis.filters import Period
    from fieldkit.hq.indicators.definitions import BY_ID
    from fieldkit.hq.indicators.model import Counts
    from fieldkit.hq.indicators.service import lay_out

    counts = Counts(columns=("observations",))
    counts.add(("FR-69-123",), "observations", 3)  # a deeper subdivision of FR-69
    counts.add(("FR-69",), "observations", 4)
    counts.add(("ML-7",), "observations", 9)
    chosen = BY_ID["market-observations"]
    out = lay_out(chosen, counts, ("admin1",), "release", K, Period.parse("2026"), {})
    assert [(r.key, r.values) for r in out.rows] == [(("FR-69",), (7,)), (("ML-7",), (9,))]
    counts = Counts(columns=("observations",))
    counts.add(("2026-03-14",), "observations", 2)
    counts.add(("2026-03-20",), "observations", 3)
    out = lay_out(chosen, counts, ("month",), "release", K, Period.parse("2026"), {})
    assert [(r.key, r.values) for r in out.rows] == [(("2026-03",), (5,))]
    internal = lay_out(chosen, counts, ("month",), "internal", K, Period.parse("2026"), {})
    assert [r.key for r in internal.rows] == [("2026-03-14",), ("2026-03-20",)]
