"""App Home: what someone sees when they open the bot's Home tab.

Slack retries an event whose ack was slow (X-Slack-Retry-Num); publishing
the same Home view again is harmless, so the handler is idempotent as is.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from adapters.slack.access import Requires
from adapters.slack.errors import cause, explain, listener, log
from adapters.slack.officer_summary import officer_summary_blocks
from adapters.slack.people import identities
from adapters.slack.render.home import home_view, unavailable_home
from bot.core import Core
from bot.models import DebriefStatus
from bot.officers import Role


@listener
async def home_opened(body, client, core: Core) -> None:
    event = body.get("event") or {}
    if event.get("tab", "home") != "home":
        return
    await publish_home(core, client, body.get("team_id") or "", event["user"])


async def publish_home(core: Core, client: Any, workspace: str, user: str) -> None:
    """Draw and publish someone's Home tab: on opening it, and after they close or hand on an action point."""
    try:
        debriefs = await core.debriefs.open_debriefs_for("slack", workspace, user)
        points = await core.actions.mine("slack", workspace, user)
        booked = await core.debriefs.open_debriefs_for("slack", workspace, user, DebriefStatus.BOOKED)
    except Exception as error:  # noqa: BLE001 - the database is down: support is still worth showing, and it needs none
        explain(error, "event app_home_opened")  # the operator's one line
        await client.views_publish(user_id=user, view=unavailable_home(core.resources))
        return
    summary = None
    if await core.support.allows(Role.OFFICER, *await identities(core, client, user)):  # only an officer sees it
        try:  # fresh chart and export links on every open
            summary = await officer_summary_blocks(core, workspace)
        except Exception as error:  # noqa: BLE001 - the rest of Home is still worth showing
            log.warning("App Home: the officers' summary failed: %s", cause(error))
    await client.views_publish(user_id=user, view=home_view(debriefs, core.library, core.resources, summary, points, booked))


def register(app: AsyncApp) -> None:
    app.event("app_home_opened", middleware=[Requires(Role.ANYONE)])(home_opened)
