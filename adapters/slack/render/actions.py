"""Action points on Slack: their buttons, the done/drop/hand-on forms, reminders, "you said, we did", App Home.

The words come from `bot.actions`; only Block Kit is made here. A point's
text is user text: escaped (`clip_escaped`), never a mention.
"""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import ActionsBlock, ButtonElement, InputBlock, PlainTextInputElement, UserSelectElement

from adapters.slack.ids import VALUE, Action, Callback, PointBlock
from adapters.slack.metadata import PointRef
from adapters.slack.render.common import Blocks, context, header, notice, plain, section, view
from adapters.slack.text import and_more, channel_link, clip_escaped, escape, mention
from bot import actions as words
from bot.actions import Point
from bot.models import ActionPoint, ActionStatus, Debrief


def point_buttons(point: ActionPoint, block_id: str | None = None) -> ActionsBlock:
    """Done, Drop, Hand on: each opens a small form; only the owner or the lead may use them (the core checks)."""
    ref = PointRef(point=point.id)
    return ActionsBlock(block_id=block_id or f"point.{point.id}", elements=[
        ButtonElement(text=plain(words.DONE_LABEL), action_id=Action.POINT_DONE, value=ref.dump(), style="primary"),
        ButtonElement(text=plain(words.DROP_LABEL), action_id=Action.POINT_DROP, value=ref.dump()),
        ButtonElement(text=plain(words.HAND_ON_LABEL), action_id=Action.POINT_HAND_ON, value=ref.dump()),
    ])


def point_line(point: ActionPoint) -> str:
    return f"• {clip_escaped(point.text, 600)}: {mention(point.owner)}, {words.due_words(point)}"


def closed_point_blocks(point: ActionPoint) -> Blocks:
    """The point's own message once it is closed: what it was, and done or dropped, without buttons."""
    return [section(f"*Action point: {escape(words.closed_label(ActionStatus(point.status)))}*\n{point_line(point)}")]


def reminder_blocks(point: ActionPoint, debrief: Debrief) -> Blocks:
    return [
        header(words.reminder_heading()),
        section(escape(words.reminder_intro(debrief))),
        section(point_line(point)),
        point_buttons(point),
    ]


def note_blocks(point: ActionPoint) -> Blocks:
    said, did = words.closed_lines(point)
    blocks: Blocks = [header(words.closed_heading(ActionStatus(point.status)))]
    blocks.append(section(f"*{escape(said)}* {clip_escaped(point.text, 600)}"))
    if did:
        blocks.append(section(clip_escaped(did, 600)))
    blocks.append(context(escape(words.CLOSED_FOOTER)))
    return blocks


def close_modal(ref: PointRef, point: ActionPoint) -> dict:
    """Done (what changed, optional) or dropped (why, required)."""
    done = ref.status == ActionStatus.DONE
    blocks: Blocks = [
        section(point_line(point)),
        InputBlock(
            block_id=PointBlock.OUTCOME,
            label=plain(words.OUTCOME_DONE_LABEL if done else words.OUTCOME_DROP_LABEL),
            optional=done,
            hint=plain(words.OUTCOME_HINT),
            element=PlainTextInputElement(action_id=VALUE, max_length=words.OUTCOME_LENGTH),
        ),
    ]
    return view(title="Mark it done" if done else "Drop it", blocks=blocks, callback_id=Callback.POINT_CLOSE,
                submit="Done" if done else "Drop", close="Cancel", private_metadata=ref.dump())


def hand_on_modal(ref: PointRef, point: ActionPoint) -> dict:
    blocks: Blocks = [
        section(point_line(point)),
        InputBlock(block_id=PointBlock.OWNER, label=plain(words.HAND_ON_OWNER_LABEL),
                   element=UserSelectElement(action_id=VALUE, placeholder=plain("Pick one person"))),
    ]
    return view(title="Hand it on", blocks=blocks, callback_id=Callback.POINT_HAND_ON, submit="Hand on",
                close="Cancel", private_metadata=ref.dump())


def said(text: str) -> dict:
    return notice("Action point", escape(text))


def home_section(points: Sequence[Point], *, max_blocks: int) -> Blocks:
    """App Home's "Action points": the person's own open points and their debriefs', each with its buttons."""
    blocks: Blocks = [header("Action points")]
    if not points:
        return blocks + [context(escape(words.NONE_OPEN))]
    shown, more = words.listed(points)
    for found in shown:
        if len(blocks) + 3 > max_blocks:
            more += 1
            continue
        where = f" · from {channel_link(found.debrief.space)}" if found.debrief.space else ""
        blocks.append(section(point_line(found.point) + where))
        blocks.append(point_buttons(found.point))
    if more:
        blocks.append(context(and_more(more, "more action points")))
    return blocks
