"""The officers' weekly digest through the follow-up outbox and dispatcher, on a real database.

A fake clock (Monday 5 January 2026, 14:00 UTC) and an in-memory messenger;
on PostgreSQL (TEST_DATABASE_URL) two dispatchers race for the same week.
"""

from __future__ import annotations

import asyncio
import logging
import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.clock import FakeClock
from bot.core import Core
from bot.followups import Dispatcher
from bot.followups.digest import latest_slot
from bot.models import Digest, FollowupStatus
from bot.port import FollowupDelivery, PermanentSendError, RateLimited, SupportNotice, WeeklyDigest
from bot.settings import Settings

OLIVE, PAT = "UOLIVE0001", "olive.officer@hospital.example"
LEAD, PEOPLE = "ULEAD00001", [f"U{i:09}" for i in range(6)]
WEEK = timedelta(days=7)


class DigestMessenger:
    """A platform in memory that knows some officers; what it should do next."""

    def __init__(self, platform: str = "slack", knows: tuple[str, ...] = (OLIVE, PAT)) -> None:
        self.platform = platform
        self.knows = {person.lower() for person in knows}
        self.digests: list[WeeklyDigest] = []
        self.failures: list[BaseException] = []
        self.tried: list[float] = []

    async def send_digest(self, digest: WeeklyDigest) -> str | None:
        self.tried.append(asyncio.get_running_loop().time())
        if self.failures:
            raise self.failures.pop(0)
        if digest.recipient.lower() not in self.knows:
            return None
        self.digests.append(digest)
        return f"dm-{digest.recipient}-{len(self.digests)}"

    async def find_digest(self, digest: WeeklyDigest) -> str | None:
        return None  # a platform that cannot read its messages back (find_digest in Slack's tests)

    async def send_followup(self, delivery: FollowupDelivery) -> str:
        return "followup"

    async def find_delivered(self, delivery: FollowupDelivery) -> str | None:
        return None

    async def user_timezone(self, workspace: str, user: str) -> str | None:
        return None

    async def notify_support_request(self, notice: SupportNotice, recipient: str) -> bool:
        return False


def make_core(db, clock: FakeClock, **settings: object) -> Core:  # type: ignore[no-untyped-def]
    values = dict(database_url=db.url, debrief_secret="s", debrief_followups="30d", debrief_min_group=3,
                  debrief_wellbeing_officers=f"{OLIVE},{PAT}", debrief_quiet_hours="00:00-00:00")
    values.update(settings)
    return Core.build(Settings.load(**values), clock=clock, database=db)


def dispatcher(core: Core, *messengers: DigestMessenger, **options: object) -> Dispatcher:
    options.setdefault("rng", random.Random(4))
    return Dispatcher(core, {m.platform: m for m in messengers}, **options)  # type: ignore[arg-type]


async def digests(core: Core) -> list[Digest]:
    async with core.database.session() as session:
        return list((await session.execute(select(Digest).order_by(Digest.recipient))).scalars())


async def a_week_of_debriefs(core: Core, clock: FakeClock, held: int = 4) -> None:
    """`held` debriefs on ward 7 in workspace T1 this week; the clock then moves to next Monday 09:00."""
    for number in range(held):
        await core.debriefs.start(platform="slack", workspace="T1", team="CWARD7", lead=LEAD, script_id="stop5",
                                  participants=PEOPLE, label=f"Resus {number}", request_key=f"r{number}")
    await core.debriefs.skip(platform="slack", workspace="T1", team="CWARD7", lead=LEAD, reason="no_time")
    clock.set(datetime(2026, 1, 12, 9, 0, tzinfo=UTC))


def test_the_latest_slot_is_the_last_weekday_and_time_passed_in_the_organisations_zone() -> None:
    london = ZoneInfo("Europe/London")
    monday_nine = (0, time(9, 0))
    assert latest_slot(datetime(2026, 1, 12, 9, 0, tzinfo=UTC), *monday_nine, london) == datetime(2026, 1, 12, 9, 0, tzinfo=UTC)
    assert latest_slot(datetime(2026, 1, 12, 8, 59, tzinfo=UTC), *monday_nine, london) == datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    assert latest_slot(datetime(2026, 1, 15, 12, 0, tzinfo=UTC), *monday_nine, london) == datetime(2026, 1, 12, 9, 0, tzinfo=UTC)
    # summer time: 09:00 in London is 08:00 UTC
    assert latest_slot(datetime(2026, 7, 6, 8, 30, tzinfo=UTC), *monday_nine, london) == datetime(2026, 7, 6, 8, 0, tzinfo=UTC)
    assert latest_slot(datetime(2026, 1, 12, 9, 0, tzinfo=UTC), 4, time(16, 30), london) == datetime(2026, 1, 9, 16, 30, tzinfo=UTC)


async def test_each_officer_gets_one_digest_a_week_with_suppressed_figures(db, clock) -> None:
    core = make_core(db, clock)
    await a_week_of_debriefs(core, clock)
    slack, teams = DigestMessenger(), DigestMessenger("teams", knows=())
    send = dispatcher(core, slack, teams)
    assert await send.run_once() == 2  # one workspace served, two officers
    assert await send.run_once() == 0
    assert sorted(d.recipient for d in slack.digests) == sorted([OLIVE, PAT])
    digest = slack.digests[0]
    assert (digest.since, digest.until) == (datetime(2026, 1, 5, 9, 0, tzinfo=UTC), datetime(2026, 1, 12, 9, 0, tzinfo=UTC))
    assert digest.workspace == "T1" and digest.debriefs_held == 4 and digest.invited == 28
    assert digest.debriefs_skipped is None  # one skip: below the minimum group, hidden
    assert digest.support_open == 0
    shown = repr(digest)
    assert not any(person in shown for person in [LEAD, *PEOPLE]) and "CWARD7" not in shown and "Resus" not in shown
    rows = await digests(core)
    assert [(r.status, r.attempts, r.week) for r in rows] == [(FollowupStatus.SENT, 1, date(2026, 1, 12))] * 2

    clock.advance(WEEK - timedelta(minutes=1))  # not yet next week's slot
    assert await send.run_once() == 0
    clock.advance(timedelta(minutes=1))
    assert await send.run_once() == 2
    assert len(slack.digests) == 4 and {r.week for r in await digests(core)} == {date(2026, 1, 12), date(2026, 1, 19)}


async def test_an_added_officer_gets_it_too_and_others_platforms_are_skipped(db, clock) -> None:
    core = make_core(db, clock)
    await core.officers.add([OLIVE], OLIVE, "UADDED0001")
    await a_week_of_debriefs(core, clock)
    slack = DigestMessenger(knows=(OLIVE, "UADDED0001"))
    assert await dispatcher(core, slack).run_once() == 3
    assert sorted(d.recipient for d in slack.digests) == sorted([OLIVE, "uadded0001"])
    skipped = [r for r in await digests(core) if r.status == FollowupStatus.SKIPPED]
    assert [r.recipient for r in skipped] == [PAT] and skipped[0].last_error == "skipped: not someone on this platform"


async def test_off_sends_nothing(db, clock) -> None:
    core = make_core(db, clock, debrief_digest="off")
    await a_week_of_debriefs(core, clock)
    slack = DigestMessenger()
    assert await dispatcher(core, slack).run_once() == 0
    assert slack.digests == [] and await digests(core) == []


async def test_a_429_waits_for_retry_after_and_costs_no_attempt(db, clock) -> None:
    core = make_core(db, clock, debrief_wellbeing_officers=OLIVE)
    await a_week_of_debriefs(core, clock)
    slack = DigestMessenger()
    slack.failures.append(RateLimited(retry_after=0.2))
    assert await dispatcher(core, slack).run_once() == 1
    assert [d.recipient for d in slack.digests] == [OLIVE]
    assert slack.tried[1] - slack.tried[0] >= 0.19
    [row] = await digests(core)
    assert (row.status, row.attempts) == (FollowupStatus.SENT, 1)


async def test_an_officer_who_cannot_be_reached_fails_once_and_is_not_retried(db, clock, caplog) -> None:
    core = make_core(db, clock, debrief_wellbeing_officers=OLIVE)
    await a_week_of_debriefs(core, clock)
    slack = DigestMessenger()
    slack.failures.append(PermanentSendError("no personal chat with an officer"))
    send = dispatcher(core, slack)
    with caplog.at_level(logging.ERROR, logger="debrief.followups"):
        assert await send.run_once() == 1
        clock.advance(timedelta(hours=1))
        assert await send.run_once() == 0
    [row] = await digests(core)
    assert row.status == FollowupStatus.FAILED and row.last_error == "permanent: no personal chat with an officer"
    assert len([r for r in caplog.records if "failed for good" in r.getMessage()]) == 1
    assert OLIVE not in caplog.text


async def test_several_dispatchers_enqueue_and_send_each_digest_once(db, clock) -> None:
    core = make_core(db, clock, debrief_wellbeing_officers=",".join(f"UOFFICER{i:02}" for i in range(12)))
    await a_week_of_debriefs(core, clock, held=1)
    slack = DigestMessenger(knows=tuple(f"UOFFICER{i:02}" for i in range(12)))
    replicas = [dispatcher(core, slack, worker_id=f"replica-{i}", batch=5, concurrency=5) for i in range(3)]
    for _ in range(4):
        await asyncio.gather(*(replica.run_once() for replica in replicas))
    rows = await digests(core)
    assert len(rows) == 12 and {r.status for r in rows} == {FollowupStatus.SENT}
    assert sorted(d.recipient for d in slack.digests) == sorted(f"UOFFICER{i:02}" for i in range(12))
    assert len({d.digest_id for d in slack.digests}) == 12
