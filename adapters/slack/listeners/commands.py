"""`/debrief`, `/debrief start`, `/debrief skip`, `/debrief summary`, `/debrief requests`, `/debrief notes`,
`/debrief officers`, `/debrief help`.

One listener per word that needs a role (`summary`, `requests`, `notes`, `officers`),
each declaring it (`adapters.slack.access`), then one for the rest. Opening a
modal comes first: the trigger id lives 3 seconds and works once, so `ack()`
and `views.open` happen before any database work.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from slack_bolt.async_app import AsyncApp

from adapters.slack.access import Requires
from adapters.slack.errors import listener
from adapters.slack.ids import Action
from adapters.slack.listeners import notes, queue
from adapters.slack.listeners.followups import NOT_A_SUPPORTER
from adapters.slack.metadata import Origin
from adapters.slack.officer_summary import officer_summary_blocks
from adapters.slack.render.checkin import screen_blocks
from adapters.slack.render.common import section, to_dicts
from adapters.slack.render.forms import setup_modal, skip_modal
from bot import wording
from bot.care import asks_for_help
from bot.core import Core
from bot.errors import NotAllowed
from bot.notes import NOT_AN_OFFICER as NOT_AN_OFFICER_FOR_NOTES
from bot.officers import Role
from bot.support import audience_choices

COMMAND = "/debrief"

HELP = (
    "*/debrief* starts a short debrief after a hard event: pick the people, I make a private channel, "
    "post the steps, and each person answers a few questions anonymously.\n"
    "• `/debrief`: start one (takes under a minute)\n"
    "• `/debrief skip`: record that there was no debrief this time, and why\n"
    "• `/debrief summary`: the anonymised 30-day overview, for the wellbeing team\n"
    "• `/debrief requests`: the people who asked to talk, to take on and close, for the wellbeing team\n"
    "• `/debrief notes`: the notes people wrote for the wellbeing team, without names, for the wellbeing team\n"
    "• `/debrief help`: this message\n"
    "Answers are anonymous: nobody can see whose they are, not the lead, not IT. "
    "Support contacts are in my *Home* tab at any time, and so are your action points, "
    "to mark done, drop or hand on."
)
NOT_AN_OFFICER = (
    "The summary is for the wellbeing team, so I can't show it here. "
    "If you'd like support yourself, my *Home* tab lists who to contact."
)


def _origin(body: dict) -> Origin:
    return Origin(channel=body["channel_id"], team=body.get("team_id") or body.get("enterprise_id") or "unknown")


def _first_word(body: dict) -> str:
    words = (body.get("text") or "").strip().lower().split()
    return words[0] if words else "start"


def said(word: str) -> Callable[[dict], Awaitable[bool]]:
    """A Bolt matcher: the command's first word is `word`."""
    async def matches(body: dict) -> bool:
        return _first_word(body) == word

    return matches


@listener
async def debrief_command(ack, body, client, core: Core, respond) -> None:
    """Every word that needs no role (and any word not known, or not for this person)."""
    word = _first_word(body)
    if word == "start":
        await ack()
        form = setup_modal(core.library, _origin(body), audiences=audience_choices(core.resources))
        await client.views_open(trigger_id=body["trigger_id"], view=form)
    elif word == "skip":
        await ack()
        await client.views_open(trigger_id=body["trigger_id"], view=skip_modal(_origin(body)))
    elif word == "help":
        await ack(blocks=to_dicts([section(HELP)]), text="How /debrief works", response_type="ephemeral")
    elif asks_for_help(body.get("text"), core.library.crisis_phrases):  # "/debrief I need help": crisis lines at once
        screen = wording.help_reply(core.resources, talk_available=False)  # a slash command has no debrief to talk about
        blocks = [*screen_blocks(screen), section("My *Home* tab lists every support contact, any time.")]
        await ack(blocks=to_dicts(blocks), text="Support, right now", response_type="ephemeral")
    else:
        await ack(
            blocks=to_dicts([section("I didn't recognise that.\n" + HELP)]),
            text="How /debrief works",
            response_type="ephemeral",
        )


@listener
async def summary(ack, body, core: Core, respond) -> None:
    await ack()
    blocks = await officer_summary_blocks(core, body.get("team_id"))
    await respond(blocks=to_dicts(blocks), text="Wellbeing summary", response_type="ephemeral")


async def export_tapped(ack) -> None:
    """The export button is a link: the browser fetches the CSV; Slack only wants the tap acknowledged."""
    await ack()


MENTION = re.compile(r"<@([A-Z0-9]+)(?:\|[^>]*)?>|^([A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+|[UW][A-Z0-9]+)$")
OFFICERS_HELP = "`/debrief officers add @someone`, `/debrief officers remove @someone`, or `/debrief officers` to list them."


@listener
async def officers(ack, body, core: Core, respond) -> None:
    """`/debrief officers [add|remove @user]`: officers only (a non-officer is told the command is unknown)."""
    await ack()
    words = (body.get("text") or "").split()
    verb = words[1].lower() if len(words) > 1 else "list"
    if verb == "list":
        configured = ", ".join(core.settings.debrief_wellbeing_officers) or "none"
        added = ", ".join(f"<@{who.upper()}>" if "@" not in who else who for who in await core.officers.added()) or "none"
        await respond(text=f"Wellbeing officers. From the configuration: {configured}. Added here: {added}.\n{OFFICERS_HELP}",
                      response_type="ephemeral")
        return
    match = MENTION.search(" ".join(words[2:])) if len(words) > 2 else None
    if verb not in ("add", "remove") or match is None:
        await respond(text=OFFICERS_HELP, response_type="ephemeral")
        return
    who = match.group(1) or match.group(2)
    actor = body["user_id"]
    try:
        if verb == "add":
            changed = await core.officers.add([actor], actor, who)
            text = f"{who} is now a wellbeing officer." if changed else f"{who} is already a wellbeing officer."
        else:
            changed = await core.officers.remove([actor], actor, who)
            text = f"{who} is no longer a wellbeing officer." if changed else f"{who} was not an added officer."
    except NotAllowed as refused:
        text = refused.message
    await respond(text=text, response_type="ephemeral")


def register(app: AsyncApp) -> None:
    app.command(COMMAND, matchers=[said("summary")], middleware=[Requires(Role.OFFICER, NOT_AN_OFFICER)])(summary)
    app.command(COMMAND, matchers=[said("requests")],
                middleware=[Requires(Role.SUPPORTER, NOT_A_SUPPORTER)])(queue.show)
    app.command(COMMAND, matchers=[said("notes")],
                middleware=[Requires(Role.OFFICER, NOT_AN_OFFICER_FOR_NOTES)])(notes.notes_command)
    app.command(COMMAND, matchers=[said("officers")], middleware=[Requires(Role.OFFICER)])(officers)
    app.command(COMMAND, middleware=[Requires(Role.ANYONE)])(debrief_command)
    # the link is signed and expires, and only officers are shown it; the tap only needs its ack
    app.action(Action.EXPORT, middleware=[Requires(Role.ANYONE)])(export_tapped)
