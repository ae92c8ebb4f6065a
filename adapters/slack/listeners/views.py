"""Modal submissions: set-up, anonymous answers (any stage), action point, skip.

Checks that need no database (the label's identifier screen) answer with
`response_action: errors` at once. Set-up then acks with a "Setting up…"
view and replaces it when done (ack, then update). An answer, an action
point and a skip are single quick transactions, so they are stored before
the ack and their field errors land on the right input.

A write that is slow (a lock held, a busy database) must not end in an
empty ack: Slack closes a form after 3 seconds as if it had been saved. If
the write has not finished within `SAVE_WAIT_SECONDS`, the form is acked
with a "Saving…" view and, once the write is done, updated to what
happened: the thank-you (or "added", "recorded"), or plainly that nothing
was saved and how to try again (`_saved_in_time`, `_outcome_after_saving`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp

from adapters.slack.access import Requires
from adapters.slack.errors import cause, explain, first_input_block, form_errors, listener
from adapters.slack.ids import ActionPointBlock, Callback, SetupBlock, SkipBlock, question_block, question_of
from adapters.slack.messaging import post_action_point, schedule_refresh
from adapters.slack.metadata import DebriefRef, Origin
from adapters.slack.render.checkin import thanks_view
from adapters.slack.render.common import notice
from adapters.slack.render.forms import already_answered, setup_modal, skipped, working
from adapters.slack.setup import SetupIncomplete, SetupRequest, set_up
from adapters.slack.state import read_action_point, read_answers, read_setup, read_skip
from adapters.slack.text import escape
from bot import wording
from bot.core import Core
from bot.debriefs import SKIP_REASON_LABELS, SkipReason
from bot.errors import AlreadyAdded, DebriefError, IdentifierFound, InvalidAnswer
from bot.officers import Role
from bot.support import audience_choices

log = logging.getLogger("debrief.slack")

SAVE_WAIT_SECONDS = 2.0
"""How long a form's write may take before the form is acked with "Saving…" (Slack allows 3 s)."""
SAVING = "Saving…"

_setting_up: set[str] = set()
"""View ids being set up in this process: a second submit of the same form is acknowledged and left to the first."""


def _user(body: dict[str, Any]) -> str:
    return str(body["user"]["id"])


async def _saved_in_time(write: asyncio.Future[Any], ack: Any) -> bool:
    """True when `write` is done within SAVE_WAIT_SECONDS; otherwise ack the form with "Saving…" now."""
    done, _ = await asyncio.wait({write}, timeout=SAVE_WAIT_SECONDS)
    if done:
        return True
    await ack(response_action="update", view=working(SAVING))
    return False


async def _outcome_after_saving(
    write: asyncio.Future[Any], view: dict[str, Any], client: Any, where: str, again: str,
    shown_when_saved: Callable[[Any], Awaitable[dict]],
) -> None:
    """Replace the "Saving…" view with what happened: what `shown_when_saved` says, or plainly that nothing was saved."""
    try:
        shown = await shown_when_saved(await write)
    except Exception as error:  # noqa: BLE001 - refused (the form is gone, so say why here) or the database gave up: nothing stored
        shown = notice("Not saved", escape(explain(error, f"{where} (after 'Saving…')")), f"Nothing was saved. {again}")
    try:
        await client.views_update(view_id=str(view["id"]), view=shown)
    except Exception as error:  # noqa: BLE001 - the person closed the form meanwhile; what was stored stays stored
        log.warning("%s: could not show the outcome after 'Saving…': %s", where, cause(error))


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
            result = setup_modal(core.library, origin, choice, SetupIncomplete.message, audience_choices(core.resources))
        except Exception as error:  # noqa: BLE001 - nothing was stored: show the form again, with what to do
            result = setup_modal(core.library, origin, choice, explain(error, "view debrief.setup"),
                                 audience_choices(core.resources))
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
    write = asyncio.ensure_future(core.debriefs.record_answer(ref.debrief, ref.stage, _user(body), values, shared, token=ref.token))

    async def thanked(recorded: Any) -> dict:
        # Crisis lines at once when the answers call for it; the offer to talk on every thank-you, so that
        # asking to talk never says which answer came before.
        screen = wording.thanks(recorded.signal, core.resources, await core.support.available())
        schedule_refresh(core, client, ref.debrief, ref.stage)
        return thanks_view(screen, ref)

    if not await _saved_in_time(write, ack):
        again = "Please tap *Answer anonymously* again to send your answer."
        await _outcome_after_saving(write, view, client, "view debrief.answer", again, thanked)
        return
    try:
        recorded = write.result()
    except (InvalidAnswer, IdentifierFound) as error:
        block_for = lambda field: question_block(field) if field in known else None  # noqa: E731 - a one-line mapping handed straight on
        await ack(response_action="errors", errors=form_errors(error, block_for, fallback))
        return
    except DebriefError as error:  # already answered, closed, not invited: a kind view, nothing stored
        await ack(response_action="update", view=already_answered(explain(error, "view debrief.answer")))
        return
    # Any other failure (the database down) reaches `listener`, which puts the kind message on the
    # form's first question: what they typed stays, and they can send it again in a minute.
    await ack(response_action="update", view=await thanked(recorded))


# --- action points -------------------------------------------------------------------------------


@listener
async def action_point_submitted(ack, body, client, core: Core) -> None:
    view = body["view"]
    ref = DebriefRef.load(view.get("private_metadata"))
    text, owner, due_on = read_action_point(view)
    write = asyncio.ensure_future(core.debriefs.add_action_point(
        ref.debrief, text=text, owner=owner, due_on=due_on, actor=_user(body),
        request_key=f"slack:{view['id']}" if view.get("id") else None,
    ))

    async def added(point: Any) -> dict:
        if point is not None:  # None: a second submission of this form, added and posted the first time
            await post_action_point(core, client, await core.debriefs.get(ref.debrief), point)
        return notice("Action point", "✅ Added to the debrief.")

    if not await _saved_in_time(write, ack):
        again = "Please tap *Add an action point* again."
        await _outcome_after_saving(_already_added_is_saved(write), view, client, "view debrief.action_point", again, added)
        return
    try:
        point = write.result()
    except (InvalidAnswer, IdentifierFound) as error:
        blocks = {"text": ActionPointBlock.TEXT, "owner": ActionPointBlock.OWNER, "due_on": ActionPointBlock.DUE_ON}
        await ack(response_action="errors", errors=form_errors(error, blocks.get, ActionPointBlock.TEXT))
        return
    except AlreadyAdded:  # this modal was submitted twice: added and posted the first time
        await ack()
        return
    await ack()
    debrief = await core.debriefs.get(ref.debrief)
    await post_action_point(core, client, debrief, point)


def _already_added_is_saved(write: asyncio.Future[Any]) -> asyncio.Future[Any]:
    """A second submission of the same form (AlreadyAdded) was saved the first time: not an error to show."""

    async def settled() -> Any:
        try:
            return await write
        except AlreadyAdded:
            return None

    return asyncio.ensure_future(settled())


# --- skipping ------------------------------------------------------------------------------------


@listener
async def skip_submitted(ack, body, client, core: Core) -> None:
    view = body["view"]
    origin = Origin.load(view.get("private_metadata"))
    reason, detail = read_skip(view)
    write = asyncio.ensure_future(core.debriefs.skip(
        platform="slack", workspace=origin.team, team=origin.channel, lead=_user(body), reason=reason, detail=detail
    ))

    async def recorded(_: Any) -> dict:
        return skipped(SKIP_REASON_LABELS[SkipReason(reason)])

    if not await _saved_in_time(write, ack):
        again = "Please type */debrief skip* again."
        await _outcome_after_saving(write, view, client, "view debrief.skip", again, recorded)
        return
    try:
        write.result()
    except (InvalidAnswer, IdentifierFound) as error:
        blocks = {"reason": SkipBlock.REASON, "detail": SkipBlock.DETAIL}
        await ack(response_action="errors", errors=form_errors(error, blocks.get, SkipBlock.REASON))
        return
    await ack(response_action="update", view=skipped(SKIP_REASON_LABELS[SkipReason(reason)]))


def register(app: AsyncApp) -> None:
    app.view(Callback.ANSWER, middleware=[Requires(Role.ANYONE)])(answer_submitted)  # first: the most frequent request of all
    app.view(Callback.SETUP, middleware=[Requires(Role.ANYONE)])(setup_submitted)
    app.view(Callback.ACTION_POINT, middleware=[Requires(Role.ANYONE)])(action_point_submitted)
    app.view(Callback.SKIP, middleware=[Requires(Role.ANYONE)])(skip_submitted)
