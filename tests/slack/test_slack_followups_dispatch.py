"""The follow-up dispatcher sending through the real Slack messenger, against the fake Web API.

What the dispatcher promises (once, never lost) depends on the messenger's
answers: a check-in that reached Slack before its sender lost the answer is
found in the DM's history and not posted again; a 429 waits for Retry-After
and then goes out once; a person Slack does not know fails for good, with
the reason recorded; quiet hours follow the person's Slack time zone.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fake_slack import FakeSlack
from harness import make_settings
from sqlalchemy import select

from adapters.slack.messenger import SlackMessenger
from bot.clock import FakeClock
from bot.core import Core
from bot.db import Database
from bot.followups import Dispatcher
from bot.models import Followup, FollowupStatus, Participant
from bot.port import FollowupDelivery, TransientSendError

LEAD, ALEX, SAM = "U0LEAD0001", "U0ALEX0001", "U0SAM00001"
DAY = timedelta(days=1)


def make_core(fake: FakeSlack, db: Database, clock: FakeClock, **overrides: object) -> Core:
    values = {"debrief_followups": "24h,7d", "debrief_quiet_hours": "00:00-00:00", **overrides}
    return Core.build(make_settings(fake, db.url, **values), clock=clock, database=db)


async def start(core: Core, fake: FakeSlack):  # type: ignore[no-untyped-def]
    return await core.debriefs.start(
        platform="slack", workspace=fake.team_id, team="C0WARD0001", lead=LEAD, script_id="stop5", participants=[ALEX, SAM]
    )


def dispatcher(core: Core, messenger: SlackMessenger) -> Dispatcher:
    return Dispatcher(core, {"slack": messenger}, rng=random.Random(4), backoff=timedelta(seconds=30))


async def rows(core: Core) -> dict[tuple[str, str], Followup]:
    async with core.database.session() as session:
        result = await session.execute(select(Followup, Participant.user).join(Participant))
        return {(user, row.stage): row for row, user in result.all()}


def check_ins_to(fake: FakeSlack, user: str) -> list[dict]:
    return [message for message in fake.dms_to(user) if message.get("metadata")]


class AnswerLost(SlackMessenger):
    """Slack stores each check-in, then the answer never comes back (a timeout, a process killed)."""

    async def send_followup(self, delivery: FollowupDelivery) -> str:
        await super().send_followup(delivery)
        raise TransientSendError("no answer from Slack (TimeoutError)")


@pytest.fixture(autouse=True)
def _slack_would_accept_everything(fake_slack: FakeSlack) -> Iterator[None]:
    yield
    assert fake_slack.violations == [], "the bot sent Slack something it would refuse or that pings people"

@pytest.fixture
def clock() -> FakeClock:
    """25 hours ago: Slack's message timestamps are real time, so the debrief starts in real time too."""
    return FakeClock(datetime.now(UTC) - DAY - timedelta(hours=1))


async def test_a_check_in_slack_already_has_is_found_not_sent_again(
    fake_slack: FakeSlack, db: Database, clock: FakeClock
) -> None:
    core = make_core(fake_slack, db, clock)
    await start(core, fake_slack)
    clock.advance(DAY + timedelta(hours=1))  # now, in real time: the 24-hour check-ins are due

    assert await dispatcher(core, AnswerLost(core)).run_once() == 3
    state = await rows(core)
    assert all(state[user, "24h"].status == FollowupStatus.PENDING for user in (LEAD, ALEX, SAM))
    assert all(len(check_ins_to(fake_slack, user)) == 1 for user in (LEAD, ALEX, SAM))

    clock.advance(timedelta(minutes=2))  # past the backoff: attempt 2 asks Slack first
    assert await dispatcher(core, SlackMessenger(core)).run_once() == 3
    state = await rows(core)
    for user in (LEAD, ALEX, SAM):
        [message] = check_ins_to(fake_slack, user)
        row = state[user, "24h"]
        assert row.status == FollowupStatus.SENT and row.attempts == 2
        assert row.message_ref == f"{message['channel']}:{message['ts']}"
    assert len(fake_slack.calls_to("conversations.history")) == 3
    assert len(fake_slack.calls_to("chat.postMessage")) == 3  # found, never posted twice


async def test_a_check_in_that_never_reached_slack_is_sent_on_the_next_attempt(
    fake_slack: FakeSlack, db: Database, clock: FakeClock
) -> None:
    core = make_core(fake_slack, db, clock)
    await start(core, fake_slack)
    clock.advance(DAY + timedelta(hours=1))
    fake_slack.server_error_next("chat.postMessage", 503, times=3)
    assert await dispatcher(core, SlackMessenger(core)).run_once() == 3
    state = await rows(core)
    assert all(state[user, "24h"].status == FollowupStatus.PENDING for user in (LEAD, ALEX, SAM))
    assert "503" in (state[ALEX, "24h"].last_error or "")

    clock.advance(timedelta(minutes=2))
    assert await dispatcher(core, SlackMessenger(core)).run_once() == 3
    assert all(len(check_ins_to(fake_slack, user)) == 1 for user in (LEAD, ALEX, SAM))
    assert all(row.status == FollowupStatus.SENT for (_, stage), row in (await rows(core)).items() if stage == "24h")


async def test_a_429_waits_for_retry_after_then_sends_once(
    fake_slack: FakeSlack, db: Database, clock: FakeClock
) -> None:
    core = make_core(fake_slack, db, clock)
    await start(core, fake_slack)
    clock.advance(DAY + timedelta(hours=1))
    fake_slack.rate_limit_next("chat.postMessage", retry_after=1)
    assert await dispatcher(core, SlackMessenger(core)).run_once() == 3
    assert all(len(check_ins_to(fake_slack, user)) == 1 for user in (LEAD, ALEX, SAM))
    state = await rows(core)
    assert all(state[user, "24h"].attempts == 1 for user in (LEAD, ALEX, SAM))  # a 429 costs no attempt
    assert fake_slack.calls_to("conversations.history") == []


async def test_someone_slack_does_not_know_fails_for_good_and_the_rest_go_out(
    fake_slack: FakeSlack, db: Database, clock: FakeClock
) -> None:
    core = make_core(fake_slack, db, clock)
    await start(core, fake_slack)
    clock.advance(DAY + timedelta(hours=1))
    fake_slack.missing_users.add(SAM)
    assert await dispatcher(core, SlackMessenger(core)).run_once() == 3
    state = await rows(core)
    assert state[SAM, "24h"].status == FollowupStatus.FAILED
    assert state[SAM, "24h"].last_error == "permanent: Slack chat.postMessage answered user_not_found"
    assert state[ALEX, "24h"].status == state[LEAD, "24h"].status == FollowupStatus.SENT


async def test_quiet_hours_follow_the_persons_slack_time_zone(fake_slack: FakeSlack, db: Database) -> None:
    clock = FakeClock()  # Monday 5 January 2026, 14:00 UTC
    core = make_core(fake_slack, db, clock, debrief_quiet_hours="21:00-08:00", debrief_timezone="Europe/London")
    fake_slack.add_user(ALEX, tz="Asia/Tokyo", tz_offset=32400)
    fake_slack.add_user(SAM, tz="Europe/London")
    fake_slack.missing_users.add(LEAD)  # users.info fails: the organisation's zone is used
    await start(core, fake_slack)
    clock.advance(DAY)  # Tuesday 14:00 UTC: 23:00 in Tokyo, 14:00 in London
    send = dispatcher(core, SlackMessenger(core))
    assert await send.run_once() == 3
    state = await rows(core)
    assert state[SAM, "24h"].status == FollowupStatus.SENT
    assert state[ALEX, "24h"].status == FollowupStatus.PENDING
    assert state[ALEX, "24h"].due_at == clock.now() + timedelta(hours=9)  # 08:00 in Tokyo
    assert state[LEAD, "24h"].status == FollowupStatus.FAILED  # and Slack does not know the lead either
    assert sorted(args["user"] for args in fake_slack.calls_to("users.info")) == sorted([LEAD, ALEX, SAM])
    assert fake_slack.violations == []
