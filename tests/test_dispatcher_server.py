"""The dispatcher as `serve` runs it: a background job of the real server, over registered messengers.

With DEBRIEF_FOLLOWUPS=2s,4s every participant gets each follow-up once, never
before it is due, with the support resources.
"""

from __future__ import annotations

import asyncio
import time

from aiohttp.test_utils import TestServer
from answering import record
from sqlalchemy import select
from test_dispatcher import FakeMessenger

from adapters.server import CORE, create_app, register_messenger
from bot.core import Core
from bot.followups import Dispatcher
from bot.models import Followup, FollowupStatus
from bot.settings import Settings

PEOPLE = ["ULEAD", "UALEX", "USAM"]
FINAL = {FollowupStatus.SENT, FollowupStatus.FAILED, FollowupStatus.STOPPED, FollowupStatus.SKIPPED}


async def until_final(core: Core) -> None:
    """Wait until the server's dispatcher has marked every follow-up for good (it marks just after sending)."""
    async with asyncio.timeout(60):
        while True:
            async with core.database.session() as session:
                if set((await session.execute(select(Followup.status))).scalars()) <= FINAL:
                    return
            await asyncio.sleep(0.05)


async def test_serve_delivers_each_follow_up_once_at_about_the_right_time(db):
    settings = Settings.load(
        database_url=db.url,
        debrief_secret="s",
        debrief_followups="2s,4s",
        debrief_quiet_hours="00:00-00:00",
        slack_bot_token="",
        slack_client_id="",
    )
    app = create_app(settings, housekeeping=False)
    messenger = FakeMessenger("loopback")
    arrived: dict[tuple[str, str], float] = {}
    send = messenger.send_followup
    all_six = asyncio.Event()

    async def timed(delivery):  # type: ignore[no-untyped-def]
        arrived[delivery.user, delivery.stage] = time.monotonic()
        try:
            return await send(delivery)
        finally:
            if len(messenger.sent) >= 6:
                all_six.set()

    messenger.send_followup = timed
    register_messenger(app, messenger)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        core = app[CORE]
        assert core.support.messengers["loopback"] is messenger
        await core.debriefs.start(
            platform="loopback", workspace="T1", team="C1", lead=PEOPLE[0], script_id="stop5", participants=PEOPLE[1:]
        )
        started = time.monotonic()
        await asyncio.wait_for(all_six.wait(), 60)  # a safety net on a loaded machine, not a bound on the bot
        # Anything more would be a duplicate: once every row is dealt with for good (never claimed
        # again), a dispatcher polling now finds nothing to send.
        await until_final(core)
        assert await Dispatcher(core, {"loopback": messenger}).run_once() == 0
    finally:
        await server.close()
    assert sorted((d.user, d.stage) for d in messenger.sent) == sorted(
        (user, stage) for user in PEOPLE for stage in ("2s", "4s")
    )
    for (user, stage), at in arrived.items():  # never early; how late under load is bench/followups_bench.py's
        due = 2.0 if stage == "2s" else 4.0
        assert at - started >= due - 0.1, (user, stage, at - started)
    assert all(d.resources and not d.late for d in messenger.sent)


async def test_a_check_in_of_a_test_schedule_can_be_answered(db):
    from bot.clock import FakeClock
    from bot.core import Core

    settings = Settings.load(database_url=db.url, debrief_secret="s", debrief_followups="2s,4s")
    core = Core.build(settings, clock=FakeClock(), database=db)
    debrief = await core.debriefs.start(
        platform="loopback", workspace="T1", team="C1", lead=PEOPLE[0], script_id="stop5", participants=PEOPLE[1:]
    )
    recorded = await record(core.debriefs, debrief.id, "2s", "UALEX", {"distress": 8, "sfa_colour": "ready"})
    assert recorded.escalate  # the 2s stage asks what the 24-hour one asks
    recorded = await record(core.debriefs, debrief.id, "4s", "UALEX", {"distress": 1, "phq9_item9": "nearly_every_day"})
    assert recorded.escalate and await core.debriefs.has_answered(debrief.id, "4s", "UALEX")
