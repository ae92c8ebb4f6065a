"""How long does screening a long answer take?

Run: python bench/identifier_speed.py

A form waits for `screen` before it answers (Slack gives 3 seconds for the
whole round trip), and an answer box takes up to 3,000 characters.  Measured
side by side in one run, on texts of 3,000 characters stitched from the
hand-written corpus (clean lines; lines with identifiers; clean lines with
invisible characters and fullwidth forms, which take the slow Unicode path):

* `find_identifiers` on each text;
* as a baseline, one pass of a single simple regex (the e-mail shape) over
  the same text, so the ratio says how many "regex passes" the guard costs
  on this machine whatever its speed.

The goal is a few milliseconds per 3,000 characters on a small machine.
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from identifier_scores import CLEAN, IDENTIFIERS, load

from bot.identifiers import EMAIL, find_identifiers

LENGTH = 3_000
SEED = 20261203


def stitched(lines: list[str], rng: random.Random, decorate: bool = False) -> str:
    text = ""
    while len(text) < LENGTH:
        line = rng.choice(lines)
        if decorate:
            line = line.replace(" ", "\u200b ", 1).replace("1", "\uff11", 1)
        text += line + ". "
    return text[:LENGTH]


def timed(function, text: str, rounds: int = 100) -> float:
    start = time.perf_counter()
    for _ in range(rounds):
        function(text)
    return (time.perf_counter() - start) / rounds


def side_by_side(text: str, repeats: int = 9) -> tuple[float, float]:
    """Best of `repeats` for the guard and the baseline, taken in turn so both see the same machine load."""
    guard, baseline = [], []
    for _ in range(repeats):
        guard.append(timed(find_identifiers, text))
        baseline.append(timed(EMAIL.search, text))
    return min(guard), min(baseline)


def main() -> int:
    rng = random.Random(SEED)
    clean = [line for lines in load(CLEAN).values() for line in lines]
    flagged = [line for lines in load(IDENTIFIERS).values() for line in lines]
    texts = {
        "clean lines": stitched(clean, rng),
        "lines with identifiers": stitched(flagged, rng),
        "clean, invisible + fullwidth": stitched(clean, rng, decorate=True),
    }
    find_identifiers("warm up the name lists")
    print(f"identifier guard on {LENGTH:,}-character texts (best of 9 x 100 calls, taken in turn with the baseline)")
    for label, text in texts.items():
        guard, baseline = side_by_side(text)
        print(f"  {label:30} find_identifiers {guard * 1e3:6.2f} ms   one regex pass {baseline * 1e3:6.3f} ms   ratio {guard / baseline:6.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
