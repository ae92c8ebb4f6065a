"""Action points' messages through the real Slack messenger, against the fake Web API: once, never lost.

A reminder or a "you said, we did" note that reached Slack before its
sender lost the answer is found by its metadata (the owner's DM, or the
channel's history from when the point closed) and not posted again.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fake_slack import FakeSlack
from harness import make_settings
from sqlalchemy import select

from adapters.slack.ids import ACTION_EVENT
from adapters.slack.messenger import SlackMessenger
from bot.clock import FakeClock
from bot.core import Core
from bot.db import Database
from bot.followups import Dispatcher
from bot.models import ActionMessage, ActionStatus, FollowupStatus
from bot.port import ActionDelivery, TransientSendError

LEAD, ALEX = "U0LEAD0001", "U0ALEX0001"
WARD = "C0WARD0001"


class AnswerLost(SlackMessenger):
    """Slack stores each message, then the answer never comes back (a timeout, a process killed)."""

    async def send_action_reminder(self, delivery: ActionDelivery) -> str:
        await super().send_action_reminder(delivery)
        raise TransientSendError("no answer from Slack (TimeoutError)")

    async def post_action_note(self, delivery: ActionDelivery) -> str:
        await super().post_action_note(delivery)
        raise TransientSendError("no answer from Slack (TimeoutError)")


@pytest.fixture(autouse=True)
def _slack_would_accept_everything(fake_slack: FakeSlack) -> Iterator[None]:
    yield
    assert fake_slack.violations == [], "the bot sent Slack something it would refuse or that pings people"


@pytest.fixture
def clock() -> FakeClock:
    """8 days ago: Slack's message timestamps are real time, so the debrief starts in real time too."""
    return FakeClock(datetime.now(UTC) - timedelta(days=7, hours=1))


def action_posts(fake: FakeSlack) -> list[dict]:
    return [args for args in fake.calls_to("chat.postMessage")
            if (args.get("metadata") or {}).get("event_type") == ACTION_EVENT]


async def statuses(core: Core) -> dict[str, ActionMessage]:
    async with core.database.session() as session:
        return {f"{m.kind} {m.stage}".strip(): m for m in (await session.execute(select(ActionMessage))).scalars()}


async def test_a_reminder_and_a_note_slack_already_has_are_found_not_sent_again(
    fake_slack: FakeSlack, db: Database, clock: FakeClock
) -> None:
    core = Core.build(make_settings(fake_slack, db.url, debrief_followups="off", debrief_quiet_hours="00:00-00:00"),
                      clock=clock, database=db)
    debrief = await core.debriefs.start(platform="slack", workspace=fake_slack.team_id, team=WARD, lead=LEAD,
                                        script_id="stop5", participants=[ALEX])
    await core.debriefs.set_space(debrief.id, WARD)
    point = await core.debriefs.add_action_point(debrief.id, text="Restock the airway trolley", owner=ALEX,
                                                 due_on=None, actor=LEAD)
    clock.advance(timedelta(days=7, minutes=30))  # the 7-day reminder is due (in real time, half an hour ago)
    lost = Dispatcher(core, {"slack": AnswerLost(core)}, rng=random.Random(4), backoff=timedelta(seconds=30))
    assert await lost.run_once() == 1
    assert (await statuses(core))["reminder 7d"].status == FollowupStatus.PENDING and len(action_posts(fake_slack)) == 1

    clock.advance(timedelta(minutes=2))  # past the backoff: attempt 2 asks Slack first
    again = Dispatcher(core, {"slack": SlackMessenger(core)}, rng=random.Random(4))
    assert await again.run_once() == 1
    reminder = (await statuses(core))["reminder 7d"]
    assert (reminder.status, reminder.attempts) == (FollowupStatus.SENT, 2) and len(action_posts(fake_slack)) == 1

    await core.actions.close(point.id, ALEX, ActionStatus.DONE, "Checked every shift now")
    assert await lost.run_once() == 1
    assert len(action_posts(fake_slack)) == 2 and (await statuses(core))["closed"].status == FollowupStatus.PENDING
    clock.advance(timedelta(minutes=2))
    assert await again.run_once() == 1
    note = (await statuses(core))["closed"]
    assert (note.status, note.attempts) == (FollowupStatus.SENT, 2)
    assert len(action_posts(fake_slack)) == 2  # found, never posted twice
    [posted] = [m for m in fake_slack.messages_in(WARD) if m.get("metadata")]
    assert note.message_ref == f"{WARD}:{posted['ts']}"
