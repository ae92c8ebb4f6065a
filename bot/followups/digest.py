"""The officers' weekly digest: when it falls due, who gets it, and what it says.

Each officer (DEBRIEF_WELLBEING_OFFICERS and those added with `/debrief
officers add`) gets, once a week at DEBRIEF_DIGEST (default `mon 09:00` in
DEBRIEF_TIMEZONE), the last 7 days of each workspace the bot serves on the
platforms their id belongs to. Delivery is the follow-ups' dispatcher and
outbox (`digests` table): the same lease, fence, retries and backoff, and
the same handling of rate limits and permanent errors.

Exactly once across replicas: every dispatcher enqueues the week's rows when
the slot has come (`enqueue`: INSERT .. ON CONFLICT DO NOTHING on the unique
(platform, workspace, recipient, week)), so however many run, each row
exists once; then a row is sent by whichever dispatcher claims it. The
latest slot is enqueued when a process starts, so a digest missed while
every replica was down goes out late within its week rather than never.

What it says comes from the suppressed report (`bot.wellbeing`): no team
names, no identifiers, hidden cells stay hidden (`WeeklyDigest`); except the
number of requests to talk still waiting, which is the true count.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, union
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col

from bot.db import Database
from bot.models import Debrief, Digest, FollowupStatus, SkippedDebrief, SupportRequest
from bot.officers import Officers
from bot.port import WeeklyDigest
from bot.scripts import DEBRIEF_STAGE
from bot.suppression import ALL
from bot.wellbeing import Report, period_name

DAYS = 7
UTC = ZoneInfo("UTC")


def latest_slot(now: datetime, weekday: int, at: time, tz: ZoneInfo) -> datetime:
    """The most recent `weekday` at `at` in `tz` that is not after `now`, in UTC."""
    local = now.astimezone(tz)
    day = local.date() - timedelta(days=(local.weekday() - weekday) % 7)
    slot = datetime.combine(day, at, tzinfo=tz)
    if slot > local:
        slot = datetime.combine(day - timedelta(days=7), at, tzinfo=tz)
    return slot.astimezone(UTC)


def week_of(slot: datetime, tz: ZoneInfo) -> date:
    """The week's key: the slot's local date."""
    return slot.astimezone(tz).date()


def weekly_digest(row: Digest, report: Report, waiting: int) -> WeeklyDigest:
    """The row's digest from the report ending at its slot: the last 7 days, all teams, suppressed.

    `waiting` is the true number of requests to talk nobody has taken on yet
    (`Support.waiting`), whenever they were made: those people gave their
    names to be answered, so it is never hidden as a small number.
    """
    period = period_name(DAYS)
    figures = report.figures
    distress = figures.get(f"distress {DEBRIEF_STAGE}")
    bands = tuple((band, distress.get(period, ALL, band)) for band in distress.columns) if distress else ()
    return WeeklyDigest(
        digest_id=row.id,
        platform=row.platform,
        workspace=row.workspace,
        recipient=row.recipient,
        since=report.until - timedelta(days=DAYS),
        until=report.until,
        min_group=report.min_group,
        debriefs_held=figures["debriefs held"].get(period),
        debriefs_skipped=figures["debriefs skipped"].get(period),
        invited=figures["invited"].get(period, ALL, DEBRIEF_STAGE),
        answers=figures["responses"].get(period, ALL, DEBRIEF_STAGE),
        distress=bands if any(count for _, count in bands) else (),
        support_open=waiting,
    )


class Digests:
    """Enqueues each week's digest rows; the dispatcher delivers them."""

    def __init__(self, database: Database, officers: Officers) -> None:
        self.database = database
        self.officers = officers

    async def enqueue(self, slot: datetime, week: date, platforms: list[str]) -> None:
        """One row per officer and (platform, workspace) the bot has served, for `week`; idempotent."""
        recipients = {
            person.strip().lower(): person.strip()
            for person in [*self.officers.settings.debrief_wellbeing_officers, *await self.officers.added()]
        }
        if not recipients or not platforms:
            return
        served = union(
            *(
                select(col(table.platform), col(table.workspace)).where(col(table.platform).in_(platforms)).distinct()
                for table in (Debrief, SkippedDebrief, SupportRequest)
            )
        )
        async with self.database.session() as session:
            places = (await session.execute(served)).all()
            if not places:
                return
            rows = [
                dict(id=uuid.uuid4(), platform=platform, workspace=workspace, recipient=recipient, week=week, due_at=slot,
                     status=FollowupStatus.PENDING, attempts=0)
                for platform, workspace in places
                for recipient in recipients.values()
            ]  # fmt: skip
            insert = sqlite_insert if self.database.is_sqlite else pg_insert
            await session.execute(
                insert(Digest).values(rows).on_conflict_do_nothing(
                    index_elements=["platform", "workspace", "recipient", "week"]
                )
            )
