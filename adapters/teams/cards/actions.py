"""Action points on Teams: their buttons, the done/drop/hand-on dialogs, reminders, "you said, we did", `actions`.

The words come from `bot.actions`; a point's text is user text (`user_text`),
never markdown or a mention. Every button opens a dialog, so a refusal is
seen only by the person who tapped.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from adapters.teams.cards.common import (
    Element,
    action_set,
    card,
    choice_input,
    container,
    dialog_button,
    heading,
    subheading,
    submit,
    text,
    text_input,
    user_text,
    warning,
)
from adapters.teams.ids import PointInput, Verb
from bot import actions as words
from bot.actions import Point
from bot.models import ActionPoint, ActionStatus, Debrief


def point_buttons(point: ActionPoint) -> list[Element]:
    ref: dict[str, Any] = {"p": point.id}
    return [
        dialog_button(words.DONE_LABEL, Verb.POINT_DONE, style="positive", **ref),
        dialog_button(words.DROP_LABEL, Verb.POINT_DROP, **ref),
        dialog_button(words.HAND_ON_LABEL, Verb.POINT_HAND_ON, **ref),
    ]


def point_lines(point: ActionPoint, owner_name: str | None) -> list[Element]:
    return [
        user_text(point.text, limit=600, prefix="\u2022 "),
        user_text(owner_name or "the person chosen", limit=100, prefix="Owner: ", subtle=True),
        text(words.due_words(point).capitalize(), subtle=True, spacing="None", size="Small"),
    ]


def closed_point_card(point: ActionPoint, owner_name: str | None) -> dict[str, Any]:
    """The point's own card once it is closed: what it was, and done or dropped, without buttons."""
    label = f"Action point: {words.closed_label(ActionStatus(point.status))}"
    return card([subheading(label), *point_lines(point, owner_name)], fallback=label)


def reminder_card(point: ActionPoint, debrief: Debrief) -> dict[str, Any]:
    body = [heading(words.reminder_heading()), text(words.reminder_intro(debrief)), *point_lines(point, "you")]
    return card(body, point_buttons(point), fallback=words.reminder_heading())


def note_card(point: ActionPoint) -> dict[str, Any]:
    said, did = words.closed_lines(point)
    heading_text = words.closed_heading(ActionStatus(point.status))
    body = [heading(heading_text), user_text(point.text, limit=600, prefix=f"{said} ")]
    if did:
        body.append(user_text(did, limit=600))
    body.append(text(words.CLOSED_FOOTER, subtle=True))
    return card(body, fallback=heading_text)


def close_dialog(point: ActionPoint, status: ActionStatus, value: str | None = None,
                 problem: str | None = None) -> dict[str, Any]:
    done = status == ActionStatus.DONE
    verb = Verb.POINT_DONE if done else Verb.POINT_DROP
    body: list[Element] = [warning(problem)] if problem else []
    body += point_lines(point, None)[:1]
    body.append(text_input(PointInput.OUTCOME, words.OUTCOME_DONE_LABEL if done else words.OUTCOME_DROP_LABEL,
                           max_length=words.OUTCOME_LENGTH, value=value, required=not done,
                           placeholder=words.OUTCOME_HINT))
    return card(body, [submit("Done" if done else "Drop", verb, style="positive", p=point.id)])


def hand_on_dialog(point: ActionPoint, people: Sequence[tuple[str, str]], problem: str | None = None) -> dict[str, Any]:
    body: list[Element] = [warning(problem)] if problem else []
    body += point_lines(point, None)[:1]
    body.append(choice_input(PointInput.OWNER, words.HAND_ON_OWNER_LABEL,
                             [(name, user) for name, user in people if user != point.owner], required=True))
    return card(body, [submit("Hand on", Verb.POINT_HAND_ON, style="positive", p=point.id)])


def list_card(points: Sequence[Point], names: dict[str, str]) -> dict[str, Any]:
    """`actions`: the person's open action points and their debriefs', each with its buttons."""
    body: list[Element] = [heading("Action points")]
    if not points:
        body.append(text(words.NONE_OPEN))
        return card(body, fallback="Action points")
    shown, more = words.listed(points)
    for found in shown:
        lines = point_lines(found.point, names.get(found.point.owner))
        body.append(container([*lines, action_set(point_buttons(found.point))], separator=True, spacing="Medium"))
    if more:
        body.append(text(f"\u2026and {more} more action points.", subtle=True))
    return card(body, fallback="Action points")
