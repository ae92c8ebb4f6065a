"""Follow-ups (caring contacts at 24 hours and 7 days): the schedule and the dispatcher.

`schedule` holds the pure rules (catch-up after downtime, quiet hours,
opt-out); `dispatcher` delivers the outbox rows through each platform's
`bot.port.Messenger`, once each.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from bot.followups.content import stage_content
from bot.followups.dispatcher import Dispatcher
from bot.followups.outbox import default_worker_id
from bot.followups.schedule import Action, Decision, catch_up, decide, grace, quiet_until, zone

if TYPE_CHECKING:
    from bot.core import Core
    from bot.port import Messenger

__all__ = [
    "Action",
    "Decision",
    "Dispatcher",
    "catch_up",
    "decide",
    "default_worker_id",
    "dispatch_forever",
    "grace",
    "quiet_until",
    "stage_content",
    "zone",
]


async def dispatch_forever(core: Core, messengers: Mapping[str, Messenger]) -> None:
    """The background job of every `serve` process: deliver follow-ups until cancelled."""
    await Dispatcher(core, messengers).run_forever()
