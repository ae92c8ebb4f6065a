"""What the bot posts in a debrief's channel after set-up: the counter, action points, results, the close.

The counter moves only when `claim_count_update` says the batch changed,
and exactly one process wins each change, so nobody watching the channel
can match a new number to the person who just tapped, and a busy minute
never makes a storm of `chat.update` calls.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.errors import cause
from adapters.slack.render.script import (
    action_point_message,
    as_blocks,
    closing_summary,
    results_message,
    script_fallback,
    script_message,
)
from bot.anonymity import batched_count
from bot.core import Core
from bot.debriefs import Closed
from bot.models import ActionPoint, Debrief
from bot.scripts import DEBRIEF_STAGE

log = logging.getLogger("debrief.slack")


async def redraw_script(core: Core, client: AsyncWebClient, debrief: Debrief, shown: int | None = None) -> None:
    if not (debrief.space and debrief.script_message):
        return
    script = core.debriefs.script(debrief.script_id)
    await client.chat_update(
        channel=debrief.space,
        ts=debrief.script_message,
        blocks=as_blocks(script_message(debrief, script, core.settings.debrief_min_group, shown)),
        text=script_fallback(script),
    )


@dataclass
class _Canvas:
    """One debrief's script message as this process last drew it."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    drawn: tuple[str, int] | None = None
    users: int = 0


_canvases: dict[uuid.UUID, _Canvas] = {}

_seen: OrderedDict[uuid.UUID, int] = OrderedDict()
"""The highest batch this process has seen claimed, per debrief (the most recent few thousand)."""
SEEN_LIMIT = 4096


def _remember(debrief_id: uuid.UUID, batch: int) -> None:
    _seen[debrief_id] = batch
    _seen.move_to_end(debrief_id)
    while len(_seen) > SEEN_LIMIT:
        _seen.popitem(last=False)


COUNTER_DELAY_SECONDS = 1.0
"""How long answers settle before the counter is looked at again (a batch in time as well as in number)."""

_pending: dict[uuid.UUID, asyncio.Task[None]] = {}


def schedule_refresh(core: Core, client: AsyncWebClient, debrief_id: uuid.UUID, stage: str) -> None:
    """After an answer: look at the counter once the answers of the next second have settled.

    A busy minute then costs one counter check per debrief per second in each
    process, not one per answer, and the answer's own request does no more
    database work after its commit.
    """
    if stage != DEBRIEF_STAGE or debrief_id in _pending:
        return

    async def later() -> None:
        try:
            await asyncio.sleep(COUNTER_DELAY_SECONDS)
        finally:
            _pending.pop(debrief_id, None)
        await refresh_counter(core, client, debrief_id, stage)

    _pending[debrief_id] = asyncio.create_task(later())


async def refresh_counter(core: Core, client: AsyncWebClient, debrief_id: uuid.UUID, stage: str) -> None:
    """After an answer: move the channel's counter if its batch changed. Never raises (the answer is safe).

    Two answers completing two batches at once must not leave the older
    number on screen (their chat.update calls can land in either order), so
    redraws of one debrief take turns in this process, each draws the count
    stored at that moment (skipping a count it already drew), and a redraw
    that finds the count moved on while it was drawing draws again. The
    stored count only rises, so the last redraw anywhere (other replicas
    included) shows the highest.
    """
    if stage != DEBRIEF_STAGE:
        return
    try:
        # Most answers leave the batch as it is: find that out with a read, and take the
        # write that claims a change (one per batch, whichever process gets there) only when
        # this process has not already seen the batch shown.
        count = await core.debriefs.answer_count(debrief_id)
        batch = batched_count(count, core.settings.debrief_min_group)
        if batch is None or batch <= _seen.get(debrief_id, 0):
            return
        _remember(debrief_id, batch)
        if await core.debriefs.claim_count_update(debrief_id) is None:
            return
        await redraw_latest(core, client, debrief_id)
    except Exception as error:  # noqa: BLE001 - best effort: one log line, never fatal
        log.warning("could not update a debrief's answer counter: %s", cause(error))


async def redraw_latest(core: Core, client: AsyncWebClient, debrief_id: uuid.UUID) -> None:
    """Draw the script message as the debrief stands now (counter, open or closed), in turn."""
    canvas = _canvases.setdefault(debrief_id, _Canvas())
    canvas.users += 1
    try:
        async with canvas.lock:
            for _ in range(3):
                debrief = await core.debriefs.get(debrief_id)
                state = (str(debrief.status), debrief.shown_count)
                if state == canvas.drawn:
                    break
                await redraw_script(core, client, debrief)
                canvas.drawn = state
    finally:
        canvas.users -= 1
        if not canvas.users:
            _canvases.pop(debrief_id, None)


async def post(client: AsyncWebClient, channel: str, blocks: list, text: str) -> str:
    """Post in a channel; the message's reference (`channel:ts`)."""
    response = await client.chat_postMessage(channel=channel, blocks=as_blocks(blocks), text=text, unfurl_links=False,
                                             unfurl_media=False)
    return f"{response.get('channel') or channel}:{response.get('ts') or ''}"


async def post_action_point(core: Core, client: AsyncWebClient, debrief: Debrief, point: ActionPoint) -> None:
    """Post the point with its buttons, and remember where (it is redrawn without them once closed)."""
    if debrief.space:
        await core.actions.remember_message(point.id, await post(client, debrief.space, action_point_message(point),
                                                                 "New action point"))


async def post_results(core: Core, client: AsyncWebClient, debrief: Debrief) -> bool:
    """Post the team's view of the answers; False while fewer than the minimum have answered."""
    aggregate = await core.results.stage_aggregate(debrief, DEBRIEF_STAGE, for_team=True)
    if aggregate.suppressed or not debrief.space:
        return False
    await post(client, debrief.space, results_message(aggregate), "The team's anonymous results")
    return True


async def post_closing(core: Core, client: AsyncWebClient, closed: Closed) -> None:
    debrief = closed.debrief
    if not debrief.space:
        return
    script = core.debriefs.script(debrief.script_id)
    answers = await core.debriefs.answer_count(debrief.id)
    aggregate = None
    if answers >= core.settings.debrief_min_group:
        aggregate = await core.results.stage_aggregate(debrief, DEBRIEF_STAGE, for_team=True)
    blocks = closing_summary(debrief, script, closed.action_points, answers, core.settings.debrief_min_group, aggregate)
    await post(client, debrief.space, blocks, "The debrief is closed")
    await redraw_latest(core, client, debrief.id)
