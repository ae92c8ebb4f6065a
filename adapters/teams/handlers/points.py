"""Action points' dialogs and the `actions` command: done (what changed), dropped (why), handed on (to whom).

The buttons sit on the point's card in the debrief's conversation, on the
owner's reminders and on the `actions` card. Anyone may tap; the core lets
only the owner or the debrief's lead change a point
(`bot.actions.may_change`), and the dialog opens only for them. A dialog
sent twice closes the point once; its "you said, we did" note is one
outbox row (`bot.actions`), posted once.
"""

from __future__ import annotations

from botbuilder.core import InvokeResponse, TurnContext

from adapters.teams.cards.actions import close_dialog, hand_on_dialog, list_card
from adapters.teams.errors import explain
from adapters.teams.handlers import respond
from adapters.teams.handlers.team import _people
from adapters.teams.ids import PointInput, Verb
from adapters.teams.metadata import ButtonData
from adapters.teams.services import PLATFORM, Services, workspace_of
from bot import actions as words
from bot.errors import DebriefError, IdentifierFound, InvalidAnswer
from bot.models import ActionStatus

TITLE = "Action point"
LIST_SENT = "I've sent your action points to you in our private chat."
LIST_OPEN_A_CHAT = "Your action points are private. Open a chat with me (search for Debrief in Teams' apps) and type **actions** there."


def _status(data: ButtonData) -> ActionStatus:
    return ActionStatus.DONE if data.verb == Verb.POINT_DONE else ActionStatus.DROPPED


async def close_fetch(services: Services, turn_context: TurnContext, data: ButtonData,
                      values: dict[str, str]) -> InvokeResponse:
    try:
        found = await services.core.actions.for_change(data.need_point(), turn_context.activity.from_property.id)
    except DebriefError as refused:
        return respond.notice(TITLE, explain(refused, "dialog fetch point"))
    return respond.show(close_dialog(found.point, _status(data)), TITLE, "medium")


async def close_submit(services: Services, turn_context: TurnContext, data: ButtonData,
                       values: dict[str, str]) -> InvokeResponse:
    line = values.get(PointInput.OUTCOME)
    try:
        closing = await services.core.actions.close(
            data.need_point(), turn_context.activity.from_property.id, _status(data), line
        )
    except (InvalidAnswer, IdentifierFound) as error:
        problems = dict(error.problems) if isinstance(error, InvalidAnswer) else error.by_field()
        found = await services.core.actions.get(data.need_point())
        card = close_dialog(found.point, _status(data), line, " ".join(problems.values()) or error.message)
        return respond.show(card, TITLE, "medium")
    except DebriefError as error:
        return respond.notice(TITLE, explain(error, "dialog submit point"))
    return respond.notice(TITLE, words.closed_reply(closing))


async def hand_on_fetch(services: Services, turn_context: TurnContext, data: ButtonData,
                        values: dict[str, str]) -> InvokeResponse:
    try:
        found = await services.core.actions.for_change(data.need_point(), turn_context.activity.from_property.id)
    except DebriefError as refused:
        return respond.notice(TITLE, explain(refused, "dialog fetch point.hand_on"))
    people = await _people(services, found.debrief.id)
    return respond.show(hand_on_dialog(found.point, people), TITLE, "medium")


async def hand_on_submit(services: Services, turn_context: TurnContext, data: ButtonData,
                         values: dict[str, str]) -> InvokeResponse:
    core = services.core
    owner = values.get(PointInput.OWNER) or ""
    try:
        found = await core.actions.get(data.need_point())
        people = await _people(services, found.debrief.id)
    except DebriefError as error:
        return respond.notice(TITLE, explain(error, "dialog submit point.hand_on"))
    try:
        if owner and owner not in {user for _, user in people}:
            raise InvalidAnswer({"owner": "Please choose someone from this debrief."})
        await core.actions.hand_on(found.id, turn_context.activity.from_property.id, owner)
    except InvalidAnswer as error:
        return respond.show(hand_on_dialog(found.point, people, " ".join(error.problems.values())), TITLE, "medium")
    except DebriefError as error:
        return respond.notice(TITLE, explain(error, "dialog submit point.hand_on"))
    return respond.notice(TITLE, words.HANDED_ON)


async def actions_command(services: Services, turn_context: TurnContext, words_typed: str) -> None:
    """`actions`: the person's open action points and their debriefs', privately, each with its buttons."""
    user = turn_context.activity.from_property.id
    points = await services.core.actions.mine(PLATFORM, workspace_of(turn_context), user)
    names = await services.references.names(sorted({found.point.owner for found in points}))
    await services.messaging.reply_privately(turn_context, list_card(points, names), "Action points",
                                             sent=LIST_SENT, open_a_chat=LIST_OPEN_A_CHAT)
