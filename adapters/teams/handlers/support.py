"""Support: the resources dialog, asking to talk to someone, claiming a request, stopping check-ins.

Asking to talk is the one identified path (DESIGN.md): the dialog says so
before anything is sent, the request is stored first (a Teams outage never
loses it) and then each wellbeing officer and peer supporter is told in
their personal chat by the Teams messenger.
"""

from __future__ import annotations

import logging

from botbuilder.core import InvokeResponse, MessageFactory, TurnContext

from adapters.teams.cards.support import SEND, claimed_card, resources_dialog, screen_dialog, talk_dialog
from adapters.teams.errors import explain
from adapters.teams.handlers import respond
from adapters.teams.ids import TalkInput
from adapters.teams.metadata import ButtonData
from adapters.teams.services import PLATFORM, Services, workspace_of
from bot import wording
from bot.errors import DebriefError, IdentifierFound, InvalidAnswer
from bot.support import resources_for_person

log = logging.getLogger("debrief.teams")

TALK_TITLE = "Talk to someone"


def _talk_data(data: ButtonData) -> dict:
    return {"d": data.debrief} if data.debrief else {}


async def resources_fetch(services: Services, turn_context: TurnContext, data: ButtonData,
                          values: dict[str, str]) -> InvokeResponse:
    core = services.core
    talk = _talk_data(data) if await core.support.available() else None
    card = resources_dialog(core.resources.title, resources_for_person(core.resources), talk=talk)
    return respond.show(card, "Support", "large")


async def talk_fetch(services: Services, turn_context: TurnContext, data: ButtonData,
                     values: dict[str, str]) -> InvokeResponse:
    return respond.show(talk_dialog(_talk_data(data)), TALK_TITLE, "medium")


async def talk_submit(services: Services, turn_context: TurnContext, data: ButtonData,
                      values: dict[str, str]) -> InvokeResponse:
    if data.key != SEND:  # the button in the resources dialog: show the form
        return await talk_fetch(services, turn_context, data, values)
    preferred = values.get(TalkInput.PREFERRED_TIME)
    try:
        requested = await services.core.support.request(
            platform=PLATFORM,
            workspace=workspace_of(turn_context),
            user=turn_context.activity.from_property.id,
            debrief_id=data.debrief,
            preferred_time=preferred,
        )
    except (InvalidAnswer, IdentifierFound) as error:
        problems = dict(error.problems) if isinstance(error, InvalidAnswer) else error.by_field()
        problem = " ".join(problems.values()) or error.message
        return respond.show(talk_dialog(_talk_data(data), preferred, problem), TALK_TITLE, "medium")
    except DebriefError as error:
        return respond.notice(TALK_TITLE, explain(error, "dialog talk"))
    except Exception as error:  # noqa: BLE001 - explain() gives any failure a kind message and the operator one log line
        return respond.show(talk_dialog(_talk_data(data), preferred, explain(error, "dialog talk")), TALK_TITLE, "medium")
    core = services.core
    screen = wording.talk_sent(requested.reached_someone, core.settings, core.resources)
    return respond.show(screen_dialog(screen), TALK_TITLE, "medium")


# --- buttons that arrive as messages (in a personal chat) ---------------------------------------------


async def claim(services: Services, turn_context: TurnContext, data: ButtonData) -> None:
    """An officer or peer supporter takes a request on; exactly one wins."""
    if data.request is None:
        raise DebriefError("That card is out of date.")
    user = turn_context.activity.from_property.id
    request = await services.core.support.claim(data.request, user, *await services.identities(turn_context))
    who = "You've" if request.claimed_by == user else "Someone has"
    await turn_context.send_activity(services.messaging.activity(claimed_card(f"\u2705 {who} taken this request on. Thank you."),
                                             "Support request taken"))


async def stop(services: Services, turn_context: TurnContext, data: ButtonData) -> None:
    """One tap: no more check-ins from this debrief for this person."""
    await services.core.debriefs.stop_followups(data.need_debrief(), turn_context.activity.from_property.id)
    await turn_context.send_activity(MessageFactory.text(
        wording.STOPPED + " Type **help** for the support contacts."
    ))
