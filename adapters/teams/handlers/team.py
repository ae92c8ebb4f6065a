"""The lead's and the team's buttons on the script card: action points, the team's results, closing.

Each opens a dialog, so a refusal ("only the lead can post the results")
is seen only by the person who tapped, and each posts its result in the
debrief's conversation for everyone.
"""

from __future__ import annotations

import logging
import secrets
from datetime import date

from botbuilder.core import InvokeResponse, TurnContext

from adapters.teams.cards.forms import action_point_dialog, close_dialog, results_dialog
from adapters.teams.cards.script import action_point_card, results_card, results_elements
from adapters.teams.errors import explain
from adapters.teams.handlers import respond
from adapters.teams.ids import ActionPointInput
from adapters.teams.metadata import ButtonData
from adapters.teams.services import Services
from bot.errors import AlreadyAdded, DebriefError, IdentifierFound, InvalidAnswer, NotAllowed
from bot.models import DebriefStatus
from bot.scripts import DEBRIEF_STAGE

log = logging.getLogger("debrief.teams")

ONLY_LEAD_RESULTS = "Only the person who started the debrief can post the team's results."


async def _people(services: Services, debrief_id) -> list[tuple[str, str]]:
    """(name, id) of everyone in the debrief, for "who owns it?"."""
    debrief = await services.core.debriefs.get(debrief_id)
    users = [debrief.lead] + [p.user for p in await services.core.debriefs.participants(debrief_id) if p.user != debrief.lead]
    names = await services.references.names(users)
    return sorted(((names.get(user) or "Someone in this debrief", user) for user in users), key=lambda pair: pair[0].lower())


# --- action points -----------------------------------------------------------------------------


async def action_point_fetch(services: Services, turn_context: TurnContext, data: ButtonData,
                             values: dict[str, str]) -> InvokeResponse:
    debrief = await services.core.debriefs.get(data.need_debrief())
    if debrief.status != DebriefStatus.OPEN:
        return respond.notice("Action point", "This debrief has closed, so it can't take new action points.")
    today = services.core.clock.now().date().isoformat()
    card = action_point_dialog(data.ref(), await _people(services, debrief.id), today, secrets.token_urlsafe(12))
    return respond.show(card, "Add an action point", "large")


async def action_point_submit(services: Services, turn_context: TurnContext, data: ButtonData,
                              values: dict[str, str]) -> InvokeResponse:
    core = services.core
    debrief_id = data.need_debrief()
    user = turn_context.activity.from_property.id
    people = await _people(services, debrief_id)
    today = core.clock.now().date().isoformat()
    key = data.key or secrets.token_urlsafe(12)  # a form from before keys: one from here on
    due_text = values.get(ActionPointInput.DUE_ON) or ""
    try:
        try:
            due_on = date.fromisoformat(due_text) if due_text else None
        except ValueError:
            raise InvalidAnswer({"due_on": "Please pick a date."}) from None
        owner = values.get(ActionPointInput.OWNER) or ""
        if owner and owner not in {person for _, person in people}:
            raise InvalidAnswer({"owner": "Please choose someone from this debrief."})
        point = await core.debriefs.add_action_point(
            debrief_id, text=values.get(ActionPointInput.TEXT) or "", owner=owner, due_on=due_on, actor=user,
            request_key=f"teams:{key}",
        )
    except (InvalidAnswer, IdentifierFound) as error:
        problems = dict(error.problems) if isinstance(error, InvalidAnswer) else error.by_field()
        card = action_point_dialog(data.ref(), people, today, key, values, problems)
        return respond.show(card, "Add an action point", "large")
    except AlreadyAdded:  # the same dialog sent again: added and posted the first time
        return respond.notice("Action point", "\u2705 Added, and posted in the conversation.")
    except DebriefError as error:
        return respond.notice("Action point", explain(error, "dialog action point"))
    except Exception as error:  # noqa: BLE001 - explain() gives any failure a kind message and the operator one log line
        card = action_point_dialog(data.ref(), people, today, key, values, {"": explain(error, "dialog action point")})
        return respond.show(card, "Add an action point", "large")
    debrief = await core.debriefs.get(debrief_id)
    owners = dict((user_id, name) for name, user_id in people)
    try:
        posted = await services.messaging.post_in_space(debrief, action_point_card(point, owners.get(point.owner)),
                                                        "New action point")
        await core.actions.remember_message(point.id, posted)  # redrawn without its buttons once closed
    except Exception as error:  # noqa: BLE001 - explain() gives any failure a kind message and the operator one log line
        explain(error, "posting an action point")
        return respond.notice("Action point", "Saved. I couldn't post it in the conversation just now; "
                                              "it will be in the closing summary.")
    return respond.notice("Action point", "\u2705 Added, and posted in the conversation.")


# --- the team's results ---------------------------------------------------------------------


async def results_fetch(services: Services, turn_context: TurnContext, data: ButtonData,
                        values: dict[str, str]) -> InvokeResponse:
    core = services.core
    debrief = await core.debriefs.get(data.need_debrief())
    if turn_context.activity.from_property.id != debrief.lead:
        return respond.notice("The team's results", ONLY_LEAD_RESULTS)
    aggregate = await core.results.stage_aggregate(debrief, DEBRIEF_STAGE, for_team=True)
    if aggregate.suppressed:
        minimum = core.settings.debrief_min_group
        return respond.notice("The team's results",
                              f"The results appear once {minimum} or more people have answered, so nobody can be recognised.")
    return respond.show(results_dialog(data.ref(), results_elements(aggregate)), "The team's results", "large")


async def results_submit(services: Services, turn_context: TurnContext, data: ButtonData,
                         values: dict[str, str]) -> InvokeResponse:
    core = services.core
    debrief = await core.debriefs.get(data.need_debrief())
    if turn_context.activity.from_property.id != debrief.lead:
        raise NotAllowed(ONLY_LEAD_RESULTS)
    aggregate = await core.results.stage_aggregate(debrief, DEBRIEF_STAGE, for_team=True)
    if aggregate.suppressed:
        minimum = core.settings.debrief_min_group
        return respond.notice("The team's results", f"The results appear once {minimum} or more people have answered.")
    await services.messaging.post_in_space(debrief, results_card(aggregate), "The team's anonymous results")
    return respond.notice("The team's results", "\u2705 Posted in the conversation.")


# --- closing --------------------------------------------------------------------------------


async def close_fetch(services: Services, turn_context: TurnContext, data: ButtonData,
                      values: dict[str, str]) -> InvokeResponse:
    debrief = await services.core.debriefs.get(data.need_debrief())
    if debrief.status != DebriefStatus.OPEN:
        return respond.notice("Close the debrief", "This debrief is already closed. Thank you.")
    return respond.show(close_dialog(data.ref()), "Close the debrief", "small")


async def close_submit(services: Services, turn_context: TurnContext, data: ButtonData,
                       values: dict[str, str]) -> InvokeResponse:
    closed = await services.core.debriefs.close(data.need_debrief(), turn_context.activity.from_property.id)
    if not closed.newly_closed:
        return respond.notice("Close the debrief", "This debrief is already closed. Thank you.")
    owners = dict((user, name) for name, user in await _people(services, closed.debrief.id))
    try:
        await services.messaging.post_closing(closed, owners)
    except Exception as error:  # noqa: BLE001 - explain() gives any failure a kind message and the operator one log line
        explain(error, "posting the closing summary")
        return respond.notice("Close the debrief", "Closed. I couldn't post the summary in the conversation just now.")
    return respond.notice("Close the debrief", "\u2705 Closed, and the summary is posted. Thank you for running it.")
