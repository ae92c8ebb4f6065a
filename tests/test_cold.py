"""Cold debriefs in the core: booking, reminders once each, the post on time, cancelling with a reason.

A real database (SQLite, or PostgreSQL with TEST_DATABASE_URL), a fake clock
and an in-memory messenger; the Slack and Teams flows through the real
server are in tests/slack/test_slack_cold.py and tests/teams/test_teams_cold.py.
"""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select
from test_dispatcher import FakeMessenger

from bot.clock import FakeClock
from bot.cold import POST, AlreadyBooked, ColdPost, ColdReminder, decide_reminder
from bot.core import Core
from bot.errors import InvalidAnswer, NoLongerOpen, NotAllowed
from bot.followups import Dispatcher
from bot.followups.schedule import Action, zone
from bot.models import AuditEvent, ColdMessage, Debrief, DebriefStatus, FollowupStatus, SkippedDebrief
from bot.scripts import DEBRIEF_STAGE
from bot.settings import Settings, SettingsError

LEAD, ALEX, SAM = "ULEAD", "UALEX", "USAM"
HOUR, DAY = timedelta(hours=1), timedelta(days=1)
QUIET = (time(21), time(8))


class ColdFake(FakeMessenger):
    """The in-memory platform, with the cold-debrief side of the messenger."""

    def __init__(self) -> None:
        super().__init__()
        self.reminders: list[ColdReminder] = []
        self.posts: list[ColdPost] = []

    async def send_cold_reminder(self, reminder: ColdReminder) -> str:
        self.reminders.append(reminder)
        return f"dm-{reminder.message_id}"

    async def find_cold_reminder(self, reminder: ColdReminder) -> str | None:
        return next((f"dm-{r.message_id}" for r in self.reminders if r.message_id == reminder.message_id), None)

    async def post_cold_script(self, post: ColdPost) -> str:
        self.posts.append(post)
        return f"ts-{len(self.posts)}"

    async def find_cold_script(self, post: ColdPost) -> str | None:
        return None


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()  # Monday 5 January 2026, 14:00 UTC


@pytest.fixture
def core(db, clock) -> Core:
    settings = Settings.load(database_url=db.url, debrief_secret="s", debrief_followups="24h,7d",
                             debrief_quiet_hours="21:00-08:00", debrief_min_group=3)
    return Core.build(settings, clock=clock, database=db)


async def hot(core: Core) -> Debrief:
    debrief = await core.debriefs.start(platform="slack", workspace="T1", team="C1", lead=LEAD, script_id="stop5",
                                        participants=[ALEX, SAM], label="Bay 2")
    await core.debriefs.set_space(debrief.id, "CSPACE", "1.0")
    await core.debriefs.close(debrief.id, LEAD)
    return debrief


def send(core: Core, fake: ColdFake) -> Dispatcher:
    return Dispatcher(core, {fake.platform: fake}, rng=random.Random(1))


async def until_idle(dispatcher: Dispatcher) -> None:
    while await dispatcher.run_once():
        pass


def reminded(fake: ColdFake) -> list[tuple[str, timedelta]]:
    return sorted((r.user, r.offset) for r in fake.reminders)


async def test_booked_reminded_once_each_then_posted_on_time_and_answered_anonymously(core, clock) -> None:
    first = await hot(core)
    starts = clock.now() + 8 * DAY
    booking = await core.cold.book(first.id, lead=LEAD, starts_at=starts, script_id="cold-review", request_key="k1")
    cold = booking.debrief
    assert booking.new and cold.status == DebriefStatus.BOOKED and cold.cold_of == first.id and cold.space == "CSPACE"
    again = await core.cold.book(first.id, lead=LEAD, starts_at=starts, script_id="cold-review", request_key="k1")
    assert again.debrief.id == cold.id and not again.new  # the same form twice books once
    with pytest.raises(AlreadyBooked):
        await core.cold.book(first.id, lead=LEAD, starts_at=starts + DAY, script_id="cold-review")
    people = {p.user for p in await core.debriefs.participants(cold.id)}
    assert people == {LEAD, ALEX, SAM}
    stages = sorted(m.stage for m in await core.cold.messages(cold.id))
    assert stages == ["1d"] * 3 + ["1h"] * 3 + [POST]

    with pytest.raises(NoLongerOpen):  # booked: nobody can answer before it starts
        await core.debriefs.open_form(cold.id, DEBRIEF_STAGE, ALEX)

    fake = ColdFake()
    dispatcher = send(core, fake)
    clock.set(starts - DAY - timedelta(minutes=1))
    await until_idle(dispatcher)
    assert fake.reminders == []
    clock.set(starts - DAY)  # 14:00 UTC, outside quiet hours
    await until_idle(dispatcher)
    assert reminded(fake) == sorted([(LEAD, DAY), (ALEX, DAY), (SAM, DAY)])
    clock.advance(timedelta(minutes=5))
    await until_idle(dispatcher)
    assert len(fake.reminders) == 3  # once each
    clock.set(starts - HOUR)
    await until_idle(dispatcher)
    assert sorted(reminded(fake)) == sorted([(u, o) for u in (LEAD, ALEX, SAM) for o in (DAY, HOUR)])
    assert fake.posts == []
    clock.set(starts)
    await until_idle(dispatcher)
    assert [post.debrief.id for post in fake.posts] == [cold.id]
    assert fake.posts[0].script.id == "cold-review"
    await until_idle(dispatcher)
    assert len(fake.posts) == 1 and len(fake.reminders) == 6
    opened = await core.debriefs.get(cold.id)
    assert opened.status == DebriefStatus.OPEN and opened.script_message == "ts-1"

    # The same anonymous path as the hot debrief: a form token, a receipt, a sealed answer, released in a batch.
    for user in (LEAD, ALEX, SAM):
        form = await core.debriefs.open_form(cold.id, DEBRIEF_STAGE, user)
        await core.debriefs.record_answer(cold.id, DEBRIEF_STAGE, user, {"distress": 2, "useful": "useful"},
                                          token=form.token)
    assert await core.debriefs.answer_count(cold.id) == 3
    aggregate = await core.results.stage_aggregate(opened, DEBRIEF_STAGE, for_team=True)
    assert aggregate.responses == 3 and not aggregate.suppressed
    assert await core.debriefs.answer_count(first.id) == 0  # counted for the cold debrief, not the hot one
    closed = await core.debriefs.close(cold.id, LEAD)
    assert closed.newly_closed


async def test_only_the_lead_books_a_cold_script_in_the_future(core, clock) -> None:
    first = await hot(core)
    with pytest.raises(NotAllowed):
        await core.cold.book(first.id, lead=ALEX, starts_at=clock.now() + DAY, script_id="cold-review")
    with pytest.raises(InvalidAnswer) as past:
        await core.cold.book(first.id, lead=LEAD, starts_at=clock.now() - HOUR, script_id="cold-review")
    assert "future" in past.value.problems["when"]
    with pytest.raises(InvalidAnswer):
        await core.cold.book(first.id, lead=LEAD, starts_at=clock.now() + 90 * DAY, script_id="cold-review")
    with pytest.raises(InvalidAnswer):  # a hot script is not a cold one
        await core.cold.book(first.id, lead=LEAD, starts_at=clock.now() + DAY, script_id="stop5")
    with pytest.raises(InvalidAnswer):  # and a cold script does not start a hot debrief
        await core.debriefs.start(platform="slack", workspace="T1", team="C1", lead=LEAD, script_id="cold-review",
                                  participants=[ALEX])
    # Booked two hours ahead: the day-before reminder is already past, so it is not written.
    cold = (await core.cold.book(first.id, lead=LEAD, starts_at=clock.now() + 2 * HOUR, script_id="cold-review")).debrief
    assert sorted(m.stage for m in await core.cold.messages(cold.id)) == ["1h"] * 3 + [POST]


async def test_cancelling_records_the_reason_and_stops_the_reminders(core, clock, db) -> None:
    first = await hot(core)
    starts = clock.now() + 3 * DAY
    cold = (await core.cold.book(first.id, lead=LEAD, starts_at=starts, script_id="cold-review")).debrief
    fake = ColdFake()
    dispatcher = send(core, fake)
    clock.set(starts - DAY)
    await until_idle(dispatcher)
    assert len(fake.reminders) == 3
    with pytest.raises(NotAllowed):
        await core.cold.cancel(cold.id, actor=ALEX, reason="no_time")
    with pytest.raises(InvalidAnswer):
        await core.cold.cancel(cold.id, actor=LEAD, reason="bored")
    cancelled = await core.cold.cancel(cold.id, actor=LEAD, reason="team_dispersed", detail="Half the team rotated")
    assert cancelled.space == "CSPACE" and cancelled.starts_at == starts and cancelled.hot.id == first.id
    with pytest.raises(NoLongerOpen):
        await core.cold.cancel(cold.id, actor=LEAD, reason="no_time")
    clock.set(starts - HOUR)
    await until_idle(dispatcher)
    clock.set(starts + HOUR)
    await until_idle(dispatcher)
    assert len(fake.reminders) == 3 and fake.posts == []  # nothing after the cancellation
    async with db.session() as session:
        skipped = (await session.execute(select(SkippedDebrief))).scalars().all()
        assert [(s.reason, s.detail, s.cold_of, s.lead) for s in skipped] == [
            ("team_dispersed", "Half the team rotated", first.id, LEAD)]
        assert (await session.execute(select(ColdMessage))).scalars().all() == []
        actions = [a.action for a in (await session.execute(select(AuditEvent))).scalars()]
        assert "cold.booked" in actions and "cold.cancelled" in actions
    assert await core.cold.booked_for(first.id) is None
    again = await core.cold.book(first.id, lead=LEAD, starts_at=starts + DAY, script_id="cold-review")
    assert again.new and again.debrief.status == DebriefStatus.BOOKED  # a new time can be booked after cancelling


async def test_a_cold_debrief_cannot_be_cancelled_once_posted(core, clock) -> None:
    first = await hot(core)
    cold = (await core.cold.book(first.id, lead=LEAD, starts_at=clock.now() + HOUR, script_id="cold-review")).debrief
    clock.advance(HOUR)
    await until_idle(send(core, ColdFake()))
    with pytest.raises(NoLongerOpen):
        await core.cold.cancel(cold.id, actor=LEAD, reason="no_time")


def test_reminders_and_quiet_hours() -> None:
    london = zone("Europe/London")
    starts = datetime(2026, 1, 12, 9, 0, tzinfo=UTC)
    offsets = [DAY, HOUR]

    def at(moment: datetime, offset: timedelta, meeting: datetime = starts):
        return decide_reminder(starts_at=meeting, offset=offset, offsets=offsets, now=moment, tz=london, quiet=QUIET)

    assert at(starts - DAY, DAY).action == Action.SEND  # 09:00 the day before
    night = datetime(2026, 1, 12, 22, 0, tzinfo=UTC)  # a night team's 22:00 meeting
    early = at(night - DAY, DAY, night)
    assert early.action == Action.WAIT and early.until == datetime(2026, 1, 12, 8, 0, tzinfo=UTC)
    assert at(night - HOUR, HOUR, night).action == Action.SEND  # 21:00, in quiet hours: the last one is not held
    dawn = datetime(2026, 1, 13, 8, 30, tzinfo=UTC)
    assert at(dawn - DAY, DAY, dawn).action == Action.SEND
    skipped = decide_reminder(starts_at=datetime(2026, 1, 13, 7, 30, tzinfo=UTC), offset=timedelta(hours=3),
                              offsets=[timedelta(hours=3), HOUR], now=datetime(2026, 1, 13, 4, 30, tzinfo=UTC),
                              tz=london, quiet=QUIET)
    assert skipped.action == Action.SKIP and "quiet hours" in skipped.reason  # would wait past the next one
    assert at(starts - timedelta(minutes=30), DAY).action == Action.SKIP  # the next reminder is already due
    assert at(starts + timedelta(minutes=1), HOUR).action == Action.SKIP  # the meeting has started


@pytest.mark.parametrize("value", ["0s,1h", "1h,1h", "soon", "1h,-1d"])
def test_a_wrong_reminder_setting_is_refused_in_one_line(value: str) -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.load(debrief_cold_reminders=value, debrief_secret="s")
    assert "DEBRIEF_COLD_REMINDERS" in str(refused.value) and "\n" not in str(refused.value)


def test_reminder_setting_is_read_earliest_first() -> None:
    settings = Settings.load(debrief_cold_reminders="1h,2d", debrief_secret="s")
    assert settings.cold_reminders == [("2d", 2 * DAY), ("1h", HOUR)]
    assert Settings.load(debrief_cold_reminders="off", debrief_secret="s").cold_reminders == []


async def test_a_reminder_whose_sender_died_after_sending_is_found_not_sent_again(core, clock) -> None:
    """A process claims the reminders, sends them and dies before marking them: the next claim finds them."""
    first = await hot(core)
    starts = clock.now() + 2 * HOUR
    cold = (await core.cold.book(first.id, lead=LEAD, starts_at=starts, script_id="cold-review")).debrief
    fake = ColdFake()
    dead = send(core, fake)
    clock.set(starts - HOUR)
    claims = await dead.cold_outbox.claim(10, ["slack"])
    assert len(claims) == 3  # the three hour-before reminders (the day-before ones were past at booking)
    for _, message, participant, debrief in await dead.cold_outbox.load(claims):
        assert participant is not None
        await fake.send_cold_reminder(core.cold.reminder(message, participant, debrief))  # then the process dies
    clock.advance(timedelta(seconds=20))  # its leases (15 s) expire
    await until_idle(send(core, fake))
    assert len(fake.reminders) == 3  # found in the platform's history, marked sent, not sent again
    statuses = {m.stage: m.status for m in await core.cold.messages(cold.id) if m.stage != POST}
    assert statuses == {"1h": FollowupStatus.SENT}


async def test_quiet_hours_hold_the_day_before_reminder_but_not_the_last(core, clock) -> None:
    """A night team's 22:00 cold debrief (UTC here): the day-before one waits until 08:00; the hour-before goes at 21:00."""
    first = await hot(core)
    starts = datetime(2026, 1, 8, 22, 0, tzinfo=UTC)
    cold = (await core.cold.book(first.id, lead=LEAD, starts_at=starts, script_id="cold-review")).debrief
    fake = ColdFake()
    dispatcher = send(core, fake)
    clock.set(starts - DAY)  # 22:00 the day before: quiet hours
    await until_idle(dispatcher)
    assert fake.reminders == []
    waiting = {m.due_at.replace(tzinfo=UTC) for m in await core.cold.messages(cold.id) if m.stage == "1d"}
    assert waiting == {datetime(2026, 1, 8, 8, 0, tzinfo=UTC)}
    clock.set(datetime(2026, 1, 8, 8, 0, tzinfo=UTC))
    await until_idle(dispatcher)
    assert reminded(fake) == sorted((user, DAY) for user in (LEAD, ALEX, SAM))
    clock.set(starts - HOUR)  # 21:00: quiet hours, but the last reminder is not held
    await until_idle(dispatcher)
    assert len(fake.reminders) == 6


async def test_two_replicas_send_each_reminder_and_the_post_once(core, clock) -> None:
    """Two dispatchers (two `serve` processes) on one database: their claims never overlap."""
    first = await hot(core)
    starts = clock.now() + 2 * HOUR
    await core.cold.book(first.id, lead=LEAD, starts_at=starts, script_id="cold-review")
    fake = ColdFake()
    one = Dispatcher(core, {fake.platform: fake}, worker_id="replica-1", batch=1, rng=random.Random(1))
    two = Dispatcher(core, {fake.platform: fake}, worker_id="replica-2", batch=1, rng=random.Random(2))
    clock.set(starts - HOUR)
    for _ in range(4):
        await asyncio.gather(one.run_once(), two.run_once())
    clock.set(starts)
    for _ in range(2):
        await asyncio.gather(one.run_once(), two.run_once())
    assert sorted(r.user for r in fake.reminders) == sorted([LEAD, ALEX, SAM])
    assert len({r.message_id for r in fake.reminders}) == 3 and len(fake.posts) == 1
