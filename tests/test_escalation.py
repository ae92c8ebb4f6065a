"""A request to talk nobody takes on escalates once, however many dispatchers run (`Support.escalate`)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.clock import FakeClock
from bot.core import Core
from bot.followups import Dispatcher
from bot.settings import Settings

OFFICER = "UOFFICER"


class Notifier:
    """The one port call an escalation makes: telling people (and the person, when nobody could be)."""

    platform = "slack"

    def __init__(self) -> None:
        self.told: list[tuple[str, str | None]] = []
        self.requesters: list[str] = []

    async def notify_support_request(self, notice, recipient: str) -> bool:  # type: ignore[no-untyped-def]
        self.told.append((recipient, notice.waiting))
        return True

    async def tell_requester(self, notice) -> str:  # type: ignore[no-untyped-def]
        self.requesters.append(notice.user)
        return "ref"


async def test_two_dispatchers_escalate_a_request_once(db, clock: FakeClock) -> None:
    settings = Settings.load(database_url=db.url, debrief_secret="s", debrief_wellbeing_officers=OFFICER,
                             debrief_peer_supporters="UPEER", debrief_support_oncall="UONCALL", debrief_digest="off")
    core = Core.build(settings, clock=clock, database=db)
    notifier = Notifier()
    core.support.messengers["slack"] = notifier
    await core.support.request(platform="slack", workspace="T1", user="UNURSE")
    assert sorted(notifier.told) == [(OFFICER, None), ("UPEER", None)]
    clock.advance(timedelta(hours=4, minutes=15))
    first, second = (Dispatcher(core, {"slack": notifier}, worker_id=name) for name in ("a", "b"))  # type: ignore[dict-item]
    done = await asyncio.gather(first.run_once(), second.run_once())
    assert sorted(done) == [0, 1]
    again = sorted(notifier.told[2:])
    assert again == [(OFFICER, "4 hours"), ("UONCALL", "4 hours"), ("UPEER", "4 hours")]
    assert await first.run_once() == 0 and await second.run_once() == 0 and notifier.requesters == []
