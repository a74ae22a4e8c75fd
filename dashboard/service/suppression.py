"""Small counts hidden so that they stay hidden: primary and complementary suppression.

A partner (mitra) sees no count from 1 to `SMALL` - 1: such a cell reads "<5". Hiding one cell
of a column is not enough when the column's total can be read elsewhere (another table of the
same report counts the same people, or the reader adds the column up from a bigger table): the
total minus the shown cells gives the hidden one back. So in every column that hides anything,
cells are hidden until at least two are, summing to at least `2 * SMALL`; the extra cells
(complementary suppression, the smallest counts first) read "·", so a reader cannot take them
for small ones either.
"""

from __future__ import annotations

from collections.abc import Sequence

SMALL = 5
PRIMARY = "<5"
COMPLEMENT = "·"


def protect(columns: Sequence[Sequence[int]]) -> list[list[int | str]]:
    """Each column of counts with the small ones and their complements hidden."""
    return [_protect_column(list(column)) for column in columns]


def _protect_column(values: list[int]) -> list[int | str]:
    primary = {i for i, v in enumerate(values) if 0 < v < SMALL}
    hidden = set(primary)
    while hidden and (len(hidden) < 2 or sum(values[i] for i in hidden) < 2 * SMALL):
        rest = sorted((v, i) for i, v in enumerate(values) if i not in hidden and v > 0)
        if not rest:
            break  # everything of the column is hidden already
        hidden.add(rest[0][1])
    return [PRIMARY if i in primary else COMPLEMENT if i in hidden else v for i, v in enumerate(values)]
