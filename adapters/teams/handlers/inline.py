"""Forms as cards, for clients without dialogs (local mode: the Agents Playground, the Bot Framework Emulator).

Neither client opens a dialog (a task/fetch button does nothing in the
Playground), so with MICROSOFT_APP_ID blank every dialog button is a plain
`Action.Submit` marked "open" (`cards.common.without_dialogs`), and the bot
answers it with the same handler and the same card a dialog would show,
posted as a message instead:

* the anonymous answers and the request to talk go to the person's own
  chat with the bot, never to a shared conversation;
* the set-up, action point, results, close and skip forms stay in the
  conversation they were opened from (the set-up needs its roster, and
  what they post goes there anyway).

A form's own button then arrives as a message whose value holds the inputs,
and goes to the same submit handler as a dialog's would. In Microsoft Teams
(an app id set) none of this is used: forms open as dialogs.
"""

from __future__ import annotations

from botbuilder.core import TurnContext

from adapters.teams.cards.common import OPEN
from adapters.teams.handlers.dialogs import FETCH, SUBMIT
from adapters.teams.ids import Verb
from adapters.teams.metadata import ButtonData, StaleRequest, inputs
from adapters.teams.services import Services

PRIVATE = {Verb.ANSWER, Verb.TALK, Verb.RESOURCES}
SENT_PRIVATELY = "I've sent it to you in our private chat."
OPEN_A_CHAT = "Open a chat with me first (search for Debrief in your apps); it's private there."


def is_form_button(value: object) -> bool:
    """A button that opens a form (marked "open") or a form's own button (it names a dialog verb)."""
    if not isinstance(value, dict):
        return False
    if value.get(OPEN) == "1":
        return True
    try:
        verb = Verb(str(value.get("verb")))
    except ValueError:
        return False
    return verb in SUBMIT


async def handle(services: Services, turn_context: TurnContext) -> None:
    value = turn_context.activity.value
    data = ButtonData.read(value)
    table = FETCH if isinstance(value, dict) and value.get(OPEN) == "1" else SUBMIT
    handler = table.get(data.verb)
    if handler is None:
        raise StaleRequest(f"no form for {data.verb.value}")
    response = await handler(services, turn_context, data, inputs(value))
    task = (response.body or {}).get("task") if isinstance(response.body, dict) else None
    if not task or task.get("type") != "continue":
        return
    card = task["value"]["card"]["content"]
    title = task["value"].get("title") or "Debrief"
    if data.verb in PRIVATE:
        await services.messaging.reply_privately(turn_context, card, title, sent=SENT_PRIVATELY, open_a_chat=OPEN_A_CHAT)
        return
    await turn_context.send_activity(services.messaging.activity(card, title))
