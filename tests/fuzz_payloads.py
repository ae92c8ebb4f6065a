"""Hypothesis strategies for the server's edges: real-looking payloads, then mutated.

`mutated(template)` draws a copy of `template` with up to four changes,
each at a path that exists in it: a value replaced by any JSON value (a
string where an object belongs, a list, a number, null), a key removed, or
a key added. Ids the bot really uses are among the strings drawn, so that
a mutated payload often reaches a real listener with the wrong shape
inside, not only Bolt's or botbuilder's front door.
"""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import strategies as st

REMOVE = object()


def json_values(ids: list[str]) -> st.SearchStrategy[Any]:
    leaves = (
        st.none()
        | st.booleans()
        | st.integers(min_value=-(2**63), max_value=2**63)
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.text(max_size=12)
        | st.sampled_from(ids)
    )
    return st.recursive(
        leaves,
        lambda children: st.lists(children, max_size=3) | st.dictionaries(st.sampled_from(ids) | st.text(max_size=6), children, max_size=3),
        max_leaves=6,
    )


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside `value` (dict keys and list indexes), the root excluded."""
    found: list[tuple[Any, ...]] = []
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else []
    for key, child in items:
        found.append((*prefix, key))
        found += paths(child, (*prefix, key))
    return found


def _apply(document: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    parent = document
    for key in path[:-1]:
        try:
            parent = parent[key]
        except (KeyError, IndexError, TypeError):
            return document  # an earlier change removed or replaced this branch
    last = path[-1]
    if isinstance(parent, dict):
        if new is REMOVE:
            parent.pop(last, None)
        else:
            parent[last] = new
    elif isinstance(parent, list) and isinstance(last, int) and last < len(parent):
        if new is REMOVE:
            parent.pop(last)
        else:
            parent[last] = new
    return document


@st.composite
def mutated(draw: st.DrawFn, template: Any, ids: list[str]) -> Any:
    document = copy.deepcopy(template)
    places = paths(document)
    changes = draw(st.integers(min_value=1, max_value=4))
    for _ in range(changes):
        if draw(st.integers(0, 19)) == 0:
            return draw(json_values(ids))  # now and then the whole payload is something else
        path = draw(st.sampled_from(places))
        if draw(st.booleans()) and isinstance(document, dict) and len(path) == 1 and draw(st.booleans()):
            path = (draw(st.sampled_from(ids) | st.text(max_size=6)),)  # a key added at the top
        new = REMOVE if draw(st.integers(0, 3)) == 0 else draw(json_values(ids))
        document = _apply(document, path, new)
    return document
