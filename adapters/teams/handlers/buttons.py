"""`Action.Submit` buttons that reach the bot as a message with a value (cards in a personal chat).

Buttons on shared cards all open dialogs; these few live on cards in a
person's own chat with the bot (their check-ins, an officer's support
notice), where a reply is private. In local mode (no dialogs) every form
button arrives here and goes to `inline`. A dialog button that still
reaches the bot as a message gets a kind explanation.
"""

from __future__ import annotations

from botbuilder.core import MessageFactory, TurnContext

from adapters.teams.cards.queue import QUEUE_KEY
from adapters.teams.handlers import inline, queue, support
from adapters.teams.ids import Verb
from adapters.teams.metadata import ButtonData, StaleRequest
from adapters.teams.services import Services

NO_DIALOGS = ("That button opens a dialog, which this client can't show. "
              "Please use Microsoft Teams or the Microsoft 365 Agents Playground.")


async def handle(services: Services, turn_context: TurnContext) -> None:
    value = turn_context.activity.value
    if isinstance(value, dict) and (value.get("msteams") or {}).get("type") == "task/fetch":
        await turn_context.send_activity(MessageFactory.text(NO_DIALOGS))
        return
    if inline.is_form_button(value):
        await inline.handle(services, turn_context)
        return
    data = ButtonData.read(value)
    if data.verb == Verb.STOP:
        await support.stop(services, turn_context, data)
    elif data.verb == Verb.CLAIM and data.key == QUEUE_KEY:
        await queue.take(services, turn_context, data)
    elif data.verb == Verb.CLAIM:
        await support.claim(services, turn_context, data)
    elif data.verb == Verb.CLOSE_REQUEST:
        await queue.done(services, turn_context, data)
    elif data.verb == Verb.DONE:
        return
    else:
        raise StaleRequest(f"{data.verb.value} is not a message button")
