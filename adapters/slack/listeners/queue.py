"""`/debrief requests` and its buttons: the wellbeing team's queue of support requests.

Officers (configured or added) and peer supporters see the open and taken-on
requests of this workspace; anyone else gets the same kind refusal as the
summary (the role is declared where each listener is registered). "I'll take it" and "Done" go through `bot.support` (audited there)
and redraw the ephemeral message through its response_url. A tap that came
too late (someone else took it, already closed) gets a kind line on top of
the redrawn list, not an error.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from adapters.slack.access import IDENTITIES, Requires
from adapters.slack.errors import listener
from adapters.slack.listeners.followups import _workspace
from adapters.slack.messenger import PLATFORM
from adapters.slack.metadata import StaleRequest, SupportRef
from adapters.slack.render.common import to_dicts
from adapters.slack.render.queue import QueueAction, queue_blocks, queue_text
from bot.core import Core
from bot.errors import AlreadyClaimed
from bot.officers import Role
from bot.support import ONLY_THE_TEAM


@listener
async def show(ack, body: dict[str, Any], context, core: Core, respond) -> None:
    """`/debrief requests`."""
    await ack()
    user = str(body["user_id"])
    known = context[IDENTITIES]
    workspace = str(body.get("team_id") or body.get("enterprise_id") or "")
    queued = await core.support.queue(user, *known, platform=PLATFORM, workspace=workspace)
    await respond(blocks=to_dicts(queue_blocks(queued)), text=queue_text(queued), response_type="ephemeral")


@listener
async def take(ack, body, context, core: Core, respond) -> None:
    await ack()
    user, known, ref = _tap(body, context)
    note = None
    try:
        await core.support.claim(ref.request, user, *known)
    except AlreadyClaimed as late:
        note = late.message
    await _redraw(body, core, respond, user, known, note)


@listener
async def done(ack, body, context, core: Core, respond) -> None:
    await ack()
    user, known, ref = _tap(body, context)
    closed = await core.support.close(ref.request, user, *known)
    await _redraw(body, core, respond, user, known, closed.note)


def _tap(body: dict[str, Any], context: Any) -> tuple[str, list[str], SupportRef]:
    actions = body.get("actions") or []
    if not actions:
        raise StaleRequest("no action in the payload")
    return str(body["user"]["id"]), context[IDENTITIES], SupportRef.load(actions[0].get("value"))


async def _redraw(body: dict[str, Any], core: Core, respond, user: str, known: list[str], note: str | None) -> None:
    queued = await core.support.queue(user, *known, platform=PLATFORM, workspace=_workspace(body))
    await respond(
        blocks=to_dicts(queue_blocks(queued, note)), text=queue_text(queued), replace_original=True,
        response_type="ephemeral",
    )  # fmt: skip


def register(app: AsyncApp) -> None:
    app.action(QueueAction.TAKE, middleware=[Requires(Role.SUPPORTER, ONLY_THE_TEAM)])(take)
    app.action(QueueAction.DONE, middleware=[Requires(Role.SUPPORTER, ONLY_THE_TEAM)])(done)
