"""The proactive check-ins (24 hours, 7 days...) in each person's personal chat with the bot."""

from __future__ import annotations

from typing import Any

from adapters.teams.cards.common import Element, card, dialog_button, submit, text, user_text
from adapters.teams.cards.support import talk_button
from adapters.teams.ids import Verb
from bot import wording
from bot.port import FollowupDelivery


def followup_fallback(delivery: FollowupDelivery) -> str:
    return f"A check-in after your debrief ({delivery.script_title})"


def followup_card(delivery: FollowupDelivery) -> dict[str, Any]:
    """The check-in: its first screen fits a phone (the core's words, `bot.wording.checkin`); the rest one tap away."""
    ref = {"d": delivery.debrief_id, "s": delivery.stage}
    screen = wording.checkin(delivery, delivery.emergency)
    body: list[Element] = [text(f"**{screen.heading}**", size="Medium")]
    if delivery.label:
        body.append(user_text(delivery.label, limit=150, prefix="About: ", subtle=True))
    body += [text(line) for line in screen.lines]
    if screen.danger:
        body.append(text(screen.danger, weight="Bolder"))
    actions: list[Element] = []
    if delivery.questions:
        actions.append(dialog_button("Answer anonymously", Verb.ANSWER, style="positive", **ref))
    if delivery.support_available:
        actions.append(talk_button({"d": delivery.debrief_id}))
    actions.append(dialog_button(wording.SUPPORT_BUTTON, Verb.RESOURCES, d=delivery.debrief_id))
    actions.append(submit("Stop these check-ins", Verb.STOP, d=delivery.debrief_id))
    return card(body, actions, fallback=followup_fallback(delivery))


def lead_unreached_card(stage_words: str, count: int) -> dict[str, Any]:
    people = "one person" if count == 1 else "some people"
    return card([
        text(f"I couldn't send the {stage_words} check-in to {people} from your debrief: Teams only lets me "
             "message people who have the app, and I couldn't open a chat with them."),
        text("I've posted the support contacts in the debrief's conversation instead, without naming anyone. "
             "If they'd like their private check-ins, they can open a chat with me once (search for "
             "**Debrief** in Teams' apps)."),
    ], fallback="A check-in couldn't be delivered")
