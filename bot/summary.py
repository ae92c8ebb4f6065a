"""Aggregates: what a team or a wellbeing officer may see, and nothing more.

Every number here passes the minimum-group rule: a group of answers smaller
than `min_group` is reported as "fewer than N", with no count, mean or
distribution, because with three people in a room a distribution is a name.
Free text appears only when its author chose to share it with the team
(team view), or in an officer's view only from groups at or above the
minimum; never beside a name, and sorted, never in the order it arrived.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import case, func, select

from bot.db import Database
from bot.models import (
    ActionPoint,
    ActionStatus,
    Answer,
    AnswerReceipt,
    Debrief,
    Participant,
    SkippedDebrief,
    SupportRequest,
    SupportStatus,
)
from bot.scripts import DEBRIEF_STAGE, ChoiceQuestion, Library, ScaleQuestion, TextQuestion
from bot.settings import parse_duration

DISTRESS = "distress"
"""The question id of the 0-10 distress rating, the same in every script and stage."""

BANDS = (("0-3", 0, 3), ("4-6", 4, 6), ("7-10", 7, 10))
"""Distress bands: 4 or more offers support (CLINICAL.md), 7 or more escalates by default."""


@dataclass
class QuestionResult:
    id: str
    label: str
    kind: str
    answered: int
    mean: float | None = None
    counts: dict[str, int] = field(default_factory=dict)
    texts: list[str] = field(default_factory=list)


@dataclass
class StageAggregate:
    """The answers of one stage of one debrief, or the fact that there are too few."""

    stage: str
    responses: int
    min_group: int
    questions: list[QuestionResult] = field(default_factory=list)

    @property
    def suppressed(self) -> bool:
        return self.responses < self.min_group


@dataclass
class StageSummary:
    stage: str
    responses: int
    invited: int
    distress: dict[str, int] | None
    """Counts per band, or None when suppressed."""


@dataclass
class Summary:
    since: datetime
    until: datetime
    min_group: int
    debriefs_held: int
    debriefs_skipped: int
    skipped_by_reason: dict[str, int]
    participants: int
    stages: list[StageSummary]
    actions_open: int
    actions_done: int
    support_open: int


class Summaries:
    def __init__(self, database: Database, library: Library, min_group: int) -> None:
        self.database = database
        self.library = library
        self.min_group = min_group

    async def stage_aggregate(self, debrief: Debrief, stage: str = DEBRIEF_STAGE, *, for_team: bool = True) -> StageAggregate:
        """One stage of one debrief: the team's view (shared text only) or an officer's."""
        async with self.database.session() as session:
            responses = (
                await session.execute(
                    select(func.count()).select_from(AnswerReceipt).where(
                        AnswerReceipt.debrief_id == debrief.id, AnswerReceipt.stage == stage
                    )
                )
            ).scalar_one()
            aggregate = StageAggregate(stage=stage, responses=int(responses), min_group=self.min_group)
            if aggregate.suppressed:
                return aggregate
            rows = (
                await session.execute(
                    select(Answer.question, Answer.number, Answer.choice, Answer.text, Answer.shared_with_team).where(
                        Answer.debrief_id == debrief.id, Answer.stage == stage
                    )
                )
            ).all()
        script = self.library.script(debrief.script_id)
        for question in self.library.questions(script, stage):
            mine = [row for row in rows if row.question == question.id]
            result = QuestionResult(id=question.id, label=question.label, kind=question.kind, answered=len(mine))
            if isinstance(question, ScaleQuestion):
                numbers = [row.number for row in mine if row.number is not None]
                result.mean = round(sum(numbers) / len(numbers), 1) if numbers else None
                result.counts = {name: sum(low <= n <= high for n in numbers) for name, low, high in BANDS}
            elif isinstance(question, ChoiceQuestion):
                result.counts = {option.label: sum(row.choice == option.value for row in mine) for option in question.options}
            elif isinstance(question, TextQuestion):
                result.texts = sorted(row.text for row in mine if row.text and (row.shared_with_team or not for_team))
            aggregate.questions.append(result)
        return aggregate

    async def summarise(self, since: datetime, until: datetime, workspace: str | None = None) -> Summary:
        """The officers' overview of a period, every cell suppressed below the minimum."""
        in_period = [Debrief.started_at >= since, Debrief.started_at < until]
        if workspace:
            in_period.append(Debrief.workspace == workspace)
        period = select(Debrief.id).where(*in_period)
        async with self.database.session() as session:
            held = (await session.execute(select(func.count()).select_from(Debrief).where(*in_period))).scalar_one()
            skipped_filter = [SkippedDebrief.created_at >= since, SkippedDebrief.created_at < until]
            if workspace:
                skipped_filter.append(SkippedDebrief.workspace == workspace)
            skipped = dict(
                (
                    await session.execute(
                        select(SkippedDebrief.reason, func.count()).where(*skipped_filter).group_by(SkippedDebrief.reason)
                    )
                ).all()
            )
            invited = (
                await session.execute(
                    select(func.count()).select_from(Participant).where(Participant.debrief_id.in_(period))
                )
            ).scalar_one()
            responses = dict(
                (
                    await session.execute(
                        select(AnswerReceipt.stage, func.count())
                        .where(AnswerReceipt.debrief_id.in_(period))
                        .group_by(AnswerReceipt.stage)
                    )
                ).all()
            )
            band_columns = [
                func.sum(case((Answer.number.between(low, high), 1), else_=0)).label(name) for name, low, high in BANDS
            ]
            distress = {
                row.stage: {name: int(getattr(row, name) or 0) for name, _, _ in BANDS}
                for row in (
                    await session.execute(
                        select(Answer.stage, *band_columns)
                        .where(Answer.debrief_id.in_(period), Answer.question == DISTRESS)
                        .group_by(Answer.stage)
                    )
                ).all()
            }
            actions = dict(
                (
                    await session.execute(
                        select(ActionPoint.status, func.count())
                        .where(ActionPoint.debrief_id.in_(period))
                        .group_by(ActionPoint.status)
                    )
                ).all()
            )
            support_filter = [SupportRequest.status != SupportStatus.CLOSED]
            if workspace:
                support_filter.append(SupportRequest.workspace == workspace)
            support_open = (
                await session.execute(select(func.count()).select_from(SupportRequest).where(*support_filter))
            ).scalar_one()
        stages = [
            StageSummary(
                stage=stage,
                responses=int(count),
                invited=int(invited),
                distress=self._suppress(distress.get(stage)),
            )
            for stage, count in sorted(responses.items(), key=lambda item: _stage_order(item[0]))
        ]
        return Summary(
            since=since,
            until=until,
            min_group=self.min_group,
            debriefs_held=int(held),
            debriefs_skipped=sum(skipped.values()),
            skipped_by_reason={str(reason): int(count) for reason, count in skipped.items()},
            participants=int(invited),
            stages=stages,
            actions_open=int(actions.get(ActionStatus.OPEN, 0)),
            actions_done=int(actions.get(ActionStatus.DONE, 0)),
            support_open=int(support_open),
        )

    def _suppress(self, bands: dict[str, int] | None) -> dict[str, int] | None:
        """Whole distribution or nothing: below the minimum no band is shown."""
        if not bands or sum(bands.values()) < self.min_group:
            return None
        return bands


def _stage_order(stage: str) -> tuple[int, float]:
    if stage == DEBRIEF_STAGE:
        return (0, 0.0)
    try:
        return (1, parse_duration(stage).total_seconds())
    except ValueError:
        return (2, 0.0)


def period(days: int, until: datetime) -> tuple[datetime, datetime]:
    return until - timedelta(days=days), until


