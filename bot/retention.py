"""Retention: free text goes after DEBRIEF_RETENTION_DAYS (default 90).

What is free text here: answers' text (by the start of their debrief, since
answers hold no time), event labels, the detail of a skipped debrief, a
support request's preferred time, action points' text (replaced by a
placeholder, since the row stays for the open/done/dropped counts) and the
one line written when a point closed (`outcome`). Counts, bands
and statuses stay, so the officers' report is unchanged. Each purge is
audited with its counts; `dry_run` only counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.orm import Mapped
from sqlmodel import SQLModel, col

from bot.db import Database
from bot.models import ActionPoint, Answer, AuditEvent, Debrief, SkippedDebrief, SupportRequest

PURGED = "(removed after the retention period)"


@dataclass
class Purge:
    before: datetime
    dry_run: bool
    counts: dict[str, int]

    def lines(self) -> list[str]:
        verb = "would clear" if self.dry_run else "cleared"
        return [f"{verb} {count} {what}" for what, count in self.counts.items()] + [
            f"(free text from before {self.before.isoformat(timespec='minutes')})"
        ]


async def purge(database: Database, now: datetime, days: int, *, dry_run: bool, actor: str = "retention") -> Purge:
    before = now - timedelta(days=days)
    old_debriefs = select(col(Debrief.id)).where(col(Debrief.started_at) < before)
    targets: dict[str, tuple[type[SQLModel], Mapped[Any], list[ColumnElement[bool]], str | None]] = {
        "answer texts": (Answer, col(Answer.text), [col(Answer.debrief_id).in_(old_debriefs), col(Answer.text).is_not(None)], None),
        "event labels": (Debrief, col(Debrief.label), [col(Debrief.started_at) < before, col(Debrief.label).is_not(None)], None),
        "action point texts": (
            ActionPoint, col(ActionPoint.text), [col(ActionPoint.debrief_id).in_(old_debriefs), col(ActionPoint.text) != PURGED], PURGED
        ),
        "action point outcomes": (
            ActionPoint, col(ActionPoint.outcome),
            [col(ActionPoint.debrief_id).in_(old_debriefs), col(ActionPoint.outcome).is_not(None)], None,
        ),
        "skip details": (
            SkippedDebrief, col(SkippedDebrief.detail), [col(SkippedDebrief.created_at) < before, col(SkippedDebrief.detail).is_not(None)],
            None,
        ),
        "support preferred times": (
            SupportRequest,
            col(SupportRequest.preferred_time),
            [col(SupportRequest.created_at) < before, col(SupportRequest.preferred_time).is_not(None)],
            None,
        ),
    }
    counts: dict[str, int] = {}
    async with database.session() as session:
        for what, (model, column, where, replacement) in targets.items():
            counts[what] = int((await session.execute(select(func.count()).select_from(model).where(*where))).scalar_one())
            if not dry_run and counts[what]:
                await session.execute(update(model).where(*where).values({column: replacement}))
        if not dry_run:
            session.add(AuditEvent(at=now, actor=actor, action="retention.purged",
                                   detail=", ".join(f"{what}: {n}" for what, n in counts.items())))
            await session.commit()
    return Purge(before=before, dry_run=dry_run, counts=counts)
