"""The wellbeing officers' report: 7, 30 and 90 days, overall and per team.

Each figure comes from one GROUP BY query (team, time bucket, column) over
the rows of the last 90 days; Python only folds those aggregate rows into
cubes (team x bucket x column) and suppresses them (`bot.suppression`):
every count shown or derivable from the shown ones is 0 or at least
`min_group`. The periods and the weekly trend are sums of the same time
buckets, so a 90-day figure minus a 30-day one cannot reveal a small group.

Participants, receipts and distress answers are most of the rows. A
debrief whose answers have closed has them counted once in `StageTally`
rows (`Tallies.expire_keys`, `bot.tallies`); the report reads those, grouped by team,
fine time bucket and stage in one query, and counts live only the recent
debriefs not tallied yet. The figures are the same either way.

Time from event to debrief is what the lead picked in the set-up form, a
band (`SinceEvent`) or "not given"; the bot never stores when the event
happened (`EVENT_TIME_NOTE`). It comes from the same query as the debriefs
held, so it costs no extra statement.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Hashable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, and_, case, func, literal, or_, select, type_coerce, union_all
from sqlmodel import col

from bot.db import Database, UTCDateTime
from bot.models import (
    ActionPoint,
    ActionStatus,
    Answer,
    AnswerReceipt,
    Debrief,
    Followup,
    FollowupStatus,
    Participant,
    SinceEvent,
    SkippedDebrief,
    StageTally,
    SupportRequest,
)
from bot.results import BANDS, DISTRESS, _stage_order
from bot.scripts import DEBRIEF_STAGE
from bot.suppression import ALL, Dimension, cube, hidden_ids

PERIODS = (7, 30, 90)
WEEKS = 13
CUTOFFS = (7, 14, 21, 28, 30, 35, 42, 49, 56, 63, 70, 77, 84, 90)
"""Time buckets, in days before `until`: bucket i is [until - CUTOFFS[i], until - CUTOFFS[i-1])."""
NO_TEAM = "(no debrief)"
NOT_GIVEN = "not_given"
SINCE_EVENT_COLUMNS = (*(band.value for band in SinceEvent), NOT_GIVEN)
EVENT_TIME_NOTE = (
    "Time from event to debrief: as the lead picked it when setting the debrief up (optional), in bands; "
    "the bot never stores when an event happened."
)


def period_name(days: int) -> str:
    return f"{days}d"


def week_name(week: int) -> str:
    return f"w{week}"


def _buckets(days: Sequence[int]) -> tuple[int, ...]:
    return tuple(range(len(days)))


FINE = Dimension(
    _buckets(CUTOFFS),
    {
        **{period_name(p): tuple(i for i, c in enumerate(CUTOFFS) if c <= p) for p in PERIODS},
        **{week_name(w): tuple(i for i, c in enumerate(CUTOFFS) if 7 * w < c <= 7 * w + 7) for w in range(WEEKS)},
    },
)
"""Fine buckets: periods and weeks (week 4 is days 28-35, split at 30) are sums of them."""
TALLY_BANDS = (StageTally.distress_low, StageTally.distress_mid, StageTally.distress_high)
"""`StageTally`'s distress counts, in the order of `BANDS`."""
COARSE_CUTOFFS = PERIODS
FINE_TO_COARSE = tuple(min(i for i, c in enumerate(COARSE_CUTOFFS) if c >= f) for f in CUTOFFS)
"""The coarse bucket each fine one lies in (every coarse cutoff is a fine one)."""
COARSE = Dimension(
    _buckets(COARSE_CUTOFFS),
    {period_name(p): tuple(i for i, c in enumerate(COARSE_CUTOFFS) if c <= p) for p in PERIODS},
)


@dataclass
class Figure:
    """One suppressed table: shown cells by (team, period or week, column); None = hidden."""

    name: str
    teams: tuple[str, ...]
    columns: tuple[str, ...]
    cells: dict[tuple[Hashable, ...], int | None]

    def get(self, period: str, team: str = ALL, column: str = ALL) -> int | None:
        return self.cells[(team, period, column)]


@dataclass
class Report:
    until: datetime
    min_group: int
    teams: tuple[str, ...]
    stages: tuple[str, ...]
    figures: dict[str, Figure] = field(default_factory=dict)
    notes: tuple[str, ...] = (EVENT_TIME_NOTE,)

    def rows(self) -> list[tuple[str, str, str, str, int | None]]:
        """(figure, period or week, team, column, count or None), for export."""
        out = []
        for figure in self.figures.values():
            for (team, when, column), value in figure.cells.items():
                out.append((figure.name, str(when), str(team), str(column), value))
        return sorted(out, key=lambda r: (r[0], _when_order(r[1]), r[2] != ALL, r[2], r[3] != ALL, r[3]))


def _when_order(when: str) -> tuple[int, int]:
    return (0, int(when[:-1])) if when.endswith("d") else (1, int(when[1:]))


Rows = Awaitable[list[Any]]


def _ranges(until: datetime, cutoffs: Sequence[int], name: str) -> Any:
    """The time buckets as rows (bucket, earliest, before) to join on: bucket i is [until - cutoffs[i], until - cutoffs[i-1]).

    Joined on a time column's range, the database reads each bucket's slice
    of its index and nothing else, and it knows how many buckets there are:
    PostgreSQL then groups in a hash table. A CASE over the column instead
    made it expect tens of thousands of groups and sort the tallies on disk.
    """
    ends = [until, *(until - timedelta(days=days) for days in cutoffs)]
    return union_all(*(
        select(
            literal(index).label("bucket"),
            literal(ends[index + 1], UTCDateTime()).label("earliest"),
            literal(ends[index], UTCDateTime()).label("before"),
        )
        for index in range(len(cutoffs))
    )).subquery(name)


def _within(column: Any, buckets: Any) -> Any:
    return and_(column >= buckets.c.earliest, column < buckets.c.before)


ACTION_COLUMNS = ("open", "overdue", "done", "dropped")
"""The action-point figure's columns, a partition: all of them together (`ALL`) are the points opened.

`overdue` is a point still open past its due date, or, without one, past the
owner's last reminder (DEBRIEF_ACTION_REMINDERS): the open ones are those not overdue.
"""


class Wellbeing:
    def __init__(self, database: Database, min_group: int, overdue_after: timedelta | None = None) -> None:
        """`overdue_after`: how long after its debrief's start an open point with no due date is overdue."""
        self.database = database
        self.min_group = min_group
        self.overdue_after = overdue_after

    async def report(self, until: datetime, workspace: str | None = None) -> Report:
        return await self._report(until, workspace, tallies=True)

    async def _report(self, until: datetime, workspace: str | None, tallies: bool) -> Report:
        """`tallies=False` counts every debrief live: the tests compare the two."""
        # Each row falls in one time bucket by a join on the buckets' ranges (`_ranges`),
        # which also keeps to the 90 days; the coarse ones for 7/30/90-day figures, the fine
        # ones where weeks are shown too.
        coarse, fine = _ranges(until, COARSE_CUTOFFS, "coarse"), _ranges(until, CUTOFFS, "fine")
        ours = [col(Debrief.workspace) == workspace] if workspace else []
        live = [*ours, col(Debrief.tallied).is_(False)] if tallies else ours
        band = case(*((col(Answer.number).between(low, high), name) for name, low, high in BANDS), else_=None).label("band")

        since_event = func.coalesce(Debrief.since_event, NOT_GIVEN, type_=String).label("since_event")
        held = (
            select(col(Debrief.team), coarse.c.bucket, since_event, func.count())
            .join(coarse, _within(Debrief.started_at, coarse))
            .where(*ours)
            .group_by(Debrief.team, coarse.c.bucket, since_event)
        )
        skipped = (
            select(col(SkippedDebrief.team), coarse.c.bucket, col(SkippedDebrief.reason), func.count())
            .join(coarse, _within(SkippedDebrief.created_at, coarse))
            .where(*([col(SkippedDebrief.workspace) == workspace] if workspace else []))
            .group_by(SkippedDebrief.team, coarse.c.bucket, SkippedDebrief.reason)
        )
        invited = (
            select(col(Debrief.team), coarse.c.bucket, literal(DEBRIEF_STAGE), func.count())
            .join(coarse, _within(Debrief.started_at, coarse))
            .join(Participant, col(Participant.debrief_id) == col(Debrief.id))
            .where(*live)
            .group_by(Debrief.team, coarse.c.bucket)
        )
        sent = (
            select(col(Debrief.team), coarse.c.bucket, col(Followup.stage), func.count())
            .join(coarse, _within(Debrief.started_at, coarse))
            .join(Followup, col(Followup.debrief_id) == col(Debrief.id))
            .where(*live, col(Followup.status) == FollowupStatus.SENT)
            .group_by(Debrief.team, coarse.c.bucket, Followup.stage)
        )
        responses = (
            select(col(Debrief.team), coarse.c.bucket, col(AnswerReceipt.stage), func.count())
            .join(coarse, _within(Debrief.started_at, coarse))
            .join(AnswerReceipt, col(AnswerReceipt.debrief_id) == col(Debrief.id))
            .where(*live)
            .group_by(Debrief.team, coarse.c.bucket, AnswerReceipt.stage)
        )
        distress = (
            select(col(Debrief.team), fine.c.bucket, col(Answer.stage), band, func.count())
            .join(fine, _within(Debrief.started_at, fine))
            .join(Answer, col(Answer.debrief_id) == col(Debrief.id))
            .where(*live, col(Answer.question) == DISTRESS, col(Answer.number).is_not(None))
            .group_by(Debrief.team, fine.c.bucket, Answer.stage, band)
        )
        late = and_(col(ActionPoint.due_on).is_not(None), col(ActionPoint.due_on) < until.date())
        if self.overdue_after is not None:
            late = or_(late, and_(col(ActionPoint.due_on).is_(None), col(Debrief.started_at) < until - self.overdue_after))
        action_state = case(
            (and_(col(ActionPoint.status) == ActionStatus.OPEN, late), literal("overdue", String)),
            else_=type_coerce(col(ActionPoint.status), String),
        ).label("state")
        actions = (
            select(col(Debrief.team), coarse.c.bucket, action_state, func.count())
            .join(coarse, _within(Debrief.started_at, coarse))
            .join(ActionPoint, col(ActionPoint.debrief_id) == col(Debrief.id))
            .where(*ours)
            .group_by(Debrief.team, coarse.c.bucket, action_state)
        )
        support_team = func.coalesce(Debrief.team, NO_TEAM).label("team")
        support = (
            select(support_team, coarse.c.bucket, col(SupportRequest.status), func.count())
            .join(coarse, _within(SupportRequest.created_at, coarse))
            .outerjoin(Debrief, col(Debrief.id) == col(SupportRequest.debrief_id))
            .where(*([col(SupportRequest.workspace) == workspace] if workspace else []))
            .group_by(support_team, coarse.c.bucket, SupportRequest.status)
        )
        tallied = (
            select(
                col(StageTally.team), fine.c.bucket, col(StageTally.stage), func.sum(StageTally.invited),
                func.sum(StageTally.responses), *(func.sum(column) for column in TALLY_BANDS),
            )
            .join(fine, _within(StageTally.started_at, fine))
            .where(*([col(StageTally.workspace) == workspace] if workspace else []))
            .group_by(StageTally.team, fine.c.bucket, StageTally.stage)
        )

        # Each query in its own session, all at once; a failed one cancels the others.
        queries = (held, skipped, support, actions, invited, sent, responses, distress, *([tallied] if tallies else []))
        try:
            async with asyncio.TaskGroup() as group:
                teams, stages, figures = await self._fold(*(group.create_task(self._rows(q)) for q in queries))
        except ExceptionGroup as failed:  # the first cause, as one query alone would raise it, for the log line
            raise failed.exceptions[0] from None
        order = ["debriefs held", "time to debrief", "debriefs skipped", "invited", "responses"]
        order += [f"distress {stage}" for stage in stages] + ["action points", "support requests"]
        report = Report(until=until, min_group=self.min_group, teams=teams, stages=stages)
        report.figures.update((name, figures[name]) for name in order)
        return report

    async def _fold(
        self, held: Rows, skipped: Rows, support: Rows, actions: Rows, invited: Rows, sent: Rows, responses: Rows,
        distress: Rows, tallied: Rows | None = None,
    ) -> tuple[tuple[str, ...], tuple[str, ...], dict[str, Figure]]:
        """Each table folded as soon as it and what it needs are in, while the slower queries still run.

        The teams come from the three small queries: every other one joins the
        debriefs of the same window, so its teams are among the held ones.
        The tallies' rows join the live ones as rows of the same shape (a fine
        bucket mapped to its coarse one; no row for a zero, as GROUP BY gives none).
        """
        held_rows, skipped_rows, support_rows = await held, await skipped, await support
        teams = tuple(sorted({str(row[0]) for table in (held_rows, skipped_rows, support_rows) for row in table}))
        figure = functools.partial(self._figure, teams=teams)
        figures = {
            "debriefs held": figure("debriefs held", [(t, b, "held", n) for t, b, _, n in held_rows], ("held",), COARSE),
            "debriefs skipped": figure("debriefs skipped", skipped_rows, _columns(skipped_rows), COARSE),
            "support requests": figure("support requests", support_rows, ("open", "claimed", "closed"), COARSE),
            "action points": figure("action points", await actions, ACTION_COLUMNS, COARSE),
        }
        figures["time to debrief"] = figure(
            "time to debrief", held_rows, SINCE_EVENT_COLUMNS, COARSE, totals=figures["debriefs held"]
        )
        tally_rows = [] if tallied is None else await tallied
        invited_rows = await invited + await sent
        invited_rows += [(team, FINE_TO_COARSE[b], stage, n) for team, b, stage, n, *_ in tally_rows if n]
        responses_rows = await responses
        responses_rows += [(team, FINE_TO_COARSE[b], stage, n) for team, b, stage, _, n, *_ in tally_rows if n]
        stages = tuple(
            sorted({str(row[2]) for row in (*invited_rows, *responses_rows)} | {DEBRIEF_STAGE}, key=_stage_order)
        )
        figures["invited"] = figure("invited", invited_rows, stages, COARSE)
        figures["responses"] = figure("responses", responses_rows, stages, COARSE)
        distress_rows = await distress
        distress_rows += [
            (team, b, stage, band, n)
            for team, b, stage, _, _, *bands in tally_rows
            for (band, _, _), n in zip(BANDS, bands, strict=True) if n
        ]
        for stage in stages:
            mine = [(team, bucket, b, n) for team, bucket, s, b, n in distress_rows if s == stage and b is not None]
            name = f"distress {stage}"
            figures[name] = figure(name, mine, tuple(b for b, _, _ in BANDS), FINE)
        return teams, stages, figures

    async def _rows(self, query: Any) -> list[Any]:
        async with self.database.session() as session:
            return list((await session.execute(query)).all())

    def _figure(
        self, name: str, rows: Sequence[Any], columns: tuple[str, ...], time: Dimension, teams: tuple[str, ...],
        totals: Figure | None = None,
    ) -> Figure:
        """One suppressed figure; `totals`: another figure whose shown cells are this one's totals.

        The time-to-debrief bands add up to the debriefs held, which are shown
        on their own: they are public here, so the bands are suppressed knowing them.
        """
        counts: dict[tuple[Hashable, ...], int] = {}
        extra = list(columns)
        for team, bucket, column, count in rows:
            column = str(getattr(column, "value", column))
            if column not in extra:
                extra.append(column)
            key = (str(team), int(bucket), column)
            counts[key] = counts.get(key, 0) + int(count)
        columns = tuple(extra)
        data = cube(counts, [Dimension(teams), time, Dimension(columns)])
        keys, ids = data.product(data.members[0], tuple(time.derived), data.members[2])
        public = [] if totals is None else [
            data.ident((team, when, ALL)) for (team, when, _), value in totals.cells.items() if value is not None
        ]
        hidden = hidden_ids(data, ids, self.min_group, public)
        cells = {key: (None if i in hidden else data.counts[i]) for key, i in zip(keys, ids, strict=True)}
        return Figure(name=name, teams=teams, columns=columns, cells=cells)


def _columns(rows: Sequence[Any]) -> tuple[str, ...]:
    return tuple(sorted({str(getattr(row[2], "value", row[2])) for row in rows}))
