"""Wellbeing reports made by hand, for tests of what is drawn and worded from them.

`crafted_report` fills every figure the real report has (`bot.wellbeing`),
for the whole organisation and one team, with the cells a test names and a
default for the rest. A test says which cells are hidden (None) and checks
that no picture and no line shows them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from bot.suppression import ALL
from bot.wellbeing import PERIODS, SINCE_EVENT_COLUMNS, WEEKS, Figure, Report, period_name, week_name

UNTIL = datetime(2026, 1, 5, 14, 0, tzinfo=UTC)
BANDS = ("0-3", "4-6", "7-10")
STAGES = ("debrief", "24h", "7d")
TEAM = "CWARD0007"


def crafted_report(
    weeks: Sequence[tuple[int, int, int] | None] | None = None,
    shares: Mapping[str, tuple[int | None, int | None]] | None = None,
    *,
    min_group: int = 5,
    default: int | None = 6,
) -> Report:
    """`weeks`: distress bands of the debrief stage per week, newest first (None: hidden week);
    `shares`: per stage, (invited, answered) over 30 days; every other cell is `default`."""
    weeks = list(weeks) if weeks is not None else [(9, 6, 5)] * WEEKS
    shares = dict(shares or {"debrief": (40, 30), "24h": (30, 18), "7d": (None, None)})
    whens = [period_name(p) for p in PERIODS] + [week_name(w) for w in range(WEEKS)]
    teams = (ALL, TEAM)

    def figure(name: str, columns: tuple[str, ...], weekly: bool = False) -> Figure:
        cells = {
            (team, when, column): default
            for team in teams
            for when in (whens if weekly else whens[: len(PERIODS)])
            for column in (*columns, ALL)
        }
        return Figure(name, (TEAM,), columns, cells)

    figures = {
        "debriefs held": figure("debriefs held", ("held",)),
        "time to debrief": figure("time to debrief", SINCE_EVENT_COLUMNS),
        "debriefs skipped": figure("debriefs skipped", ("no_time", "other")),
        "invited": figure("invited", STAGES),
        "responses": figure("responses", STAGES),
        **{f"distress {stage}": figure(f"distress {stage}", BANDS, weekly=True) for stage in STAGES},
        "action points": figure("action points", ("open", "overdue", "done", "dropped")),
        "support requests": figure("support requests", ("open", "claimed", "closed")),
    }
    distress = figures["distress debrief"].cells
    for week, bands in enumerate(weeks):
        for band, value in zip(BANDS, bands or (None, None, None), strict=True):
            distress[(ALL, week_name(week), band)] = value
        distress[(ALL, week_name(week), ALL)] = sum(bands) if bands else None
    for stage, (invited, answered) in shares.items():
        figures["invited"].cells[(ALL, "30d", stage)] = invited
        figures["responses"].cells[(ALL, "30d", stage)] = answered
    return Report(until=UNTIL, min_group=min_group, teams=(TEAM,), stages=STAGES, figures=figures)
