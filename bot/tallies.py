"""The officers' tallies: a debrief's numbers counted once, when its answers have closed.

`Tallies.expire_keys` runs on every replica (`adapters.server`, hourly): it
deletes the keys whose last stage is over and, for each debrief whose
numbers are final, writes its `StageTally` rows, which the officers' report
(`bot.wellbeing`) reads instead of counting that debrief's rows again.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import Insert, case, delete, func, insert, literal, select, union_all, update
from sqlmodel import col

from bot.clock import Clock
from bot.db import Database, rowcount
from bot.models import (
    Answer,
    AnswerReceipt,
    Debrief,
    DebriefKey,
    Followup,
    FollowupStatus,
    Participant,
    PendingAnswer,
    StageTally,
)
from bot.results import BANDS, DISTRESS
from bot.scripts import DEBRIEF_STAGE

TALLY_BATCH = 1000
"""Debriefs tallied per statement: a first run over an old database stays within the bound-parameter limits."""
TALLY_GRACE = timedelta(minutes=10)
"""How long after a debrief's answers close its numbers are tallied (`Tallies.expire_keys`).

An answer let in just before the end, or on a replica whose clock is a little
behind, has committed well within this; after it nothing can change them.
"""


def _tally(debriefs: Sequence[uuid.UUID]) -> Insert:
    """INSERT .. SELECT of the `StageTally` rows of `debriefs`: what the report counts live, per debrief and stage."""
    columns = ["debrief_id", "stage", "invited", "responses", "distress_low", "distress_mid", "distress_high"]

    def counts(stage: Any, **given: Any) -> list[Any]:
        """One part's columns, named (a zero for what it does not count), so the UNION's columns keep apart."""
        return [stage.label("stage"), *(given.get(name, literal(0)).label(name) for name in columns[2:])]

    bands = {
        name: func.sum(case((col(Answer.number).between(low, high), 1), else_=0))
        for name, (_, low, high) in zip(columns[4:], BANDS, strict=True)
    }
    parts = union_all(
        select(col(Participant.debrief_id), *counts(literal(DEBRIEF_STAGE), invited=func.count()))
        .where(col(Participant.debrief_id).in_(debriefs))
        .group_by(col(Participant.debrief_id)),
        select(col(Followup.debrief_id), *counts(col(Followup.stage), invited=func.count()))
        .where(col(Followup.debrief_id).in_(debriefs), col(Followup.status) == FollowupStatus.SENT)
        .group_by(col(Followup.debrief_id), col(Followup.stage)),
        select(col(AnswerReceipt.debrief_id), *counts(col(AnswerReceipt.stage), responses=func.count()))
        .where(col(AnswerReceipt.debrief_id).in_(debriefs))
        .group_by(col(AnswerReceipt.debrief_id), col(AnswerReceipt.stage)),
        select(col(Answer.debrief_id), *counts(col(Answer.stage), **bands))
        .where(col(Answer.debrief_id).in_(debriefs), col(Answer.question) == DISTRESS, col(Answer.number).is_not(None))
        .group_by(col(Answer.debrief_id), col(Answer.stage)),
    ).subquery()
    copied = [col(Debrief.workspace), col(Debrief.team), col(Debrief.started_at)]  # never change; the report reads them here
    rows = (
        select(col(Debrief.id), parts.c.stage, *(func.sum(parts.c[name]) for name in columns[2:]), *copied)
        .join(Debrief, col(Debrief.id) == parts.c.debrief_id)
        .group_by(col(Debrief.id), parts.c.stage)
    )
    return insert(StageTally).from_select([*columns, *(column.key for column in copied)], rows)  # type: ignore[attr-defined]  # col() is typed Mapped; the attribute has .key


class Tallies:
    def __init__(self, database: Database, clock: Clock) -> None:
        self.database = database
        self.clock = clock

    async def expire_keys(self) -> int:
        """Delete every key whose last stage is over, and tally what is final; returns how many keys went.

        Keys expire whether or not the debrief was closed: a forgotten debrief
        must not keep its receipts testable for ever.

        A debrief's numbers are final once its key is gone (no answer can be
        recorded without it), `TALLY_GRACE` has passed (an answer let in just
        before the end has committed) and none of its follow-ups is still
        pending or being sent (a delivery confirmed late still counts as sent).
        Then, in the same transaction as the key delete, the debrief is marked
        `tallied` and its `StageTally` rows written for the officers' report.
        Several replicas may run this at once: the UPDATE claims each debrief
        for one of them (a second waits for the first's row lock, then finds it
        tallied), and the primary key (debrief, stage) refuses a second row.
        """
        now = self.clock.now()
        async with self.database.session() as session:
            expired = select(col(Debrief.id)).where(col(Debrief.key_expires_at) <= now)
            result = await session.execute(delete(DebriefKey).where(col(DebriefKey.debrief_id).in_(expired)))
            unfinished = select(col(Followup.id)).where(
                col(Followup.debrief_id) == col(Debrief.id), col(Followup.status).in_([FollowupStatus.PENDING, FollowupStatus.SENDING])
            )
            waiting = select(col(PendingAnswer.id)).where(col(PendingAnswer.debrief_id) == col(Debrief.id))
            final = [
                col(Debrief.key_expires_at) <= now - TALLY_GRACE, col(Debrief.tallied).is_(False), ~unfinished.exists(),
                ~waiting.exists(),  # released first (`release_due`), so the tally counts every answer
            ]
            claimed = (
                await session.execute(update(Debrief).where(*final).values(tallied=True).returning(col(Debrief.id)))
            ).scalars().all()
            for start in range(0, len(claimed), TALLY_BATCH):
                await session.execute(_tally(claimed[start : start + TALLY_BATCH]))
            return rowcount(result) or 0
