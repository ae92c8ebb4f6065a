"""The check-in (a caring contact at 24 hours, 7 days...) as a direct message, and the support path around it.

A check-in asks nothing of the person and fits a phone's first screen: the
stage's warm message, the first crisis line and the emergency number, then
buttons (check in anonymously, talk to someone, all support contacts, which
opens the resources modal) and, last and small, one tap to stop further
check-ins. The words are the core's (`bot.wording`); only the blocks are here.

"Check in (anonymous)" is the debrief's own answer button with this stage in
its value, so it opens the same anonymous answer modal and goes through the
same core calls (refusal of a second answer, escalation) as the debrief.
"""

from __future__ import annotations

import functools
import uuid

from slack_sdk.models.blocks import ActionsBlock, ButtonElement, InputBlock, PlainTextInputElement

from adapters.slack.ids import VALUE, Action, Callback, CheckinBlock, TalkBlock
from adapters.slack.metadata import DebriefRef, SupportRef
from adapters.slack.render.common import Blocks, context, packed, plain, section, view
from adapters.slack.render.script import answer_button
from adapters.slack.render.support import resource_line
from adapters.slack.text import clip_escaped, escape, mention
from bot import wording
from bot.port import FollowupDelivery, ShownResource, SupportNotice
from bot.support import PREFERRED_TIME_LENGTH
from bot.wording import Screen

STOP = "No more check-ins for this debrief"
TALK_TITLE = "Talk to someone"
ONE_TIME = (
    "I'll let the wellbeing team know that you'd like to talk. *This is the one time your name is shared:* "
    "they will see who asked, so they can reach you. Nobody else is told, and none of your answers go with it."
)


def checkin_text(delivery: FollowupDelivery) -> str:
    """The notification line: says what it is, names nobody and no event."""
    return f"A check-in after your debrief ({delivery.script_title})"


def shown_line(shown: ShownResource) -> str:
    """One resource, with whom it is for when it is for some professions only."""
    line = resource_line(shown.resource)
    if shown.audience and not shown.resource.placeholder:
        line += f"\n   _{escape(shown.audience)}_"
    return line


def _button(text: str, action: Action, value: str, style: str | None = None) -> ButtonElement:
    return ButtonElement(text=plain(text, 75), action_id=action, value=value, style=style)


def talk_button(debrief_ref: DebriefRef) -> ButtonElement:
    return _button(wording.TALK_BUTTON, Action.TALK, debrief_ref.dump())


def screen_blocks(screen: Screen) -> Blocks:
    """A care screen of `bot.wording` in Block Kit: crisis lines first, the emergency number in bold, then the offer."""
    blocks: Blocks = [section(f"💙 *{escape(screen.heading)}*")]
    blocks += [section(escape(line)) for line in screen.lines]
    if screen.resources:
        crisis = [item for item in screen.resources if item.resource.crisis]
        others = sorted((item for item in screen.resources if not item.resource.crisis),
                        key=lambda item: item.resource.placeholder)
        lines = [shown_line(item) for item in crisis + others]
        blocks += packed(lines, max_blocks=12, title=screen.resources_title)
    if screen.danger:
        blocks.append(section(f"*{escape(screen.danger)}*"))
    if screen.talk:
        blocks.append(section(escape(screen.talk)))
    return blocks


def checkin_blocks(delivery: FollowupDelivery) -> Blocks:
    """The check-in message: the first screen fits a phone; every other contact is one tap away."""
    debrief = DebriefRef(debrief=delivery.debrief_id)
    screen = wording.checkin(delivery, delivery.emergency)
    blocks: Blocks = [section(f"💙 *{escape(screen.heading)}*")]
    if delivery.label:
        blocks.append(context(f"About: {clip_escaped(delivery.label, 150)}"))
    blocks += [section(escape(line)) for line in screen.lines]
    if screen.danger:
        blocks.append(section(f"*{escape(screen.danger)}*"))
    buttons: list[ButtonElement] = []
    if delivery.questions:
        buttons.append(answer_button(DebriefRef(debrief=delivery.debrief_id, stage=delivery.stage),
                                     wording.CHECK_IN_BUTTON))
    if delivery.support_available:
        buttons.append(talk_button(debrief))
    buttons.append(_button(wording.SUPPORT_BUTTON, Action.RESOURCES, debrief.dump()))
    blocks.append(ActionsBlock(block_id=CheckinBlock.BUTTONS, elements=buttons))
    blocks.append(ActionsBlock(block_id=CheckinBlock.STOP, elements=[_button(STOP, Action.STOP_FOLLOWUPS, debrief.dump())]))
    return blocks


def stopped_blocks() -> Blocks:
    return [section(wording.STOPPED + " Tap *All support contacts* above, or see my *Home* tab, any time.")]


# --- talking to someone: the one identified path ---------------------------------------------------


def talk_modal(ref: DebriefRef, value: str | None = None) -> dict:
    blocks: Blocks = [
        section(ONE_TIME),
        InputBlock(
            block_id=TalkBlock.PREFERRED_TIME,
            label=plain("When suits you? (optional)"),
            optional=True,
            hint=plain("For example 'after 6pm today' or 'any weekday morning'. No patient details, please."),
            element=PlainTextInputElement(
                action_id=VALUE, max_length=PREFERRED_TIME_LENGTH, initial_value=value or None
            ),
        ),
        context("If you need someone right now, the crisis lines in my message are there any time."),
    ]
    return view(
        title=TALK_TITLE,
        blocks=blocks,
        callback_id=Callback.TALK,
        submit="Ask to talk",
        close="Not now",
        private_metadata=ref.dump(),
    )


_thanks_views: dict[tuple[object, ...], dict] = {}
"""The thank-you views, validated once per wording (the answer is the busiest request there is)."""


def thanks_view(screen: Screen, ref: DebriefRef) -> dict:
    """The thank-you after an answer: what `bot.wording.thanks` says, and the talk button whenever it is offered."""
    key = (screen.title, screen.heading, screen.lines, screen.resources_title,
           tuple((id(shown.resource), shown.audience) for shown in screen.resources), screen.danger, screen.talk)
    if key not in _thanks_views:
        if len(_thanks_views) > 32:
            _thanks_views.clear()
        _thanks_views[key] = view(title=screen.title, blocks=screen_blocks(screen))
    shown = _thanks_views[key]
    if not screen.talk:
        return shown
    return {**shown, "blocks": [*shown["blocks"], _talk_block(ref.debrief)]}


@functools.lru_cache(maxsize=256)
def _talk_block(debrief_id: uuid.UUID) -> dict:
    """The thank-you's "talk to someone" button for one debrief, drawn once per debrief (read, never changed)."""
    return ActionsBlock(block_id=CheckinBlock.BUTTONS, elements=[talk_button(DebriefRef(debrief=debrief_id))]).to_dict()


def talk_sent(screen: Screen) -> dict:
    return view(title=TALK_TITLE, blocks=screen_blocks(screen))


def support_notice_text() -> str:
    return "Someone asked to talk"


def support_notice_blocks(notice_: SupportNotice, claimed_by: str | None = None) -> Blocks:
    """What a wellbeing officer or peer supporter receives: who asked (they chose to share it) and when suits them."""
    lines = [f"*Who:* {mention(notice_.user)}"]
    if notice_.preferred_time:
        lines.append(f"*When suits them:* {clip_escaped(notice_.preferred_time, PREFERRED_TIME_LENGTH)}")
    if notice_.debrief_label:
        lines.append(f"*After the debrief:* {clip_escaped(notice_.debrief_label, 150)}")
    blocks: Blocks = [section("🤝 *Someone asked to talk*")]
    if notice_.waiting:
        blocks.append(section(f"⚠️ *{escape(wording.still_waiting(notice_.waiting))}*"))
    blocks += [
        section("\n".join(lines)),
        context(
            f"You're receiving this as a {escape(notice_.recipient_role)}. They chose to share their name with "
            "the wellbeing team; nothing they answered is attached."
        ),
    ]
    if claimed_by:
        blocks.append(section(f"✅ Taken on by {mention(claimed_by)}. Thank you."))
    else:
        claim = _button("I'll take it", Action.CLAIM_SUPPORT, SupportRef(request=notice_.request_id).dump(), "primary")
        blocks.append(ActionsBlock(block_id=CheckinBlock.CLAIM, elements=[claim]))
    return blocks
