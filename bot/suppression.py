"""Minimum-group suppression with complementary suppression, as pure functions.

A published table is a set of counts tied together by sums: a row total is
the sum of its cells, the 90-day figure is the 30-day one plus the 60 days
before, the whole organisation is the sum of its teams. Hiding a small cell
is not enough when one of those sums, together with the visible cells, gives
it back. So:

1. Every shown count in 1..min_group-1 is hidden (primary suppression).
2. Anything a reader can work out from the shown counts, one sum at a time,
   is "known" (the closure). A known count in 1..min_group-1, shown or not,
   is a leak; for each leak one more count of the sum that gave it away is
   hidden (complementary suppression), and the closure is computed again,
   until nothing small can be derived.

Zero is not sensitive (nobody to recognise), so zeros stay visible. The
closure solves one sum at a time; it is the standard heuristic of
statistical agencies, not a full linear-programming audit.

The counts live in a *cube*: each dimension (team, time bucket, column) has
base members and derived members that are sums of base members (e.g. `*` for
everything, `P30` for the first five time buckets). `cube` fills in every
derived combination and the equations that tie them together.
"""

from __future__ import annotations

import itertools
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

Key = tuple[Hashable, ...]
ALL = "*"


@dataclass(frozen=True)
class Dimension:
    base: tuple[Hashable, ...]
    derived: Mapping[Hashable, tuple[Hashable, ...]] = field(default_factory=dict)
    """Derived member -> the base members it sums. `ALL` is added: every base member."""

    def sums(self) -> dict[Hashable, tuple[Hashable, ...]]:
        return {ALL: tuple(self.base), **{name: tuple(parts) for name, parts in self.derived.items()}}

    @property
    def members(self) -> tuple[Hashable, ...]:
        return (*self.base, *self.sums())


@dataclass
class Cube:
    """Every combination of members as an integer id (mixed radix), its count, and the sums.

    `equations[i]` is (total, part, part, ...) as ids, each id once.
    """

    dimensions: Sequence[Dimension]
    members: list[tuple[Hashable, ...]]
    counts: list[int]
    equations: list[tuple[int, ...]]

    def key(self, ident: int) -> Key:
        out = []
        for members in reversed(self.members):
            ident, position = divmod(ident, len(members))
            out.append(members[position])
        return tuple(reversed(out))

    @cached_property
    def _positions(self) -> list[dict[Hashable, int]]:
        return [{member: i for i, member in enumerate(members)} for members in self.members]

    def ident(self, key: Key) -> int:
        ident = 0
        for members, positions, member in zip(self.members, self._positions, key, strict=True):
            ident = ident * len(members) + positions[member]
        return ident

    def product(self, *members: Sequence[Hashable]) -> tuple[list[Key], list[int]]:
        """Every combination of the given members (one sequence per dimension) and its id, in order.

        What a report publishes is such a product; its ids come from the radix, not a lookup per key.
        """
        keys = list(itertools.product(*members))
        ids = [0]
        for chosen, positions, size in zip(members, self._positions, map(len, self.members), strict=True):
            ids = [i * size + positions[member] for i in ids for member in chosen]
        return keys, ids

    @property
    def values(self) -> dict[Key, int]:
        return {self.key(i): n for i, n in enumerate(self.counts)}


def cube(counts: Mapping[Key, int], dimensions: Sequence[Dimension]) -> Cube:
    """Every combination of base and derived members, with the sums that tie them.

    Built a derived member at a time over whole slices of the cube (every
    combination of the other dimensions at once), not a cell at a time: the
    report's distress tables have thousands of cells each.
    """
    members = [d.members for d in dimensions]
    sizes = [len(m) for m in members]
    strides = [1] * len(dimensions)
    for d in range(len(dimensions) - 2, -1, -1):
        strides[d] = strides[d + 1] * sizes[d + 1]
    total = strides[0] * sizes[0] if dimensions else 1
    position = [{member: i for i, member in enumerate(m)} for m in members]
    parts = [  # per dimension, per position: positions of the parts, or None for a base member
        [None] * len(d.base) + [tuple(position[k][p] for p in d.sums()[name]) for name in d.sums()]
        for k, d in enumerate(dimensions)
    ]
    for k, dimension in enumerate(dimensions):
        if any(parts[k][p] is not None for these in parts[k] if these for p in these):
            raise ValueError(f"a derived member of {dimension!r} sums a derived member")
    base_position = [{member: i for i, member in enumerate(d.base)} for d in dimensions]
    value = [0] * total
    for key, count in counts.items():
        try:
            if len(key) != len(dimensions):
                raise KeyError(key)
            ident = sum([base_position[d][member] * strides[d] for d, member in enumerate(key)])
        except KeyError:
            raise ValueError(f"{key!r} is not a combination of base members") from None
        value[ident] = int(count)
    # Dimension by dimension: a cell derived in this dimension is the sum of cells that
    # are base in it, and those are right once every earlier dimension is done (cells
    # derived in a later dimension too are overwritten when that dimension's turn comes).
    slots: list[tuple[int, ...] | None] = [None] * (total * len(dimensions))
    for d, (stride, size) in enumerate(zip(strides, sizes, strict=True)):
        for position_d, these in enumerate(parts[d]):
            if these is None:
                continue
            starts = range(position_d * stride, total, stride * size)  # every cell at this position
            ids = [i for start in starts for i in range(start, start + stride)]
            part_ids = [[i + (p - position_d) * stride for i in ids] for p in these]
            sums = map(sum, zip(*([value[j] for j in column] for column in part_ids), strict=True)) if these else itertools.repeat(0)
            for i, n in zip(ids, sums, strict=False):
                value[i] = n
            for equation in zip(ids, *part_ids, strict=True):
                slots[equation[0] * len(dimensions) + d] = equation
    # in the order of (total, dimension), which the closure's choices depend on
    equations = [equation for equation in slots if equation is not None]
    return Cube(dimensions=dimensions, members=members, counts=value, equations=equations)


class _Sums:
    """A cube's equations as flat (equation, member) pairs: the closure works on all of them at once."""

    def __init__(self, equations: Sequence[tuple[int, ...]], cells: int) -> None:
        self.equations = equations
        lengths = np.fromiter(map(len, equations), dtype=np.int64, count=len(equations))
        self.equation = np.repeat(np.arange(len(equations), dtype=np.int64), lengths)
        self.member = np.fromiter(itertools.chain.from_iterable(equations), dtype=np.int64, count=int(lengths.sum()))
        self.cells = cells

    def closure(self, known: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """What a reader can work out from `known` (bools per id), one sum at a time, and from which sum.

        Round by round: every sum with exactly one unknown member gives that
        member (the sum of the unknown ids is its id), all at once. `via[i]` is
        the first such sum that gave cell i (-1: known from the start or never).
        """
        unknown = ~known
        via = np.full(self.cells, -1, dtype=np.int64)
        equations = len(self.equations)
        while True:
            open_ = unknown[self.member]
            equation, member = self.equation[open_], self.member[open_]
            missing = np.bincount(equation, minlength=equations)
            solvable = np.flatnonzero(missing == 1)
            if not len(solvable):
                return ~unknown, via
            ids = np.bincount(equation, weights=member, minlength=equations)[solvable].astype(np.int64)
            found, first = np.unique(ids, return_index=True)
            via[found] = solvable[first]
            unknown[found] = False


def derivable(data: Cube, visible: Iterable[Key]) -> set[Key]:
    """Every key a reader can work out from the visible ones (for tests and audits)."""
    start = np.zeros(len(data.counts), dtype=bool)
    for key in visible:
        start[data.ident(key)] = True
    known, _ = _Sums(data.equations, len(data.counts)).closure(start)
    return {data.key(int(i)) for i in np.flatnonzero(known)}


def suppress(data: Cube, shown: Iterable[Key] | None, min_group: int) -> set[Key]:
    """The shown keys to hide so that no count in 1..min_group-1 can be seen or derived.

    `shown`: the keys published (None: every key).
    """
    shown_ids = range(len(data.counts)) if shown is None else [data.ident(key) for key in shown]
    return {data.key(i) for i in hidden_ids(data, shown_ids, min_group)}


def hidden_ids(data: Cube, shown: Iterable[int], min_group: int, public: Iterable[int] = ()) -> set[int]:
    """`suppress` on ids (`Cube.product`): the shown ids to hide.

    `public`: ids another figure already shows (the debriefs held are the
    totals of the time-to-debrief bands). A reader knows them, so they count
    in every sum, and they cannot be taken back: partners are found elsewhere.
    """
    counts = data.counts
    public_ids = set(public)
    shown_ids = set(shown) - public_ids
    small = [i for i, n in enumerate(counts) if 0 < n < min_group]
    hidden = shown_ids.intersection(small)
    if small:
        sums = _Sums(data.equations, len(counts))
        visible = np.zeros(len(counts), dtype=bool)
        visible[list(shown_ids | public_ids)] = True
        small_ids = np.array(small, dtype=np.int64)
        last_leaks = len(counts) + 1
        while True:
            start = visible.copy()
            start[list(hidden)] = False
            known, via = sums.closure(start)
            leaks = small_ids[known[small_ids]].tolist()
            if not leaks:
                break
            before = len(hidden)
            # One more cell per leak; when the last round did not shrink what a reader
            # knows (the partner was derivable another way), every visible partner.
            stuck = len(leaks) >= last_leaks
            last_leaks = len(leaks)
            for leak in leaks:
                _hide_a_partner(leak, data.equations, via, counts, shown_ids, hidden, known, every=stuck)
            if len(hidden) == before:  # cannot happen; never loop forever on a privacy rule
                by_id = _equations_of(data)
                hidden |= {m for leak in leaks for i in by_id[leak] for m in data.equations[i] if m in shown_ids}
                hidden |= {leak for leak in leaks if leak in shown_ids}
                if len(hidden) == before:
                    hidden = set(shown_ids)
                    break
    return hidden


def _equations_of(data: Cube) -> list[list[int]]:
    """Per id, the equations it is a member of, in order."""
    by_id: list[list[int]] = [[] for _ in data.counts]
    for i, eq in enumerate(data.equations):
        for member in eq:
            by_id[member].append(i)
    return by_id


def _hide_a_partner(
    leak: int,
    equations: Sequence[tuple[int, ...]],
    via: np.ndarray,
    counts: Sequence[int],
    shown: set[int],
    hidden: set[int],
    known: np.ndarray,
    every: bool = False,
) -> None:
    """Hide one more count of the sum that revealed `leak` (the smallest non-zero one)."""
    seen: set[int] = set()
    target = leak

    def order(m: int) -> tuple[bool, int, int]:
        return (counts[m] == 0, counts[m], m)

    while via[target] >= 0 and target not in seen:
        seen.add(target)
        partners = [m for m in equations[via[target]] if m != target and known[m]]
        visible = [m for m in partners if m in shown and m not in hidden]
        if visible:
            hidden.update(visible if every else [min(visible, key=order)])
            return
        derived = [m for m in partners if via[m] >= 0 and m not in seen]
        if not derived:
            break
        target = min(derived, key=order)
    if target in shown:
        hidden.add(target)


def suppress_table(
    rows: Mapping[Hashable, Mapping[Hashable, int]], min_group: int
) -> dict[Key, int | None]:
    """A two-way table with row, column and grand totals, every cell shown or None.

    Keys are (row, column), with `ALL` for totals: `(team, ALL)` is the team's
    total, `(ALL, column)` the column's, `(ALL, ALL)` the grand total.
    """
    row_names = tuple(rows)
    columns = tuple(dict.fromkeys(c for row in rows.values() for c in row))
    table = cube(
        {(r, c): n for r, row in rows.items() for c, n in row.items()},
        [Dimension(row_names), Dimension(columns)],
    )
    hidden = suppress(table, None, min_group)
    return {key: (None if key in hidden else value) for key, value in table.values.items()}
