"""Modal submissions: set-up, anonymous answers (any stage), action point, skip.

Checks that need no database (the label's identifier screen) answer with
`response_action: errors` at once. Set-up then acks with a "Setting up…"
view and replaces it when done (ack, then update). An answer, an action
point and a skip are single quick transactions, so they are stored before
the ack and their field errors land on the right input.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp

from adapters.slack.errors import explain, first_input_block, form_errors, listener
from adapters.slack.ids import ActionPointBlock, Callback, SetupBlock, SkipBlock, question_block, question_of
from adapters.slack.messaging import post_action_point, schedule_refresh
from adapters.slack.metadata import DebriefRef, Origin
from adapters.slack.render.checkin import offer_talk
from adapters.slack.render.forms import already_answered, setup_modal, skipped, thanks, working
from adapters.slack.setup import SetupIncomplete, SetupRequest, set_up
from adapters.slack.state import read_action_point, read_answers, read_setup, read_skip
from bot.core import Core
from bot.debriefs import SKIP_REASON_LABELS, SkipReason
from bot.errors import AlreadyAdded, DebriefError, IdentifierFound, InvalidAnswer

log = logging.getLogger("debrief.slack")

_setting_up: set[str] = set()
"""View ids being set up in this process: a second submit of the same form is acknowledged and left to the first."""


def _user(body: dict[str, Any]) -> str:
    return str(body["user"]["id"])


# --- set-up --------------------------------------------------------------------------------------


@listener
async def setup_submitted(ack, body, client, context, core: Core) -> None:
    view = body["view"]
    origin = Origin.load(view.get("private_metadata"))
    choice = read_setup(view)
    lead = _user(body)
    bot_user = context.get("bot_user_id")
    choice.participants = [user for user in choice.participants if user not in (lead, bot_user)]
    try:
        core.debriefs.check_setup(choice.label, len(choice.participants) + 1, choice.since_event)
    except (IdentifierFound, InvalidAnswer) as error:
        blocks = {"label": SetupBlock.LABEL, "participants": SetupBlock.PARTICIPANTS, "since_event": SetupBlock.SINCE_EVENT}
        await ack(response_action="errors", errors=form_errors(error, blocks.get, SetupBlock.LABEL))
        return
    view_id = str(view["id"])
    if view_id in _setting_up:
        await ack(response_action="update", view=working("Setting up your debrief…"))
        return
    await ack(response_action="update", view=working("Setting up your debrief…"))
    _setting_up.add(view_id)
    try:
        request = SetupRequest(origin=origin, lead=lead, choice=choice, view_id=view_id, bot_user=bot_user)
        try:
            result = await set_up(core, client, request)
        except SetupIncomplete as incomplete:
            explain(incomplete.error, "view debrief.setup (after the debrief was saved)")
            result = setup_modal(core.library, origin, choice, SetupIncomplete.message)
        except Exception as error:  # nothing was stored: show the form again, with what to do
            result = setup_modal(core.library, origin, choice, explain(error, "view debrief.setup"))
        await client.views_update(view_id=view_id, view=result)
    finally:
        _setting_up.discard(view_id)


# --- anonymous answers ---------------------------------------------------------------------------


@listener
async def answer_submitted(ack, body, client, core: Core) -> None:
    view = body["view"]
    ref = DebriefRef.load(view.get("private_metadata"))
    values, shared = read_answers(view)
    fallback = first_input_block(body) or question_block("answer")
    known = {parsed[1] for block in (view.get("state") or {}).get("values") or {} if (parsed := question_of(block))}
    try:
        recorded = await core.debriefs.record_answer(
            ref.debrief, ref.stage, _user(body), values, shared, token=ref.token
        )
    except (InvalidAnswer, IdentifierFound) as error:
        block_for = lambda field: question_block(field) if field in known else None  # noqa: E731
        await ack(response_action="errors", errors=form_errors(error, block_for, fallback))
        return
    except DebriefError as error:  # already answered, closed, not invited: a kind view, nothing stored
        await ack(response_action="update", view=already_answered(explain(error, "view debrief.answer")))
        return
    # Any other failure (the database down) reaches `listener`, which puts the kind message on the
    # form's first question: what they typed stays, and they can send it again in a minute.
    shown = thanks(recorded.escalate, core.resources.crisis)
    if recorded.escalate and await core.support.available():  # crisis lines at once, and an opt-in handoff
        shown = offer_talk(shown, ref)
    await ack(response_action="update", view=shown)
    schedule_refresh(core, client, ref.debrief, ref.stage)


# --- action points -------------------------------------------------------------------------------


@listener
async def action_point_submitted(ack, body, client, core: Core) -> None:
    view = body["view"]
    ref = DebriefRef.load(view.get("private_metadata"))
    text, owner, due_on = read_action_point(view)
    try:
        point = await core.debriefs.add_action_point(
            ref.debrief, text=text, owner=owner, due_on=due_on, actor=_user(body),
            request_key=f"slack:{view['id']}" if view.get("id") else None,
        )
    except (InvalidAnswer, IdentifierFound) as error:
        blocks = {"text": ActionPointBlock.TEXT, "owner": ActionPointBlock.OWNER, "due_on": ActionPointBlock.DUE_ON}
        await ack(response_action="errors", errors=form_errors(error, blocks.get, ActionPointBlock.TEXT))
        return
    except AlreadyAdded:  # this modal was submitted twice: added and posted the first time
        await ack()
        return
    await ack()
    debrief = await core.debriefs.get(ref.debrief)
    await post_action_point(client, debrief, point)


# --- skipping ------------------------------------------------------------------------------------


@listener
async def skip_submitted(ack, body, core: Core) -> None:
    view = body["view"]
    origin = Origin.load(view.get("private_metadata"))
    reason, detail = read_skip(view)
    try:
        await core.debriefs.skip(
            platform="slack", workspace=origin.team, team=origin.channel, lead=_user(body), reason=reason, detail=detail
        )
    except (InvalidAnswer, IdentifierFound) as error:
        blocks = {"reason": SkipBlock.REASON, "detail": SkipBlock.DETAIL}
        await ack(response_action="errors", errors=form_errors(error, blocks.get, SkipBlock.REASON))
        return
    await ack(response_action="update", view=skipped(SKIP_REASON_LABELS[SkipReason(reason)]))


def register(app: AsyncApp) -> None:
    app.view(Callback.ANSWER)(answer_submitted)  # first: the most frequent request of all
    app.view(Callback.SETUP)(setup_submitted)
    app.view(Callback.ACTION_POINT)(action_point_submitted)
    app.view(Callback.SKIP)(skip_submitted)
