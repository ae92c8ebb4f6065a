"""Proactive check-ins on Teams (DEBRIEF_FOLLOWUPS=2s,4s), support requests, and who can't be reached.

The server's own follow-up dispatcher sends through the Teams messenger the
adapter registers when it mounts; the core's clock is a FakeClock, so the
2-second and 4-second stages fall due when the test moves it. Each participant
is reached in their personal chat with the bot: the stored one, or one the
bot asks Teams to open (allowed when the app is in a team they are in).
Someone Teams won't let the bot reach gets nothing privately; instead, once
per stage, the lead is told privately and a neutral resources card goes to
the debrief's channel.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from teams_harness import Chat, TeamsApp, action, card_text, inputs_of

import debrief_scripts
from adapters.server import STATE
from bot.clock import FakeClock
from bot.followups import Dispatcher
from bot.models import Followup, FollowupStatus, SupportRequest, SupportStatus

TEAM = "19:ward7general@thread.tacv2"
CHANNEL = Chat(f"{TEAM};messageid=1700000000001", "channel", team=TEAM)
OFFICER_EMAIL = "olive.officer@hospital.example"


def personal(key: str) -> Chat:
    return Chat(f"a:personal-{key}", "personal")


@pytest.fixture
def teams_overrides(tmp_path: Path) -> dict[str, Any]:
    """Follow-ups after 2 and 4 seconds, saying what the shipped 24-hour and 7-day stages say."""
    shipped = yaml.safe_load((Path(debrief_scripts.__file__).parent / "followups.yml").read_text())["stages"]
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    (scripts / "followups.yml").write_text(yaml.safe_dump({"stages": {"2s": shipped["24h"], "4s": shipped["7d"]}}))
    return {
        "debrief_scripts_dir": scripts,
        "debrief_followups": "2s,4s",
        "debrief_quiet_hours": "00:00-00:00",
        "debrief_min_group": 3,
        "debrief_wellbeing_officers": OFFICER_EMAIL,
    }


@pytest.fixture
def teams_clock() -> FakeClock:
    return FakeClock()


async def start(app: TeamsApp, lead, people) -> Any:  # type: ignore[no-untyped-def]
    await app.teams.say(lead, "<at>Debrief</at> debrief", CHANNEL)
    start_card = app.connector.sent_to(CHANNEL.id)[-1].card
    dialog = (await app.teams.open_dialog(lead, CHANNEL, start_card, "Set up the debrief")).card
    await app.teams.submit_dialog(lead, CHANNEL, dialog, {"setup.participants": [p.id for p in people]} if people else {})
    return await app.core.debriefs.find_by_request(action(dialog, "Start")["data"]["k"])


FINAL = {FollowupStatus.SENT, FollowupStatus.FAILED, FollowupStatus.STOPPED, FollowupStatus.SKIPPED}


async def settled(app: TeamsApp, stage: str) -> dict[tuple[str, str], str]:
    """Wait until the server's dispatcher has dealt with every follow-up of `stage`; their statuses."""
    deadline = asyncio.get_running_loop().time() + 60  # a safety net on a loaded machine
    while True:
        state = await statuses(app)
        if all(status in FINAL for (_, row_stage), status in state.items() if row_stage == stage):
            return state
        assert asyncio.get_running_loop().time() < deadline, f"stage {stage} not dealt with: {state}"
        await asyncio.sleep(0.1)


async def statuses(app: TeamsApp) -> dict[tuple[str, str], str]:
    async with app.core.database.session() as session:
        rows = (await session.execute(Followup.__table__.select())).mappings().all()
    participants = {p.id: p.user for p in await app.core.debriefs.participants(rows[0]["debrief_id"])}
    return {(participants[row["participant_id"]], row["stage"]): row["status"] for row in rows}


async def test_check_ins_reach_everyone_who_can_be_reached(teams_app: TeamsApp, teams_clock: FakeClock) -> None:
    app, teams, connector, core = teams_app, teams_app.teams, teams_app.connector, teams_app.core
    lead = app.person("lead", "Alex Lead", [CHANNEL])
    chatted = app.person("chatted", "Bo Nurse", [CHANNEL])          # has a personal chat with the bot
    in_team = app.person("inteam", "Cy Doctor", [CHANNEL])         # only seen in the channel: the bot opens a chat
    away = [app.person(f"away{i}", name, [CHANNEL]) for i, name in enumerate(["Di Porter", "Ed Medic"])]
    connector.reachable |= {lead.id, in_team.id}
    connector.add_conversation(personal("chatted").id, [chatted.id], kind="personal")
    await teams.say(chatted, "hi", personal("chatted"))
    connector.add_conversation(personal("lead").id, [lead.id], kind="personal")
    await teams.say(lead, "hello", personal("lead"))
    debrief = await start(app, lead, [chatted, in_team, *away])
    assert await Dispatcher(core, app.app[STATE].messengers).run_once() == 0  # a poll now: nothing is due yet
    assert (await statuses(app))[(chatted.id, "2s")] == FollowupStatus.PENDING
    teams_clock.advance(timedelta(seconds=2))
    state = await settled(app, "2s")

    # Bo's check-in goes to the chat Bo already has; Cy's to one the bot asked Teams to open.
    bo = connector.sent_to(personal("chatted").id)[-1].card
    assert "Checking in after your debrief" in card_text(bo)
    assert [a["title"] for a in bo["actions"]] == ["Answer anonymously", "I'd like to talk to someone",
                                                   "All support contacts", "Stop these check-ins"]
    first_screen = card_text({"body": bo["body"]})  # what a phone shows before the buttons
    assert len(first_screen) <= 600 and "988" in first_screen and "In danger: call 911" in first_screen
    [opened] = connector.personal_conversations_of(in_team.id)
    assert "Checking in" in card_text(connector.sent_to(opened)[-1].card)
    assert connector.created[-1]["members"] == [{"id": in_team.id}]
    # Di and Ed can't be reached: the lead is told once, privately; the channel gets support, naming nobody.
    lead_notes = [p for p in connector.sent_to(personal("lead").id) if "couldn't send" in card_text(p.card)]
    assert len(lead_notes) == 1 and "Di Porter" not in card_text(lead_notes[0].card)
    neutral = [p for p in connector.sent_to(CHANNEL.id) if "Support is here for everyone" in card_text(p.card)]
    assert len(neutral) == 1
    assert not any(name in card_text(neutral[0].card) for name in ("Di Porter", "Ed Medic"))
    assert state[(chatted.id, "2s")] == state[(in_team.id, "2s")] == state[(lead.id, "2s")] == FollowupStatus.SENT
    assert state[(away[0].id, "2s")] == state[(away[1].id, "2s")] == FollowupStatus.FAILED

    # Bo answers the check-in anonymously, in a dialog from the card in the personal chat.
    form = (await teams.open_dialog(chatted, personal("chatted"), bo, "Answer anonymously")).card
    answer = {qid: "3" for qid in inputs_of(form) if qid.endswith("distress")}
    thanks = await teams.submit_dialog(chatted, personal("chatted"), form, answer)
    assert "Thank you" in card_text(thanks.card)
    assert await core.debriefs.has_answered(debrief.id, "2s", chatted.id)
    again = await teams.open_dialog(chatted, personal("chatted"), bo, "Answer anonymously")
    assert "already answered" in card_text(again.card)

    # Bo stops the check-ins with one tap; the 4-second stage then reaches everyone else, and Bo not at all.
    reply = await teams.click(chatted, personal("chatted"), bo, "Stop these check-ins")
    assert reply.status == 201
    assert "won't get any more check-ins" in connector.sent_to(personal("chatted").id)[-1].text
    before = len(connector.sent_to(personal("chatted").id))
    teams_clock.advance(timedelta(seconds=2))
    state = await settled(app, "4s")
    assert len(connector.sent_to(personal("chatted").id)) == before
    assert state[(chatted.id, "4s")] == FollowupStatus.STOPPED
    assert state[(in_team.id, "4s")] == FollowupStatus.SENT
    assert len(connector.personal_conversations_of(in_team.id)) == 1  # the chat opened once is reused
    assert len([p for p in connector.sent_to(CHANNEL.id) if "Support is here for everyone" in card_text(p.card)]) == 2


async def test_asking_to_talk_reaches_the_officer_who_claims_it(teams_app: TeamsApp, teams_clock: FakeClock) -> None:
    app, teams, connector, core = teams_app, teams_app.teams, teams_app.connector, teams_app.core
    lead = app.person("lead", "Alex Lead", [CHANNEL])
    nurse = app.person("nurse", "Bo Nurse", [CHANNEL])
    officer = app.person("officer", "Olive Officer", [], email=OFFICER_EMAIL)
    connector.add_conversation(personal("officer").id, [officer.id], kind="personal")
    await teams.say(officer, "hi", personal("officer"))  # the bot learns who Olive is (e-mail from the roster)
    debrief = await start(app, lead, [nurse])
    script = connector.sent_to(CHANNEL.id)[-1].card

    # From the resources dialog: the one identified path says so before anything is sent.
    resources = (await teams.open_dialog(nurse, CHANNEL, script, "Support resources")).card
    assert "988" in card_text(resources)
    form = (await teams.submit_dialog(nurse, CHANNEL, resources, button="I'd like to talk to someone")).card
    assert "the one time your name is shared" in card_text(form).lower()
    refused = await teams.submit_dialog(nurse, CHANNEL, form, {"support.preferred_time": "about Mr T Osei, NHS 943 476 5919"},
                                        button="Ask to talk")
    assert "a patient's name and an NHS number" in card_text(refused.card)
    sent = await teams.submit_dialog(nurse, CHANNEL, refused.card,
                                     {"support.preferred_time": "after 6pm <at>today</at>, 07700 900123"},
                                     button="Ask to talk")  # their own number is theirs to give
    assert "usually reply within 4 hours" in card_text(sent.card)

    notice = connector.sent_to(personal("officer").id)[-1].card
    text = card_text(notice)
    assert "Bo Nurse" in text and "after 6pm \u2039at>today\u2039/at>, 07700 900123" in text
    assert "nothing they answered is attached" in text
    async with core.database.session() as session:
        [request] = (await session.execute(SupportRequest.__table__.select())).mappings().all()
    assert request["user"] == nurse.id and request["debrief_id"] == debrief.id

    await teams.click(officer, personal("officer"), notice, "I'll take it")
    assert "You've taken this request on" in card_text(connector.sent_to(personal("officer").id)[-1].card)
    async with core.database.session() as session:
        [request] = (await session.execute(SupportRequest.__table__.select())).mappings().all()
    assert request["status"] == SupportStatus.CLAIMED and request["claimed_by"] == officer.id

    # Someone who is not on the wellbeing team cannot claim it.
    await teams.click(nurse, personal("nurse"), notice, "I'll take it")
    assert "Only the wellbeing team" in connector.sent_to(personal("nurse").id)[-1].text


async def test_a_request_nobody_can_be_told_of_is_still_kept(teams_app: TeamsApp) -> None:
    app, teams = teams_app, teams_app.teams
    lead = app.person("lead", "Alex Lead", [CHANNEL])
    await start(app, lead, [])
    script = app.connector.sent_to(CHANNEL.id)[-1].card
    resources = (await teams.open_dialog(lead, CHANNEL, script, "Support resources")).card
    form = (await teams.submit_dialog(lead, CHANNEL, resources, button="I'd like to talk to someone")).card
    sent = await teams.submit_dialog(lead, CHANNEL, form, button="Ask to talk")
    assert "Your request is saved" in card_text(sent.card)
    async with app.core.database.session() as session:
        assert len((await session.execute(SupportRequest.__table__.select())).all()) == 1
