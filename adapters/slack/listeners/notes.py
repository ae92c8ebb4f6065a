"""The officers' notes view: `/debrief notes` and the App Home button, for wellbeing officers only.

The role is declared once, here, for both ways in (`OFFICERS_ONLY`): anyone
else is told kindly that the notes are for the wellbeing team, and the core
(`bot.notes.Notes.view`) refuses them too. The trigger id lives 3 seconds,
so a "Loading…" modal opens first and the notes replace it.
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.errors import explain, listener
from adapters.slack.ids import Action
from adapters.slack.listeners.followups import identities
from adapters.slack.people import is_officer
from adapters.slack.render.common import notice
from adapters.slack.render.forms import working
from adapters.slack.render.notes import TITLE, notes_modal
from bot.core import Core
from bot.notes import NOT_AN_OFFICER, NOTES_DAYS

OFFICERS_ONLY = "wellbeing officer"
"""Who may read the notes: checked in `show`, for the command and the button alike."""


async def show(
    core: Core, client: AsyncWebClient, user: str, workspace: str, trigger_id: str, days: int = NOTES_DAYS
) -> None:
    """Open the notes modal for `user`, or a kind refusal (officers only)."""
    opened = await client.views_open(trigger_id=trigger_id, view=working("Loading the notes…"))
    if not await is_officer(core, client, user):
        await client.views_update(view_id=opened["view"]["id"], view=notice(TITLE, NOT_AN_OFFICER))
        return
    try:
        notes = await core.notes.view(user, *await identities(core, client, user), platform="slack",
                                      workspace=workspace, days=days)
        shown = notes_modal(notes)
    except Exception as error:  # noqa: BLE001 - a database outage: a kind message on the modal, one log line
        shown = notice(TITLE, explain(error, "notes"))
    await client.views_update(view_id=opened["view"]["id"], view=shown)


@listener
async def notes_tapped(ack, body, client, core: Core) -> None:
    await ack()
    workspace = (body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id") or ""
    await show(core, client, str(body["user"]["id"]), str(workspace), body["trigger_id"])


def register(app: AsyncApp) -> None:
    app.action(Action.NOTES)(notes_tapped)
