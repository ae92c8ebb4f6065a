"""The follow-up dispatcher on a real database, with a fake clock and an in-memory messenger.

Runs on SQLite, and on PostgreSQL with TEST_DATABASE_URL (where the claim is
`FOR UPDATE SKIP LOCKED`).
"""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.clock import FakeClock
from bot.core import Core
from bot.followups import Dispatcher
from bot.followups.dispatcher import _Gate
from bot.metrics import FOLLOWUPS_SENT
from bot.models import Followup, FollowupStatus, Participant
from bot.port import (
    FollowupDelivery,
    Messenger,
    PermanentSendError,
    RateLimited,
    SupportNotice,
    TransientSendError,
)
from bot.settings import Settings

LEAD, ALEX, SAM = "ULEAD", "UALEX", "USAM"
DAY = timedelta(days=1)


class FakeMessenger:
    """The platform in memory: what it holds, and what it should do next."""

    def __init__(self, platform: str = "slack", timezones: dict[str, str | None] | None = None) -> None:
        self.platform = platform
        self.messages: dict[uuid.UUID, list[FollowupDelivery]] = {}
        self.failures: list[BaseException] = []
        self.lookups: list[uuid.UUID] = []
        self.timezones = timezones or {}
        self.tz_asked: list[str] = []
        self.delay = 0.0
        self.gate: asyncio.Event | None = None
        """When set to an Event, every send waits for it: the test decides when sends finish."""
        self.in_flight = 0
        self.most_in_flight = 0

    @property
    def sent(self) -> list[FollowupDelivery]:
        return [delivery for deliveries in self.messages.values() for delivery in deliveries]

    def store(self, delivery: FollowupDelivery) -> str:
        self.messages.setdefault(delivery.followup_id, []).append(delivery)
        return f"ts-{delivery.followup_id}-{len(self.messages[delivery.followup_id])}"

    async def send_followup(self, delivery: FollowupDelivery) -> str:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            if self.gate is not None:
                await self.gate.wait()
            if self.delay:
                await asyncio.sleep(self.delay)
            if self.failures:
                raise self.failures.pop(0)
            return self.store(delivery)
        finally:
            self.in_flight -= 1

    async def find_delivered(self, delivery: FollowupDelivery) -> str | None:
        self.lookups.append(delivery.followup_id)
        if delivery.followup_id in self.messages:
            return f"ts-{delivery.followup_id}-1"
        return None

    async def user_timezone(self, workspace: str, user: str) -> str | None:
        self.tz_asked.append(user)
        return self.timezones.get(user)

    async def notify_support_request(self, notice: SupportNotice, recipient: str) -> bool:
        return True


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()  # Monday 5 January 2026, 14:00 UTC


def make_core(db, clock, **settings) -> Core:
    values = dict(database_url=db.url, debrief_secret="s", debrief_followups="24h,7d")
    values.update(settings)
    return Core.build(Settings.load(**values), clock=clock, database=db)


@pytest.fixture
def core(db, clock) -> Core:
    return make_core(db, clock)


@pytest.fixture
def messenger() -> FakeMessenger:
    return FakeMessenger()


def dispatcher(core: Core, messenger: Messenger, **options) -> Dispatcher:
    options.setdefault("rng", random.Random(4))
    return Dispatcher(core, {messenger.platform: messenger}, **options)


async def start(core: Core, platform: str = "slack", **overrides):
    arguments = dict(platform=platform, workspace="T1", team="C1", lead=LEAD, script_id="stop5", participants=[ALEX, SAM])
    arguments.update(overrides)
    return await core.debriefs.start(**arguments)


async def rows(core: Core) -> dict[tuple[str, str], Followup]:
    """Follow-up rows by (user, stage delay in days)."""
    async with core.database.session() as session:
        result = await session.execute(select(Followup, Participant.user).join(Participant))
        return {(user, _days(f.stage)): f for f, user in result.all()}


def _days(stage: str) -> str:
    from bot.settings import parse_duration

    return f"{parse_duration(stage).days}d"


class CountingGate(_Gate):
    """The platform's rate-limit pause, counting the sends that reached it."""

    waiting: int = 0

    async def wait(self) -> None:
        self.waiting += 1
        await super().wait()


async def until(condition: Callable[[], Awaitable[bool]], timeout: float = 60.0) -> None:
    """Wait until `condition()` holds, looking again after each turn of the loop's work; `timeout` is a safety net."""
    async with asyncio.timeout(timeout):
        while not await condition():
            await asyncio.sleep(0.01)


async def statuses(core: Core) -> dict[tuple[str, str], FollowupStatus]:
    return {key: row.status for key, row in (await rows(core)).items()}


async def test_due_follow_ups_go_out_once_each_with_the_stage_and_resources(core, clock, messenger):
    debrief = await start(core, label="Resus bay 2")
    send = dispatcher(core, messenger)
    clock.advance(DAY - timedelta(minutes=1))
    assert await send.run_once() == 0  # not due yet
    before = FOLLOWUPS_SENT.labels("slack")._value.get()
    clock.advance(timedelta(minutes=1))
    assert await send.run_once() == 3
    assert sorted(d.user for d in messenger.sent) == [ALEX, LEAD, SAM]
    delivery = messenger.sent[0]
    assert delivery.debrief_id == debrief.id and delivery.workspace == "T1" and delivery.platform == "slack"
    assert not delivery.late and delivery.message == delivery.content.message
    assert [q.id for q in delivery.questions] == ["distress", "sfa_colour"]
    assert delivery.label == "Resus bay 2" and delivery.script_title
    names = [shown.resource.name for shown in delivery.resources]
    assert "988 Suicide & Crisis Lifeline" in names
    physicians = next(shown for shown in delivery.resources if shown.resource.name == "Physician Support Line")
    assert physicians.audience == "For doctors and medical students only"
    assert FOLLOWUPS_SENT.labels("slack")._value.get() == before + 3
    assert await send.run_once() == 0
    state = await rows(core)
    for user in (LEAD, ALEX, SAM):
        row = state[user, "1d"]
        assert row.status == FollowupStatus.SENT and row.attempts == 1 and row.sent_at == clock.now()
        assert row.message_ref == f"ts-{row.id}-1" and row.lease_until is None and not row.late
        assert state[user, "7d"].status == FollowupStatus.PENDING
    assert messenger.lookups == []  # a first attempt never needs to ask the platform

    clock.advance(6 * DAY)
    assert await send.run_once() == 3
    assert len(messenger.sent) == 6 and all(len(v) == 1 for v in messenger.messages.values())
    assert [q.id for q in messenger.sent[-1].questions][:1] == ["distress"]


async def test_a_follow_up_due_at_night_waits_for_the_morning_in_the_persons_zone(db, clock):
    core = make_core(db, clock, debrief_timezone="Asia/Tokyo")
    messenger = FakeMessenger(timezones={ALEX: "America/Los_Angeles", SAM: "Europe/London"})
    await start(core)
    send = dispatcher(core, messenger)
    clock.advance(DAY)  # Tuesday 14:00 UTC: 06:00 in Los Angeles, 14:00 in London, 23:00 in Tokyo
    assert await send.run_once() == 3
    assert [d.user for d in messenger.sent] == [SAM]
    state = await rows(core)
    assert state[ALEX, "1d"].status == FollowupStatus.PENDING and state[ALEX, "1d"].attempts == 0
    assert state[ALEX, "1d"].due_at == clock.now() + timedelta(hours=2)  # 08:00 in Los Angeles
    assert state[LEAD, "1d"].due_at == clock.now() + timedelta(hours=9)  # unknown zone: 08:00 in Tokyo
    async with core.database.session() as session:
        zones = dict((await session.execute(select(Participant.user, Participant.timezone))).all())
    assert zones == {ALEX: "America/Los_Angeles", SAM: "Europe/London", LEAD: ""}

    clock.advance(timedelta(hours=2))
    assert await send.run_once() == 1
    assert [d.user for d in messenger.sent] == [SAM, ALEX] and not messenger.sent[-1].late
    clock.advance(timedelta(hours=7))
    assert await send.run_once() == 1
    assert {d.user for d in messenger.sent} == {SAM, ALEX, LEAD}
    assert sorted(messenger.tz_asked) == [ALEX, LEAD, SAM]  # asked once each, then stored


async def test_a_person_who_stops_gets_nothing_more(core, clock, messenger):
    debrief = await start(core)
    send = dispatcher(core, messenger)
    assert await core.debriefs.stop_followups(debrief.id, ALEX) == 2
    clock.advance(7 * DAY)
    await send.run_once()
    clock.advance(DAY)
    await send.run_once()
    assert ALEX not in {d.user for d in messenger.sent}
    state = await statuses(core)
    assert state[ALEX, "1d"] == state[ALEX, "7d"] == FollowupStatus.STOPPED


async def test_a_stop_while_a_row_is_being_claimed_is_still_honoured(core, clock, messenger):
    debrief = await start(core)
    clock.advance(DAY)
    crashed = dispatcher(core, messenger, worker_id="crashed")
    assert len(await crashed._claim_jobs(10)) == 3  # claimed, then the process dies
    assert await core.debriefs.stop_followups(debrief.id, ALEX) == 1  # only the 7-day row was pending
    clock.advance(timedelta(seconds=16))
    await dispatcher(core, messenger, worker_id="other").run_once()
    assert {d.user for d in messenger.sent} == {LEAD, SAM}
    state = await rows(core)
    assert state[ALEX, "1d"].status == FollowupStatus.STOPPED and "stopped" in state[ALEX, "1d"].last_error


async def test_after_downtime_a_late_follow_up_goes_out_in_its_gentler_version(core, clock, messenger):
    await start(core)
    clock.advance(3 * DAY + timedelta(hours=2))  # down for two days and more
    assert await dispatcher(core, messenger).run_once() == 3
    assert all(d.late and d.message == d.content.late_message for d in messenger.sent)
    assert all(row.late for key, row in (await rows(core)).items() if key[1] == "1d")


async def test_a_stage_whose_next_stage_is_due_is_skipped_and_recorded(core, clock, messenger, caplog):
    await start(core)
    clock.advance(7 * DAY + timedelta(hours=1))
    send = dispatcher(core, messenger)
    with caplog.at_level(logging.INFO, logger="debrief.followups"):
        while await send.run_once():
            pass
    assert {(d.user, _days(d.stage)) for d in messenger.sent} == {(u, "7d") for u in (LEAD, ALEX, SAM)}
    assert not any(d.late for d in messenger.sent)
    state = await rows(core)
    assert all(state[u, "1d"].status == FollowupStatus.SKIPPED for u in (LEAD, ALEX, SAM))
    assert "next check-in" in state[ALEX, "1d"].last_error
    assert ALEX not in caplog.text


async def test_everything_is_skipped_once_answers_have_closed(core, clock, messenger):
    await start(core)
    clock.advance(11 * DAY)
    while await dispatcher(core, messenger).run_once():
        pass
    assert messenger.sent == []
    assert set((await statuses(core)).values()) == {FollowupStatus.SKIPPED}


async def test_a_transient_error_is_retried_with_backoff_honouring_retry_after(core, clock, messenger, caplog):
    await start(core, participants=[])
    clock.advance(DAY)
    messenger.failures = [TransientSendError("HTTP 503", retry_after=120)]
    send = dispatcher(core, messenger)
    with caplog.at_level(logging.WARNING, logger="debrief.followups"):
        assert await send.run_once() == 1
    row = (await rows(core))[LEAD, "1d"]
    assert row.status == FollowupStatus.PENDING and row.attempts == 1 and row.last_error == "HTTP 503"
    assert row.due_at >= clock.now() + timedelta(seconds=120)
    assert "attempt 1 failed" in caplog.text and "HTTP 503" in caplog.text and LEAD not in caplog.text
    assert await send.run_once() == 0
    clock.set(row.due_at)
    assert await send.run_once() == 1
    row = (await rows(core))[LEAD, "1d"]
    assert row.status == FollowupStatus.SENT and row.attempts == 2 and row.last_error is None
    assert messenger.lookups == [row.id]  # the second attempt asked the platform first
    assert len(messenger.sent) == 1


def test_backoff_is_exponential_with_jitter_and_capped(core):
    send = dispatcher(core, FakeMessenger(), backoff=timedelta(seconds=30), max_backoff=timedelta(hours=1))
    for attempts, ceiling in [(1, 30), (2, 60), (3, 120), (8, 3600), (30, 3600)]:
        delays = {send.backoff_delay(attempts).total_seconds() for _ in range(50)}
        assert all(ceiling / 2 <= delay <= ceiling for delay in delays) and len(delays) > 1
    assert send.backoff_delay(1, retry_after=300) == timedelta(seconds=300)


async def test_transient_errors_give_up_after_max_attempts(core, clock, messenger, caplog):
    await start(core, participants=[])
    clock.advance(DAY)
    messenger.failures = [TransientSendError("timeout")] * 3
    send = dispatcher(core, messenger, max_attempts=3)
    with caplog.at_level(logging.WARNING, logger="debrief.followups"):
        for _ in range(3):
            assert await send.run_once() == 1
            clock.advance(timedelta(hours=1))
    row = (await rows(core))[LEAD, "1d"]
    assert row.status == FollowupStatus.FAILED and row.attempts == 3
    assert row.last_error == "gave up after 3 attempts: timeout"
    assert "failed for good" in caplog.text
    assert await send.run_once() == 0 and messenger.sent == []


async def test_a_permanent_error_fails_at_once_with_its_cause(core, clock, messenger, caplog):
    await start(core)
    clock.advance(DAY)
    messenger.failures = [PermanentSendError("user_not_found")]
    with caplog.at_level(logging.ERROR, logger="debrief.followups"):
        assert await dispatcher(core, messenger).run_once() == 3
    failed = [row for row in (await rows(core)).values() if row.status == FollowupStatus.FAILED]
    assert len(failed) == 1 and failed[0].attempts == 1
    assert failed[0].last_error == "permanent: user_not_found"
    assert len([r for r in caplog.records if "failed for good" in r.getMessage()]) == 1
    assert "user_not_found" in caplog.text and not any(u in caplog.text for u in (LEAD, ALEX, SAM))
    assert len(messenger.sent) == 2


async def test_a_rate_limit_pauses_and_retries_in_the_same_claim_without_costing_an_attempt(core, clock, messenger):
    await start(core)
    clock.advance(DAY)
    messenger.failures = [RateLimited(0.05), RateLimited(0.05)]
    assert await dispatcher(core, messenger).run_once() == 3
    assert len(messenger.sent) == 3
    assert {row.attempts for key, row in (await rows(core)).items() if key[1] == "1d"} == {1}
    assert messenger.lookups == []


async def test_an_expired_lease_is_reclaimed_by_another_process(core, clock, messenger):
    await start(core)
    clock.advance(DAY)
    crashed = dispatcher(core, messenger, worker_id="crashed")
    assert len(await crashed._claim_jobs(10)) == 3  # claimed, then killed before sending
    other = dispatcher(core, messenger, worker_id="other")
    assert await other.run_once() == 0  # the leases are still live
    clock.advance(timedelta(seconds=16))
    assert await other.run_once() == 3
    assert len(messenger.sent) == 3
    state = await rows(core)
    assert all(state[u, "1d"].attempts == 2 and state[u, "1d"].leased_by == "other" for u in (LEAD, ALEX, SAM))
    assert len(messenger.lookups) == 3  # each asked the platform before re-sending


async def test_find_delivered_prevents_a_duplicate_after_a_crash_between_sent_and_marked(core, clock, messenger):
    await start(core)
    clock.advance(DAY)
    crashed = dispatcher(core, messenger, worker_id="crashed")
    jobs = await crashed._claim_jobs(10)
    # The crashed process had sent two of its three messages, and died before marking them.
    for job in jobs[:2]:
        messenger.store(crashed._delivery(job, *crashed._content(job.debrief, job.followup.stage), late=False, support_available=True))
    clock.advance(timedelta(seconds=16))
    assert await dispatcher(core, messenger, worker_id="other").run_once() == 3
    assert all(len(deliveries) == 1 for deliveries in messenger.messages.values())
    assert len(messenger.messages) == 3
    state = await rows(core)
    assert all(state[u, "1d"].status == FollowupStatus.SENT for u in (LEAD, ALEX, SAM))
    found = {job.claim.id for job in jobs[:2]}
    assert {row.message_ref for row in state.values() if row.id in found} == {f"ts-{i}-1" for i in found}


async def test_a_process_that_lost_its_lease_cannot_overwrite_the_new_holder(core, clock, messenger):
    await start(core, participants=[])
    clock.advance(DAY)
    slow = dispatcher(core, messenger, worker_id="slow")
    (job,) = await slow._claim_jobs(10)
    clock.advance(timedelta(seconds=16))
    other = dispatcher(core, messenger, worker_id="other")
    (taken,) = await other._claim_jobs(10)
    assert not slow._holds(job.claim) and other._holds(taken.claim)
    await slow._sent(job, "ts-slow", late=False)  # too late: fenced out
    row = (await rows(core))[LEAD, "1d"]
    assert row.status == FollowupStatus.SENDING and row.leased_by == "other" and row.attempts == 2
    await slow._renew()
    assert job.claim.lost


async def test_a_worker_that_reclaims_its_own_expired_row_fences_out_its_first_claim(core, clock, messenger):
    """The fencing token is (leased_by, attempts): `leased_by` alone cannot tell a worker's two claims apart.

    One worker's send hangs past its lease (a stalled connection, a long pause), the same
    worker claims the row again, and then the first, stale claim finishes: its write and its
    renewal must be refused, or the row is marked with the stale claim's outcome while the
    second claim is still deciding whether to send.
    """
    await start(core, participants=[])
    clock.advance(DAY)
    worker = dispatcher(core, messenger, worker_id="same")
    (first,) = await worker._claim_jobs(10)
    clock.advance(timedelta(seconds=16))
    (second,) = await worker._claim_jobs(10)
    assert first.claim.id == second.claim.id and (first.claim.attempts, second.claim.attempts) == (1, 2)
    await worker._sent(first, "ts-stale", late=False)  # the stale claim finishing: fenced out
    row = (await rows(core))[LEAD, "1d"]
    assert (row.status, row.message_ref, row.leased_by, row.attempts) == (FollowupStatus.SENDING, None, "same", 2)
    assert await worker.outbox.renew([first.claim]) == [first.claim]  # and it cannot keep the lease alive either
    assert await worker.outbox.renew([second.claim]) == []
    await worker._sent(second, "ts-second", late=False)
    row = (await rows(core))[LEAD, "1d"]
    assert (row.status, row.message_ref) == (FollowupStatus.SENT, "ts-second")


async def test_the_heartbeat_keeps_a_lease_alive_while_a_send_is_slow(core, clock, messenger):
    await start(core, participants=[])
    clock.advance(DAY)
    holder = dispatcher(core, messenger, worker_id="holder", lease=timedelta(seconds=0.3))
    (job,) = await holder._claim_jobs(10)
    clock.advance(timedelta(seconds=0.25))
    await holder._renew()
    assert job.claim.lease_until == clock.now() + timedelta(seconds=0.3) and holder._holds(job.claim)
    assert await dispatcher(core, messenger, worker_id="other").run_once() == 0


async def test_when_the_platform_cannot_say_whether_it_was_delivered_nothing_is_sent(core, clock, messenger):
    await start(core, participants=[])
    clock.advance(DAY)
    await dispatcher(core, messenger, worker_id="crashed")._claim_jobs(10)
    clock.advance(timedelta(seconds=16))

    async def unavailable(delivery):
        raise TransientSendError("history unavailable")

    messenger.find_delivered = unavailable
    assert await dispatcher(core, messenger, worker_id="other").run_once() == 1
    row = (await rows(core))[LEAD, "1d"]
    assert messenger.sent == [] and row.status == FollowupStatus.PENDING
    assert "could not check" in row.last_error


async def test_rows_of_a_platform_without_a_messenger_are_left_alone(core, clock, messenger):
    await start(core, platform="teams")
    await start(core, request_key="second")
    clock.advance(DAY)
    assert await dispatcher(core, messenger).run_once() == 3
    assert {d.platform for d in messenger.sent} == {"slack"}
    teams = FakeMessenger("teams")
    assert await dispatcher(core, teams).run_once() == 3


async def test_sends_run_concurrently_up_to_the_bound(core, clock, messenger):
    people = [f"U{i:03}" for i in range(40)]
    await start(core, participants=people)
    clock.advance(DAY)
    messenger.gate = asyncio.Event()  # no send finishes until the test says so
    send = dispatcher(core, messenger, concurrency=8, batch=50)
    first = asyncio.create_task(send.run_once())
    deadline = asyncio.get_running_loop().time() + 60  # a safety net on a loaded machine, not a bound on the bot
    while messenger.in_flight < 8 and not first.done() and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.01)
    for _ in range(20):  # give the dispatcher every chance to start a ninth send
        await asyncio.sleep(0)
    assert messenger.in_flight == 8 and messenger.most_in_flight == 8  # as many as allowed at once, and no more
    messenger.gate.set()
    await first
    while await send.run_once():
        pass
    assert len(messenger.sent) == 41 and messenger.most_in_flight == 8


async def test_run_forever_delivers_and_stops_cleanly(core, clock, messenger):
    await start(core, participants=[f"U{i:03}" for i in range(30)])
    clock.advance(DAY)
    messenger.delay = 0.005
    send = dispatcher(core, messenger, concurrency=4, poll_interval=0.02)
    task = asyncio.create_task(send.run_forever())

    async def all_marked() -> bool:
        return list((await statuses(core)).values()).count(FollowupStatus.SENT) == 31

    await until(all_marked)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert len(messenger.sent) == 31
    assert set((await statuses(core)).values()) == {FollowupStatus.SENT, FollowupStatus.PENDING}


async def test_rows_not_yet_sent_are_given_back_at_shutdown(core, clock, messenger):
    await start(core, participants=[f"U{i:03}" for i in range(10)])
    clock.advance(DAY)
    gate = asyncio.Event()

    async def stuck(delivery):
        await gate.wait()
        return "never"

    messenger.send_followup = stuck
    send = dispatcher(core, messenger, concurrency=4, poll_interval=0.02, worker_id="stopping")
    gate = send._gates["slack"] = CountingGate()
    gate.close_for(60)  # paused by a rate limit: nothing is being sent
    task = asyncio.create_task(send.run_forever())

    async def at_the_gate() -> bool:  # claimed, loaded and waiting to send (a stop during the load is the lease's job)
        return gate.waiting == 4

    await until(at_the_gate)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    async with core.database.session() as session:
        sending = (await session.execute(select(Followup).where(Followup.status == FollowupStatus.SENDING))).all()
    assert sending == []
    assert {row.attempts for row in (await rows(core)).values()} == {0}
