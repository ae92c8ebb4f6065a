"""`Action.Submit` buttons that reach the bot as a message with a value (cards in a personal chat).

Buttons on shared cards all open dialogs; these few live on cards in a
person's own chat with the bot (their check-ins, an officer's support
notice), where a reply is private. In local mode (no dialogs) every form
button arrives here and goes to `inline`. A dialog button that still
reaches the bot as a message gets a kind explanation.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from botbuilder.core import MessageFactory, TurnContext

from adapters.teams.access import requires
from adapters.teams.cards.queue import QUEUE_KEY
from adapters.teams.handlers import inline, queue, support
from adapters.teams.ids import Verb
from adapters.teams.metadata import ButtonData, StaleRequest
from adapters.teams.services import Services
from bot.officers import Role
from bot.support import ONLY_THE_TEAM

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
    if data.verb == Verb.DONE:
        return
    handler = BUTTONS.get(data.verb)
    if handler is None:
        raise StaleRequest(f"{data.verb.value} is not a message button")
    await handler(services, turn_context, data)


async def claim(services: Services, turn_context: TurnContext, data: ButtonData) -> None:
    """"I'll take it": on the queue card, or on an officer's notice of one request."""
    if data.key == QUEUE_KEY:
        await queue.take(services, turn_context, data)
    else:
        await support.claim(services, turn_context, data)


Button = Callable[[Services, TurnContext, ButtonData], Awaitable[None]]

BUTTONS: dict[Verb, Button] = {
    Verb.STOP: requires(Role.ANYONE)(support.stop),  # the core stops only the person's own check-ins
    Verb.CLAIM: requires(Role.SUPPORTER, ONLY_THE_TEAM)(claim),
    Verb.CLOSE_REQUEST: requires(Role.SUPPORTER, ONLY_THE_TEAM)(queue.done),
}
"""Each message button and the role it needs (`adapters.teams.access`)."""
