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
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

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
    values: dict[Key, int]
    equations: list[tuple[Key, ...]]
    """(total, part, part, ...): total = sum of the parts."""


def cube(counts: Mapping[Key, int], dimensions: Sequence[Dimension]) -> Cube:
    """Every combination of base and derived members, with the sums that tie them."""
    values: dict[Key, int] = {
        key: int(counts.get(key, 0)) for key in itertools.product(*(d.base for d in dimensions))
    }
    for key in counts:
        if key not in values:
            raise ValueError(f"{key!r} is not a combination of base members")
    equations: list[tuple[Key, ...]] = []
    for index, dimension in enumerate(dimensions):
        sums = dimension.sums()
        grown = dict(values)
        others = {key[:index] + key[index + 1 :] for key in values}
        for name, parts in sums.items():
            for rest in others:
                total = rest[:index] + (name,) + rest[index:]
                members = [rest[:index] + (part,) + rest[index:] for part in parts]
                grown[total] = sum(values[m] for m in members)
                equations.append((total, *members))
        values = grown
    # A derived member of one dimension combined with derived members of the
    # next is summed over the later dimension above; the earlier dimension's
    # sums hold for it too, so add those equations as well.
    for index, dimension in enumerate(dimensions):
        for name, parts in dimension.sums().items():
            for key in values:
                if key[index] != name:
                    continue
                if all(key[j] in dimensions[j].base for j in range(index + 1, len(dimensions))):
                    continue  # already written above
                equations.append((key, *(key[:index] + (part,) + key[index + 1 :] for part in parts)))
    return Cube(values=values, equations=equations)


def _closure(
    equations: Sequence[tuple[Key, ...]], by_key: Mapping[Key, list[int]], known: set[Key]
) -> tuple[set[Key], dict[Key, int]]:
    """What a reader can work out from `known`, one sum at a time, and from which sum."""
    known = set(known)
    via: dict[Key, int] = {}
    missing = [sum(member not in known for member in set(eq)) for eq in equations]
    queue = [i for i, count in enumerate(missing) if count == 1]
    while queue:
        i = queue.pop()
        if missing[i] != 1:
            continue
        member = next(m for m in equations[i] if m not in known)
        known.add(member)
        via[member] = i
        for j in by_key[member]:
            missing[j] -= 1
            if missing[j] == 1:
                queue.append(j)
    return known, via


def suppress(
    values: Mapping[Key, int],
    equations: Sequence[tuple[Key, ...]],
    shown: Iterable[Key],
    min_group: int,
) -> set[Key]:
    """The shown keys to hide so that no count in 1..min_group-1 can be seen or derived."""
    shown = set(shown)

    def small(key: Key) -> bool:
        return 0 < values[key] < min_group

    hidden = {key for key in shown if small(key)}
    if not any(small(key) for key in values):
        return hidden  # nothing small anywhere: nothing to protect
    by_key: dict[Key, list[int]] = defaultdict(list)
    for i, eq in enumerate(equations):
        for member in set(eq):
            by_key[member].append(i)
    while True:
        known, via = _closure(equations, by_key, shown - hidden)
        leaks = [key for key in known if small(key)]
        if not leaks:
            return hidden
        before = len(hidden)
        for leak in sorted(leaks, key=repr):
            _hide_a_partner(leak, equations, via, values, shown, hidden, known)
        if len(hidden) == before:  # cannot happen; never loop forever on a privacy rule
            hidden |= {m for leak in leaks for i in by_key[leak] for m in equations[i] if m in shown}
            hidden |= {leak for leak in leaks if leak in shown}
            if len(hidden) == before:
                return hidden | shown


def _hide_a_partner(
    leak: Key,
    equations: Sequence[tuple[Key, ...]],
    via: Mapping[Key, int],
    values: Mapping[Key, int],
    shown: set[Key],
    hidden: set[Key],
    known: set[Key],
) -> None:
    """Hide one more count of the sum that revealed `leak` (the smallest non-zero one)."""
    seen: set[Key] = set()
    target = leak
    while target in via and target not in seen:
        seen.add(target)
        partners = [m for m in set(equations[via[target]]) if m != target and m in known]
        visible = [m for m in partners if m in shown and m not in hidden]
        if visible:
            hidden.add(min(visible, key=lambda m: (values[m] == 0, values[m], repr(m))))
            return
        derived = [m for m in partners if m in via and m not in seen]
        if not derived:
            return
        target = min(derived, key=lambda m: (values[m] == 0, values[m], repr(m)))
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
    hidden = suppress(table.values, table.equations, table.values, min_group)
    return {key: (None if key in hidden else value) for key, value in table.values.items()}
