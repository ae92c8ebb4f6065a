"""The buttons of a check-in and of a support notice: talk to someone, stop check-ins, take a request on.

"Check in (anonymous)" needs nothing here: it is the debrief's answer button
(`actions.answer`) with the follow-up stage in its value, so it opens the same
anonymous modal and `views.answer_submitted` records it, refuses a second
answer and shows crisis lines at once when the answers call for it.

Asking to talk is the one identified path (DESIGN.md): the form says so
before anything is sent; the request is stored first (a Slack outage never
loses it) and then each wellbeing officer and peer supporter is told by
direct message through the Slack messenger (`bot.support`).
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp

from adapters.slack.access import IDENTITIES, Requires
from adapters.slack.errors import explain, form_errors, listener
from adapters.slack.ids import Action, Callback, TalkBlock
from adapters.slack.listeners.actions import ref_of
from adapters.slack.messenger import PLATFORM
from adapters.slack.metadata import DebriefRef, StaleRequest, SupportRef
from adapters.slack.render.checkin import (
    TALK_TITLE,
    stopped_blocks,
    support_notice_blocks,
    support_notice_text,
    talk_modal,
    talk_sent,
)
from adapters.slack.render.common import notice, to_dicts
from adapters.slack.state import text
from bot import wording
from bot.core import Core
from bot.errors import IdentifierFound, InvalidAnswer, NotFound
from bot.identifiers import OWN_CONTACT, screen
from bot.officers import Role
from bot.port import SupportNotice
from bot.support import ONLY_THE_TEAM, PREFERRED_TIME_LENGTH

log = logging.getLogger("debrief.slack")

NOT_A_SUPPORTER = (
    "Support requests are for the wellbeing team, so I can't show them here. "
    "If you'd like support yourself, my *Home* tab lists who to contact."
)

SENDING = "⏳ Letting the wellbeing team know…"


def _workspace(body: dict[str, Any]) -> str:
    """The workspace as the debrief stores it: the team, or the Enterprise Grid org for an org-wide install."""
    return str(
        (body.get("team") or {}).get("id")
        or (body.get("user") or {}).get("team_id")
        or (body.get("enterprise") or {}).get("id")
        or ""
    )


# --- "I'd like to talk to someone" ----------------------------------------------------------------


@listener
async def talk(ack, body, client) -> None:
    await ack()
    ref = ref_of(body)
    form = talk_modal(DebriefRef(debrief=ref.debrief))
    if body.get("view"):  # from the thank-you modal after answers that called for it: on top of it
        await client.views_push(trigger_id=body["trigger_id"], view=form)
    else:
        await client.views_open(trigger_id=body["trigger_id"], view=form)


@listener
async def talk_submitted(ack, body, client, core: Core) -> None:
    view = body["view"]
    ref = DebriefRef.load(view.get("private_metadata"))
    preferred = (text(view, TalkBlock.PREFERRED_TIME) or "").strip() or None
    try:  # checked before the ack, so a problem lands on the field with what they typed kept
        if preferred and len(preferred) > PREFERRED_TIME_LENGTH:
            raise InvalidAnswer({"preferred_time": f"Please keep this under {PREFERRED_TIME_LENGTH} characters."})
        screen({"preferred_time": preferred}, allow=OWN_CONTACT)  # their own number or e-mail is fine
    except (InvalidAnswer, IdentifierFound) as error:
        block = TalkBlock.PREFERRED_TIME
        await ack(response_action="errors", errors=form_errors(error, lambda _: block, block))
        return
    # Telling each officer may take a few seconds (and retries): answer Slack now, then show the outcome.
    await ack(response_action="update", view=notice(TALK_TITLE, SENDING))
    try:
        requested = await core.support.request(
            platform=PLATFORM,
            workspace=_workspace(body),
            user=str(body["user"]["id"]),
            debrief_id=ref.debrief,
            preferred_time=preferred,
        )
        result = talk_sent(wording.talk_sent(requested.reached_someone, core.settings, core.resources))
    except Exception as error:  # noqa: BLE001 - not stored: say so kindly (a database outage, not a member)
        result = notice(TALK_TITLE, explain(error, f"view {Callback.TALK}"))
    await client.views_update(view_id=view["id"], view=result)


# --- "No more check-ins for this debrief" -----------------------------------------------------------


@listener
async def stop_followups(ack, body, client, core: Core) -> None:
    await ack()
    ref = ref_of(body)
    user = str(body["user"]["id"])
    await core.debriefs.stop_followups(ref.debrief, user)
    await client.chat_postMessage(
        channel=user, text="No more check-ins from this debrief", blocks=to_dicts(stopped_blocks())
    )


# --- "I'll take it" (wellbeing officers and peer supporters) ----------------------------------------


@listener
async def claim(ack, body, client, context, core: Core) -> None:
    await ack()
    actions = body.get("actions") or []
    if not actions:
        raise StaleRequest("no action in the payload")
    ref = SupportRef.load(actions[0].get("value"))
    user = str(body["user"]["id"])
    known = context[IDENTITIES]
    request = await core.support.claim(ref.request, user, *known)
    label = None
    if request.debrief_id is not None:
        try:
            label = (await core.debriefs.get(request.debrief_id)).label
        except NotFound:
            label = None
    shown = SupportNotice(
        request_id=request.id,
        platform=PLATFORM,
        workspace=request.workspace,
        user=request.user,
        preferred_time=request.preferred_time,
        debrief_label=label,
        recipient_role="wellbeing officer" if await core.officers.is_officer(*known) else "peer supporter",
    )
    container = body.get("container") or {}
    channel, ts = container.get("channel_id") or (body.get("channel") or {}).get("id"), container.get("message_ts")
    blocks = to_dicts(support_notice_blocks(shown, claimed_by=user))
    if channel and ts:  # the notice, redrawn in place: taken on, without its button
        await client.chat_update(channel=channel, ts=ts, text=support_notice_text(), blocks=blocks)
    else:
        await client.chat_postMessage(channel=user, text=support_notice_text(), blocks=blocks)


def register(app: AsyncApp) -> None:
    app.action(Action.TALK, middleware=[Requires(Role.ANYONE)])(talk)
    app.view(Callback.TALK, middleware=[Requires(Role.ANYONE)])(talk_submitted)
    app.action(Action.STOP_FOLLOWUPS, middleware=[Requires(Role.ANYONE)])(stop_followups)  # the core: only their own
    app.action(Action.CLAIM_SUPPORT, middleware=[Requires(Role.SUPPORTER, ONLY_THE_TEAM)])(claim)
