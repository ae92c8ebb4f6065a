"""The weekly digest through the real Slack messenger and the follow-up dispatcher, against the fake Web API.

Officers listed by e-mail (looked up) and added in the database (stored in
lower case) get one DM each; the blocks parse as Block Kit and name nobody;
a 429 waits for Retry-After and the digest then goes out once; one sent just
before a crash is found in the DM by its metadata and not sent again.
"""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta

from fake_slack import FakeSlack
from harness import make_settings
from sqlalchemy import select
from test_slack_flow import texts

from adapters.slack.messenger import SlackMessenger
from bot.clock import FakeClock
from bot.core import Core
from bot.db import Database
from bot.followups import Dispatcher
from bot.models import Digest, FollowupStatus

OLIVE, OLIVE_EMAIL, ADDED = "U0OLIVE001", "olive@hospital.example", "U0ADDED001"
LEAD, PEOPLE = "U0LEAD0001", [f"U0STAFF00{i}" for i in range(5)]


async def week(fake: FakeSlack, db: Database) -> Core:
    """Three debriefs in the week to Monday 12 January 2026, 09:00 (the default slot); the clock is then there."""
    clock = FakeClock()
    core = Core.build(make_settings(fake, db.url, debrief_wellbeing_officers=OLIVE_EMAIL, debrief_digest="mon 09:00",
                                    debrief_followups="30d", debrief_min_group=3, debrief_support_response="30d"),
                      clock=clock, database=db)
    fake.add_user(OLIVE, email=OLIVE_EMAIL)
    await core.officers.add([OLIVE_EMAIL], OLIVE, ADDED)
    for number in range(3):
        await core.debriefs.start(platform="slack", workspace=fake.team_id, team="C0WARD0001", lead=LEAD,
                                  script_id="stop5", participants=PEOPLE, label=f"Resus {number}", request_key=f"k{number}")
    for person in PEOPLE[:2]:  # two people asked to talk, and nobody has taken them on
        await core.support.request(platform="slack", workspace=fake.team_id, user=person)
    clock.set(datetime(2026, 1, 12, 9, 0, tzinfo=UTC))
    return core


def dispatcher(core: Core) -> Dispatcher:
    return Dispatcher(core, {"slack": SlackMessenger(core)}, rng=random.Random(4), backoff=timedelta(seconds=30))


async def test_each_officer_gets_the_digest_once_naming_nobody(fake_slack: FakeSlack, db: Database) -> None:
    core = await week(fake_slack, db)
    send = dispatcher(core)
    assert await send.run_once() == 2
    assert await send.run_once() == 0
    [to_olive], [to_added] = fake_slack.dms_to(OLIVE), fake_slack.dms_to(ADDED)
    shown = texts(to_olive["blocks"])
    assert to_olive["text"].startswith("Your weekly debrief digest") and texts(to_added["blocks"]) == shown
    assert "Debriefs held: 3" in shown and "Answers at the debriefs: 0 of 18 people invited" in shown
    assert "Events with no debrief: 0" in shown
    assert "Requests to talk waiting: 2" in shown and "/debrief requests" in shown  # the true count, never hidden
    assert "/debrief summary" in shown and "below 3" in shown
    assert not any(person in str(to_olive) for person in [LEAD, *PEOPLE]) and "C0WARD0001" not in str(to_olive)
    assert "Resus" not in str(to_olive)
    assert fake_slack.violations == []


async def test_a_429_waits_for_retry_after_then_the_digest_goes_out_once(fake_slack: FakeSlack, db: Database) -> None:
    core = await week(fake_slack, db)
    fake_slack.rate_limit_next("chat.postMessage", retry_after=1)
    assert await dispatcher(core).run_once() == 2
    assert len(fake_slack.dms_to(OLIVE)) == 1 and len(fake_slack.dms_to(ADDED)) == 1
    async with core.database.session() as session:
        rows = list((await session.execute(select(Digest))).scalars())
    assert [(r.status, r.attempts) for r in rows] == [(FollowupStatus.SENT, 1)] * 2
    assert fake_slack.violations == []


async def test_a_digest_sent_just_before_a_crash_is_found_in_the_dm_and_not_sent_again(
    fake_slack: FakeSlack, db: Database
) -> None:
    core = await week(fake_slack, db)
    crashed = dispatcher(core)
    await crashed._enqueue_digests()
    jobs = await crashed._claim_jobs(10)

    async def died_before_marking(*_: object, **__: object) -> None:
        return None

    crashed._sent = died_before_marking  # type: ignore[method-assign]  # Slack has the DM; the row does not know
    await asyncio.gather(*(crashed._run_job(job) for job in jobs))
    assert len(fake_slack.dms_to(OLIVE)) == 1 and len(fake_slack.dms_to(ADDED)) == 1

    core.clock.advance(timedelta(seconds=16))  # the lease is over: another process claims them
    assert await dispatcher(core).run_once() == 2
    assert len(fake_slack.dms_to(OLIVE)) == 1 and len(fake_slack.dms_to(ADDED)) == 1
    async with core.database.session() as session:
        rows = list((await session.execute(select(Digest))).scalars())
    assert [(r.status, r.attempts) for r in rows] == [(FollowupStatus.SENT, 2)] * 2
    sent = {str(fake_slack.dms_to(person)[0]["ts"]) for person in (OLIVE, ADDED)}
    assert {str(r.message_ref).rpartition(":")[2] for r in rows} == sent  # the DMs found, by their metadata
    assert len(fake_slack.calls_to("conversations.history")) == 2 and fake_slack.violations == []
