"""Care that reaches a person, on Teams, through the real server and a fake Bot Connector.

Notes for the wellbeing team reach the officers' `notes` and nothing else;
crisis words in a note, and a rating exactly at the threshold, show the
crisis lines and say nobody is told; every thank-you offers the
conversation; `help` lists the contacts crisis lines first and "I need help"
gets the crisis lines; a request to talk nobody takes on escalates once,
after DEBRIEF_SUPPORT_RESPONSE (2 seconds here), to the on-call contact,
and the person is told the truth when nobody could be.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from teams_harness import Chat, TeamsApp, card_text, inputs_of
from test_teams_flow import CHANNEL, start_debrief

from bot.clock import FakeClock
from bot.models import Debrief, FollowupStatus, SupportEscalation

OFFICER_EMAIL = "olive.officer@hospital.example"
WORRY = "I keep replaying the handover in my head"
CRISIS = "Honestly I can't go on like this"
SHARED = "The new airway trolley layout really helped"


def personal(key: str) -> Chat:
    return Chat(f"a:personal-{key}", "personal")


@pytest.fixture
def teams_overrides() -> dict[str, Any]:
    return {"debrief_min_group": 3, "debrief_wellbeing_officers": OFFICER_EMAIL, "debrief_support_response": "2s",
            "debrief_quiet_hours": "00:00-00:00"}


@pytest.fixture
def teams_clock() -> FakeClock:
    return FakeClock()


async def answer(app: TeamsApp, person, script: dict, distress: int, note: str | None = None,  # type: ignore[no-untyped-def]
                 share: bool = False) -> str:
    """Answer the debrief in its dialog; the text of the thank-you dialog."""
    form = (await app.teams.open_dialog(person, CHANNEL, script, "Answer anonymously")).card
    fields = inputs_of(form)
    values: dict[str, Any] = {next(key for key in fields if key.endswith("distress")): str(distress)}
    if note is not None:
        values[next(key for key in fields if key.endswith("team_note"))] = note
    if share:
        values[next(key for key in fields if key.startswith("share."))] = "true"
    thanks = await app.teams.submit_dialog(person, CHANNEL, form, values)
    return card_text(thanks.card)


async def an_officer(app: TeamsApp):  # type: ignore[no-untyped-def]
    officer = app.person("officer", "Olive Officer", [], email=OFFICER_EMAIL)
    app.connector.add_conversation(personal("officer").id, [officer.id], kind="personal")
    await app.teams.say(officer, "hi", personal("officer"))  # the bot learns who Olive is
    return officer


async def test_a_note_reaches_the_officers_notes_and_only_there(teams_app: TeamsApp) -> None:
    app, teams, connector = teams_app, teams_app.teams, teams_app.connector
    officer = await an_officer(app)
    lead = app.person("lead", "Alex Lead", [CHANNEL])
    staff = [app.person(f"s{i}", name, [CHANNEL]) for i, name in enumerate(["Bo Nurse", "Cy Doctor", "Di Porter"])]
    script = await start_debrief(app, lead, staff)

    await answer(app, staff[0], script, 2, WORRY)
    await teams.say(officer, "notes", personal("officer"))
    held = card_text(connector.sent_to(personal("officer").id)[-1].card)
    assert "held back" in held and WORRY not in held  # one answer: it could be matched to its writer

    crisis = await answer(app, staff[1], script, 1, CRISIS)
    assert "988" in crisis and "call 911 now" in crisis and "nobody has been told" in crisis
    plain = await answer(app, staff[2], script, 1, SHARED, share=True)
    assert "I'd like to talk to someone" in plain and "988" not in plain  # every thank-you offers a person

    await teams.say(officer, "notes", personal("officer"))
    notes = card_text(connector.sent_to(personal("officer").id)[-1].card)
    assert WORRY in notes and CRISIS in notes and SHARED not in notes
    assert notes.index("Crisis language") < notes.index(CRISIS) < notes.index(WORRY)
    assert not any(name in notes for name in ("Alex Lead", "Bo Nurse", "Cy Doctor", "Di Porter"))
    assert "Ward 7 \u203a General" in notes and CHANNEL.team not in str(connector.sent_to(personal("officer").id)[-1].card)

    # Someone else asking gets a kind no, and the note appears nowhere but in the officer's own chat.
    await teams.say(staff[0], "notes", personal("s0"))
    assert "for wellbeing officers only" in connector.sent_to(personal("s0").id)[-1].text
    elsewhere = [posted.conversation for posted in connector.posted if WORRY in str(posted.activity)]
    assert elsewhere and set(elsewhere) == {personal("officer").id}


async def test_an_answer_exactly_at_the_threshold_shows_the_crisis_lines(teams_app: TeamsApp) -> None:
    app = teams_app
    threshold = app.core.settings.debrief_distress_threshold
    lead = app.person("lead", "Alex Lead", [CHANNEL])
    staff = [app.person(f"s{i}", name, [CHANNEL]) for i, name in enumerate(["Bo Nurse", "Cy Doctor"])]
    script = await start_debrief(app, lead, staff)
    at = await answer(app, staff[0], script, threshold)
    below = await answer(app, staff[1], script, threshold - 1)
    assert "988" in at and "nobody has been told" in at and "call 911 now" in at
    assert "988" not in below
    assert "I'd like to talk to someone" in at and "I'd like to talk to someone" in below


async def test_help_lists_the_contacts_and_a_call_for_help_gets_the_crisis_lines(teams_app: TeamsApp) -> None:
    app, teams, connector = teams_app, teams_app.teams, teams_app.connector
    nurse = app.person("nurse", "Bo Nurse", [])
    chat = personal("nurse")
    connector.add_conversation(chat.id, [nurse.id], kind="personal")
    await teams.say(nurse, "help", chat)
    shown = card_text(connector.sent_to(chat.id)[-1].card)
    assert shown.index("988") < shown.index("Physician Support Line") and "call 911 now" in shown
    for words in ("I need help", "i can\u2019t go on"):
        before = len(connector.sent_to(chat.id))
        await teams.say(nurse, words, chat)
        replies = connector.sent_to(chat.id)[before:]
        said = " ".join(card_text(posted.card) if posted.cards else str(posted.text) for posted in replies)
        assert "988" in said and "didn't recognise" not in said
    await teams.say(nurse, "frobnicate", chat)
    assert "didn't recognise" in str(connector.sent_to(chat.id)[-2].text)


async def escalation_settled(app: TeamsApp) -> FollowupStatus:
    """Wait until the server's dispatcher is done with the one escalation row (never claimed again after)."""
    deadline = asyncio.get_running_loop().time() + 60  # a safety net on a loaded machine, not a bound on the bot
    while True:
        async with app.core.database.session() as session:
            [row] = (await session.execute(SupportEscalation.__table__.select())).mappings().all()
        if row["status"] in (FollowupStatus.SENT, FollowupStatus.SKIPPED, FollowupStatus.FAILED):
            return FollowupStatus(row["status"])
        assert asyncio.get_running_loop().time() < deadline, row["status"]
        await asyncio.sleep(0.1)


async def ask_to_talk(app: TeamsApp, person, script: dict) -> str:  # type: ignore[no-untyped-def]
    teams = app.teams
    resources = (await teams.open_dialog(person, CHANNEL, script, "Support resources")).card
    form = (await teams.submit_dialog(person, CHANNEL, resources, button="I'd like to talk to someone")).card
    sent = await teams.submit_dialog(person, CHANNEL, form, button="Ask to talk")
    return card_text(sent.card)


@pytest.mark.parametrize("teams_overrides", [{
    "debrief_wellbeing_officers": OFFICER_EMAIL, "debrief_support_response": "2s", "debrief_support_oncall": "29:oncall",
}])
async def test_an_unclaimed_request_escalates_once_to_the_on_call_contact(
    teams_app: TeamsApp, teams_clock: FakeClock
) -> None:
    app, connector = teams_app, teams_app.connector
    await an_officer(app)
    oncall = app.person("oncall", "On Call", [])
    connector.add_conversation(personal("oncall").id, [oncall.id], kind="personal")
    await app.teams.say(oncall, "hi", personal("oncall"))
    lead = app.person("lead", "Alex Lead", [CHANNEL])
    nurse = app.person("nurse", "Bo Nurse", [CHANNEL])
    script = await start_debrief(app, lead, [nurse])
    assert "usually reply within 2 seconds" in await ask_to_talk(app, nurse, script)

    def notices(key: str) -> list[str]:
        return [card_text(p.card) for p in connector.sent_to(personal(key).id) if p.cards
                and "Someone asked to talk" in card_text(p.card)]

    assert len(notices("officer")) == 1 and notices("oncall") == []
    teams_clock.advance(timedelta(seconds=2))
    assert await escalation_settled(app) == FollowupStatus.SENT
    assert len(notices("officer")) == 2 and "Still waiting after 2 seconds" in notices("officer")[1]
    [to_oncall] = notices("oncall")
    assert "Bo Nurse" in to_oncall and "member of the on-call team" in to_oncall


@pytest.mark.parametrize("teams_overrides", [{
    "debrief_wellbeing_officers": "nobody-here@hospital.example", "debrief_support_response": "2s",
}])
async def test_the_person_is_told_the_truth_when_nobody_could_be_notified(
    teams_app: TeamsApp, teams_clock: FakeClock
) -> None:
    app, connector = teams_app, teams_app.connector
    lead = app.person("lead", "Alex Lead", [CHANNEL])
    nurse = app.person("nurse", "Bo Nurse", [CHANNEL])
    connector.add_conversation(personal("nurse").id, [nurse.id], kind="personal")
    await app.teams.say(nurse, "hi", personal("nurse"))
    script = await start_debrief(app, lead, [nurse])
    shown = await ask_to_talk(app, nurse, script)
    assert "couldn't reach anyone" in shown and "988" in shown and "call 911 now" in shown
    teams_clock.advance(timedelta(seconds=2))
    assert await escalation_settled(app) == FollowupStatus.SENT
    told = [card_text(p.card) for p in connector.sent_to(personal("nurse").id) if p.cards
            and "still waiting" in card_text(p.card)]
    assert len(told) == 1 and "988" in told[0]


@pytest.mark.parametrize("teams_overrides", [{"debrief_resources": "uk"}])
async def test_the_set_up_can_say_who_the_team_is(teams_app: TeamsApp) -> None:
    app, teams = teams_app, teams_app.teams
    lead = app.person("lead", "Alex Lead", [CHANNEL])
    nurse = app.person("nurse", "Bo Nurse", [CHANNEL])
    await teams.say(lead, "<at>Debrief</at> debrief", CHANNEL)
    start = app.connector.sent_to(CHANNEL.id)[-1].card
    dialog = (await teams.open_dialog(lead, CHANNEL, start, "Set up the debrief")).card
    offered = {choice["value"]: choice["title"] for choice in inputs_of(dialog)["setup.audience"]["choices"]}
    assert offered == {"nation:england": "In England", "profession:dentist": "Dentists", "profession:doctor": "Doctors"}
    await teams.submit_dialog(lead, CHANNEL, dialog, {"setup.participants": [nurse.id],
                                                      "setup.audience": ["nation:england"]})
    async with app.core.database.session() as session:
        [debrief] = (await session.execute(Debrief.__table__.select())).mappings().all()
    assert debrief["audience"] == "nation:england"
