"""`requests` and the queue card's buttons: the wellbeing team's queue of support requests on Teams.

Officers (configured or added) and peer supporters get the open and
taken-on requests of this tenant in their personal chat (typed in a channel,
it is sent there privately, as the summary is); anyone else gets the same
kind refusal as the summary (the role is declared where these handlers are
put in the command and button tables). "I'll take it" and "Done" go through
`bot.support` (audited there) and redraw the card in place; a tap that came
too late gets a kind line on top, not an error.
"""

from __future__ import annotations

from botbuilder.core import TurnContext

from adapters.teams.cards.queue import queue_card, queue_fallback
from adapters.teams.metadata import ButtonData, StaleRequest
from adapters.teams.services import PLATFORM, Services, workspace_of
from bot.errors import AlreadyClaimed

NOT_A_SUPPORTER = ("Support requests are for the wellbeing team, so I can't show them here. "
                   "If you'd like support yourself, any debrief card has a Support resources button.")
SENT_PRIVATELY = "I've sent the support requests to you in our private chat."
OPEN_A_CHAT = ("The support requests are private. Open a chat with me (search for Debrief in Teams' apps) "
               "and type **requests** there.")


async def show(services: Services, turn_context: TurnContext, words: str) -> None:
    """`requests`."""
    known = await services.identities(turn_context)
    card, fallback = await _queue(services, turn_context, known, None)
    await services.messaging.reply_privately(turn_context, card, fallback, sent=SENT_PRIVATELY, open_a_chat=OPEN_A_CHAT)


async def take(services: Services, turn_context: TurnContext, data: ButtonData) -> None:
    known = await services.identities(turn_context)
    note = None
    try:
        await services.core.support.claim(_request(data), turn_context.activity.from_property.id, *known)
    except AlreadyClaimed as late:
        note = late.message
    await _redraw(services, turn_context, known, note)


async def done(services: Services, turn_context: TurnContext, data: ButtonData) -> None:
    known = await services.identities(turn_context)
    closed = await services.core.support.close(_request(data), turn_context.activity.from_property.id, *known)
    await _redraw(services, turn_context, known, closed.note)


def _request(data: ButtonData):
    if data.request is None:
        raise StaleRequest("no request in the data")
    return data.request


async def _queue(services: Services, turn_context: TurnContext, known: list[str], note: str | None) -> tuple[dict, str]:
    user = turn_context.activity.from_property.id
    queued = await services.core.support.queue(user, *known, platform=PLATFORM, workspace=workspace_of(turn_context))
    people = [item.request.user for item in queued] + [item.request.claimed_by or "" for item in queued]
    names = await services.references.names(person for person in people if person)
    return queue_card(queued, names, note), queue_fallback(queued)


async def _redraw(services: Services, turn_context: TurnContext, known: list[str], note: str | None) -> None:
    """The card the button was on, redrawn in place (a new one when Teams did not say which card it was)."""
    card, fallback = await _queue(services, turn_context, known, note)
    activity = services.messaging.activity(card, fallback)
    replied_to = turn_context.activity.reply_to_id
    if replied_to:
        activity.id = replied_to
        await turn_context.update_activity(activity)
    else:
        await turn_context.send_activity(activity)
