"""Support: resources (crisis lines first), asking to talk to someone, and what the wellbeing team receives."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from adapters.teams.cards.common import (
    Element,
    card,
    dialog_button,
    subheading,
    submit,
    text,
    text_input,
    user_text,
    warning,
)
from adapters.teams.ids import TalkInput, Verb
from bot import wording
from bot.port import ShownResource
from bot.support import PREFERRED_TIME_LENGTH
from bot.wording import Screen

_SAFE_URL = re.compile(r"^https://[^\s<>()\[\]]+$")
SEND = "send"
"""The key in the talk form's own button: the form was filled in (else the button only opens it)."""
CONFIDENTIAL = "Using any of these is confidential. The bot does not know whether you call."


def screen_elements(screen: Screen) -> list[Element]:
    """A care screen of `bot.wording` as card elements: crisis lines first, the emergency number in bold, the offer."""
    body: list[Element] = [text(f"\U0001f499 **{screen.heading}**")]
    body += [text(line) for line in screen.lines]
    if screen.resources:
        if screen.resources_title:
            body.append(subheading(screen.resources_title))
        crisis = [item for item in screen.resources if item.resource.crisis]
        others = sorted((item for item in screen.resources if not item.resource.crisis),
                        key=lambda item: item.resource.placeholder)
        body += crisis_elements(crisis + others)
    if screen.danger:
        body.append(text(screen.danger, weight="Bolder"))
    if screen.talk:
        body.append(text(screen.talk))
    return body


def screen_dialog(screen: Screen, talk: dict[str, Any] | None = None) -> dict[str, Any]:
    """A care screen in a dialog; with `talk` (the talk button's data) when the screen offers a conversation."""
    actions = [submit("Done", Verb.DONE)]
    if screen.talk and talk is not None:
        actions.insert(0, submit(wording.TALK_BUTTON, Verb.TALK, **talk))
    return card(screen_elements(screen), actions)


def resource_elements(shown: ShownResource) -> list[Element]:
    resource = shown.resource
    name = resource.name
    if resource.url and _SAFE_URL.match(resource.url):
        name = f"[{name}]({resource.url})"
    if resource.placeholder:
        return [text(f"**{name}**: not set up yet. Ask your wellbeing team how to reach it.", spacing="Small")]
    line = f"**{name}**: {resource.contact} ({resource.hours})"
    if shown.audience:
        line += f"  \n_{shown.audience}_"
    if resource.about:
        line += f"  \n{resource.about}"
    return [text(line, spacing="Small")]


def crisis_elements(crisis: Sequence[ShownResource]) -> list[Element]:
    elements: list[Element] = []
    for shown in crisis:
        elements += resource_elements(shown)
    return elements


def resources_elements(title: str, shown: Sequence[ShownResource]) -> list[Element]:
    crisis = [item for item in shown if item.resource.crisis]
    others = sorted((item for item in shown if not item.resource.crisis), key=lambda item: item.resource.placeholder)
    body: list[Element] = [text(f"**{title}**"), text("You don't have to be in crisis to reach out.", subtle=True)]
    if crisis:
        body.append(subheading("Right now, any time"))
        body += crisis_elements(crisis)
    if others:
        body.append(subheading("Other support"))
        for item in others:
            body += resource_elements(item)
    body.append(text(CONFIDENTIAL, subtle=True, size="Small"))
    return body


def resources_dialog(title: str, shown: Sequence[ShownResource], *, talk: dict[str, Any] | None) -> dict[str, Any]:
    """The resources; with `talk` (the button's data), a way to ask to talk to someone."""
    actions = [submit("Done", Verb.DONE)]
    if talk is not None:
        actions.insert(0, submit(wording.TALK_BUTTON, Verb.TALK, **talk))
    return card(resources_elements(title, shown), actions)


def resources_card(title: str, shown: Sequence[ShownResource], intro: str) -> dict[str, Any]:
    """Resources posted in a conversation, for everyone there (neutral: it names nobody)."""
    return card([text(intro), *resources_elements(title, shown)], fallback="Support resources")


def talk_dialog(data: dict[str, Any], value: str | None = None, problem: str | None = None) -> dict[str, Any]:
    body: list[Element] = [
        text("**Talk to someone**", size="Medium"),
        text("I'll tell the wellbeing team that you'd like to talk. **This is the one time your name is shared**: "
             "they will see who asked, so they can reach you. They will not see any of your answers."),
    ]
    if problem:
        body.append(warning(problem))
    body.append(text_input(TalkInput.PREFERRED_TIME, "When suits you? (optional)", max_length=PREFERRED_TIME_LENGTH,
                           placeholder="e.g. 'after 6pm today', 'any weekday morning'", value=value))
    return card(body, [submit("Ask to talk", Verb.TALK, style="positive", **{**data, "k": SEND}),
                       submit("Not now", Verb.DONE)])


def talk_button(data: dict[str, Any]) -> Element:
    return dialog_button(wording.TALK_BUTTON, Verb.TALK, **data)


def support_notice_card(
    requester: str | None, preferred_time: str | None, debrief_label: str | None, role: str, request_id: str,
    waiting: str | None = None,
) -> dict[str, Any]:
    """What a wellbeing officer or peer supporter gets: who asked (they chose to share it), and when suits them.

    `waiting`: sent again because nobody took it on within that time (DEBRIEF_SUPPORT_RESPONSE).
    """
    body: list[Element] = [
        text("**Someone asked to talk**", size="Medium"),
        *([warning(wording.still_waiting(waiting))] if waiting else []),
        user_text(requester or "A colleague (their name isn't known to me yet)", limit=200, prefix="Who: "),
    ]
    if preferred_time:
        body.append(user_text(preferred_time, limit=PREFERRED_TIME_LENGTH, prefix="When suits them: "))
    if debrief_label:
        body.append(user_text(debrief_label, limit=150, prefix="After the debrief: ", subtle=True))
    body.append(text(f"You're receiving this as a {role}. They chose to share their name; "
                     "nothing they answered is attached.", subtle=True, size="Small"))
    return card(body, [submit("I'll take it", Verb.CLAIM, style="positive", r=request_id)],
                fallback="Someone asked to talk")


def claimed_card(message: str) -> dict[str, Any]:
    return card([text(message)])
