"""The check-in (a caring contact at 24 hours, 7 days...) as a direct message, and the support path around it.

A check-in asks nothing of the person: the stage's warm message first, then
two buttons (check in anonymously, talk to someone), the support resources
(crisis lines first, profession-specific ones labelled with whom they are
for) and, last and small, one tap to stop further check-ins.

"Check in (anonymous)" is the debrief's own answer button with this stage in
its value, so it opens the same anonymous answer modal and goes through the
same core calls (refusal of a second answer, escalation) as the debrief.
"""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import ActionsBlock, ButtonElement, DividerBlock, InputBlock, PlainTextInputElement

from adapters.slack.ids import VALUE, Action, Callback, CheckinBlock, TalkBlock
from adapters.slack.metadata import DebriefRef, SupportRef
from adapters.slack.render.common import Blocks, context, notice, packed, plain, section, to_dicts, view
from adapters.slack.render.script import answer_button
from adapters.slack.render.support import resource_line, resource_lines
from adapters.slack.text import clip_escaped, escape, mention
from bot.port import FollowupDelivery, ShownResource, SupportNotice
from bot.scripts import Resource
from bot.support import PREFERRED_TIME_LENGTH

CHECK_IN = "Check in (anonymous)"
TALK = "I'd like to talk to someone"
STOP = "No more check-ins for this debrief"
CONFIDENTIAL = "Using any of these is confidential. The bot does not know whether you call."
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


def resources_blocks(title: str, shown: Sequence[ShownResource]) -> Blocks:
    """Crisis lines first, then the rest (placeholders last), as in the Home tab."""
    crisis = [item for item in shown if item.resource.crisis]
    others = sorted((item for item in shown if not item.resource.crisis), key=lambda item: item.resource.placeholder)
    blocks: Blocks = [section(f"*{escape(title)}*\nYou don't have to be in crisis to reach out.")]
    if crisis:
        blocks += packed([shown_line(item) for item in crisis], max_blocks=8, title="Right now, any time")
    if others:
        blocks += packed([shown_line(item) for item in others], max_blocks=16, title="Other support")
    blocks.append(context(CONFIDENTIAL))
    return blocks


def _button(text: str, action: Action, value: str, style: str | None = None) -> ButtonElement:
    return ButtonElement(text=plain(text, 75), action_id=action, value=value, style=style)


def talk_button(debrief_ref: DebriefRef) -> ButtonElement:
    return _button(TALK, Action.TALK, debrief_ref.dump())


def checkin_blocks(delivery: FollowupDelivery) -> Blocks:
    """The check-in message: well within Slack's 50 blocks whatever the resource file holds."""
    debrief = DebriefRef(debrief=delivery.debrief_id)
    blocks: Blocks = [section(f"💙 *Checking in after your debrief* · {escape(delivery.script_title)}")]
    if delivery.label:
        blocks.append(context(f"About: {clip_escaped(delivery.label, 150)}"))
    blocks.append(section(escape(delivery.message)))
    buttons: list[ButtonElement] = []
    if delivery.questions:
        blocks.append(context("If you'd like to check in: a few questions, anonymous and all optional."))
        buttons.append(answer_button(DebriefRef(debrief=delivery.debrief_id, stage=delivery.stage), CHECK_IN))
    if delivery.support_available:
        buttons.append(talk_button(debrief))
    if buttons:
        blocks.append(ActionsBlock(block_id=CheckinBlock.BUTTONS, elements=buttons))
    blocks.append(DividerBlock())
    blocks += resources_blocks(delivery.resources_title, delivery.resources)
    blocks.append(ActionsBlock(block_id=CheckinBlock.STOP, elements=[_button(STOP, Action.STOP_FOLLOWUPS, debrief.dump())]))
    return blocks


def stopped_blocks() -> Blocks:
    return [
        section(
            "Done: you won't get any more check-ins from this debrief. "
            "Support is still there whenever you want it: the contacts above, or my *Home* tab, any time."
        )
    ]


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


def offer_talk(thanks_view: dict, ref: DebriefRef) -> dict:
    """The thank-you after answers that call for it (crisis lines shown), with an opt-in handoff to a person."""
    blocks = list(thanks_view["blocks"]) + to_dicts([
        section(
            "Would you like someone from the wellbeing team to get in touch? Only if you choose it: "
            "it shares your name with them, and nobody else. Your answers stay anonymous either way."
        ),
        ActionsBlock(block_id=CheckinBlock.BUTTONS, elements=[talk_button(DebriefRef(debrief=ref.debrief))]),
    ])
    return {**thanks_view, "blocks": blocks}


def talk_sent(reached: bool, crisis: Sequence[Resource]) -> dict:
    first = (
        "💙 Done. Someone from the wellbeing team will be in touch."
        if reached
        else "💙 Your request is saved, and the wellbeing team will see it. "
        "I couldn't message them just now, so it may take a little longer."
    )
    lines = resource_lines(crisis)
    return notice(
        TALK_TITLE,
        first,
        "If you need someone right now, these are there any time:" if lines else "",
        "\n".join(lines),
    )


def support_notice_text() -> str:
    return "Someone asked to talk"


def support_notice_blocks(notice_: SupportNotice, claimed_by: str | None = None) -> Blocks:
    """What a wellbeing officer or peer supporter receives: who asked (they chose to share it) and when suits them."""
    lines = [f"*Who:* {mention(notice_.user)}"]
    if notice_.preferred_time:
        lines.append(f"*When suits them:* {clip_escaped(notice_.preferred_time, PREFERRED_TIME_LENGTH)}")
    if notice_.debrief_label:
        lines.append(f"*After the debrief:* {clip_escaped(notice_.debrief_label, 150)}")
    blocks: Blocks = [
        section("🤝 *Someone asked to talk*"),
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
