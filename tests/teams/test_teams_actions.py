"""Action points to closure on Teams, end to end: DEBRIEF_ACTION_REMINDERS=2s,4s, the real server and its dispatcher.

The core's clock is a FakeClock, so the 2-second and 4-second reminders fall
due when the test moves it. Each owner is reminded in their personal chat
once per delay, until the point is closed. The nurse marks hers done from
the reminder card's dialog, sending it twice: one "you said, we did" in the
debrief's conversation. Someone else is refused before any dialog opens. The
lead finds the doctor's point with `actions` and hands it on; its next
reminder goes to the new owner, who drops it with a reason. When the
debrief's private channel refuses the note, it goes to the conversation the
debrief was started in.
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
from adapters.teams.app import SERVICES
from adapters.teams.references import load
from bot.clock import FakeClock
from bot.followups import Dispatcher
from bot.models import ActionMessage, ActionPoint, ActionStatus, FollowupStatus

TEAM = "19:ward7general@thread.tacv2"
CHANNEL = Chat(f"{TEAM};messageid=1700000000001", "channel", team=TEAM)
FINAL = {FollowupStatus.SENT, FollowupStatus.STOPPED, FollowupStatus.SKIPPED, FollowupStatus.FAILED}


def personal(key: str) -> Chat:
    return Chat(f"a:personal-{key}", "personal")


@pytest.fixture
def teams_overrides() -> dict[str, Any]:
    return {"debrief_action_reminders": "2s,4s", "debrief_followups": "off", "debrief_quiet_hours": "00:00-00:00",
            "debrief_min_group": 3}


@pytest.fixture
def teams_clock() -> FakeClock:
    return FakeClock()


async def start(app: TeamsApp, lead, people) -> Any:  # type: ignore[no-untyped-def]
    await app.teams.say(lead, "<at>Debrief</at> debrief", CHANNEL)
    start_card = app.connector.sent_to(CHANNEL.id)[-1].card
    dialog = (await app.teams.open_dialog(lead, CHANNEL, start_card, "Set up the debrief")).card
    await app.teams.submit_dialog(lead, CHANNEL, dialog, {"setup.participants": [p.id for p in people]})
    return await app.core.debriefs.find_by_request(action(dialog, "Start")["data"]["k"])


async def add_point(app: TeamsApp, lead, text: str, owner_name: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    script = next(p.card for p in app.connector.sent_to(CHANNEL.id) if "Add an action point" in str(p.card))
    dialog = (await app.teams.open_dialog(lead, CHANNEL, script, "Add an action point")).card
    owners = {c["title"]: c["value"] for c in inputs_of(dialog)["action_point.owner"]["choices"]}
    added = await app.teams.submit_dialog(lead, CHANNEL, dialog, {"action_point.text": text,
                                                                   "action_point.owner": owners[owner_name]})
    assert "Added" in card_text(added.card)
    return app.connector.sent_to(CHANNEL.id)[-1].card


async def states(app: TeamsApp) -> dict[tuple[str, str], str]:
    async with app.core.database.session() as session:
        rows = await session.execute(
            ActionMessage.__table__.select().with_only_columns(  # type: ignore[attr-defined]
                ActionPoint.__table__.c.owner, ActionMessage.__table__.c.kind,  # type: ignore[attr-defined]
                ActionMessage.__table__.c.stage, ActionMessage.__table__.c.status,  # type: ignore[attr-defined]
            ).join(ActionPoint.__table__, ActionPoint.__table__.c.id == ActionMessage.__table__.c.action_point_id)  # type: ignore[attr-defined]
        )
        return {(owner, f"{kind} {stage}".strip()): status for owner, kind, stage, status in rows}


async def settled(app: TeamsApp, wanted: int) -> dict[tuple[str, str], str]:
    deadline = asyncio.get_running_loop().time() + 60  # a safety net on a loaded machine
    while True:
        state = await states(app)
        if sum(status in FINAL for status in state.values()) >= wanted:
            return state
        assert asyncio.get_running_loop().time() < deadline, state
        await asyncio.sleep(0.05)


def notes(app: TeamsApp, conversation: str = CHANNEL.id) -> list[dict[str, Any]]:
    return [p.card for p in app.connector.sent_to(conversation)
            if "You said, we did" in card_text(p.card) or "was dropped" in card_text(p.card)]


def reminders(app: TeamsApp, chat: str) -> list[dict[str, Any]]:
    return [p.card for p in app.connector.sent_to(chat) if "A reminder about your action point" in card_text(p.card)]


async def test_reminders_once_each_until_closed_and_you_said_we_did_once(teams_app: TeamsApp, teams_clock: FakeClock) -> None:
    app, teams, connector, core = teams_app, teams_app.teams, teams_app.connector, teams_app.core
    lead = app.person("lead", "Alex Lead", [CHANNEL])
    nurse = app.person("nurse", "Bo Nurse", [CHANNEL])
    doctor = app.person("doctor", "Cy Doctor", [CHANNEL])
    porter = app.person("porter", "Di Porter", [CHANNEL])
    for who, key in ((lead, "lead"), (nurse, "nurse"), (doctor, "doctor"), (porter, "porter")):
        connector.add_conversation(personal(key).id, [who.id], kind="personal")
        await teams.say(who, "hi", personal(key))
    debrief = await start(app, lead, [nurse, doctor, porter])
    pads = await add_point(app, lead, "Check the defib pads every shift", "Bo Nurse")
    await add_point(app, lead, "Ask pharmacy for a second adrenaline box", "Cy Doctor")
    assert [a["title"] for a in pads["actions"]] == ["Done", "Drop", "Hand on"]

    # Someone who neither owns it nor led the debrief is told so, in the dialog only they see.
    refused = await teams.open_dialog(porter, CHANNEL, pads, "Done")
    assert "Only the person who owns this action point" in card_text(refused.card)

    # Not due yet: a dispatcher polling now finds nothing to send, and every reminder still waits, unsent.
    assert await Dispatcher(core, app.app[STATE].messengers).run_once() == 0
    assert set((await states(app)).values()) == {FollowupStatus.PENDING}
    assert reminders(app, personal("nurse").id) == []

    # 2 seconds: each owner, once, in their personal chat.
    teams_clock.advance(timedelta(seconds=2))
    await settled(app, 2)
    [reminder] = reminders(app, personal("nurse").id)
    assert "Check the defib pads every shift" in card_text(reminder)
    assert len(reminders(app, personal("doctor").id)) == 1

    # The nurse marks hers done from the reminder: an identifier is refused, then a double tap closes it once.
    dialog = (await teams.open_dialog(nurse, personal("nurse"), reminder, "Done")).card
    again = await teams.submit_dialog(nurse, personal("nurse"), dialog, {"point.outcome": "for NHS 943 476 5919"})
    assert "NHS number" in card_text(again.card)
    line = {"point.outcome": "Pads are checked at every handover <at>everyone</at>"}
    first, second = await asyncio.gather(teams.submit_dialog(nurse, personal("nurse"), dialog, line),
                                         teams.submit_dialog(nurse, personal("nurse"), dialog, line))
    assert sorted("already closed" in card_text(reply.card) for reply in (first, second)) == [False, True]
    await connector.wait_for(lambda: notes(app))
    [note] = notes(app)
    assert "Check the defib pads every shift" in card_text(note)
    assert "Pads are checked at every handover \u2039at>everyone\u2039/at>" in card_text(note)
    # ...and the point's own card is redrawn without its buttons.
    pads_post = next(p for p in connector.sent_to(CHANNEL.id) if p.cards and p.card is pads)
    redrawn = await connector.wait_for(lambda: connector.updates_of(pads_post.activity_id))
    assert "Action point: \u2705 Done" in card_text(redrawn[-1].card) and not redrawn[-1].card.get("actions")

    # 4 seconds: the doctor's second reminder, none for the nurse.
    teams_clock.advance(timedelta(seconds=2))
    state = await settled(app, 5)
    assert state[(nurse.id, "reminder 4s")] == FollowupStatus.STOPPED
    assert state[(doctor.id, "reminder 4s")] == FollowupStatus.SENT
    assert len(reminders(app, personal("nurse").id)) == 1 and len(reminders(app, personal("doctor").id)) == 2

    # The lead's `actions` lists the doctor's point (not the closed one); the lead hands it to the porter.
    await teams.say(lead, "actions", personal("lead"))
    listed = connector.sent_to(personal("lead").id)[-1].card
    assert "second adrenaline box" in card_text(listed) and "defib pads" not in card_text(listed)
    handing = (await teams.open_dialog(lead, personal("lead"), listed, "Hand on")).card
    choices = {c["title"]: c["value"] for c in inputs_of(handing)["point.owner"]["choices"]}
    handed = await teams.submit_dialog(lead, personal("lead"), handing, {"point.owner": choices["Di Porter"]})
    assert "Handed on" in card_text(handed.card)

    # The porter, now its owner, drops it with a reason; the note says so, once.
    await teams.say(porter, "actions", personal("porter"))
    mine = connector.sent_to(personal("porter").id)[-1].card
    dropping = (await teams.open_dialog(porter, personal("porter"), mine, "Drop")).card
    dropped = await teams.submit_dialog(porter, personal("porter"), dropping, {"point.outcome": "Pharmacy stocks it now"})
    assert "told the team why" in card_text(dropped.card)
    await connector.wait_for(lambda: len(notes(app)) == 2)
    # Nothing else comes: every action message is dealt with for good, and a dispatcher polling now finds nothing.
    await nothing_more_to_send(core, app.app[STATE].messengers)
    assert len(notes(app)) == 2 and "Pharmacy stocks it now" in card_text(notes(app)[1])
    points = {p.text: p for p in await core.debriefs.action_points(debrief.id)}
    assert points["Check the defib pads every shift"].status == ActionStatus.DONE
    dropped_point = points["Ask pharmacy for a second adrenaline box"]
    assert (dropped_point.status, dropped_point.owner, dropped_point.closed_by) == (ActionStatus.DROPPED, porter.id, porter.id)
    assert len(reminders(app, personal("porter").id)) == 0  # its reminders had all gone out before it was handed on


async def test_the_note_goes_where_the_debrief_was_started_when_its_channel_refuses(
    teams_app: TeamsApp, teams_clock: FakeClock
) -> None:
    app, teams, connector, core = teams_app, teams_app.teams, teams_app.connector, teams_app.core
    lead = app.person("lead", "Alex Lead", [CHANNEL])
    nurse = app.person("nurse", "Bo Nurse", [CHANNEL])
    debrief = await start(app, lead, [nurse])
    card = await add_point(app, lead, "Label the spare suction unit", "Bo Nurse")
    # As with a Graph private channel: the debrief runs elsewhere, which is then deleted (Teams answers 404).
    private = "19:privatedebrief@thread.tacv2"
    services = app.app[SERVICES]
    started = await services.references.conversation(CHANNEL.id)
    reference = load(started.reference)
    reference.conversation.id = private
    await services.references.remember_conversation(private, reference, None)
    await core.debriefs.set_space(debrief.id, private)
    connector.fail_next("reply", 404, "ConversationNotFound")  # the stored reference replies in its thread
    dialog = (await teams.open_dialog(lead, CHANNEL, card, "Done")).card
    assert "Marked done" in card_text((await teams.submit_dialog(lead, CHANNEL, dialog, {})).card)
    await connector.wait_for(lambda: notes(app))
    assert len(notes(app)) == 1 and connector.sent_to(private) == []
    assert "We did it" in card_text(notes(app)[0])


async def test_in_local_mode_the_forms_come_as_cards_and_close_the_point_once(local_app: TeamsApp) -> None:
    """The Agents Playground has no dialogs: Done opens its form as a card, and its button closes the point."""
    app, teams, connector, core = local_app, local_app.teams, local_app.connector, local_app.core
    lead = app.person("lead", "Alex Lead", [CHANNEL])
    nurse = app.person("nurse", "Bo Nurse", [CHANNEL])
    await teams.say(lead, "<at>Debrief</at> debrief", CHANNEL)
    await teams.click(lead, CHANNEL, connector.sent_to(CHANNEL.id)[-1].card, "Set up the debrief")
    await teams.submit_card(lead, CHANNEL, connector.sent_to(CHANNEL.id)[-1].card, {"setup.participants": [nurse.id]})
    script = next(p.card for p in connector.sent_to(CHANNEL.id) if "Add an action point" in str(p.card))
    await teams.click(lead, CHANNEL, script, "Add an action point")
    form = connector.sent_to(CHANNEL.id)[-1].card
    owners = {c["title"]: c["value"] for c in inputs_of(form)["action_point.owner"]["choices"]}
    await teams.submit_card(lead, CHANNEL, form, {"action_point.text": "Label the spare suction unit",
                                                  "action_point.owner": owners["Bo Nurse"]})
    point = next(p.card for p in connector.sent_to(CHANNEL.id) if "New action point" in card_text(p.card))
    await teams.click(nurse, CHANNEL, point, "Done")
    done_form = connector.sent_to(CHANNEL.id)[-1].card
    assert "What changed?" in card_text(done_form)
    for _ in range(2):  # a double tap on the form's button
        await teams.submit_card(nurse, CHANNEL, done_form, {"point.outcome": "Labelled and on the checklist"})
    await connector.wait_for(lambda: notes(app))
    # One note: the work after the answers is done, the note's row is dealt with for good, and a dispatcher
    # polling now finds nothing to send (the reminders are not due: the clock has not moved).
    await app.drain()
    await nothing_more_to_send(core, app.app[STATE].messengers,
                               select(ActionMessage.status).where(ActionMessage.kind == "closed"))
    assert len(notes(app)) == 1 and "Labelled and on the checklist" in card_text(notes(app)[0])
    replies = [card_text(p.card) for p in connector.sent_to(CHANNEL.id) if "Marked done" in card_text(p.card)
               or "already closed" in card_text(p.card)]
    assert len(replies) == 2 and "already closed" in replies[1]
