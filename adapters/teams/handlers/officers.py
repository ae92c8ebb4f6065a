"""`officers`, `officers add @someone`, `officers remove @someone`: wellbeing officers managing their list.

The Teams side of `bot.officers`, as `/debrief officers` is Slack's. Only an
officer gets an answer; anyone else is told the word is unknown, as for any
other word, so the command's existence is not confirmed. The person is the
one @mentioned besides the bot (their Teams id, as the role check reads it),
or an e-mail address typed out. The answer is private: here in a personal
chat, else sent to the officer's own chat. Every change is audited by the core.
"""

from __future__ import annotations

import re

from botbuilder.core import TurnContext

from adapters.teams.cards.common import Element, card, text, user_text
from adapters.teams.services import Services
from bot.errors import NotAllowed

EMAIL = re.compile(r"\b([A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,})\b")
HELP = "Type **officers add @someone** or **officers remove @someone** (or an e-mail address), or **officers** to list them."
TITLE = "Wellbeing officers"
SENT = "I've sent the answer to you in our private chat."
OPEN_A_CHAT = "Open a chat with me (search for Debrief in Teams' apps) and type **officers** there."


def person_named(turn_context: TurnContext) -> tuple[str, str] | None:
    """(identity, how to call them): the one @mentioned besides the bot, else an e-mail address in the text."""
    activity = turn_context.activity
    bot = activity.recipient.id if activity.recipient else None
    for mention in TurnContext.get_mentions(activity):
        mentioned = (mention.additional_properties or {}).get("mentioned") or {}
        if mentioned.get("id") and mentioned["id"] != bot:
            return str(mentioned["id"]), str(mentioned.get("name") or "They")
    found = EMAIL.search(activity.text or "")
    return (found.group(1).lower(), found.group(1).lower()) if found else None


async def handle(services: Services, turn_context: TurnContext, words: str) -> None:
    """`words`: the command, lower case (`officers`, `officers add ...`)."""
    core = services.core
    verb = words.split()[1] if len(words.split()) > 1 else "list"
    if verb == "list":
        added = await core.officers.added()
        names = await services.references.names(added)
        configured = ", ".join(core.settings.debrief_wellbeing_officers) or "none"
        shown = ", ".join(names.get(who, who) for who in added) or "none"
        await _answer(services, turn_context, [
            user_text(configured, prefix="From the configuration: "), user_text(shown, prefix="Added here: "), text(HELP),
        ])
        return
    person = person_named(turn_context)
    if verb not in ("add", "remove") or person is None:
        await _answer(services, turn_context, [text(HELP)])
        return
    identity, name = person
    actor = turn_context.activity.from_property.id
    try:
        if verb == "add":
            changed = await core.officers.add(await services.identities(turn_context), actor, identity)
            outcome = "is now a wellbeing officer." if changed else "is already a wellbeing officer."
        else:
            changed = await core.officers.remove(await services.identities(turn_context), actor, identity)
            outcome = "is no longer a wellbeing officer." if changed else "was not an added officer."
    except NotAllowed as refused:
        await _answer(services, turn_context, [text(refused.message)])
        return
    await _answer(services, turn_context, [user_text(f"{name} {outcome}")])  # a display name: shown literally


async def _answer(services: Services, turn_context: TurnContext, body: list[Element]) -> None:
    content = card([text(TITLE, weight="Bolder"), *body], fallback=TITLE)
    await services.messaging.reply_privately(turn_context, content, TITLE, sent=SENT, open_a_chat=OPEN_A_CHAT)
