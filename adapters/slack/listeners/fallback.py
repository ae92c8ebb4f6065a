"""Anything Slack sends that no listener claims: acknowledged, logged, never a 404.

Registered last: Bolt tries listeners in order, so these catch only what the
others did not (an old button from a previous version, a stray shortcut).
"""

from __future__ import annotations

import logging
import re

from slack_bolt.async_app import AsyncApp

from adapters.slack.access import Requires
from bot.officers import Role

log = logging.getLogger("debrief.slack")
ANYTHING = re.compile(".*")


async def unknown_action(ack, body) -> None:
    await ack()
    actions = body.get("actions") or [{}]
    log.warning("unknown action %r acknowledged and ignored", str(actions[0].get("action_id"))[:80])


async def unknown_view(ack, body) -> None:
    await ack()
    log.warning("unknown view %r acknowledged and ignored", str((body.get("view") or {}).get("callback_id"))[:80])


async def unknown_shortcut(ack, body) -> None:
    await ack()
    log.warning("unknown shortcut %r acknowledged and ignored", str(body.get("callback_id"))[:80])


def register(app: AsyncApp) -> None:
    app.action(ANYTHING, middleware=[Requires(Role.ANYONE)])(unknown_action)
    app.view(ANYTHING, middleware=[Requires(Role.ANYONE)])(unknown_view)
    app.view_closed(ANYTHING, middleware=[Requires(Role.ANYONE)])(unknown_view)
    app.shortcut(ANYTHING, middleware=[Requires(Role.ANYONE)])(unknown_shortcut)
