"""Cold debriefs: "Book a cold debrief" and its modal, "Cancel the cold debrief" and its modal.

Anyone may tap; the core lets only the hot debrief's lead book or cancel
(`bot.cold`), and says so kindly otherwise. Each modal's field checks that
need no database (a time in the past) answer at once with
`response_action: errors`; then the modal is acked with "Booking…" and
updated with what happened (ack, then update), and the invitation or the
cancellation is posted in the debrief's channel for everyone invited.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from slack_bolt.async_app import AsyncApp

from adapters.slack.access import Requires
from adapters.slack.cold import (
    ColdAction,
    ColdBlock,
    ColdCallback,
    already_booked,
    book_modal,
    cancel_modal,
    cancelled,
    done,
    invitation,
    value_of,
)
from adapters.slack.errors import cause, explain, form_errors, listener
from adapters.slack.listeners.actions import load
from adapters.slack.messaging import post
from adapters.slack.metadata import DebriefRef
from adapters.slack.render.forms import working
from adapters.slack.text import escape
from bot import cold
from bot.core import Core
from bot.errors import DebriefError, IdentifierFound, InvalidAnswer
from bot.models import DebriefStatus
from bot.officers import Role

log = logging.getLogger("debrief.slack")

AHEAD = timedelta(days=7)
"""The booking modal's first suggestion: a week after today, on the hour (CLINICAL.md: about a week)."""


def _suggested(now: datetime) -> datetime:
    return (now + AHEAD).replace(minute=0, second=0, microsecond=0)


@listener
async def book_tapped(ack, body, client, core: Core) -> None:
    """Open the booking modal first (the trigger id lives 3 s), then nothing slow."""
    await ack()
    _, hot = await load(core, body)
    if str(body["user"]["id"]) != hot.lead:
        await client.views_open(trigger_id=body["trigger_id"], view=done(escape(cold.ONLY_LEAD)))
        return
    if (booked := await core.cold.booked_for(hot.id)) is not None:
        await client.views_open(trigger_id=body["trigger_id"], view=done(already_booked(booked)))
        return
    await client.views_open(trigger_id=body["trigger_id"],
                            view=book_modal(hot, core.cold.scripts(), _suggested(core.clock.now())))


@listener
async def book_submitted(ack, body, client, core: Core) -> None:
    modal = body["view"]
    ref = DebriefRef.load(modal.get("private_metadata"))
    picked = value_of(modal, ColdBlock.WHEN).get("selected_date_time")
    script_id = str((value_of(modal, ColdBlock.SCRIPT).get("selected_option") or {}).get("value") or "")
    try:
        if not isinstance(picked, int | float | str) or not str(picked).isdigit():
            raise InvalidAnswer({"when": "Please pick a date and a time."})
        starts_at = core.cold.check_time(datetime.fromtimestamp(int(picked), UTC))
        core.cold.script(script_id)
    except InvalidAnswer as error:
        blocks = {"when": ColdBlock.WHEN, "script": ColdBlock.SCRIPT}
        await ack(response_action="errors",
                  errors={blocks.get(field, ColdBlock.WHEN): text for field, text in error.problems.items()})
        return
    await ack(response_action="update", view=working("Booking the cold debrief…"))
    try:
        booking = await core.cold.book(ref.debrief, lead=str(body["user"]["id"]), starts_at=starts_at,
                                       script_id=script_id, request_key=f"slack:{modal['id']}")
    except Exception as error:  # noqa: BLE001 - nothing was booked: say why, in the modal
        shown = done(escape(explain(error, "view cold.book")))
        await client.views_update(view_id=str(modal["id"]), view=shown)
        return
    booked = booking.debrief
    people = len(await core.debriefs.participants(booked.id))
    outcome = "✅ Booked. The invitation is in the debrief's channel, and everyone gets a reminder before."
    if booked.space and booking.new:  # the same modal sent twice: invited the first time
        try:
            script = core.debriefs.script(booked.script_id)
            await post(client, booked.space, invitation(booked, script, core.settings.cold_reminders, people),
                       cold.INVITATION_HEADING)
        except Exception as error:  # noqa: BLE001 - booked; the reminders still go: say so
            log.warning("view cold.book: booked, but the invitation could not be posted: %s", cause(error))
            outcome = "✅ Booked, and everyone gets a reminder. I couldn't post the invitation in the channel just now."
    await client.views_update(view_id=str(modal["id"]), view=done(outcome))


@listener
async def cancel_tapped(ack, body, client, core: Core) -> None:
    await ack()
    _, booked = await load(core, body)
    if str(body["user"]["id"]) != booked.lead:
        await client.views_open(trigger_id=body["trigger_id"], view=done(escape(cold.ONLY_LEAD)))
        return
    if booked.status != DebriefStatus.BOOKED:
        await client.views_open(trigger_id=body["trigger_id"], view=done(escape(cold.STARTED)))
        return
    await client.views_open(trigger_id=body["trigger_id"], view=cancel_modal(booked))


@listener
async def cancel_submitted(ack, body, client, core: Core) -> None:
    modal = body["view"]
    ref = DebriefRef.load(modal.get("private_metadata"))
    reason = str((value_of(modal, ColdBlock.REASON).get("selected_option") or {}).get("value") or "")
    detail = value_of(modal, ColdBlock.DETAIL).get("value")
    try:
        core.cold.check_cancel(reason, str(detail) if detail else None)
    except (InvalidAnswer, IdentifierFound) as error:
        blocks = {"reason": ColdBlock.REASON, "detail": ColdBlock.DETAIL}
        await ack(response_action="errors", errors=form_errors(error, blocks.get, ColdBlock.DETAIL))
        return
    await ack(response_action="update", view=working("Cancelling…"))
    try:
        result = await core.cold.cancel(ref.debrief, actor=str(body["user"]["id"]), reason=reason,
                                        detail=str(detail) if detail else None)
    except DebriefError as error:
        await client.views_update(view_id=str(modal["id"]), view=done(escape(explain(error, "view cold.cancel"))))
        return
    outcome = "✅ Cancelled and recorded. Everyone invited is told in the debrief's channel."
    if result.space:
        try:
            await post(client, result.space, cancelled(result.starts_at, cold.reason_label(result.reason)),
                       cold.CANCELLED_HEADING)
        except Exception as error:  # noqa: BLE001 - recorded and the reminders are stopped: say what is missing
            log.warning("view cold.cancel: cancelled, but the notice could not be posted: %s", cause(error))
            outcome = "✅ Cancelled, and no reminders will go out. I couldn't post the notice in the channel just now."
    await client.views_update(view_id=str(modal["id"]), view=done(outcome))


def register(app: AsyncApp) -> None:
    # anyone may tap; the core lets only the hot debrief's lead book or cancel
    app.action(ColdAction.BOOK, middleware=[Requires(Role.ANYONE)])(book_tapped)
    app.view(ColdCallback.BOOK, middleware=[Requires(Role.ANYONE)])(book_submitted)
    app.action(ColdAction.CANCEL, middleware=[Requires(Role.ANYONE)])(cancel_tapped)
    app.view(ColdCallback.CANCEL, middleware=[Requires(Role.ANYONE)])(cancel_submitted)
