"""Setting a debrief up: the dialog (script, people from the roster, label), then the script card.

Order, and why:
1. `task/fetch` reads the conversation's roster (paged, with Azure AD ids)
   and shows the form with a fresh request key in its submit button.
2. `task/submit` checks what needs no database (the label's identifier
   screen, the people being in this conversation) and shows the form again
   with the problem above the field: nothing is stored yet.
3. `start()` the debrief, idempotent on the request key (a double tap gets
   the same debrief), remember where it runs and the people picked (so that
   their check-ins can reach them later), post the script card here, and
   attach it to the debrief. A submission that finds its debrief already
   posted just says "done".
"""

from __future__ import annotations

import asyncio
import logging
import secrets

from botbuilder.core import InvokeResponse, TurnContext
from botbuilder.core.teams import TeamsInfo

from adapters.teams import roster as rosters
from adapters.teams.cards.forms import SetupChoice, setup_dialog, setup_done_dialog
from adapters.teams.cards.script import script_card, script_fallback
from adapters.teams.errors import explain
from adapters.teams.graph import NOT_A_TEAM, GraphRefused
from adapters.teams.handlers import respond
from adapters.teams.ids import SetupInput
from adapters.teams.metadata import ButtonData
from adapters.teams.references import conversation_title, reference_of, tenant_of, with_conversation
from adapters.teams.services import PLATFORM, Services, workspace_of
from bot.errors import IdentifierFound, InvalidAnswer
from bot.support import audience_choices

log = logging.getLogger("debrief.teams")

TITLE = "Start a debrief"
ROSTER_UNAVAILABLE = "I couldn't read who is in this conversation just now, so only you are listed."
ROSTER_UNAVAILABLE_NOW = "I couldn't check who is in this conversation just now; nothing was stored. Please tap Start again."
_locks: dict[str, asyncio.Lock] = {}


async def _roster(turn_context: TurnContext) -> tuple[list, str | None]:
    try:
        members = await rosters.roster(turn_context)
    except Exception as error:  # noqa: BLE001 - explain() gives any failure a kind message and the operator one log line
        explain(error, "set-up: reading the roster")
        return [], ROSTER_UNAVAILABLE
    note = None
    if len(members) > 100:
        note = "Only the first 100 people, by name, are listed here."
    return members, note


async def fetch(services: Services, turn_context: TurnContext, data: ButtonData, values: dict[str, str]) -> InvokeResponse:
    members, note = await _roster(turn_context)
    lead = turn_context.activity.from_property.id
    choices = rosters.choices(members, leave_out=lead)
    card = setup_dialog(services.core.library, choices, secrets.token_urlsafe(12), roster_note=note,
                        private_channel=_private(services, turn_context),
                        audiences=audience_choices(services.core.resources))
    return respond.show(card, TITLE, "large")


def read_choice(values: dict[str, str]) -> SetupChoice:
    people = [item.strip() for item in values.get(SetupInput.PARTICIPANTS, "").split(",") if item.strip()]
    return SetupChoice(
        script_id=values.get(SetupInput.SCRIPT) or "stop5",
        participants=list(dict.fromkeys(people)),
        label=(values.get(SetupInput.LABEL) or "").strip() or None,
        since_event=values.get(SetupInput.SINCE_EVENT) or None,
        audience=[item.strip() for item in values.get(SetupInput.AUDIENCE, "").split(",") if item.strip()],
    )


async def submit(services: Services, turn_context: TurnContext, data: ButtonData, values: dict[str, str]) -> InvokeResponse:
    core = services.core
    activity = turn_context.activity
    lead = activity.from_property.id
    choice = read_choice(values)
    choice.participants = [user for user in choice.participants if user != lead]
    key = data.key or secrets.token_urlsafe(12)

    async def again(problems: dict[str, str]) -> InvokeResponse:
        members, note = await _roster(turn_context)
        card = setup_dialog(core.library, rosters.choices(members, leave_out=lead), key, choice, problems, note,
                            _private(services, turn_context), audiences=audience_choices(core.resources))
        return respond.show(card, TITLE, "large")

    try:
        core.debriefs.check_setup(choice.label, len(choice.participants) + 1, choice.since_event)
        core.debriefs.script(choice.script_id)
    except (IdentifierFound, InvalidAnswer) as error:
        problems = dict(error.problems) if isinstance(error, InvalidAnswer) else error.by_field()
        return await again(problems)
    except Exception as error:  # noqa: BLE001 - explain() gives any failure a kind message and the operator one log line
        return await again({"": explain(error, "set-up")})

    lock = _locks.setdefault(key, asyncio.Lock())  # a double tap waits for the first, then finds it done
    try:
        async with lock:
            return await _start(services, turn_context, choice, key)
    finally:
        if not lock.locked():
            _locks.pop(key, None)


async def _start(services: Services, turn_context: TurnContext, choice: SetupChoice, key: str) -> InvokeResponse:
    core = services.core
    activity = turn_context.activity
    lead = activity.from_property.id
    existing = await core.debriefs.find_by_request(key)
    if existing is not None and existing.script_message:
        return respond.show(setup_done_dialog(), TITLE, "small")
    try:
        members = await rosters.roster(turn_context) if choice.participants else []
    except Exception as error:  # noqa: BLE001 - explain() gives any failure a kind message and the operator one log line
        explain(error, "set-up: checking the people picked")
        card = setup_dialog(core.library, [], key, choice, {"": ROSTER_UNAVAILABLE_NOW},
                            private_channel=_private(services, turn_context), audiences=audience_choices(core.resources))
        return respond.show(card, TITLE, "large")
    here = {member.id: member for member in members}
    picked = [user for user in choice.participants if user in here]
    left_out = len(choice.participants) - len(picked)
    reference = reference_of(activity)
    space = str(activity.conversation.id)
    tenant = tenant_of(activity)
    try:
        debrief = existing or await core.debriefs.start(
            platform=PLATFORM,
            workspace=workspace_of(turn_context),
            team=space.split(";")[0],
            lead=lead,
            script_id=choice.script_id,
            participants=picked,
            label=choice.label,
            since_event=choice.since_event,
            request_key=key,
            audience=choice.audience,
        )
        await services.references.remember_conversation(space, reference, tenant, conversation_title(activity))
        await services.references.remember_roster(reference, tenant, [here[user] for user in picked])
        if lead in here:
            await services.references.remember_roster(reference, tenant, [here[lead]])
        script = core.debriefs.script(debrief.script_id)
        channel = note = None
        if _private(services, turn_context):
            try:
                card = script_card(debrief, script, core.settings.debrief_min_group, shown=0, private=True)
                channel, space, posted = await _in_private_channel(
                    services, turn_context, [here[user] for user in picked], card, script_fallback(script))
            except GraphRefused as refused:
                note = refused.message
                await services.messaging.say(reference, note)
        if channel is None:
            card = script_card(debrief, script, core.settings.debrief_min_group, shown=0, private=False)
            posted = await services.messaging.post(reference, card, script_fallback(script))
        await core.debriefs.set_space(debrief.id, space, posted)
    except (IdentifierFound, InvalidAnswer) as error:
        problems = dict(error.problems) if isinstance(error, InvalidAnswer) else error.by_field()
        card = setup_dialog(core.library, rosters.choices(members, leave_out=lead), key, choice, problems,
                            private_channel=_private(services, turn_context), audiences=audience_choices(core.resources))
        return respond.show(card, TITLE, "large")
    except Exception as error:  # noqa: BLE001 - explain() gives any failure a kind message and the operator one log line
        message = explain(error, "set-up")
        card = setup_dialog(core.library, rosters.choices(members, leave_out=lead), key, choice, {"": message},
                            private_channel=_private(services, turn_context), audiences=audience_choices(core.resources))
        return respond.show(card, TITLE, "large")
    return respond.show(setup_done_dialog(left_out, channel, note), TITLE, "small")


def _private(services: Services, turn_context: TurnContext) -> bool:
    """Whether set-up will try a private channel: Graph is on and this is a team's channel."""
    return services.graph is not None and bool(((turn_context.activity.channel_data or {}).get("team") or {}).get("id"))


async def _team_group_id(turn_context: TurnContext) -> str | None:
    """The team's Azure AD group id (Graph's team id); None outside a team channel."""
    team = (turn_context.activity.channel_data or {}).get("team") or {}
    if not team.get("id"):
        return None
    if team.get("aadGroupId"):
        return str(team["aadGroupId"])
    connector = await TeamsInfo.get_teams_connector_client(turn_context)
    details = await asyncio.to_thread(connector.teams.get_team_details, team["id"])  # msrest blocks
    return details.aad_group_id


async def _in_private_channel(services: Services, turn_context: TurnContext, people: list, card: dict,
                              fallback: str) -> tuple[str, str, str]:
    """Create the private channel (lead as owner), post the script card there, remember it.

    Returns (channel name, the new conversation's id, the card's activity id); `GraphRefused` when the
    debrief must run here instead."""
    assert services.graph is not None
    activity = turn_context.activity
    lead = activity.from_property
    try:
        group = await _team_group_id(turn_context)
    except Exception as error:
        explain(error, "set-up: reading the team's details")
        raise GraphRefused(NOT_A_TEAM) from error
    if not group or not lead.aad_object_id:
        raise GraphRefused(NOT_A_TEAM)
    members = [person.aad_object_id for person in people if person.aad_object_id]
    channel_id, name = await services.graph.create_private_channel(
        group, lead.aad_object_id, members, services.core.clock.now().date())
    reference = reference_of(activity)
    conversation, posted = await services.messaging.start_thread(reference, channel_id, card, fallback)
    tenant = tenant_of(activity)
    thread = with_conversation(reference, conversation, "channel")
    await services.references.remember_conversation(conversation, thread, tenant)
    return name, conversation, posted
