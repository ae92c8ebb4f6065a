"""The officers' review queue of shared lessons: `/debrief lessons`, the App Home button, Review, and its form.

Every way in declares `Requires(Role.OFFICER)` where it is registered (here,
and in `commands.register` for the command); the core (`bot.lessons`)
refuses anyone else too. The queue is one modal whose content is swapped:
the list, then a lesson's review form in its place, then the list again
with a line saying what was done. The trigger id lives 3 seconds, so a
"Loading…" modal opens first.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.access import IDENTITIES, Requires
from adapters.slack.errors import explain, form_errors, listener
from adapters.slack.listeners.followups import _workspace
from adapters.slack.messenger import PLATFORM
from adapters.slack.metadata import StaleRequest
from adapters.slack.render.common import notice
from adapters.slack.render.forms import working
from adapters.slack.render.lessons import (
    FIELDS,
    REVIEW_CALLBACK,
    TITLE,
    LessonAction,
    LessonBlock,
    lesson_of,
    queue_modal,
    review_modal,
)
from adapters.slack.state import text
from bot.core import Core
from bot.errors import IdentifierFound, InvalidAnswer
from bot.lessons import NOT_AN_OFFICER, AlreadyReviewed
from bot.officers import Role

SAVE_WAIT_SECONDS = 2.0
APPROVED = "Approved: it will be in the next monthly learning digest."
DECLINED = "Declined: the lesson is deleted."


async def _queue(core: Core, user: str, known: list[str], workspace: str, note: str | None = None) -> dict:
    try:
        return queue_modal(await core.lessons.queue(user, *known, platform=PLATFORM, workspace=workspace), note)
    except Exception as error:  # noqa: BLE001 - a database outage: a kind message on the modal, one log line
        return notice(TITLE, explain(error, "lessons"))


async def show(core: Core, client: AsyncWebClient, user: str, known: list[str], workspace: str, trigger_id: str) -> None:
    opened = await client.views_open(trigger_id=trigger_id, view=working("Loading the lessons…"))
    await client.views_update(view_id=opened["view"]["id"], view=await _queue(core, user, known, workspace))


@listener
async def lessons_command(ack, body, client, context, core: Core) -> None:
    """`/debrief lessons`."""
    await ack()
    workspace = str(body.get("team_id") or body.get("enterprise_id") or "")
    user = str(body["user_id"])
    await show(core, client, user, context.get(IDENTITIES) or [user], workspace, body["trigger_id"])


@listener
async def lessons_tapped(ack, body, client, context, core: Core) -> None:
    """The App Home button."""
    await ack()
    user = str(body["user"]["id"])
    await show(core, client, user, context.get(IDENTITIES) or [user], _workspace(body), body["trigger_id"])


@listener
async def review_tapped(ack, body, client, context, core: Core) -> None:
    """"Review" on a lesson in the queue: its review form takes the list's place."""
    await ack()
    actions = body.get("actions") or []
    view_id = str((body.get("view") or {}).get("id") or "")
    if not actions or not view_id:
        raise StaleRequest("no lesson or modal in the payload")
    try:
        lesson_id = uuid.UUID(str(actions[0].get("value")))
    except ValueError:
        raise StaleRequest("not a lesson id") from None
    user = str(body["user"]["id"])
    known = context.get(IDENTITIES) or [user]
    try:
        shown = review_modal(await core.lessons.get(lesson_id, user, *known))
    except AlreadyReviewed as late:
        shown = await _queue(core, user, known, _workspace(body), late.message)
    await client.views_update(view_id=view_id, view=shown)


@listener
async def review_submitted(ack, body, client, context, core: Core) -> None:
    """Approve (with a theme, perhaps edited) or decline; the list comes back with what was done."""
    view: dict[str, Any] = body["view"]
    try:
        lesson_id = lesson_of(view.get("private_metadata"))
    except (ValueError, KeyError, TypeError):
        raise StaleRequest("review form without its lesson") from None
    user = str(body["user"]["id"])
    known = context.get(IDENTITIES) or [user]
    decision = text(view, LessonBlock.DECISION) or ""
    write = asyncio.ensure_future(core.lessons.review(
        lesson_id, user, *known, decision=decision, theme=text(view, LessonBlock.THEME), text=text(view, LessonBlock.TEXT),
    ))
    done, _ = await asyncio.wait({write}, timeout=SAVE_WAIT_SECONDS)
    if not done:
        await ack(response_action="update", view=working("Saving…"))
    try:
        reviewed = await write
    except (InvalidAnswer, IdentifierFound) as error:
        if done:
            await ack(response_action="errors", errors=form_errors(error, FIELDS.get, LessonBlock.TEXT))
            return
        note = error.message
    except AlreadyReviewed as late:
        note = late.message
    else:
        note = APPROVED if reviewed.approved else DECLINED
    shown = await _queue(core, user, known, _workspace(body), note)
    if done:
        await ack(response_action="update", view=shown)
    else:
        await client.views_update(view_id=str(view["id"]), view=shown)


def register(app: AsyncApp) -> None:
    officers_only = [Requires(Role.OFFICER, NOT_AN_OFFICER)]
    app.action(LessonAction.OPEN, middleware=officers_only)(lessons_tapped)
    app.action(LessonAction.REVIEW, middleware=officers_only)(review_tapped)
    app.view(REVIEW_CALLBACK, middleware=officers_only)(review_submitted)
