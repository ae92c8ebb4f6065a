"""The officers' notes view: `/debrief notes [7d|30d|90d]` and the App Home button, for wellbeing officers only.

The role is declared where each way in is registered (`Requires(Role.OFFICER)`:
here for the button, in `commands.register` for the command); anyone else is
told kindly that the notes are for the wellbeing team, and the core
(`bot.notes.Notes.view`) refuses them too. The trigger id lives 3 seconds,
so a "Loading…" modal opens first and the notes replace it.
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.access import IDENTITIES, Requires
from adapters.slack.errors import explain, listener
from adapters.slack.ids import Action
from adapters.slack.render.common import notice
from adapters.slack.render.forms import working
from adapters.slack.render.notes import TITLE, notes_modal
from bot.core import Core
from bot.notes import NOT_AN_OFFICER, NOTES_DAYS, period_of
from bot.officers import Role


async def show(
    core: Core, client: AsyncWebClient, identities: list[str], workspace: str, trigger_id: str, days: int = NOTES_DAYS
) -> None:
    """Open the notes modal for the officer known by `identities` (their Slack id first)."""
    opened = await client.views_open(trigger_id=trigger_id, view=working("Loading the notes…"))
    try:
        notes = await core.notes.view(identities[0], *identities[1:], platform="slack", workspace=workspace,
                                      days=days)
        shown = notes_modal(notes)
    except Exception as error:  # noqa: BLE001 - a database outage: a kind message on the modal, one log line
        shown = notice(TITLE, explain(error, "notes"))
    await client.views_update(view_id=opened["view"]["id"], view=shown)


@listener
async def notes_command(ack, body, client, context, core: Core) -> None:
    """`/debrief notes`, `/debrief notes 7d`: the period is the second word (30 days by default)."""
    await ack()
    words = (body.get("text") or "").split()
    workspace = body.get("team_id") or body.get("enterprise_id") or ""
    known = context.get(IDENTITIES) or [body["user_id"]]
    await show(core, client, known, workspace, body["trigger_id"], period_of(words[1] if len(words) > 1 else None))


@listener
async def notes_tapped(ack, body, client, context, core: Core) -> None:
    await ack()
    workspace = (body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id") or ""
    known = context.get(IDENTITIES) or [str(body["user"]["id"])]
    await show(core, client, known, str(workspace), body["trigger_id"])


def register(app: AsyncApp) -> None:
    app.action(Action.NOTES, middleware=[Requires(Role.OFFICER, NOT_AN_OFFICER)])(notes_tapped)
