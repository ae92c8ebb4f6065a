"""Cold debriefs on Teams: the "Book a cold debrief" dialog on a closing card, "Cancel" on the invitation.

Anyone may open them; the core lets only the hot debrief's lead book or
cancel (`bot.cold`). The booked date and time are read in the lead's own
zone, as the Teams client reports it (`references.timezone_of`, the zone
quiet hours use too), else DEBRIEF_TIMEZONE. The invitation and the
cancellation are posted in the debrief's conversation for everyone invited.
"""

from __future__ import annotations

import logging
import secrets
from datetime import date, datetime, timedelta
from datetime import time as clock_time

from botbuilder.core import InvokeResponse, TurnContext

from adapters.teams.cards.cold import ColdInput, book_dialog, cancel_dialog, cancelled_card, invitation_card, when
from adapters.teams.errors import explain
from adapters.teams.handlers import respond
from adapters.teams.metadata import ButtonData
from adapters.teams.references import timezone_of
from adapters.teams.services import Services
from bot import cold
from bot.errors import DebriefError, IdentifierFound, InvalidAnswer
from bot.followups.schedule import zone
from bot.models import DebriefStatus

log = logging.getLogger("debrief.teams")

BOOK_TITLE = "Book a cold debrief"
CANCEL_TITLE = "Cancel the cold debrief"
AHEAD = timedelta(days=7)
"""The dialog's first suggestion: a week from now, on the hour (CLINICAL.md: about a week)."""


def _zone_name(services: Services, turn_context: TurnContext) -> str:
    return timezone_of(turn_context.activity) or services.core.settings.debrief_timezone


def _read_time(values: dict[str, str], zone_name: str) -> datetime:
    """The dialog's local date and time in the lead's zone, as an aware datetime; InvalidAnswer if unreadable."""
    try:
        day = date.fromisoformat(values.get(ColdInput.DATE) or "")
        hour, minute = (int(part) for part in (values.get(ColdInput.TIME) or "").split(":")[:2])
        return datetime.combine(day, clock_time(hour, minute), tzinfo=zone(zone_name))
    except ValueError:
        raise InvalidAnswer({"when": "Please pick a date and a time."}) from None


async def book_fetch(services: Services, turn_context: TurnContext, data: ButtonData,
                     values: dict[str, str]) -> InvokeResponse:
    core = services.core
    hot = await core.debriefs.get(data.need_debrief())
    if turn_context.activity.from_property.id != hot.lead:
        return respond.notice(BOOK_TITLE, cold.ONLY_LEAD)
    if (booked := await core.cold.booked_for(hot.id)) is not None:
        return respond.notice(BOOK_TITLE, cold.already_booked_text(when(cold.aware(booked.started_at))))
    zone_name = _zone_name(services, turn_context)
    initial = (core.clock.now() + AHEAD).astimezone(zone(zone_name)).replace(minute=0, second=0, microsecond=0)
    dialog = book_dialog(hot, core.cold.scripts(), zone_name, initial, secrets.token_urlsafe(12))
    return respond.show(dialog, BOOK_TITLE, "medium")


async def book_submit(services: Services, turn_context: TurnContext, data: ButtonData,
                      values: dict[str, str]) -> InvokeResponse:
    core = services.core
    hot_id = data.need_debrief()
    zone_name = _zone_name(services, turn_context)
    key = data.key or secrets.token_urlsafe(12)
    try:
        starts_at = core.cold.check_time(_read_time(values, zone_name))
        booking = await core.cold.book(hot_id, lead=turn_context.activity.from_property.id, starts_at=starts_at,
                                      script_id=values.get(ColdInput.SCRIPT) or "", request_key=f"teams:{key}")
    except InvalidAnswer as error:
        hot = await core.debriefs.get(hot_id)
        initial = core.clock.now().astimezone(zone(zone_name))
        dialog = book_dialog(hot, core.cold.scripts(), zone_name, initial, key, values, error.problems)
        return respond.show(dialog, BOOK_TITLE, "medium")
    except DebriefError as error:
        return respond.notice(BOOK_TITLE, explain(error, "dialog cold book"))
    booked = booking.debrief
    if not booking.new:  # the same dialog sent twice: invited the first time
        return respond.notice(BOOK_TITLE, "\u2705 Booked. The invitation is in the conversation.")
    people = len(await core.debriefs.participants(booked.id))
    try:
        script = core.debriefs.script(booked.script_id)
        await services.messaging.post_in_space(
            booked, invitation_card(booked, script, core.settings.cold_reminders, people), cold.INVITATION_HEADING)
    except Exception as error:  # noqa: BLE001 - booked; the reminders still go: say so
        explain(error, "posting a cold debrief's invitation")
        return respond.notice(BOOK_TITLE, "\u2705 Booked, and everyone gets a reminder. "
                                          "I couldn't post the invitation in the conversation just now.")
    return respond.notice(BOOK_TITLE, "\u2705 Booked. The invitation is in the conversation, "
                                      "and everyone gets a reminder before.")


async def cancel_fetch(services: Services, turn_context: TurnContext, data: ButtonData,
                       values: dict[str, str]) -> InvokeResponse:
    debriefs = services.core.debriefs
    try:
        booked = await debriefs.get(data.need_debrief())
    except DebriefError:
        return respond.notice(CANCEL_TITLE, "This cold debrief has already been cancelled.")
    if turn_context.activity.from_property.id != booked.lead:
        return respond.notice(CANCEL_TITLE, cold.ONLY_LEAD)
    if booked.status != DebriefStatus.BOOKED:
        return respond.notice(CANCEL_TITLE, cold.STARTED)
    return respond.show(cancel_dialog(booked), CANCEL_TITLE, "medium")


async def cancel_submit(services: Services, turn_context: TurnContext, data: ButtonData,
                        values: dict[str, str]) -> InvokeResponse:
    core = services.core
    cold_id = data.need_debrief()
    try:
        result = await core.cold.cancel(cold_id, actor=turn_context.activity.from_property.id,
                                        reason=values.get(ColdInput.REASON) or "", detail=values.get(ColdInput.DETAIL))
    except (InvalidAnswer, IdentifierFound) as error:
        problems = dict(error.problems) if isinstance(error, InvalidAnswer) else error.by_field()
        booked = await core.debriefs.get(cold_id)
        return respond.show(cancel_dialog(booked, values, problems), CANCEL_TITLE, "medium")
    except DebriefError as error:
        return respond.notice(CANCEL_TITLE, explain(error, "dialog cold cancel"))
    try:
        await services.messaging.post_in_space(
            result.hot, cancelled_card(result.starts_at, cold.reason_label(result.reason)), cold.CANCELLED_HEADING)
    except Exception as error:  # noqa: BLE001 - recorded and the reminders are stopped: say what is missing
        explain(error, "posting a cold debrief's cancellation")
        return respond.notice(CANCEL_TITLE, "\u2705 Cancelled, and no reminders will go out. "
                                            "I couldn't post the notice in the conversation just now.")
    return respond.notice(CANCEL_TITLE, "\u2705 Cancelled and recorded. Everyone invited is told in the conversation.")
