"""Cold debriefs on Teams end to end: the real server and its dispatcher, the fake Bot Connector, a FakeClock.

DEBRIEF_COLD_REMINDERS=30s,10s: the lead closes a hot debrief, books a cold
one a minute ahead from the closing card's dialog (Input.Date and
Input.Time, read in the lead's Teams zone, Europe/London in the harness),
and the invitation appears in the conversation. The test moves the core's
clock: each reminder reaches each person's personal chat once, not before it
is due; at the booked time the script is posted once, opens for answers, and
takes them through the same anonymous dialog as the hot debrief's. A second
booking is cancelled with a reason after its first reminder: recorded, the
conversation told, and nothing more comes.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from outbox_idle import nothing_more_to_send
from sqlalchemy import select
from teams_harness import Chat, TeamsApp, action, card_text, inputs_of

from adapters.server import STATE
from bot.clock import FakeClock
from bot.followups import Dispatcher
from bot.models import ColdMessage, Debrief, DebriefStatus, FollowupStatus, SkippedDebrief

TEAM = "19:ward9general@thread.tacv2"
CHANNEL = Chat(f"{TEAM};messageid=1700000000009", "channel", team=TEAM)
FINAL = {FollowupStatus.SENT, FollowupStatus.FAILED, FollowupStatus.STOPPED, FollowupStatus.SKIPPED}


def personal(key: str) -> Chat:
    return Chat(f"a:personal-{key}", "personal")


@pytest.fixture
def teams_overrides() -> dict[str, Any]:
    return {"debrief_cold_reminders": "30s,10s", "debrief_quiet_hours": "00:00-00:00", "debrief_min_group": 3,
            "debrief_followups": "off"}


@pytest.fixture
def teams_clock() -> FakeClock:
    return FakeClock()  # Monday 5 January 2026, 14:00 UTC (14:00 in London)


async def settled(app: TeamsApp, cold_id: Any, stages: set[str]) -> dict[tuple[Any, str], str]:
    """Wait until the server's dispatcher has dealt with every cold message of `stages`."""
    deadline = asyncio.get_running_loop().time() + 60  # a safety net on a loaded machine
    while True:
        async with app.core.database.session() as session:
            rows = (await session.execute(select(ColdMessage).where(ColdMessage.debrief_id == cold_id))).scalars().all()
        state = {(row.participant_id, row.stage): row.status for row in rows}
        if rows and all(status in FINAL for (_, stage), status in state.items() if stage in stages):
            return state
        assert asyncio.get_running_loop().time() < deadline, f"{stages} not dealt with: {state}"
        await asyncio.sleep(0.1)


def cold_reminders(app: TeamsApp, key: str) -> list[str]:
    return [card_text(p.card) for p in app.connector.sent_to(personal(key).id) if p.card
            and "Cold debrief reminder" in card_text(p.card)]


async def test_booked_reminded_once_each_posted_on_time_then_a_cancelled_one_stops(
    teams_app: TeamsApp, teams_clock: FakeClock
) -> None:
    app, teams, connector, core = teams_app, teams_app.teams, teams_app.connector, teams_app.core
    keys = ["lead", "nurse", "doctor"]
    lead, nurse, doctor = people = [app.person(key, name, [CHANNEL]) for key, name in
                                    zip(keys, ["Alex Lead", "Bo Nurse", "Cy Doctor"], strict=True)]
    for key, person in zip(keys, people, strict=True):
        connector.add_conversation(personal(key).id, [person.id], kind="personal")
        await teams.say(person, "hi", personal(key))

    # A hot debrief, started and closed: the closing card offers a cold debrief.
    await teams.say(lead, "<at>Debrief</at> debrief", CHANNEL)
    start_card = connector.sent_to(CHANNEL.id)[-1].card
    setup = (await teams.open_dialog(lead, CHANNEL, start_card, "Set up the debrief")).card
    assert "cold-review" not in str(setup)  # not offered as a hot script
    await teams.submit_dialog(lead, CHANNEL, setup, {"setup.participants": [nurse.id, doctor.id]})
    hot = await core.debriefs.find_by_request(action(setup, "Start")["data"]["k"])
    assert hot is not None
    script = next(p.card for p in connector.sent_to(CHANNEL.id) if p.card and "STOP5" in card_text(p.card))
    close = (await teams.open_dialog(lead, CHANNEL, script, "Close the debrief")).card
    await teams.submit_dialog(lead, CHANNEL, close, button="Close it")
    closing = next(p.card for p in reversed(connector.sent_to(CHANNEL.id)) if p.card
                   and "Debrief closed" in card_text(p.card))
    assert "book a longer, facilitated cold debrief" in card_text(closing)

    # Only the lead books; the dialog reads the time in the lead's zone; a past time is refused.
    refused = await teams.open_dialog(nurse, CHANNEL, closing, "Book a cold debrief")
    assert "Only the person who led" in card_text(refused.card)
    form = (await teams.open_dialog(lead, CHANNEL, closing, "Book a cold debrief")).card
    assert "Europe/London" in card_text(form) and {"cold.date", "cold.time", "cold.script"} <= set(inputs_of(form))
    past = await teams.submit_dialog(lead, CHANNEL, form, {"cold.date": "2026-01-05", "cold.time": "13:00"})
    assert "future" in card_text(past.card)
    booked = await teams.submit_dialog(lead, CHANNEL, form, {"cold.date": "2026-01-05", "cold.time": "14:01",
                                                             "cold.script": "cold-review"})
    assert "Booked" in card_text(booked.card)
    invitation = next(p.card for p in reversed(connector.sent_to(CHANNEL.id)) if p.card
                      and "Cold debrief booked" in card_text(p.card))
    assert "{{DATE(2026-01-05T14:01:00Z, LONG)}}" in card_text(invitation) and "3 people" in card_text(invitation)
    async with core.database.session() as session:
        [cold] = (await session.execute(select(Debrief).where(Debrief.cold_of == hot.id))).scalars().all()
    assert cold.status == DebriefStatus.BOOKED
    again = await teams.open_dialog(lead, CHANNEL, closing, "Book a cold debrief")  # one booking at a time
    assert "already booked" in card_text(again.card)

    # Nothing is due yet: a dispatcher polling now finds nothing to send, and every cold message still waits.
    assert await Dispatcher(core, app.app[STATE].messengers).run_once() == 0
    async with core.database.session() as session:
        waiting = (await session.execute(select(ColdMessage.status))).scalars().all()
    assert len(waiting) == 7 and set(waiting) == {FollowupStatus.PENDING}  # 2 reminders each for 3, and the post
    assert all(cold_reminders(app, key) == [] for key in keys)

    # The clock moves: each reminder once to each person; the script at the booked time, once.
    teams_clock.advance(timedelta(seconds=30))
    await settled(app, cold.id, {"30s"})
    assert all(len(cold_reminders(app, key)) == 1 for key in keys)
    assert "in 30 seconds" in cold_reminders(app, "nurse")[0]
    teams_clock.advance(timedelta(seconds=20))
    await settled(app, cold.id, {"10s"})
    assert all(len(cold_reminders(app, key)) == 2 for key in keys)
    assert not any("Impact on the team" in card_text(p.card) for p in connector.sent_to(CHANNEL.id) if p.card)
    teams_clock.advance(timedelta(seconds=10))
    state = await settled(app, cold.id, {"post"})
    assert set(state.values()) == {FollowupStatus.SENT}
    # Nothing twice: every cold message is dealt with for good, and a dispatcher polling now finds nothing.
    await nothing_more_to_send(core, app.app[STATE].messengers)
    posted = [p.card for p in connector.sent_to(CHANNEL.id) if p.card and "Impact on the team" in card_text(p.card)]
    assert len(posted) == 1 and all(len(cold_reminders(app, key)) == 2 for key in keys)
    opened = await core.debriefs.get(cold.id)
    assert opened.status == DebriefStatus.OPEN and opened.script_message

    # Its answers take the hot debrief's anonymous path.
    answer = (await teams.open_dialog(doctor, CHANNEL, posted[0], "Answer anonymously")).card
    distress = next(qid for qid in inputs_of(answer) if qid.endswith("distress"))
    thanks = await teams.submit_dialog(doctor, CHANNEL, answer, {distress: "2"})
    assert "Thank you" in card_text(thanks.card)
    assert await core.debriefs.answer_count(cold.id) == 1 and await core.debriefs.answer_count(hot.id) == 0

    # A second booking, cancelled after its first reminder: recorded with its reason, told, nothing more.
    form = (await teams.open_dialog(lead, CHANNEL, closing, "Book a cold debrief")).card
    await teams.submit_dialog(lead, CHANNEL, form, {"cold.date": "2026-01-05", "cold.time": "14:03",
                                                    "cold.script": "cold-review"})
    second = next(p.card for p in reversed(connector.sent_to(CHANNEL.id)) if p.card
                  and "Cold debrief booked" in card_text(p.card))
    async with core.database.session() as session:
        [again] = (await session.execute(select(Debrief).where(
            Debrief.cold_of == hot.id, Debrief.status == DebriefStatus.BOOKED))).scalars().all()
    teams_clock.set(teams_clock.now().replace(minute=2, second=30))  # the 30-seconds-before reminder is due
    await settled(app, again.id, {"30s"})
    assert all(len(cold_reminders(app, key)) == 3 for key in keys)
    refused = await teams.open_dialog(nurse, CHANNEL, second, "Cancel the cold debrief")
    assert "Only the person who led" in card_text(refused.card)
    dialog = (await teams.open_dialog(lead, CHANNEL, second, "Cancel the cold debrief")).card
    kept = await teams.submit_dialog(lead, CHANNEL, dialog, {"cold.reason": "no_time", "cold.detail": "NHS 943 476 5919"},
                                     button="Cancel it")  # a patient identifier: the dialog asks again, nothing stored
    assert "NHS number" in card_text(kept.card) and await core.cold.booked_for(hot.id) is not None
    done = await teams.submit_dialog(lead, CHANNEL, dialog, {"cold.reason": "no_time", "cold.detail": "Winter rota"},
                                     button="Cancel it")
    assert "Cancelled and recorded" in card_text(done.card)
    notice = card_text(connector.sent_to(CHANNEL.id)[-1].card)
    assert "Cold debrief cancelled" in notice and "No time on shift" in notice
    async with core.database.session() as session:
        [skipped] = (await session.execute(select(SkippedDebrief))).scalars().all()
        assert (await session.execute(select(ColdMessage).where(ColdMessage.debrief_id == again.id))).all() == []
    assert (skipped.reason, skipped.detail, skipped.cold_of) == ("no_time", "Winter rota", hot.id)
    teams_clock.advance(timedelta(minutes=2))  # past its second reminder and its time
    # ...and nothing more: every cold message is dealt with for good, and a dispatcher polling now finds nothing.
    await nothing_more_to_send(core, app.app[STATE].messengers)
    assert all(len(cold_reminders(app, key)) == 3 for key in keys)
    assert len([p for p in connector.sent_to(CHANNEL.id) if p.card and "Impact on the team" in card_text(p.card)]) == 1
