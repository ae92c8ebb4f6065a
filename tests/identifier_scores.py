"""Score the identifier guard on the hand-written lines in tests/identifier_lines/.

Shared by tests/test_identifiers.py (which asserts the goals) and
bench/identifier_false_positives.py (which prints the figures), so both read
the corpus and count the same way: a line with an identifier is caught when
the guard flags anything in it (the person is asked to look again), and it
is caught as its own kind when one finding has the section's kind; a clean
line is a false alarm when anything in it is flagged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from bot.identifiers import find_identifiers

LINES = Path(__file__).with_name("identifier_lines")
IDENTIFIERS = LINES / "identifiers.txt"
CLEAN = LINES / "clean.txt"
HELDOUT = LINES / "heldout.txt"
_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")


def load(path: Path) -> dict[str, list[str]]:
    """Sections of a corpus file: "## kind" headers, one line each, "#" comments; \\uXXXX escapes decoded.

    Invisible characters are written as escapes so that the file shows them.
    """
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line.startswith("## "):
            current = sections.setdefault(line[3:].strip(), [])
        elif line and not line.startswith("#") and current is not None:
            current.append(_ESCAPE.sub(lambda m: chr(int(m[1], 16)), line))
    return sections


@dataclass
class Score:
    """Counts for one section; `kind` is the finding kind it expects ("name, no title" expects "name")."""

    section: str
    kind: str
    lines: int = 0
    flagged: int = 0
    as_kind: int = 0
    examples: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.flagged / self.lines if self.lines else 0.0


def score(sections: dict[str, list[str]], clean: bool) -> list[Score]:
    """Per section: lines flagged (recall for identifiers, false alarms for clean lines)."""
    scores = []
    for kind, lines in sections.items():
        bare = kind.removeprefix("clean ").strip()
        result = Score(bare, bare.split(",")[0].strip())
        for line in lines:
            found = find_identifiers(line)
            result.lines += 1
            if found:
                result.flagged += 1
                result.as_kind += any(finding.kind == result.kind for finding in found)
            if bool(found) == clean:
                result.examples.append(line)
        scores.append(result)
    return scores


def split_heldout(path: Path = HELDOUT) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """The held-out file mixes both: "## clean x" sections are clean, the rest hold identifiers."""
    sections = load(path)
    identifiers = {k: v for k, v in sections.items() if not k.startswith("clean ")}
    clean = {k: v for k, v in sections.items() if k.startswith("clean ")}
    return identifiers, clean


def total(scores: list[Score]) -> tuple[int, int]:
    return sum(s.flagged for s in scores), sum(s.lines for s in scores)
