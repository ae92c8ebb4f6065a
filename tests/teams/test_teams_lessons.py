"""Shared lessons on Teams end to end: the real server and its dispatcher, the fake Bot Connector, a FakeClock.

Check-ins at 2s and 4s, the second saying what the shipped 7-day stage says.
From the 4-second check-in card in their personal chats, two people write a
lesson and tick consent, one writes one without the tick, and one is refused
kindly for an NHS number. `lessons` is refused to a staff member; the officer
gets the queue privately, approves one lesson in its dialog (an edit naming
a patient is refused) and declines the other. On the 1st of the next month
the server's dispatcher posts the learning digest in the team channel
DEBRIEF_LEARNING_DIGEST names: by theme, no name, no team, no identifier,
nothing declined.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from outbox_idle import nothing_more_to_send
from sqlalchemy import select
from teams_harness import Chat, TeamsApp, card_text, inputs_of
from test_teams_followups import CHANNEL, personal, settled, start

import debrief_scripts
from adapters.server import STATE
from adapters.teams.ids import LessonInput
from bot import lessons
from bot.clock import FakeClock
from bot.models import AuditEvent, FollowupStatus, LearningDigest, SharedLesson

OFFICER_EMAIL = "olive.officer@hospital.example"
LEARNING = "19:learning@thread.tacv2"
SHARED_LESSON = "Check the suction is working at the start of every shift"
OTHER_LESSON = "Say out loud who is leading as soon as the arrest call comes in"
PRIVATE_LESSON = "I need to stop blaming myself"


@pytest.fixture
def teams_overrides(tmp_path: Path) -> dict[str, Any]:
    shipped = yaml.safe_load((Path(debrief_scripts.__file__).parent / "followups.yml").read_text())["stages"]
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    (scripts / "followups.yml").write_text(yaml.safe_dump({"stages": {"2s": shipped["24h"], "4s": shipped["7d"]}}))
    return {
        "debrief_scripts_dir": scripts, "debrief_followups": "2s,4s", "debrief_quiet_hours": "00:00-00:00",
        "debrief_min_group": 3, "debrief_wellbeing_officers": OFFICER_EMAIL,
        "debrief_learning_digest": f"teams:{LEARNING}",
    }


@pytest.fixture
def teams_clock() -> FakeClock:
    return FakeClock()


def holding(card: dict[str, Any], words: str) -> dict[str, Any]:
    """The container of `card` that shows `words` (to tap the button beside one lesson)."""
    [found] = [item for item in card["body"] if item.get("type") == "Container" and words in card_text(item)]
    return found


async def lessons_stored(app: TeamsApp) -> int:
    async with app.core.database.session() as session:
        return len((await session.execute(select(SharedLesson))).all())


async def test_a_lesson_goes_from_the_check_in_through_review_into_the_digest_without_a_name(
    teams_app: TeamsApp, teams_clock: FakeClock
) -> None:
    app, teams, connector, core = teams_app, teams_app.teams, teams_app.connector, teams_app.core
    lead = app.person("lead", "Alex Lead", [CHANNEL])
    staff = [app.person(key, name, [CHANNEL]) for key, name in [("bo", "Bo Nurse"), ("cy", "Cy Doctor"), ("di", "Di Porter")]]
    officer = app.person("officer", "Olive Officer", [], email=OFFICER_EMAIL)
    for person, key in [(lead, "lead"), *((p, p.id.removeprefix("29:")) for p in staff), (officer, "officer")]:
        connector.add_conversation(personal(key).id, [person.id], kind="personal")
        await teams.say(person, "hi", personal(key))
    connector.add_conversation(LEARNING, [], kind="channel")
    await start(app, lead, staff)
    teams_clock.advance(timedelta(seconds=4))
    await settled(app, "4s")

    async def lesson_form(key: str) -> tuple[Any, Chat, dict[str, Any]]:
        person, chat = app.people[key], personal(key)
        checkin = connector.sent_to(chat.id)[-1].card
        return person, chat, (await teams.open_dialog(person, chat, checkin, "Answer anonymously")).card

    bo, bo_chat, form = await lesson_form("bo")
    shown = card_text(form)
    assert "one lesson from this you'd want other teams to know" in shown
    assert lessons.CONSENT in shown and lessons.FORM_NOTE in shown
    assert inputs_of(form)["share.lesson"]["value"] == "false"  # unticked until they tick it
    thanks = await teams.submit_dialog(bo, bo_chat, form, {"q.lesson": SHARED_LESSON, "share.lesson": "true"})
    assert "Thank you" in card_text(thanks.card)
    cy, cy_chat, form = await lesson_form("cy")
    refused = await teams.submit_dialog(cy, cy_chat, form, {"q.lesson": "Mr Osei NHS 943 476 5919", "share.lesson": "true"})
    assert "NHS number" in card_text(refused.card)
    await teams.submit_dialog(cy, cy_chat, refused.card, {"q.lesson": OTHER_LESSON, "share.lesson": "true"})
    assert await lessons_stored(app) == 0  # sealed until the batch is released
    di, di_chat, form = await lesson_form("di")
    await teams.submit_dialog(di, di_chat, form, {"q.lesson": PRIVATE_LESSON})  # no tick; the third form
    for _ in range(100):
        if await lessons_stored(app) == 2:
            break
        await asyncio.sleep(0.05)
    assert await lessons_stored(app) == 2

    # A staff member cannot see the queue.
    await teams.say(bo, "lessons", bo_chat)
    assert lessons.NOT_AN_OFFICER in (connector.sent_to(bo_chat.id)[-1].text or "")

    # The officer gets the queue privately: both consented lessons, no name, never the unticked one.
    officer_chat = personal("officer")
    await teams.say(officer, "lessons", officer_chat)
    queue = connector.sent_to(officer_chat.id)[-1].card
    listed = card_text(queue)
    assert SHARED_LESSON in listed and OTHER_LESSON in listed and PRIVATE_LESSON not in listed
    assert not any(name in listed for name in ("Alex Lead", "Bo Nurse", "Cy Doctor", "Di Porter"))

    review = (await teams.open_dialog(officer, officer_chat, holding(queue, SHARED_LESSON), "Review")).card
    assert inputs_of(review)[LessonInput.TEXT]["value"] == SHARED_LESSON
    bad = await teams.submit_dialog(officer, officer_chat, review, {
        LessonInput.TEXT: SHARED_LESSON + ", bed 4, DOB 12/03/1954", LessonInput.THEME: "equipment",
        LessonInput.DECISION: "approve"})
    assert "Please remove patient details" in card_text(bad.card)
    assert "1954" in inputs_of(bad.card)[LessonInput.TEXT]["value"]  # the form again, as typed, to fix
    edited = "Check the suction works at the start of every shift"
    done = await teams.submit_dialog(officer, officer_chat, bad.card, {
        LessonInput.TEXT: edited, LessonInput.THEME: "equipment", LessonInput.DECISION: "approve"})
    assert "Approved" in card_text(done.card)
    again = await teams.open_dialog(officer, officer_chat, holding(queue, SHARED_LESSON), "Review")
    assert lessons.ALREADY_REVIEWED in card_text(again.card)
    review = (await teams.open_dialog(officer, officer_chat, holding(queue, OTHER_LESSON), "Review")).card
    declined = await teams.submit_dialog(officer, officer_chat, review, {LessonInput.DECISION: "decline"})
    assert "Declined" in card_text(declined.card)
    # ...and a staff member who has the card cannot open the review dialog.
    refused_review = await teams.open_dialog(bo, bo_chat, holding(queue, SHARED_LESSON), "Review")
    assert lessons.NOT_AN_OFFICER in card_text(refused_review.card)
    async with core.database.session() as session:
        audit = list((await session.execute(select(AuditEvent).where(AuditEvent.action.like("lesson.%")))).scalars())  # type: ignore[attr-defined]
    assert sorted((event.action, event.actor) for event in audit) == [("lesson.approved", officer.id),
                                                                       ("lesson.declined", officer.id)]

    # The 1st of next month, 09:00: the digest in the learning channel, once.
    teams_clock.set(datetime(2026, 2, 1, 9, 0, 5, tzinfo=UTC))
    await connector.wait_for(lambda: connector.sent_to(LEARNING), timeout=60)
    # Nothing else comes: every outbox row is dealt with for good, and a dispatcher polling now finds nothing.
    await nothing_more_to_send(core, app.app[STATE].messengers)
    [digest] = connector.sent_to(LEARNING)
    text = card_text(digest.card)
    assert "Lessons from our teams: January 2026" in text and "Equipment and environment" in text and edited in text
    assert OTHER_LESSON not in text and PRIVATE_LESSON not in text and "943" not in text and "1954" not in text
    assert not any(name in str(digest.card) for name in ("Alex Lead", "Bo Nurse", "Cy Doctor", "Di Porter", "Olive"))
    assert CHANNEL.team not in str(digest.card) and "ward7" not in str(digest.card)
    async with core.database.session() as session:
        rows = list((await session.execute(select(LearningDigest).order_by(LearningDigest.month))).scalars())
    assert [(row.month.isoformat(), row.status) for row in rows] == [
        ("2025-12-01", FollowupStatus.SKIPPED), ("2026-01-01", FollowupStatus.SENT)]
