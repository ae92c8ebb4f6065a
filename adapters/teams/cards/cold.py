"""Cold debriefs on Teams: the booking and cancelling dialogs, the invitation, the reminders, the offer.

Times: the booking dialog's `Input.Date` and `Input.Time` give a wall-clock
time, read in the lead's own zone (the Teams client's `localTimezone` /
clientInfo, as for quiet hours). Every card shows the time with Adaptive
Cards' `{{DATE(...)}}` and `{{TIME(...)}}` functions, which each reader's
Teams client renders in *their* own zone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from adapters.teams.cards.common import (
    Element,
    card,
    choice_input,
    date_input,
    dialog_button,
    heading,
    submit,
    text,
    text_input,
    warning,
)
from adapters.teams.ids import Verb
from bot import cold
from bot.debriefs import ACTION_LENGTH, SKIP_REASON_LABELS
from bot.models import Debrief
from bot.scripts import Script


class ColdInput(StrEnum):
    DATE = "cold.date"
    TIME = "cold.time"
    SCRIPT = "cold.script"
    REASON = "cold.reason"
    DETAIL = "cold.detail"


def when(moment: datetime) -> str:
    """The time as each reader's Teams client shows it, in their own zone."""
    stamp = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{{{{DATE({stamp}, LONG)}}}} at {{{{TIME({stamp})}}}}"


def with_book_offer(closing: dict[str, Any], debrief: Debrief) -> dict[str, Any]:
    """A hot debrief's closing card, with the offer and its button (the core lets only the lead book)."""
    closing["body"].append(text(cold.BOOK_OFFER, subtle=True, separator=True))
    closing.setdefault("actions", []).append(dialog_button(cold.BOOK_BUTTON, Verb.COLD_BOOK, d=debrief.id))
    return closing


def book_dialog(hot: Debrief, scripts: Sequence[Script], zone_name: str, initial: datetime, key: str,
                values: Mapping[str, str] | None = None, problems: Mapping[str, str] | None = None) -> dict[str, Any]:
    values, problems = values or {}, problems or {}
    body: list[Element] = [
        text("A cold debrief is a longer, facilitated look at the case, days to about two weeks after it, "
             "in this debrief's conversation. Everyone from the debrief is invited and reminded."),
    ]
    if problem := problems.get("when") or problems.get(""):
        body.append(warning(problem))
    body.append(date_input(ColdInput.DATE, f"{cold.WHEN_LABEL}: date", minimum=initial.date().isoformat(),
                           value=values.get(ColdInput.DATE) or initial.date().isoformat()))
    body.append({"type": "Input.Time", "id": ColdInput.TIME, "label": "Time",
                 "value": values.get(ColdInput.TIME) or initial.strftime("%H:%M")})
    body.append(text(f"In your time zone: {zone_name}.", subtle=True))
    if problem := problems.get("script"):
        body.append(warning(problem))
    choices = [(f"{script.title} (about {script.minutes} min)", script.id) for script in scripts]
    body.append(choice_input(ColdInput.SCRIPT, cold.SCRIPT_LABEL, choices,
                             value=values.get(ColdInput.SCRIPT) or (choices[0][1] if choices else None),
                             required=True))
    return card(body, [submit("Book", Verb.COLD_BOOK, style="positive", d=hot.id, k=key)])


def cancel_dialog(booked: Debrief, values: Mapping[str, str] | None = None,
                  problems: Mapping[str, str] | None = None) -> dict[str, Any]:
    values, problems = values or {}, problems or {}
    body: list[Element] = [text("Cancelling is recorded with the reason, as a skipped debrief is. Everyone invited "
                                "is told in the conversation, and no more reminders go out.")]
    if problem := problems.get("reason") or problems.get(""):
        body.append(warning(problem))
    body.append(choice_input(ColdInput.REASON, "Why?", [(label, reason.value) for reason, label in SKIP_REASON_LABELS.items()],
                             expanded=True, value=values.get(ColdInput.REASON), required=True))
    if problem := problems.get("detail"):
        body.append(warning(problem))
    body.append(text_input(ColdInput.DETAIL, "Anything to add? (optional)", multiline=True, max_length=ACTION_LENGTH,
                           value=values.get(ColdInput.DETAIL)))
    return card(body, [submit("Cancel it", Verb.COLD_CANCEL, style="destructive", d=booked.id),
                       submit("Keep it", Verb.DONE)])


def invitation_card(booked: Debrief, script: Script, reminders: list[tuple[str, timedelta]], people: int) -> dict[str, Any]:
    body = [heading(cold.INVITATION_HEADING),
            text(cold.invitation_text(script, when(cold.aware(booked.started_at)), reminders, people)),
            text("Times show in your own time zone. Only the lead can cancel.", subtle=True)]
    return card(body, [dialog_button(cold.CANCEL_BUTTON, Verb.COLD_CANCEL, d=booked.id)],
                fallback=cold.INVITATION_HEADING)


def cancelled_card(starts_at: datetime, reason: str) -> dict[str, Any]:
    return card([heading(cold.CANCELLED_HEADING), text(cold.cancelled_text(when(starts_at), reason))],
                fallback=cold.CANCELLED_HEADING)


def reminder_card(reminder: cold.ColdReminder) -> dict[str, Any]:
    return card([heading(cold.REMINDER_HEADING), text(reminder.text(when(reminder.starts_at)))],
                fallback=cold.REMINDER_HEADING)
