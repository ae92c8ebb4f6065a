"""Setting a debrief up after the lead submits the form: the space first, then the database.

Order, and why:
1. Make the space: create the private channel (or use this channel) and
   post a "Setting up…" placeholder there. Everything Slack is likely to
   refuse (`restricted_action`, too many channels, the bot not in this
   channel) is refused here, before anything is stored, so the lead can
   pick differently and nothing is left behind.
2. `start()` the debrief (idempotent on the view id) and attach the space
   at once. If the database fails here the empty channel is archived (only
   the bot is in it) or the placeholder removed: nothing is half-made, and
   "nothing was stored" is true.
3. Invite the lead and the participants (never the bot), turn the
   placeholder into the script, remember the script message.

A failure after step 2 cannot be undone truthfully (the debrief exists), so
it is reported as "saved, but not finished"; submitting the same form again
resumes from the stored space instead of making a second channel or a
second debrief (the view id is the request key).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.ids import Where
from adapters.slack.metadata import Origin
from adapters.slack.render.forms import SetupChoice, setup_done
from adapters.slack.render.script import as_blocks, placeholder_message, script_fallback, script_message
from adapters.slack.space import archive_quietly, create_private_channel, delete_quietly, invite
from bot.core import Core
from bot.models import Debrief

log = logging.getLogger("debrief.slack")
PLATFORM = "slack"


class SetupIncomplete(Exception):
    """The debrief is stored but its channel is not finished; the same form can resume it."""

    message = "Your debrief is saved, but Slack didn't let me finish setting up its channel. Tap Start again to finish."

    def __init__(self, error: BaseException) -> None:
        super().__init__(str(error))
        self.error = error


@dataclass(frozen=True)
class SetupRequest:
    origin: Origin
    lead: str
    choice: SetupChoice
    view_id: str
    bot_user: str | None


async def set_up(core: Core, client: AsyncWebClient, request: SetupRequest) -> dict:
    """Run the whole set-up; return the modal to show at the end (the "done" view)."""
    existing = await core.debriefs.find_by_request(request.view_id)
    if existing is not None and existing.space and existing.script_message:
        return setup_done(existing.space)
    if existing is not None and existing.space:
        debrief, placeholder = existing, None
    else:
        try:
            debrief, placeholder = await _space_then_start(core, client, request)
        except _Superseded as superseded:  # the other submission finishes the set-up
            return setup_done(superseded.space)
    assert debrief.space
    try:
        uninvited: list[str] = []
        if debrief.space != request.origin.channel:
            uninvited = await invite(client, debrief.space, [request.lead, *request.choice.participants], request.bot_user)
        script = core.debriefs.script(debrief.script_id)
        blocks = as_blocks(script_message(debrief, script, core.settings.debrief_min_group, shown=0))
        if placeholder:
            await client.chat_update(channel=debrief.space, ts=placeholder, blocks=blocks, text=script_fallback(script))
            ts = placeholder
        else:
            posted = await client.chat_postMessage(
                channel=debrief.space, blocks=blocks, text=script_fallback(script), unfurl_links=False, unfurl_media=False
            )
            ts = str(posted["ts"])
        await core.debriefs.set_space(debrief.id, debrief.space, ts)
    except Exception as error:
        raise SetupIncomplete(error) from error
    return setup_done(debrief.space, uninvited)


async def _space_then_start(core: Core, client: AsyncWebClient, request: SetupRequest) -> tuple[Debrief, str]:
    core.debriefs.script(request.choice.script_id)  # an unknown script fails before anything is made
    new_channel = request.choice.where == Where.NEW_CHANNEL
    if new_channel:
        channel = await create_private_channel(client, core.clock.now().date())
    else:
        channel = request.origin.channel
    try:
        posted = await client.chat_postMessage(
            channel=channel, blocks=as_blocks(placeholder_message()), text="Setting up a debrief…"
        )
    except Exception:
        if new_channel:
            await archive_quietly(client, channel)
        raise
    placeholder = str(posted["ts"])
    try:
        debrief = await core.debriefs.start(
            platform=PLATFORM,
            workspace=request.origin.team,
            team=request.origin.channel,
            lead=request.lead,
            script_id=request.choice.script_id,
            participants=request.choice.participants,
            label=request.choice.label,
            since_event=request.choice.since_event,
            request_key=request.view_id,
            audience=request.choice.audience,
        )
        if debrief.space and debrief.space != channel:
            # A concurrent submission of the same form got there first: keep its space, drop ours.
            raise _Superseded(debrief)
        debrief = await core.debriefs.set_space(debrief.id, channel)
    except Exception:
        await _undo(client, channel, placeholder, new_channel)
        raise
    return debrief, placeholder


class _Superseded(Exception):
    def __init__(self, debrief: Debrief) -> None:
        super().__init__("superseded")
        self.space = str(debrief.space)


async def _undo(client: AsyncWebClient, channel: str, placeholder: str, new_channel: bool) -> None:
    if new_channel:
        await archive_quietly(client, channel)
    else:
        await delete_quietly(client, channel, placeholder)
