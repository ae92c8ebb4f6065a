"""Action points' buttons and forms: done (what changed), dropped (why), handed on (to whom).

The buttons sit on the point's message in the debrief channel, on the
owner's reminders and in App Home. Anyone may tap; the core lets only the
owner or the debrief's lead change a point (`bot.actions.may_change`), and
the form opens only for them, so a refusal comes before any typing. A form
sent twice (a double tap, Slack's retry) closes the point once, and its
"you said, we did" note is one outbox row (`bot.actions`), posted once.
"""

from __future__ import annotations

import asyncio
from typing import Any

from slack_bolt.async_app import AsyncApp

from adapters.slack.access import Requires
from adapters.slack.errors import cause, explain, form_errors, listener, log
from adapters.slack.ids import Action, Callback, PointBlock
from adapters.slack.listeners.events import publish_home
from adapters.slack.listeners.views import _outcome_after_saving, _saved_in_time
from adapters.slack.metadata import PointRef, StaleRequest
from adapters.slack.render.actions import close_modal, hand_on_modal, said
from adapters.slack.state import text, value
from bot import actions as words
from bot.core import Core
from bot.errors import DebriefError, IdentifierFound, InvalidAnswer
from bot.models import ActionStatus
from bot.officers import Role


def _ref(body: dict[str, Any]) -> PointRef:
    tapped = body.get("actions") or []
    if not tapped:
        raise StaleRequest("no action in the payload")
    return PointRef.load(tapped[0].get("value"))


async def _open(ack, body, client, core: Core, status: str | None) -> None:
    """Open the form for the point, or say kindly why not (not theirs, already closed)."""
    await ack()
    ref = _ref(body)
    try:
        found = await core.actions.for_change(ref.point, str(body["user"]["id"]))
    except DebriefError as refused:
        await client.views_open(trigger_id=body["trigger_id"], view=said(refused.message))
        return
    if status is None:
        form = hand_on_modal(ref, found.point)
    else:
        form = close_modal(PointRef(point=ref.point, status=status), found.point)
    await client.views_open(trigger_id=body["trigger_id"], view=form)


@listener
async def done_tapped(ack, body, client, core: Core) -> None:
    await _open(ack, body, client, core, ActionStatus.DONE)


@listener
async def drop_tapped(ack, body, client, core: Core) -> None:
    await _open(ack, body, client, core, ActionStatus.DROPPED)


@listener
async def hand_on_tapped(ack, body, client, core: Core) -> None:
    await _open(ack, body, client, core, None)


@listener
async def close_submitted(ack, body, client, core: Core) -> None:
    view = body["view"]
    ref = PointRef.load(view.get("private_metadata"))
    write = asyncio.ensure_future(
        core.actions.close(ref.point, str(body["user"]["id"]), ref.status or "", text(view, PointBlock.OUTCOME))
    )

    async def shown(closing: Any) -> dict:
        return said(words.closed_reply(closing))

    if not await _saved_in_time(write, ack):
        await _outcome_after_saving(write, view, client, "view point.close", "Please tap the button again.", shown)
        return
    try:
        closing = write.result()
    except (InvalidAnswer, IdentifierFound) as error:
        await ack(response_action="errors", errors=form_errors(error, lambda _: PointBlock.OUTCOME, PointBlock.OUTCOME))
        return
    except DebriefError as error:
        await ack(response_action="update", view=said(explain(error, "view point.close")))
        return
    await ack(response_action="update", view=await shown(closing))
    await _redraw_home(core, client, body)


async def _redraw_home(core: Core, client: Any, body: dict[str, Any]) -> None:
    """The person's Home tab lists their open points: draw it again without the one just changed. Never raises."""
    try:
        workspace = str((body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id") or "")
        await publish_home(core, client, workspace, str(body["user"]["id"]))
    except Exception as error:  # noqa: BLE001 - best effort: the point is changed; Home is fresh on its next opening
        log.warning("App Home: could not redraw it after an action point changed: %s", cause(error))


@listener
async def hand_on_submitted(ack, body, client, core: Core) -> None:
    view = body["view"]
    ref = PointRef.load(view.get("private_metadata"))
    owner = value(view, PointBlock.OWNER)
    try:
        await core.actions.hand_on(ref.point, str(body["user"]["id"]), owner if isinstance(owner, str) else "")
    except InvalidAnswer as error:
        await ack(response_action="errors", errors=form_errors(error, lambda _: PointBlock.OWNER, PointBlock.OWNER))
        return
    except DebriefError as error:
        await ack(response_action="update", view=said(explain(error, "view point.hand_on")))
        return
    await ack(response_action="update", view=said(words.HANDED_ON))
    await _redraw_home(core, client, body)


def register(app: AsyncApp) -> None:
    # anyone may tap; the core lets only the point's owner or the debrief's lead change it
    app.action(Action.POINT_DONE, middleware=[Requires(Role.ANYONE)])(done_tapped)
    app.action(Action.POINT_DROP, middleware=[Requires(Role.ANYONE)])(drop_tapped)
    app.action(Action.POINT_HAND_ON, middleware=[Requires(Role.ANYONE)])(hand_on_tapped)
    app.view(Callback.POINT_CLOSE, middleware=[Requires(Role.ANYONE)])(close_submitted)
    app.view(Callback.POINT_HAND_ON, middleware=[Requires(Role.ANYONE)])(hand_on_submitted)
