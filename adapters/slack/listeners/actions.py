"""Buttons: answer anonymously, add an action point, support resources, post results, close.

Every button's value is a `DebriefRef` (JSON, validated); `load()` reads it
and fetches the debrief once, for the handlers that need it. Buttons that
open a modal do so before anything slow: the trigger id lives 3 seconds.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_bolt.async_app import AsyncApp

from adapters.slack.access import Requires
from adapters.slack.errors import deliver, listener
from adapters.slack.ids import Action
from adapters.slack.messaging import post_closing, post_results
from adapters.slack.metadata import DebriefRef, StaleRequest
from adapters.slack.render.forms import action_point_modal, already_answered, answer_modal
from adapters.slack.render.support import resources_modal
from bot import wording
from bot.core import Core
from bot.errors import AlreadyAnswered, NoLongerOpen, NotAllowed
from bot.models import Debrief
from bot.officers import Role

log = logging.getLogger("debrief.slack")

CHECK_SECONDS = 1.5
"""How long the check before an answer form may take (the trigger id lives 3 s)."""
SLOW = "Sorry, that took too long. Please tap Answer again in a moment."


def ref_of(body: dict[str, Any]) -> DebriefRef:
    actions = body.get("actions") or []
    if not actions:
        raise StaleRequest("no action in the payload")
    return DebriefRef.load(actions[0].get("value"))


async def load(core: Core, body: dict[str, Any]) -> tuple[DebriefRef, Debrief]:
    """The per-button step every debrief button shares: the reference, checked, and its debrief."""
    ref = ref_of(body)
    return ref, await core.debriefs.get(ref.debrief)




@listener
async def answer(ack, body, client, core: Core) -> None:
    """Open the answer form, with the token that says this person may send it (checked here, once)."""
    await ack()
    ref = ref_of(body)
    try:
        form = await asyncio.wait_for(core.debriefs.open_form(ref.debrief, ref.stage, body["user"]["id"]), CHECK_SECONDS)
    except (AlreadyAnswered, NoLongerOpen) as refused:
        await client.views_open(trigger_id=body["trigger_id"], view=already_answered(refused.message))
        return
    except TimeoutError:
        log.warning("action %s: the check before the form took too long; asked to tap again", Action.ANSWER)
        await client.views_open(trigger_id=body["trigger_id"], view=already_answered(SLOW))
        return
    signed = ref.model_copy(update={"token": form.token})
    intro = wording.form_intro(form.intro, core.settings, ref.stage)
    await client.views_open(trigger_id=body["trigger_id"], view=answer_modal(signed, form.questions, intro))


@listener
async def add_action_point(ack, body, client) -> None:
    await ack()
    await client.views_open(trigger_id=body["trigger_id"], view=action_point_modal(ref_of(body)))


@listener
async def resources(ack, body, client, core: Core) -> None:
    await ack()
    await client.views_open(trigger_id=body["trigger_id"], view=resources_modal(core.resources))


@listener
async def post_team_results(ack, body, client, core: Core, respond) -> None:
    await ack()
    _, debrief = await load(core, body)
    if body["user"]["id"] != debrief.lead:
        raise NotAllowed("Only the person who started the debrief can post the team's results.")
    if not await post_results(core, client, debrief):
        minimum = core.settings.debrief_min_group
        await deliver(f"The results appear once {minimum} or more people have answered, so nobody can be recognised.", ack=ack, body=body, client=client, respond=respond)


@listener
async def close(ack, body, client, core: Core, respond) -> None:
    await ack()
    ref = ref_of(body)
    closed = await core.debriefs.close(ref.debrief, body["user"]["id"])
    if not closed.newly_closed:
        await deliver("This debrief is already closed. Thank you.", ack=ack, body=body, client=client, respond=respond)
        return
    await post_closing(core, client, closed)


def register(app: AsyncApp) -> None:
    # anyone may tap; the core refuses what is not theirs (a debrief they are not in, closing it if not the lead)
    app.action(Action.ANSWER, middleware=[Requires(Role.ANYONE)])(answer)
    app.action(Action.ADD_ACTION_POINT, middleware=[Requires(Role.ANYONE)])(add_action_point)
    app.action(Action.RESOURCES, middleware=[Requires(Role.ANYONE)])(resources)
    app.action(Action.POST_RESULTS, middleware=[Requires(Role.ANYONE)])(post_team_results)
    app.action(Action.CLOSE, middleware=[Requires(Role.ANYONE)])(close)
