"""`/debrief`, `/debrief start`, `/debrief skip`, `/debrief summary`, `/debrief help`.

Opening a modal comes first: the trigger id lives 3 seconds and works once,
so `ack()` and `views.open` happen before any database work.
"""

from __future__ import annotations

import re

from slack_bolt.async_app import AsyncApp

from adapters.slack.errors import listener
from adapters.slack.ids import Action
from adapters.slack.listeners import notes, queue
from adapters.slack.metadata import Origin
from adapters.slack.people import is_officer
from adapters.slack.render.checkin import screen_blocks
from adapters.slack.render.common import section, to_dicts
from adapters.slack.render.forms import setup_modal, skip_modal
from adapters.slack.summary import officer_summary
from bot import wording
from bot.care import asks_for_help
from bot.core import Core
from bot.errors import NotAllowed
from bot.notes import period_of
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
    "Support contacts are in my *Home* tab at any time."
)
NOT_AN_OFFICER = (
    "The summary is for the wellbeing team, so I can't show it here. "
    "If you'd like support yourself, my *Home* tab lists who to contact."
)


def _origin(body: dict) -> Origin:
    return Origin(channel=body["channel_id"], team=body.get("team_id") or body.get("enterprise_id") or "unknown")


@listener
async def debrief_command(ack, body, client, core: Core, respond) -> None:
    words = (body.get("text") or "").strip().lower().split()
    word = words[0] if words else "start"
    if word == "start":
        await ack()
        form = setup_modal(core.library, _origin(body), audiences=audience_choices(core.resources))
        await client.views_open(trigger_id=body["trigger_id"], view=form)
    elif word == "skip":
        await ack()
        await client.views_open(trigger_id=body["trigger_id"], view=skip_modal(_origin(body)))
    elif word == "summary":
        await ack()
        await _summary(body, client, core, respond)
    elif word == "requests":
        await ack()
        await queue.show(body, client, core, respond)
    elif word == "notes":  # officers only: checked in notes.show (OFFICERS_ONLY)
        await ack()
        workspace = body.get("team_id") or body.get("enterprise_id") or ""
        days = period_of(words[1] if len(words) > 1 else None)  # `/debrief notes 7d`, `90d`; 30 days by default
        await notes.show(core, client, body["user_id"], workspace, body["trigger_id"], days)
    elif word == "officers" and await is_officer(core, client, body["user_id"]):
        await ack()
        await _officers(body, core, respond)
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


async def _summary(body: dict, client, core: Core, respond) -> None:
    if not await is_officer(core, client, body["user_id"]):
        await respond(text=NOT_AN_OFFICER, response_type="ephemeral")
        return
    blocks = await officer_summary(core, body.get("team_id"))
    await respond(blocks=to_dicts(blocks), text="Wellbeing summary", response_type="ephemeral")


async def export_tapped(ack) -> None:
    """The export button is a link: the browser fetches the CSV; Slack only wants the tap acknowledged."""
    await ack()


MENTION = re.compile(r"<@([A-Z0-9]+)(?:\|[^>]*)?>|^([A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+|[UW][A-Z0-9]+)$")
OFFICERS_HELP = "`/debrief officers add @someone`, `/debrief officers remove @someone`, or `/debrief officers` to list them."


async def _officers(body: dict, core: Core, respond) -> None:
    """`/debrief officers [add|remove @user]`: officers only (a non-officer was told the command is unknown)."""
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
    app.command(COMMAND)(debrief_command)
    app.action(Action.EXPORT)(export_tapped)
