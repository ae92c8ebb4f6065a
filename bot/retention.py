"""Retention: free text goes after DEBRIEF_RETENTION_DAYS (default 90).

What is free text here: answers' text (by the start of their debrief, since
answers hold no time), event labels, the detail of a skipped debrief, a
support request's preferred time, and action points' text (replaced by a
placeholder, since the row stays for the open/done counts). Counts, bands
and statuses stay, so the officers' report is unchanged. Each purge is
audited with its counts; `dry_run` only counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update

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
    old_debriefs = select(Debrief.id).where(Debrief.started_at < before)
    targets = {
        "answer texts": (Answer, Answer.text, [Answer.debrief_id.in_(old_debriefs), Answer.text.is_not(None)], None),
        "event labels": (Debrief, Debrief.label, [Debrief.started_at < before, Debrief.label.is_not(None)], None),
        "action point texts": (
            ActionPoint, ActionPoint.text, [ActionPoint.debrief_id.in_(old_debriefs), ActionPoint.text != PURGED], PURGED
        ),
        "skip details": (
            SkippedDebrief, SkippedDebrief.detail, [SkippedDebrief.created_at < before, SkippedDebrief.detail.is_not(None)],
            None,
        ),
        "support preferred times": (
            SupportRequest,
            SupportRequest.preferred_time,
            [SupportRequest.created_at < before, SupportRequest.preferred_time.is_not(None)],
            None,
        ),
    }
    counts: dict[str, int] = {}
    async with database.session() as session:
        for what, (model, column, where, replacement) in targets.items():
            counts[what] = int((await session.execute(select(func.count()).select_from(model).where(*where))).scalar_one())
            if not dry_run and counts[what]:
                await session.execute(update(model).where(*where).values({column.key: replacement}))
        if not dry_run:
            session.add(AuditEvent(at=now, actor=actor, action="retention.purged",
                                   detail=", ".join(f"{what}: {n}" for what, n in counts.items())))
            await session.commit()
    return Purge(before=before, dry_run=dry_run, counts=counts)
