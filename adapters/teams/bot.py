"""The bot: a TeamsActivityHandler that remembers who it sees and hands each input to its handler.

* Every turn first stores a conversation reference for the sender (best
  effort), for proactive check-ins later.
* Messages: a typed command, or a card button's value (`handlers.buttons`).
* Invokes: `task/fetch` and `task/submit` go to `handlers.dialogs`.
  `on_invoke_activity` is overridden as a whole, because botbuilder 4.17.1's
  own card-action and dialog invoke handlers serialize their answer twice
  and Teams gets a 500.
* The bot added to a conversation (which installing it also sends): a short welcome.

Nothing escapes a handler: every failure is logged in one line and becomes
a kind message where the person is (`errors.explain`).
"""

from __future__ import annotations

import logging

from botbuilder.core import InvokeResponse, MessageFactory, TurnContext
from botbuilder.core.teams import TeamsActivityHandler

from adapters.teams.cards.forms import help_card
from adapters.teams.errors import explain
from adapters.teams.handlers import buttons, commands, dialogs
from adapters.teams.references import is_personal
from adapters.teams.services import Services

log = logging.getLogger("debrief.teams")

WELCOME = "Hello, I'm Debrief. I help teams run a short debrief after a hard event, and check in on everyone afterwards."


class DebriefBot(TeamsActivityHandler):
    def __init__(self, services: Services) -> None:
        self.services = services

    async def on_turn(self, turn_context: TurnContext) -> None:
        await self.services.remember(turn_context)
        try:
            await super().on_turn(turn_context)
        except Exception as error:  # noqa: BLE001 - an activity type no handler here catches its own failures for
            explain(error, f"activity {turn_context.activity.type}")

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        where = "button" if turn_context.activity.value is not None else "command"
        try:
            if turn_context.activity.value is not None:
                await buttons.handle(self.services, turn_context)
            else:
                await commands.handle(self.services, turn_context)
        except Exception as error:  # noqa: BLE001 - explain() gives any failure a kind message and the operator one log line
            await self._say(turn_context, explain(error, where))

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse:
        name = turn_context.activity.name or ""
        if name == "task/fetch":
            return await dialogs.handle(self.services, turn_context, "fetch")
        if name == "task/submit":
            return await dialogs.handle(self.services, turn_context, "submit")
        log.info("invoke %r is not used by this bot; answered 200 with nothing", name[:64])
        return InvokeResponse(status=200, body=None)

    async def on_conversation_update_activity(self, turn_context: TurnContext) -> None:
        """Only the bot's own arrival matters (the sender's reference is already stored).

        Overridden whole: TeamsActivityHandler's version asks Teams for the
        details of every member added (one roster call each), which the bot
        does not need.
        """
        activity = turn_context.activity
        bot = activity.recipient.id if activity.recipient else None
        if any(member.id == bot for member in activity.members_added or []):
            await self._welcome(turn_context)

    async def _welcome(self, turn_context: TurnContext) -> None:
        """One card (a channel shows every message as its own post): hello, then what the bot does."""
        try:
            card = help_card(not is_personal(turn_context.activity), greeting=WELCOME)
            await turn_context.send_activity(self.services.messaging.activity(card, "Hello, I'm Debrief"))
        except Exception as error:  # noqa: BLE001 - explain() gives any failure a kind message and the operator one log line
            explain(error, "welcome")

    async def _say(self, turn_context: TurnContext, text: str) -> None:
        try:
            await turn_context.send_activity(MessageFactory.text(text))
        except Exception as error:  # noqa: BLE001 - best effort: one log line, never fatal
            log.warning("could not tell someone what went wrong: %s", type(error).__name__)
