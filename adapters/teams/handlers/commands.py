"""Typed commands: `debrief` (also `start debrief`, `/debrief`), `skip`, `summary`, `requests`, `notes`, `lessons`,
`officers`, `actions`, `help`; and anything else that asks for help or uses crisis words gets the crisis lines.

In a channel or a group chat the bot is @mentioned; the mention tag is
taken out (`without_bot_mention`) before the words are read.
Teams cannot open a dialog from a typed message, so `debrief` and `skip`
answer with a small card whose button opens it. `COMMANDS` is the table of
words, each handler declaring the role it needs (`adapters.teams.access`).
"""

from __future__ import annotations

import html
import re
from collections.abc import Awaitable, Callable

from botbuilder.core import MessageFactory, TurnContext
from botbuilder.schema import Activity

from adapters.teams.access import Unrecognised, requires
from adapters.teams.cards.common import card
from adapters.teams.cards.forms import help_card, skip_start_card, start_card
from adapters.teams.cards.notes import notes_card
from adapters.teams.cards.summary import summary_card
from adapters.teams.cards.support import screen_elements, talk_button
from adapters.teams.handlers import lessons, officers, points, queue
from adapters.teams.references import is_personal
from adapters.teams.services import PLATFORM, Services, workspace_of
from bot import wording
from bot.care import asks_for_help
from bot.lessons import NOT_AN_OFFICER as NOT_AN_OFFICER_FOR_LESSONS
from bot.notes import NOT_AN_OFFICER as NOT_AN_OFFICER_FOR_NOTES
from bot.notes import period_of
from bot.officers import Role
from bot.overview import officer_summary

_TAGS = re.compile(r"<[^>]*>")
NOT_AN_OFFICER = ("The summary is for the wellbeing team, so I can't show it here. "
                  "If you'd like support yourself, any debrief card has a Support resources button.")
SENT_PRIVATELY = "I've sent the summary to you in our private chat."
OPEN_A_CHAT = "The summary is private. Open a chat with me (search for Debrief in Teams' apps) and type **summary** there."
NOTES_SENT_PRIVATELY = "I've sent the notes to you in our private chat."
NOTES_OPEN_A_CHAT = "The notes are private. Open a chat with me (search for Debrief in Teams' apps) and type **notes** there."

START_WORDS = {"debrief", "start", "start debrief", "debrief start", "new debrief", "start a debrief"}


def without_bot_mention(activity: Activity) -> str:
    """The text without the bot's own @mention tag.

    Not `TurnContext.remove_recipient_mention`: botbuilder 4.17.1 removes every
    occurrence of the bot's *name* from the text, and this bot is called
    Debrief, so "@Debrief Debrief" would lose its command. Only the exact
    mention tags of the bot's mention entities are removed here.
    """
    text = activity.text or ""
    bot = activity.recipient.id if activity.recipient else None
    for mention in TurnContext.get_mentions(activity):
        properties = mention.additional_properties or {}
        if (properties.get("mentioned") or {}).get("id") == bot and properties.get("text"):
            text = text.replace(str(properties["text"]), " ")
    return text


def command_of(turn_context: TurnContext) -> str:
    """The command word(s), lower case, without the bot's mention, markup or a leading slash."""
    text = without_bot_mention(turn_context.activity)
    text = html.unescape(_TAGS.sub(" ", text)).replace("\u00a0", " ")
    words = " ".join(text.split()).strip().lower().lstrip("/").strip()
    return words.rstrip(".!?")


HELP_WORDS = {"help", "hi", "hello", ""}


async def handle(services: Services, turn_context: TurnContext) -> None:
    words = command_of(turn_context)
    if words in START_WORDS or words.startswith("debrief "):
        words = words.removeprefix("debrief ").strip() if words.startswith("debrief ") else "start"
    key = "start" if words in START_WORDS else "help" if words in HELP_WORDS else words
    if words.split()[:1] in (["officers"], ["notes"]):  # `officers add @someone`, `notes 7d`
        key = words.split()[0]
    handler = COMMANDS.get(key)
    try:
        if handler is None:
            if asks_for_help(words, services.core.library.crisis_phrases):  # "I need help": crisis lines at once
                await crisis_lines(services, turn_context, words)
                return
            raise Unrecognised(key)
        await handler(services, turn_context, words)
    except Unrecognised:
        await turn_context.send_activity(MessageFactory.text("I didn't recognise that. Here's what I can do:"))
        await COMMANDS["help"](services, turn_context, words)


async def start(services: Services, turn_context: TurnContext, words: str) -> None:
    await turn_context.send_activity(services.messaging.activity(start_card(), "Start a debrief"))


async def skip(services: Services, turn_context: TurnContext, words: str) -> None:
    await turn_context.send_activity(services.messaging.activity(skip_start_card(), "No debrief this time"))


async def help_(services: Services, turn_context: TurnContext, words: str) -> None:
    """What the bot does, and the support contacts, crisis lines first (a dead end otherwise: "type help")."""
    personal = is_personal(turn_context.activity)
    await turn_context.send_activity(services.messaging.activity(
        help_card(not personal, resources=services.core.resources), "How Debrief works"))


async def crisis_lines(services: Services, turn_context: TurnContext, words: str) -> None:
    """A message the bot did not understand that asks for help: the crisis lines, and the offer of a person."""
    core = services.core
    screen = wording.help_reply(core.resources, await core.support.available())
    talk = [talk_button({})] if screen.talk else []
    await turn_context.send_activity(services.messaging.activity(card(screen_elements(screen), talk), "Support"))


async def notes(services: Services, turn_context: TurnContext, words: str) -> None:
    """`notes`, `notes 7d`: the notes written for the wellbeing team, sent privately (officers only)."""
    parts = words.split()
    shown = await services.core.notes.view(
        turn_context.activity.from_property.id, *await services.identities(turn_context), platform=PLATFORM,
        workspace=workspace_of(turn_context), days=period_of(parts[1] if len(parts) > 1 else None),
    )
    titles = await services.references.titles(team.team for team in shown.teams)
    await services.messaging.reply_privately(turn_context, notes_card(shown, titles), "Notes for the wellbeing team",
                                             sent=NOTES_SENT_PRIVATELY, open_a_chat=NOTES_OPEN_A_CHAT)


async def summary(services: Services, turn_context: TurnContext, words: str) -> None:
    core = services.core
    # Without DEBRIEF_PUBLIC_URL, Teams local mode still works: its client runs on this machine.
    base = None if core.settings.teams_authenticated else f"http://127.0.0.1:{core.settings.port}"
    shown = await officer_summary(core, workspace_of(turn_context), base, platform=PLATFORM)
    titles = await services.references.titles(shown.report.teams)
    overview = summary_card(shown.report, shown.days, shown.chart_urls, shown.export_url, shown.waiting, titles=titles)
    await services.messaging.reply_privately(turn_context, overview, "Wellbeing summary",
                                             sent=SENT_PRIVATELY, open_a_chat=OPEN_A_CHAT)


Command = Callable[[Services, TurnContext, str], Awaitable[None]]

COMMANDS: dict[str, Command] = {
    "start": requires(Role.ANYONE)(start),
    "skip": requires(Role.ANYONE)(skip),
    "summary": requires(Role.OFFICER, NOT_AN_OFFICER)(summary),
    "requests": requires(Role.SUPPORTER, queue.NOT_A_SUPPORTER)(queue.show),
    "notes": requires(Role.OFFICER, NOT_AN_OFFICER_FOR_NOTES)(notes),
    "lessons": requires(Role.OFFICER, NOT_AN_OFFICER_FOR_LESSONS)(lessons.show),
    "officers": requires(Role.OFFICER)(officers.handle),  # refused: an unknown word, as for anyone else
    "help": requires(Role.ANYONE)(help_),
    "actions": requires(Role.ANYONE)(points.actions_command),  # the person's own points and their debriefs'
}
"""Each word and the role it needs (`adapters.teams.access`); a word not here is unknown."""
