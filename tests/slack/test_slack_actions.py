"""Action points to closure on Slack, end to end: DEBRIEF_ACTION_REMINDERS=2s,4s, the real server and its dispatcher.

A lead adds two action points. Each owner is reminded by DM once at about
2 seconds and once at about 4, unless the point was closed first. From the
2-second reminder the nurse marks her point done, tapping Send twice: the
point closes once, and "you said, we did" is posted in the debrief's channel
once, with what changed; her 4-second reminder never comes. Someone who
neither owns a point nor led the debrief is refused before any form opens;
a closing line with a patient identifier is refused and nothing is stored.
The lead drops the other point with a reason, from App Home, which lists
the points a person owns and those of the debriefs they led. When the
debrief's private channel is archived, the note goes to the ward channel
it was started from.
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC
from typing import Any

import pytest
from fake_slack import FakeSlack
from harness import SlackApp
from outbox_idle import nothing_more_to_send
from sqlalchemy import select
from test_slack_flow import LEAD, STAFF, start_debrief, texts

from adapters.server import STATE
from adapters.slack.ids import ACTION_EVENT, Action, ActionPointBlock, Callback, PointBlock
from adapters.slack.metadata import PointRef
from bot.models import ActionMessage, ActionPoint, ActionStatus, FollowupStatus

NURSE, DOCTOR, PORTER = STAFF[0], STAFF[1], STAFF[2]


@pytest.fixture
def slack_overrides() -> dict[str, Any]:
    return {"debrief_action_reminders": "2s,4s", "debrief_followups": "off", "debrief_quiet_hours": "00:00-00:00",
            "debrief_min_group": 3}


def reminders(fake: FakeSlack) -> list[tuple[str, str, float]]:
    """(owner, point text, wall-clock time Slack received it) of every reminder DM."""
    offset = time.time() - time.monotonic()
    found = []
    for exchange in fake.exchanges:
        args = exchange.args
        if exchange.method == "chat.postMessage" and exchange.body.get("ok") and \
                (args.get("metadata") or {}).get("event_type") == ACTION_EVENT and "reminder" in texts(args["blocks"]):
            found.append((args["channel"], texts(args["blocks"]), exchange.at + offset))
    return found


def notes(fake: FakeSlack) -> list[dict[str, Any]]:
    """Every "you said, we did" (or dropped) note Slack accepted, wherever."""
    return [ex.args for ex in fake.exchanges if ex.method == "chat.postMessage" and ex.body.get("ok")
            and (ex.args.get("metadata") or {}).get("event_type") == ACTION_EVENT
            and "reminder" not in texts(ex.args["blocks"])]


async def form_after(slack_app: SlackApp, surface: dict, action: str, user: str, value: str | None = None) -> dict:
    """Click `action` and return the form it opened (this click's, not an earlier one)."""
    fake = slack_app.fake
    before = len(fake.calls_to("views.open"))
    await slack_app.slack.click(surface, action, user_id=user, value=value)
    await fake.wait_for("views.open", before + 1)
    return fake.last_view()


async def add_point(slack_app: SlackApp, script: dict, text: str, owner: str) -> None:
    fake = slack_app.fake
    before = len(fake.calls_to("views.open"))
    await slack_app.slack.click(script, Action.ADD_ACTION_POINT, user_id=LEAD)
    await fake.wait_for("views.open", before + 1)
    form = fake.last_view(Callback.ACTION_POINT)
    reply = await slack_app.slack.submit(form, {ActionPointBlock.TEXT: text, ActionPointBlock.OWNER: owner}, user_id=LEAD)
    assert reply.status == 200
    await fake.wait_for("chat.postMessage", where=lambda args: text in texts(args.get("blocks") or []))


async def messages_of(slack_app: SlackApp) -> dict[tuple[str, str], str]:
    async with slack_app.core.database.session() as session:
        rows = await session.execute(
            select(ActionPoint.owner, ActionMessage.kind, ActionMessage.stage, ActionMessage.status)
            .join(ActionPoint, ActionPoint.id == ActionMessage.action_point_id)
        )
        return {(owner, f"{kind} {stage}".strip()): status for owner, kind, stage, status in rows}


async def settled(slack_app: SlackApp, wanted: int) -> dict[tuple[str, str], str]:
    """Wait until `wanted` action messages are in a final state."""
    final = {FollowupStatus.SENT, FollowupStatus.STOPPED, FollowupStatus.SKIPPED, FollowupStatus.FAILED}
    deadline = time.monotonic() + 60  # a safety net on a loaded machine, not a bound on the bot
    while True:
        state = await messages_of(slack_app)
        if sum(status in final for status in state.values()) >= wanted:
            return state
        assert time.monotonic() < deadline, state
        await asyncio.sleep(0.05)


async def test_reminders_once_each_until_closed_and_you_said_we_did_once(slack_app: SlackApp) -> None:
    fake, slack, core = slack_app.fake, slack_app.slack, slack_app.core
    script = await start_debrief(slack_app)
    channel = script["channel"]
    debrief = await core.debriefs.find_by_request(fake.calls_to("views.update")[0]["view_id"])
    started = debrief.started_at.replace(tzinfo=UTC) if debrief.started_at.tzinfo is None else debrief.started_at
    await add_point(slack_app, script, "Check the defib pads every shift", NURSE)
    await add_point(slack_app, script, "Ask pharmacy for a second adrenaline box", DOCTOR)
    posted = [m for m in fake.messages_in(channel) if "New action point" in texts(m.get("blocks") or [])]
    assert len(posted) == 2 and all(m["blocks"][-1]["type"] == "actions" for m in posted)

    # Someone who neither owns it nor led the debrief is told so before any form opens.
    before = len(fake.calls_to("views.open"))
    await slack.click(posted[0], Action.POINT_DONE, user_id=PORTER)
    await fake.wait_for("views.open", before + 1)
    assert "Only the person who owns this action point" in texts(fake.last_view()["blocks"])

    # 2 seconds: each owner, once, by DM, with the buttons.
    await fake.wait_for("chat.postMessage", 2, timeout=60,
                        where=lambda args: (args.get("metadata") or {}).get("event_type") == ACTION_EVENT)
    first = reminders(fake)
    assert sorted(owner for owner, _, _ in first) == sorted([NURSE, DOCTOR])
    reminder = fake.dms_to(NURSE)[-1]
    assert "Check the defib pads every shift" in texts(reminder["blocks"])

    # The nurse marks hers done from the reminder; a patient identifier in the line is refused first.
    form = await form_after(slack_app, reminder, Action.POINT_DONE, NURSE)
    assert form["callback_id"] == Callback.POINT_CLOSE
    refused = (await slack.submit(form, {PointBlock.OUTCOME: "Done for NHS 943 476 5919"}, user_id=NURSE)).json()
    assert refused["response_action"] == "errors" and "NHS number" in refused["errors"][PointBlock.OUTCOME]
    assert (await core.actions.get((await core.debriefs.action_points(debrief.id))[0].id)).point.status == "open"
    line = {PointBlock.OUTCOME: "Pads are checked at every handover <!channel>"}
    first_tap, second_tap = await asyncio.gather(slack.submit(form, line, user_id=NURSE),
                                                 slack.submit(form, line, user_id=NURSE))  # a double tap
    shown = [texts(reply.json()["view"]["blocks"]) for reply in (first_tap, second_tap)]
    assert sorted("already closed" in words for words in shown) == [False, True], shown

    # "You said, we did", once, in the debrief's channel, with what changed (escaped).
    await fake.wait_for("chat.postMessage", where=lambda args: "You said, we did" in texts(args.get("blocks") or []))
    [note] = notes(fake)
    assert note["channel"] == channel
    said = texts(note["blocks"])
    assert "Check the defib pads every shift" in said and "Pads are checked at every handover &lt;!channel&gt;" in said
    # ...and the point's own message is redrawn without its buttons.
    await fake.wait_for("chat.update", where=lambda args: args.get("ts") == posted[0]["ts"])
    redrawn = fake.message(channel, posted[0]["ts"])
    assert "Action point: ✅ Done" in texts(redrawn["blocks"]) and all(b["type"] != "actions" for b in redrawn["blocks"])

    # 4 seconds: the doctor's second reminder; none for the nurse's closed point.
    state = await settled(slack_app, 5)  # 2 at 2s, the note, the stopped 4s one and the doctor's 4s one
    assert state[(NURSE, "reminder 4s")] == FollowupStatus.STOPPED
    assert state[(DOCTOR, "reminder 4s")] == FollowupStatus.SENT
    assert state[(NURSE, "closed")] == FollowupStatus.SENT

    # The lead drops the doctor's point from App Home, which lists it.
    await slack.event({"type": "app_home_opened", "user": LEAD, "tab": "home"})
    await fake.wait_for("views.publish", where=lambda args: args["user_id"] == LEAD)
    home = fake.home_tabs[LEAD]
    assert "Action points" in texts(home["blocks"]) and "second adrenaline box" in texts(home["blocks"])
    assert "Check the defib pads" not in texts(home["blocks"])  # closed: no longer listed
    doctors = next(p for p in await core.debriefs.action_points(debrief.id) if p.owner == DOCTOR)
    form = await form_after(slack_app, home, Action.POINT_DROP, LEAD, PointRef(point=doctors.id).dump())
    blank = (await slack.submit(form, {PointBlock.OUTCOME: "   "}, user_id=LEAD)).json()  # a reason is needed
    assert blank["response_action"] == "errors" and "why" in blank["errors"][PointBlock.OUTCOME]
    assert "told the team why" in texts((await slack.submit(form, {PointBlock.OUTCOME: "Pharmacy stocks it now"},
                                                            user_id=LEAD)).json()["view"]["blocks"])
    await fake.wait_for("chat.postMessage", where=lambda args: "dropped" in texts(args.get("blocks") or []))
    await fake.wait_for("views.publish", 2, where=lambda args: args["user_id"] == LEAD)  # Home, drawn again
    assert "second adrenaline box" not in texts(fake.home_tabs[LEAD]["blocks"])
    assert "No open action points for you" in texts(fake.home_tabs[LEAD]["blocks"])

    # Once each, at about the right time; nothing more comes: the work the requests started is done, every
    # action message is dealt with for good (never claimed again), and a dispatcher polling now finds nothing.
    await slack_app.idle()
    await nothing_more_to_send(core, slack_app.app[STATE].messengers)
    sent = [(owner, at - started.timestamp()) for owner, _, at in reminders(fake)]
    assert sorted(owner for owner, _ in sent) == sorted([NURSE, DOCTOR, DOCTOR])
    for (_, delay), due in zip(sorted(sent, key=lambda item: item[1]), (2.0, 2.0, 4.0), strict=True):
        assert due - 0.05 <= delay, sent  # never early; how late is measured in bench/, not asserted
    assert len(notes(fake)) == 2
    points = {p.owner: p for p in await core.debriefs.action_points(debrief.id)}
    assert (points[NURSE].status, points[NURSE].closed_by) == (ActionStatus.DONE, NURSE)
    assert (points[DOCTOR].status, points[DOCTOR].outcome) == (ActionStatus.DROPPED, "Pharmacy stocks it now")


async def test_the_note_goes_to_the_ward_channel_when_the_private_one_is_archived(slack_app: SlackApp) -> None:
    fake, slack, core = slack_app.fake, slack_app.slack, slack_app.core
    script = await start_debrief(slack_app)
    debrief = await core.debriefs.find_by_request(fake.calls_to("views.update")[0]["view_id"])
    await add_point(slack_app, script, "Label the spare suction unit", NURSE)
    fake.channels[script["channel"]].is_archived = True
    point = (await core.debriefs.action_points(debrief.id))[0]
    message = next(m for m in fake.messages_in(script["channel"]) if "Label the spare" in texts(m.get("blocks") or []))
    form = await form_after(slack_app, message, Action.POINT_DONE, LEAD)
    await slack.submit(form, {}, user_id=LEAD)  # done, with no line: that is allowed
    await fake.wait_for("chat.postMessage", where=lambda args: "You said, we did" in texts(args.get("blocks") or [])
                        and args["channel"] == debrief.team)
    assert [n["channel"] for n in notes(fake)] == [debrief.team]
    assert "We did it" in texts(notes(fake)[0]["blocks"])
    assert (await core.actions.get(point.id)).point.status == ActionStatus.DONE
    assert json.loads(json.dumps(fake.errors("chat.postMessage"))) == [["chat.postMessage", "is_archived"]]
