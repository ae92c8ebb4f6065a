"""`/debrief requests` and its buttons: the wellbeing team's queue of support requests.

Officers (configured or added) and peer supporters see the open and taken-on
requests of this workspace; anyone else gets the same kind refusal as the
summary. "I'll take it" and "Done" go through `bot.support` (audited there)
and redraw the ephemeral message through its response_url. A tap that came
too late (someone else took it, already closed) gets a kind line on top of
the redrawn list, not an error.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from adapters.slack.errors import listener
from adapters.slack.listeners.followups import _workspace, identities
from adapters.slack.messenger import PLATFORM
from adapters.slack.metadata import StaleRequest, SupportRef
from adapters.slack.render.common import to_dicts
from adapters.slack.render.queue import QueueAction, queue_blocks, queue_text
from bot.core import Core
from bot.errors import AlreadyClaimed

NOT_A_SUPPORTER = (
    "Support requests are for the wellbeing team, so I can't show them here. "
    "If you'd like support yourself, my *Home* tab lists who to contact."
)


async def show(body: dict[str, Any], client, core: Core, respond) -> None:
    """The slash command's part, after its ack: refuse kindly, or show the queue."""
    user = str(body["user_id"])
    known = await identities(core, client, user)
    if not await core.support.is_supporter(user, *known):
        await respond(text=NOT_A_SUPPORTER, response_type="ephemeral")
        return
    workspace = str(body.get("team_id") or body.get("enterprise_id") or "")
    queued = await core.support.queue(user, *known, platform=PLATFORM, workspace=workspace)
    await respond(blocks=to_dicts(queue_blocks(queued)), text=queue_text(queued), response_type="ephemeral")


@listener
async def take(ack, body, client, core: Core, respond) -> None:
    await ack()
    user, known, ref = await _tap(body, client, core)
    note = None
    try:
        await core.support.claim(ref.request, user, *known)
    except AlreadyClaimed as late:
        note = late.message
    await _redraw(body, core, respond, user, known, note)


@listener
async def done(ack, body, client, core: Core, respond) -> None:
    await ack()
    user, known, ref = await _tap(body, client, core)
    closed = await core.support.close(ref.request, user, *known)
    await _redraw(body, core, respond, user, known, closed.note)


async def _tap(body: dict[str, Any], client, core: Core) -> tuple[str, list[str], SupportRef]:
    actions = body.get("actions") or []
    if not actions:
        raise StaleRequest("no action in the payload")
    user = str(body["user"]["id"])
    return user, await identities(core, client, user), SupportRef.load(actions[0].get("value"))


async def _redraw(body: dict[str, Any], core: Core, respond, user: str, known: list[str], note: str | None) -> None:
    queued = await core.support.queue(user, *known, platform=PLATFORM, workspace=_workspace(body))
    await respond(
        blocks=to_dicts(queue_blocks(queued, note)), text=queue_text(queued), replace_original=True,
        response_type="ephemeral",
    )  # fmt: skip


def register(app: AsyncApp) -> None:
    app.action(QueueAction.TAKE)(take)
    app.action(QueueAction.DONE)(done)
