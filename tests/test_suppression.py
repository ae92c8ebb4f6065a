"""`bot.suppression` internals against plain, slow definitions of what they compute.

The cube is filled and its sums written a slice at a time, the closure finds
each unknown member from a running sum of ids, and the report reads ids from
the radix (`Cube.product`): each is checked here against the obvious way.
"""

import itertools

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from bot.suppression import ALL, Dimension, cube, derivable, hidden_ids, suppress


@st.composite
def dimensions(draw):
    out = []
    for d in range(draw(st.integers(1, 3))):
        base = tuple(f"b{d}{i}" for i in range(draw(st.integers(1, 4))))
        derived = {}
        for k in range(draw(st.integers(0, 3))):
            derived[f"d{d}{k}"] = tuple(draw(st.lists(st.sampled_from(base), min_size=1, unique=True)))
        out.append(Dimension(base, derived))
    return out


@st.composite
def cubes(draw):
    dims = draw(dimensions())
    bases = [d.base for d in dims]
    counts = {key: draw(st.integers(0, 12)) for key in itertools.product(*bases)}
    return dims, counts


def _covers(dimension: Dimension, member) -> set:
    return set(dimension.sums()[member]) if member not in dimension.base else {member}


@hsettings(max_examples=150, deadline=None)
@given(cubes())
def test_every_count_is_the_sum_of_the_base_cells_it_covers(case):
    dims, counts = case
    data = cube(counts, dims)
    for ident, value in enumerate(data.counts):
        key = data.key(ident)
        covered = itertools.product(*(_covers(d, m) for d, m in zip(dims, key, strict=True)))
        assert value == sum(counts[base] for base in covered)


@hsettings(max_examples=150, deadline=None)
@given(cubes())
def test_equations_are_every_sum_in_order_of_total_then_dimension(case):
    dims, counts = case
    data = cube(counts, dims)
    expected = []
    for ident in range(len(data.counts)):
        key = data.key(ident)
        for d, dimension in enumerate(dims):
            if key[d] in dimension.base:
                continue
            parts = [data.ident((*key[:d], part, *key[d + 1:])) for part in dimension.sums()[key[d]]]
            expected.append((ident, *parts))
    assert data.equations == expected
    for total, *parts in data.equations:
        assert data.counts[total] == sum(data.counts[p] for p in parts)


def _naive_closure(data, visible: set) -> set:
    known = set(visible)
    changed = True
    while changed:
        changed = False
        for eq in data.equations:
            unknown = [m for m in eq if m not in known]
            if len(unknown) == 1:
                known.add(unknown[0])
                changed = True
    return known


@hsettings(max_examples=150, deadline=None)
@given(cubes(), st.data())
def test_closure_is_what_one_sum_at_a_time_gives(case, draw):
    dims, counts = case
    data = cube(counts, dims)
    visible = draw.draw(st.sets(st.integers(0, len(data.counts) - 1)))
    naive = {data.key(i) for i in _naive_closure(data, visible)}
    assert derivable(data, {data.key(i) for i in visible}) == naive


@hsettings(max_examples=100, deadline=None)
@given(cubes(), st.integers(3, 6), st.data())
def test_ids_of_a_product_and_suppression_on_ids(case, min_group, draw):
    dims, counts = case
    data = cube(counts, dims)
    chosen = [draw.draw(st.lists(st.sampled_from(m), min_size=1, unique=True)) for m in data.members]
    keys, ids = data.product(*chosen)
    assert keys == list(itertools.product(*chosen))
    assert ids == [data.ident(key) for key in keys]
    assert {data.key(i) for i in hidden_ids(data, ids, min_group)} == suppress(data, keys, min_group)


def test_an_empty_dimension_sums_to_zero():
    data = cube({}, [Dimension(()), Dimension(("x",), {"both": ("x",)})])
    assert data.values == {(ALL, "x"): 0, (ALL, ALL): 0, (ALL, "both"): 0}


def test_a_derived_member_of_derived_members_is_refused():
    with pytest.raises(ValueError):
        cube({("a",): 1}, [Dimension(("a",), {"twice": (ALL,)})])


def test_a_count_for_a_derived_member_is_refused():
    with pytest.raises(ValueError):
        cube({(ALL,): 1}, [Dimension(("a",))])
