"""Check-ins on Slack end to end: DEBRIEF_FOLLOWUPS=2s,4s, the real server and its own dispatcher, the fake Web API.

The server runs the follow-up dispatcher it runs in production (every
`serve` process does), on the system clock, sending through the messenger the
Slack adapter registers when it mounts. A lead starts a debrief with three
people; each of the four gets each check-in once, by DM, 2 and 4 seconds
(never earlier) after the set-up form was submitted, with the support resources.
From their DMs: one person stops further check-ins (and gets no 4-second
message), one checks in anonymously through the debrief's own modal (a high
distress rating shows the crisis lines at once), one asks to talk to someone
(the form says it shares their name; the wellbeing officer gets a DM and
takes it on), and the lead's self-harm answer at 4 seconds shows the crisis
lines too. Nobody's identity goes anywhere unless they ask to talk.
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC
from typing import Any

import pytest
from fake_slack import FakeSlack, validate_view
from harness import OFFICER, SlackApp
from sqlalchemy import select
from test_slack_flow import texts

from adapters.server import STATE
from adapters.slack.ids import Action, Callback, SetupBlock, TalkBlock, Where, question_block
from bot.followups import Dispatcher
from bot.models import Followup, FollowupStatus, Participant, SupportRequest, SupportStatus

LEAD = "ULEAD00001"
NURSE = "UNURSE0001"
DOCTOR = "UDOCTOR001"
PORTER = "UPORTER001"
PEOPLE = [LEAD, NURSE, DOCTOR, PORTER]
WARD = "CWARD00001"
STAGES = {"2s": 2.0, "4s": 4.0}
FINAL = {FollowupStatus.SENT, FollowupStatus.FAILED, FollowupStatus.STOPPED, FollowupStatus.SKIPPED}


@pytest.fixture
def slack_overrides() -> dict[str, Any]:
    """Check-ins after 2 and 4 seconds (saying what the shipped 24-hour and 7-day stages say); no quiet hours."""
    return {"debrief_followups": "2s,4s", "debrief_quiet_hours": "00:00-00:00", "debrief_min_group": 3}


def stage_of(message: dict[str, Any]) -> str | None:
    """The stage a check-in is for, from its "Check in (anonymous)" button."""
    for block in message.get("blocks") or []:
        for element in block.get("elements") or []:
            if element.get("action_id") == Action.ANSWER:
                return json.loads(element["value"]).get("s")
    return None


def check_ins(fake: FakeSlack, stage: str | None = None) -> list[tuple[str, dict[str, Any], float]]:
    """(user, message args, wall-clock time Slack received it) for every check-in posted (with metadata)."""
    offset = time.time() - time.monotonic()
    found = []
    for exchange in fake.exchanges:
        args = exchange.args
        if exchange.method != "chat.postMessage" or not args.get("metadata") or not exchange.body.get("ok"):
            continue
        if stage is None or stage_of(args) == stage:
            found.append((args["channel"], args, exchange.at + offset))
    return found


async def statuses(slack_app: SlackApp) -> dict[tuple[str, str], str]:
    async with slack_app.core.database.session() as session:
        rows = await session.execute(
            select(Participant.user, Followup.stage, Followup.status).join(
                Participant, Participant.id == Followup.participant_id
            )
        )
        return {(user, stage): status for user, stage, status in rows}


async def settled(slack_app: SlackApp, stage: str) -> dict[tuple[str, str], str]:
    """Wait until the server's dispatcher has dealt with every follow-up of `stage`."""
    deadline = time.monotonic() + 60  # a safety net on a loaded machine, not a bound on the bot
    while True:
        state = await statuses(slack_app)
        if state and all(status in FINAL for (_, row_stage), status in state.items() if row_stage == stage):
            return state
        assert time.monotonic() < deadline, f"stage {stage} not dealt with: {state}"
        await asyncio.sleep(0.05)


async def opened(fake: FakeSlack, callback_id: str, before: int) -> dict[str, Any]:
    """The modal opened by the click just made (views.open runs after the ack)."""
    await fake.wait_for("views.open", before + 1)
    view = fake.last_view()
    assert view["callback_id"] == callback_id, texts(view["blocks"])
    return view


async def test_every_participant_gets_each_check_in_once_and_can_answer_talk_or_stop(slack_app: SlackApp) -> None:
    fake, slack, core = slack_app.fake, slack_app.slack, slack_app.core

    # The lead starts a debrief with three people.
    assert (await slack.command("/debrief", "", user_id=LEAD, channel_id=WARD)).status == 200
    await fake.wait_for("views.open")
    setup = fake.last_view(Callback.SETUP)
    reply = await slack.submit(
        setup,
        {SetupBlock.SCRIPT: "stop5", SetupBlock.PARTICIPANTS: [NURSE, DOCTOR, PORTER], SetupBlock.WHERE: Where.NEW_CHANNEL},
        user_id=LEAD,
    )
    assert reply.status == 200
    await fake.wait_for("views.update", where=lambda args: "Done" in texts(args["view"]["blocks"]))
    debrief = await core.debriefs.find_by_request(setup["id"])
    assert debrief is not None
    started = debrief.started_at if debrief.started_at.tzinfo else debrief.started_at.replace(tzinfo=UTC)
    assert check_ins(fake) == []  # nothing before it is due

    # 2 seconds: everyone, once each, by DM to their user id, with the resources.
    await fake.wait_for("chat.postMessage", 4, timeout=60,
                        where=lambda args: bool(args.get("metadata")) and stage_of(args) == "2s")
    first = {user: args for user, args, _ in check_ins(fake, "2s")}
    assert sorted(first) == sorted(PEOPLE) and len(check_ins(fake, "2s")) == 4
    dms = {user: fake.dms_to(user)[-1] for user in PEOPLE}

    # The porter stops further check-ins, with one tap, and is told kindly.
    assert (await slack.click(dms[PORTER], Action.STOP_FOLLOWUPS, user_id=PORTER)).status == 200
    await fake.wait_for("chat.postMessage", where=lambda args: args["channel"] == PORTER and not args.get("metadata"))
    assert "won't get any more check-ins" in texts(fake.dms_to(PORTER)[-1]["blocks"])

    # The nurse checks in anonymously from the DM, through the debrief's own modal; 8 of 10 shows help at once.
    before = len(fake.calls_to("views.open"))
    await slack.click(dms[NURSE], Action.ANSWER, user_id=NURSE)
    form = await opened(fake, Callback.ANSWER, before)
    assert "thinking of you" in texts(form["blocks"])
    reply = await slack.submit(form, {question_block("distress"): "8", question_block("sfa_colour"): "reacting"},
                               user_id=NURSE)
    answered = reply.json()
    assert answered["response_action"] == "update"
    assert "988" in texts(answered["view"]["blocks"]) and "really hard" in texts(answered["view"]["blocks"])
    assert validate_view(answered["view"], "modal") == []
    # ...with an opt-in handoff to a person, on top of it; the nurse reads it and lets it be.
    before = len(fake.calls_to("views.push"))
    await slack.click({**form, "blocks": answered["view"]["blocks"]}, Action.TALK, user_id=NURSE)
    await fake.wait_for("views.push", before + 1)
    assert "one time your name is shared" in texts(fake.last("views.push")["view"]["blocks"])
    assert await core.debriefs.has_answered(debrief.id, "2s", NURSE)
    before = len(fake.calls_to("views.open"))
    await slack.click(dms[NURSE], Action.ANSWER, user_id=NURSE)
    await fake.wait_for("views.open", before + 1)
    assert "already answered" in texts(fake.last_view()["blocks"])

    # The doctor asks to talk to someone: told first that this shares their name, screened for identifiers.
    before = len(fake.calls_to("views.open"))
    await slack.click(dms[DOCTOR], Action.TALK, user_id=DOCTOR)
    talk = await opened(fake, Callback.TALK, before)
    assert "one time your name is shared" in texts(talk["blocks"])
    refused = (await slack.submit(talk, {TalkBlock.PREFERRED_TIME: "about NHS 943 476 5919"}, user_id=DOCTOR)).json()
    assert refused["response_action"] == "errors" and "NHS number" in refused["errors"][TalkBlock.PREFERRED_TIME]
    sent = await slack.submit(talk, {TalkBlock.PREFERRED_TIME: "after 6pm <!here>"}, user_id=DOCTOR)
    assert sent.json()["response_action"] == "update"
    await fake.wait_for("views.update", where=lambda args: "usually reply within 4 hours" in texts(args["view"]["blocks"]))

    # The wellbeing officer gets a DM naming the doctor, and takes it on.
    await fake.wait_for("chat.postMessage", where=lambda args: args["channel"] == OFFICER)
    [note] = fake.dms_to(OFFICER)
    assert f"<@{DOCTOR}>" in texts(note["blocks"]) and "after 6pm &lt;!here&gt;" in texts(note["blocks"])
    await slack.click(note, Action.CLAIM_SUPPORT, user_id=OFFICER)
    await fake.wait_for("chat.update", where=lambda args: "Taken on by" in texts(args.get("blocks") or []))
    async with core.database.session() as session:
        [request] = (await session.execute(select(SupportRequest))).scalars().all()
    assert (request.user, request.status, request.claimed_by) == (DOCTOR, SupportStatus.CLAIMED, OFFICER)
    assert request.debrief_id == debrief.id

    # 4 seconds: everyone but the porter; the lead's self-harm answer shows the crisis lines at once.
    state = await settled(slack_app, "4s")
    assert state[(PORTER, "4s")] == FollowupStatus.STOPPED
    assert all(state[(user, "4s")] == FollowupStatus.SENT for user in (LEAD, NURSE, DOCTOR))
    later = fake.dms_to(LEAD)[-1]
    assert stage_of(later) == "4s"
    before = len(fake.calls_to("views.open"))
    await slack.click(later, Action.ANSWER, user_id=LEAD)
    form = await opened(fake, Callback.ANSWER, before)
    reply = (await slack.submit(form, {question_block("phq9_item9"): "several_days"}, user_id=LEAD)).json()
    assert "988" in texts(reply["view"]["blocks"]) and validate_view(reply["view"], "modal") == []

    # Once each, never early, every one with the support resources; nothing more comes: every row is
    # dealt with for good (never claimed again), and a dispatcher polling now finds nothing to send.
    assert all(status in FINAL for status in (await statuses(slack_app)).values())
    assert await Dispatcher(core, slack_app.app[STATE].messengers).run_once() == 0
    sent_to = [(user, stage_of(args)) for user, args, _ in check_ins(fake)]
    assert sorted(sent_to) == sorted([(user, "2s") for user in PEOPLE] + [(user, "4s") for user in PEOPLE if user != PORTER])
    for user, args, at in check_ins(fake):
        delay = at - started.timestamp()
        due = STAGES[stage_of(args)]
        assert delay >= due - 0.05, f"{user} {stage_of(args)}: after {delay:.2f}s"  # how late: bench/followups_bench.py
        shown = texts(args["blocks"])
        assert "988 Suicide &amp; Crisis Lifeline" in shown and "In danger: call 911" in shown
    assert first[NURSE]["metadata"]["event_payload"]["followup_id"] != first[DOCTOR]["metadata"]["event_payload"]["followup_id"]
    assert fake.calls_to("conversations.open") == []  # DMs go to the user id; nothing was re-sent
    assert fake.violations == []
