"""One debrief's results, per stage: what its team or a wellbeing officer may see, and nothing more.

Every number here passes the minimum-group rule: a group of answers smaller
than `min_group` is reported as "fewer than N", with no count, mean or
distribution, because with three people in a room a distribution is a name.
This is one debrief's view; the officers' overview across debriefs is
`bot.wellbeing` (suppressed report) worded by `bot.overview`.
How people are (the distress rating, the colours, the screens) is left out
of the team's view unless DEBRIEF_TEAM_DISTRESS is on (then the answer form
says the team will see totals); officers always see it, suppressed.
Free text appears only when its author chose to share it with the team
(team view), or in an officer's view only from groups at or above the
minimum; never beside a name, and sorted, never in the order it arrived.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlmodel import col

from bot.care import is_wellbeing_question
from bot.db import Database
from bot.models import Answer, AnswerReceipt, Debrief
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


class Results:
    """A debrief's results (`core.results`); the officers' summary across debriefs is `bot.overview`."""

    def __init__(self, database: Database, library: Library, min_group: int, team_distress: bool = False) -> None:
        """`team_distress` (DEBRIEF_TEAM_DISTRESS=on): the team's view shows how people are, as totals, too."""
        self.database = database
        self.library = library
        self.min_group = min_group
        self.team_distress = team_distress

    async def stage_aggregate(self, debrief: Debrief, stage: str = DEBRIEF_STAGE, *, for_team: bool = True) -> StageAggregate:
        """One stage of one debrief: the team's view (shared text only) or an officer's."""
        async with self.database.session() as session:
            responses = (
                await session.execute(
                    select(func.count()).select_from(AnswerReceipt).where(
                        col(AnswerReceipt.debrief_id) == debrief.id, col(AnswerReceipt.stage) == stage
                    )
                )
            ).scalar_one()
            aggregate = StageAggregate(stage=stage, responses=int(responses), min_group=self.min_group)
            if aggregate.suppressed:
                return aggregate
            rows = (
                await session.execute(
                    select(col(Answer.question), col(Answer.number), col(Answer.choice), col(Answer.text), col(Answer.shared_with_team)).where(
                        col(Answer.debrief_id) == debrief.id, col(Answer.stage) == stage
                    )
                )
            ).all()
        script = self.library.script(debrief.script_id)
        for question in self.library.questions(script, stage):
            if for_team and not self.team_distress and is_wellbeing_question(question):
                continue  # in a team of five, a distress band is a guess at a name: officers only, unless switched on
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


def _stage_order(stage: str) -> tuple[int, float]:
    if stage == DEBRIEF_STAGE:
        return (0, 0.0)
    try:
        return (1, parse_duration(stage).total_seconds())
    except ValueError:
        return (2, 0.0)
