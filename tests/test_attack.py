"""The attack suite's own tools (`tests/attack.py`): its markers are taken as answers, its chance level is right."""

from __future__ import annotations

import math
import random

from attack import marker, p_value

from bot.identifiers import screen


def test_markers_are_never_refused_as_patient_identifiers() -> None:
    # A refused marker used to end the attack run with a KeyError one time in three (hex markers as postcodes).
    for _ in range(3000):
        screen({"team_note": f"I keep thinking about it {marker()}"})


def test_p_value_is_the_tail_of_fixed_points_of_random_batches() -> None:
    batches = [5, 5, 5, 1]
    assert p_value(0, batches) == 1.0 and p_value(1, batches) == 1.0  # the batch of one is always "linked"
    rng = random.Random(12)
    trials, at_least_eight = 40_000, 0
    for _ in range(trials):
        linked = 0
        for size in batches:
            order = list(range(size))
            rng.shuffle(order)
            linked += sum(1 for i, j in enumerate(order) if i == j)
        at_least_eight += linked >= 8
    expected = p_value(8, batches)
    assert math.isclose(at_least_eight / trials, expected, abs_tol=4 * math.sqrt(expected / trials))
