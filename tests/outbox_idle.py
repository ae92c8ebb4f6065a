"""For end-to-end tests that check "nothing more is sent": no fixed sleep, the outboxes are looked at instead.

A test that sleeps "a whole dispatcher poll more" and then counts what the
platform fake received proves nothing on a loaded machine: the server's
dispatcher may not have polled in that time, so a duplicate it was about to
send would come after the count. Instead, as in tests/slack/test_slack_followups.py:

1. wait (with a 60 s safety net, not a bound on the bot) until every outbox
   row the test is about is in a final status: the dispatcher never claims
   those again;
2. run one extra pass of a `Dispatcher` over the server's own messengers: it
   must find nothing to send (`run_once() == 0`): no row is due and unclaimed;
3. then count the fake's calls: they cannot grow any more.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Select, select

from bot.core import Core
from bot.followups import Dispatcher
from bot.models import ActionMessage, ColdMessage, Followup, FollowupStatus, LearningDigest
from bot.port import Messenger

FINAL = {FollowupStatus.SENT, FollowupStatus.FAILED, FollowupStatus.STOPPED, FollowupStatus.SKIPPED}
OUTBOXES = (Followup, ActionMessage, ColdMessage, LearningDigest)
"""The outboxes whose rows are waited for when a test names none (the weekly digest is off in both harnesses)."""


async def until_final(core: Core, *queries: Select[Any], timeout: float = 60.0) -> None:
    """Wait until every status the `queries` select (default: every row of `OUTBOXES`) is final."""
    queries = queries or tuple(select(outbox.status) for outbox in OUTBOXES)
    statuses: list[str] = []
    try:
        async with asyncio.timeout(timeout):  # a safety net on a loaded machine, not a bound on the bot
            while True:
                async with core.database.session() as session:
                    statuses = [status for query in queries for status in (await session.execute(query)).scalars()]
                if all(status in FINAL for status in statuses):
                    return
                await asyncio.sleep(0.05)
    except TimeoutError:
        raise AssertionError(f"outbox rows never all dealt with: {sorted(statuses)}") from None


async def nothing_more_to_send(core: Core, messengers: Mapping[str, Messenger], *queries: Select[Any]) -> None:
    """Every row the `queries` select is dealt with for good, and one more dispatcher pass finds nothing to send."""
    await until_final(core, *queries)
    assert await Dispatcher(core, messengers).run_once() == 0, "a dispatcher pass found more to send"
