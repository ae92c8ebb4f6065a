"""The wellbeing team's queue of support requests (`/debrief requests`), as an ephemeral message.

This is the one identified path (DESIGN.md): each line names who asked,
because they chose to share it with the wellbeing team. Each request has
"I'll take it" while nobody has, and "Done", which takes it off the list.
The message is redrawn after every tap, with a kind line on top when the
tap came too late (someone else took it, it was already closed).
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from slack_sdk.models.blocks import ActionsBlock, ButtonElement

from adapters.slack.metadata import SupportRef
from adapters.slack.render.common import Blocks, context, plain, section
from adapters.slack.text import and_more, clip_escaped, mention
from bot.models import SupportStatus
from bot.support import PREFERRED_TIME_LENGTH, Queued
from bot.wording import day, plural


class QueueAction(StrEnum):
    """The queue's buttons; the listener matches on the same ids."""

    TAKE = "queue.take"
    DONE = "queue.done"


SHOWN = 20
"""Requests drawn (two blocks each, within Slack's 50 per message); the rest are counted."""
EMPTY = "Nobody is waiting to talk to someone right now. 💙"


def queue_text(queued: Sequence[Queued]) -> str:
    return f"Support requests: {len(queued)} waiting" if queued else "No support requests waiting"


def queue_blocks(queued: Sequence[Queued], note: str | None = None) -> Blocks:
    """Open and claimed requests, oldest first; `note` is a kind line about the last tap."""
    blocks: Blocks = []
    if note:
        blocks.append(context(f"ℹ️ {note}"))
    if not queued:
        return [*blocks, section(EMPTY)]
    blocks.append(section(f"🤝 *Support requests* ({plural(len(queued), 'request')} open or taken on)"))
    for item in queued[:SHOWN]:
        blocks += _request_blocks(item)
    if len(queued) > SHOWN:
        blocks.append(context(and_more(len(queued) - SHOWN, "more, older ones first: close some to see them")))
    blocks.append(context("They chose to share their name with the wellbeing team; nothing they answered is attached."))
    return blocks


def _request_blocks(item: Queued) -> Blocks:
    request = item.request
    lines = [f"*{mention(request.user)}* asked on {day(request.created_at.date())}"]
    if request.preferred_time:
        lines.append(f"When suits them: {clip_escaped(request.preferred_time, PREFERRED_TIME_LENGTH)}")
    if item.label:
        lines.append(f"After the debrief: {clip_escaped(item.label, 150)}")
    taken = request.claimed_by if request.status == SupportStatus.CLAIMED else None
    lines.append(f"Taken on by {mention(taken)}" if taken else "_Nobody has taken this on yet._")
    value = SupportRef(request=request.id).dump()
    buttons = [] if taken else [_button("I'll take it", QueueAction.TAKE, value, "primary")]
    buttons.append(_button("Done", QueueAction.DONE, value))
    return [section("\n".join(lines)), ActionsBlock(block_id=f"queue.{request.id}", elements=buttons)]


def _button(text: str, action: str, value: str, style: str | None = None) -> ButtonElement:
    return ButtonElement(text=plain(text), action_id=action, value=value, style=style)
