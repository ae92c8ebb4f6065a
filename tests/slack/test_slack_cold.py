"""Cold debriefs on Slack end to end: the real server and its own dispatcher, the fake Web API, short offsets.

DEBRIEF_COLD_REMINDERS=5s,3s: a lead closes a hot debrief, books a cold one
a few seconds ahead from the closing summary's button (Slack's
datetimepicker, a Unix time), and the invitation appears in the debrief's
channel. Each of the three people gets each reminder once, by DM, not before
it is due; at the booked time the cold script is posted in the channel once,
and its answers go through the anonymous form like the hot debrief's. A
second booking is cancelled with a reason after its first reminder: it is
recorded as a skipped debrief, the channel is told, and nothing more comes.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from fake_slack import FakeSlack
from harness import SlackApp
from outbox_idle import nothing_more_to_send
from sqlalchemy import select
from test_slack_flow import texts

from adapters.server import STATE
from adapters.slack.cold import COLD_EVENT, ColdAction, ColdBlock, ColdCallback
from adapters.slack.ids import Action, Callback, SetupBlock, Where, question_block
from bot.models import ColdMessage, Debrief, DebriefStatus, SkippedDebrief

LEAD, NURSE, DOCTOR = "ULEAD00001", "UNURSE0001", "UDOCTOR001"
PEOPLE = [LEAD, NURSE, DOCTOR]
WARD = "CWARD00001"
OFFSETS = {"5s": 5.0, "3s": 3.0}
AHEAD = 8
"""Seconds between booking and the cold debrief: both reminders fall after the booking."""


@pytest.fixture
def slack_overrides() -> dict[str, Any]:
    return {"debrief_cold_reminders": "5s,3s", "debrief_quiet_hours": "00:00-00:00", "debrief_min_group": 3,
            "debrief_followups": "off"}


def cold_dms(fake: FakeSlack, user: str) -> list[dict[str, Any]]:
    return [m for m in fake.dms_to(user) if (m.get("metadata") or {}).get("event_type") == COLD_EVENT]


def received(fake: FakeSlack, where: Any) -> list[float]:
    """Wall-clock times at which Slack received the bot's chat.postMessage calls matching `where`."""
    offset = time.time() - time.monotonic()
    return [e.at + offset for e in fake.exchanges
            if e.method == "chat.postMessage" and e.body.get("ok") and where(e.args)]


async def modal(fake: FakeSlack, callback_id: str, before: int) -> dict[str, Any]:
    await fake.wait_for("views.open", before + 1)
    view = fake.last_view()
    assert view["callback_id"] == callback_id, texts(view["blocks"])
    return view


async def book(slack_app: SlackApp, summary: dict[str, Any], starts: int, user: str = LEAD,
               twice: bool = False) -> dict[str, Any]:
    fake, slack = slack_app.fake, slack_app.slack
    before = len(fake.calls_to("views.open"))
    await slack.click(summary, ColdAction.BOOK, user_id=user)
    form = await modal(fake, ColdCallback.BOOK, before)
    assert "cold-review" in str(form["blocks"])
    updates = len(fake.calls_to("views.update"))
    reply = await slack.submit(form, {ColdBlock.WHEN: starts, ColdBlock.SCRIPT: "cold-review"}, user_id=user)
    assert reply.status == 200
    done = (await fake.wait_for("views.update", updates + 1))[-1]
    if twice:  # the same modal sent again (a double tap, Slack's retry): booked and invited once
        await slack.submit(form, {ColdBlock.WHEN: starts, ColdBlock.SCRIPT: "cold-review"}, user_id=user)
        await fake.wait_for("views.update", updates + 2)
    return done["view"]


async def home_of(slack_app: SlackApp, user: str) -> dict[str, Any]:
    """The person's App Home as the bot publishes it when they open it."""
    published = len(slack_app.fake.calls_to("views.publish"))
    await slack_app.slack.event({"type": "app_home_opened", "user": user, "tab": "home"})
    await slack_app.fake.wait_for("views.publish", published + 1)
    return slack_app.fake.home_tabs[user]


async def test_booked_reminded_once_each_posted_on_time_then_a_cancelled_one_stops(slack_app: SlackApp) -> None:
    fake, slack, core = slack_app.fake, slack_app.slack, slack_app.core

    # A hot debrief with two people, closed: the summary offers a cold debrief.
    await slack.command("/debrief", "", user_id=LEAD, channel_id=WARD)
    await fake.wait_for("views.open")
    setup = fake.last_view(Callback.SETUP)
    await slack.submit(setup, {SetupBlock.SCRIPT: "stop5", SetupBlock.PARTICIPANTS: [NURSE, DOCTOR],
                               SetupBlock.WHERE: Where.NEW_CHANNEL}, user_id=LEAD)
    await fake.wait_for("views.update", where=lambda args: "Done" in texts(args["view"]["blocks"]))
    hot = await core.debriefs.find_by_request(setup["id"])
    assert hot is not None and hot.space
    script_message = fake.message(hot.space, str(hot.script_message))
    assert "cold-review" not in str(setup["blocks"]) and "stop5" in str(setup["blocks"])  # not offered as a hot script
    await slack.click(script_message, Action.CLOSE, user_id=LEAD)
    await fake.wait_for("chat.postMessage", where=lambda args: "Debrief closed" in texts(args.get("blocks") or []))
    summary = fake.messages_in(hot.space)[-1]
    assert "Book a cold debrief" in texts(summary["blocks"])

    # Someone other than the lead is told kindly that only the lead books; a past time is refused on its field.
    before = len(fake.calls_to("views.open"))
    await slack.click(summary, ColdAction.BOOK, user_id=NURSE)
    await fake.wait_for("views.open", before + 1)
    assert "Only the person who led" in texts(fake.last_view()["blocks"])
    before = len(fake.calls_to("views.open"))
    await slack.click(summary, ColdAction.BOOK, user_id=LEAD)
    form = await modal(fake, ColdCallback.BOOK, before)
    refused = (await slack.submit(form, {ColdBlock.WHEN: int(time.time()) - 60, ColdBlock.SCRIPT: "cold-review"},
                                  user_id=LEAD)).json()
    assert refused["response_action"] == "errors" and "future" in refused["errors"][ColdBlock.WHEN]

    # The lead books it a few seconds ahead: the invitation is in the channel, with a cancel button.
    starts = int(time.time()) + AHEAD
    assert "Booked" in texts((await book(slack_app, summary, starts, twice=True))["blocks"])
    await fake.wait_for("chat.postMessage", where=lambda args: "Cold debrief booked" in texts(args.get("blocks") or []))
    invitation = fake.messages_in(hot.space)[-1]
    assert len([m for m in fake.messages_in(hot.space) if "Cold debrief booked" in texts(m["blocks"])]) == 1
    assert f"<!date^{starts}^" in texts(invitation["blocks"]) and "3 people" in texts(invitation["blocks"])
    assert "Cancel the cold debrief" in texts(invitation["blocks"])
    async with core.database.session() as session:
        [cold] = (await session.execute(select(Debrief).where(Debrief.cold_of == hot.id))).scalars().all()
    assert cold.status == DebriefStatus.BOOKED and cold.space == hot.space
    before = len(fake.calls_to("views.open"))
    await slack.click(summary, ColdAction.BOOK, user_id=LEAD)  # one booking at a time
    await fake.wait_for("views.open", before + 1)
    assert "already booked" in texts(fake.last_view()["blocks"])
    # An invitee's App Home lists it, with its time in their own zone, until it starts.
    home = texts((await home_of(slack_app, NURSE))["blocks"])
    assert "Cold debriefs you are invited to" in home and f"<!date^{starts}^" in home
    assert "Cold debrief (facilitated case review)" in home

    # Each reminder once to each person, then the script in the channel at the booked time, once.
    await fake.wait_for("chat.postMessage", timeout=AHEAD + 60,
                        where=lambda args: (args.get("metadata") or {}).get("event_type") == COLD_EVENT
                        and args["channel"] == hot.space)
    # Nothing is sent twice: every cold message is dealt with for good, and a dispatcher polling now finds nothing.
    await nothing_more_to_send(core, slack_app.app[STATE].messengers)
    for user in PEOPLE:
        dms = cold_dms(fake, user)
        assert len(dms) == 2, f"{user}: {len(dms)} reminders"
        assert len({m["metadata"]["event_payload"]["cold_id"] for m in dms}) == 2
        assert "in 5 seconds" in texts(dms[0]["blocks"]) and "in 3 seconds" in texts(dms[1]["blocks"])
        assert f"<!date^{starts}^" in texts(dms[0]["blocks"])
    # Everyone's reminder says the same: nothing in it depends on the person (nor, later, on who answered).
    assert len({texts(cold_dms(fake, user)[0]["blocks"]) for user in PEOPLE}) == 1
    reminders = received(fake, lambda a: (a.get("metadata") or {}).get("event_type") == COLD_EVENT
                         and a["channel"] != hot.space)
    assert len(reminders) == 6 and all(at >= starts - 5 - 0.05 for at in reminders)
    assert sum(1 for at in reminders if at >= starts - 3 - 0.05) >= 3  # the later three not before their time
    posts = [m for m in fake.messages_in(hot.space) if (m.get("metadata") or {}).get("event_type") == COLD_EVENT]
    assert len(posts) == 1
    [posted_at] = received(fake, lambda a: (a.get("metadata") or {}).get("event_type") == COLD_EVENT
                           and a["channel"] == hot.space)
    assert posted_at >= starts - 0.05  # not before the booked time
    assert "Cold debrief (facilitated case review)" in texts(posts[0]["blocks"])
    opened = await core.debriefs.get(cold.id)
    assert opened.status == DebriefStatus.OPEN and opened.script_message == posts[0]["ts"]
    home = texts((await home_of(slack_app, NURSE))["blocks"])  # started: an open debrief now, to answer
    assert "Cold debriefs you are invited to" not in home and "Cold debrief (facilitated case review)" in home

    # Its answers: the same anonymous form as the hot debrief's, counted for the cold debrief.
    before = len(fake.calls_to("views.open"))
    await slack.click(posts[0], Action.ANSWER, user_id=NURSE)
    form = await modal(fake, Callback.ANSWER, before)
    reply = (await slack.submit(form, {question_block("distress"): "3", question_block("useful"): "useful"},
                                user_id=NURSE)).json()
    assert reply["response_action"] == "update"
    assert await core.debriefs.answer_count(cold.id) == 1 and await core.debriefs.answer_count(hot.id) == 0

    # A second booking, cancelled with a reason after its first reminder: recorded, told, and nothing more.
    starts = int(time.time()) + AHEAD
    await book(slack_app, summary, starts)
    await fake.wait_for("chat.postMessage", 2,
                        where=lambda args: "Cold debrief booked" in texts(args.get("blocks") or []))
    invitation = fake.messages_in(hot.space)[-1]
    await fake.wait_for("chat.postMessage", 9, timeout=AHEAD + 5,
                        where=lambda args: (args.get("metadata") or {}).get("event_type") == COLD_EVENT
                        and args["channel"] != hot.space)  # 6 from the first booking, 3 first reminders now
    before = len(fake.calls_to("views.open"))
    await slack.click(invitation, ColdAction.CANCEL, user_id=LEAD)
    form = await modal(fake, ColdCallback.CANCEL, before)
    refused = (await slack.submit(form, {ColdBlock.REASON: "no_time", ColdBlock.DETAIL: "pt NHS 943 476 5919"},
                                  user_id=LEAD)).json()  # a patient identifier: refused on its field, nothing stored
    assert refused["response_action"] == "errors" and "NHS number" in refused["errors"][ColdBlock.DETAIL]
    updates = len(fake.calls_to("views.update"))
    await slack.submit(form, {ColdBlock.REASON: "team_dispersed", ColdBlock.DETAIL: "Half the team rotated"},
                       user_id=LEAD)
    done = (await fake.wait_for("views.update", updates + 1))[-1]
    assert "Cancelled and recorded" in texts(done["view"]["blocks"])
    await fake.wait_for("chat.postMessage", where=lambda a: "Cold debrief cancelled" in texts(a.get("blocks") or []))
    notice = texts(fake.messages_in(hot.space)[-1]["blocks"])
    assert "The team has already dispersed" in notice and f"<!date^{starts}^" in notice
    async with core.database.session() as session:
        [skipped] = (await session.execute(select(SkippedDebrief))).scalars().all()
        left = (await session.execute(select(ColdMessage).where(ColdMessage.status == "pending"))).scalars().all()
    assert (skipped.reason, skipped.detail, skipped.cold_of) == ("team_dispersed", "Half the team rotated", hot.id)
    assert left == []
    # Past its second reminder and its time, nothing more is sent: once the booked time (the last due time) has
    # come, every cold message is dealt with for good and a dispatcher polling then finds nothing to send.
    while time.time() <= starts:
        await asyncio.sleep(0.05)
    await nothing_more_to_send(core, slack_app.app[STATE].messengers)
    assert sum(len(cold_dms(fake, user)) for user in PEOPLE) == 9
    assert len([m for m in fake.messages_in(hot.space) if (m.get("metadata") or {}).get("event_type") == COLD_EVENT]) == 1
