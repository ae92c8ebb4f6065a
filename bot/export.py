"""`debrief-bot export`: the wellbeing report as CSV, aggregates only.

Rows are (figure, period or week, team, column, count): counts of debriefs,
answers, requests and action points (opened as `all`, done, dropped, open,
overdue), every one already suppressed by `bot.wellbeing`.
Nothing per person, no user ids, no labels of events and no free text is
read at all, so none can be written. Team is the channel or Teams team id.
"""

from __future__ import annotations

import csv
import io
from typing import TextIO

from bot.suppression import ALL
from bot.wellbeing import CUTOFFS, PERIODS, WEEKS, Report, period_name, week_name

FIELDS = ("until", "figure", "period", "team", "column", "count", "suppressed")


def parse_since(value: str) -> int:
    """`30d` -> 30; only the report's own periods (sums of the same suppressed buckets)."""
    days = value.strip().lower().removesuffix("d")
    if not days.isdigit() or int(days) not in PERIODS:
        raise ValueError(f"--since: one of {', '.join(period_name(p) for p in PERIODS)}, not {value!r}")
    return int(days)


def _weeks_within(days: int) -> list[str]:
    weeks = []
    for week in range(WEEKS):
        cutoffs = [c for c in CUTOFFS if 7 * week < c <= 7 * week + 7]
        if cutoffs and max(cutoffs) <= days:
            weeks.append(week_name(week))
    return weeks


def write_csv(report: Report, days: int, out: TextIO) -> int:
    """Write the rows of one period (and the weeks inside it); return how many."""
    wanted = {period_name(days), *_weeks_within(days)}
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FIELDS)
    count = 0
    until = report.until.isoformat(timespec="minutes")
    for figure, when, team, column, value in report.rows():
        if when not in wanted:
            continue
        writer.writerow(
            (until, figure, when, "all" if team == ALL else team, "all" if column == ALL else column,
             "" if value is None else value, "yes" if value is None else "")
        )
        count += 1
    return count


def to_csv(report: Report, days: int) -> str:
    out = io.StringIO()
    write_csv(report, days, out)
    return out.getvalue()
