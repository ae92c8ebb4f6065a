"""Shared lessons in the core: consent, screening, the sealed batch, the officers' review, the digest, retention.

The end-to-end flows are `tests/slack/test_slack_lessons.py` and
`tests/teams/test_teams_lessons.py`; the attack on order, time, `xmin` and
logs is in `tests/test_lessons_attack.py`.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from answering import record
from sqlalchemy import func, select

from bot.clock import FakeClock
from bot.core import Core
from bot.errors import IdentifierFound, InvalidAnswer, NotAllowed
from bot.lessons import AlreadyReviewed, latest_month_slot
from bot.models import Answer, AuditEvent, LearningDigest, LessonStatus, PendingAnswer, SharedLesson
from bot.retention import purge
from bot.settings import Settings, SettingsError

OFFICER = "UOFFICER01"
PEOPLE = [f"UNURSE{n:02d}" for n in range(6)]
LEAD = "ULEAD00001"


@pytest.fixture
def core(db, clock: FakeClock) -> Core:
    settings = Settings.load(database_url=db.url, debrief_secret="deployment-secret", debrief_min_group=3,
                             debrief_wellbeing_officers=OFFICER, debrief_learning_digest="slack:CLEARN0001")
    return Core.build(settings, clock=clock, database=db)


async def _start(core: Core, team: str = "CWARD00001", people: list[str] = PEOPLE) -> uuid.UUID:
    debrief = await core.debriefs.start(platform="slack", workspace="T1", team=team, lead=LEAD, script_id="stop5",
                                        participants=people)
    return debrief.id


async def _rows(core: Core, model, *where):  # type: ignore[no-untyped-def]
    async with core.database.session() as session:
        return list((await session.execute(select(model).where(*where))).scalars())


async def _count(core: Core, model, *where) -> int:  # type: ignore[no-untyped-def]
    async with core.database.session() as session:
        return int((await session.execute(select(func.count()).select_from(model).where(*where))).scalar_one())


def test_the_seven_day_check_in_asks_for_one_lesson(core: Core) -> None:
    questions, _ = core.debriefs.stage_form("stop5", "24h,7d", "7d")
    lessons = [q for q in questions if getattr(q, "visibility", None) == "lesson"]
    assert [q.id for q in lessons] == ["lesson"]
    assert not any(getattr(q, "visibility", None) == "lesson" for q in core.debriefs.stage_form("stop5", "24h,7d", "24h")[0])


async def test_a_consented_lesson_waits_sealed_then_reaches_the_queue_only_in_a_batch(core: Core) -> None:
    debrief = await _start(core)
    await record(core.debriefs, debrief, "7d", PEOPLE[0], {"lesson": "Check the suction before every shift"}, {"lesson"})
    await record(core.debriefs, debrief, "7d", PEOPLE[1], {"lesson": "Say out loud who is leading"})  # no consent
    assert await _count(core, SharedLesson) == 0 and await _count(core, PendingAnswer) == 2
    await record(core.debriefs, debrief, "7d", PEOPLE[2], {"distress": 3})  # the third form completes the batch
    assert await _count(core, PendingAnswer) == 0
    [shared] = await _rows(core, SharedLesson)
    assert shared.text == "Check the suction before every shift" and shared.status == LessonStatus.WAITING
    assert shared.team == "CWARD00001" and shared.released_on == core.clock.now().date()
    texts = [a.text for a in await _rows(core, Answer, Answer.question == "lesson")]
    assert texts == ["Say out loud who is leading"]  # unticked: a note for the wellbeing team, not shared


async def test_a_lesson_naming_a_patient_is_refused_kindly_and_nothing_is_stored(core: Core) -> None:
    debrief = await _start(core)
    with pytest.raises(IdentifierFound) as refused:
        await record(core.debriefs, debrief, "7d", PEOPLE[0], {"lesson": "Mr Smith NHS 943 476 5919 waited"}, {"lesson"})
    assert "943" not in refused.value.message and "nothing has been saved" in refused.value.message
    assert await _count(core, PendingAnswer) == 0 and await _count(core, SharedLesson) == 0


async def _waiting(core: Core, texts: list[str], team: str = "CWARD00001") -> list[uuid.UUID]:
    debrief = await _start(core, team)
    for person, text in zip(PEOPLE, texts, strict=False):
        await record(core.debriefs, debrief, "7d", person, {"lesson": text}, {"lesson"})
    await core.debriefs.release(debrief, "7d", everything=True)
    return [row.id for row in await _rows(core, SharedLesson, SharedLesson.status == LessonStatus.WAITING,
                                         SharedLesson.team == team)]


async def test_only_an_officer_sees_the_queue_and_reviews(core: Core) -> None:
    [lesson] = await _waiting(core, ["Label the difficult airway trolley clearly"])
    with pytest.raises(NotAllowed):
        await core.lessons.queue(PEOPLE[0], platform="slack", workspace="T1")
    with pytest.raises(NotAllowed):
        await core.lessons.review(lesson, PEOPLE[0], decision="approve", theme="equipment", text="x" * 20)
    queue = await core.lessons.queue(OFFICER, platform="slack", workspace="T1")
    assert queue.count == 1 and queue.lessons[0].text == "Label the difficult airway trolley clearly"
    assert (await core.lessons.queue(OFFICER, platform="slack", workspace="T2")).count == 0


async def test_approve_edit_and_decline_are_audited_as_the_officers_and_an_edit_is_screened_again(core: Core) -> None:
    first, second = await _waiting(core, ["Call the registrar early, as Dr Jones did", "Debrief even when tired"])
    with pytest.raises(InvalidAnswer) as missing:
        await core.lessons.review(first, OFFICER, decision="approve", theme=None, text="Call the registrar early")
    assert "theme" in missing.value.problems
    with pytest.raises(IdentifierFound):
        await core.lessons.review(first, OFFICER, decision="approve", theme="escalation",
                                  text="Call the registrar early; patient born 12/03/1954")
    done = await core.lessons.review(first, OFFICER, decision="approve", theme="escalation", text="Call the registrar early")
    assert done.approved
    with pytest.raises(AlreadyReviewed):
        await core.lessons.review(first, OFFICER, decision="decline", theme=None, text=None)
    await core.lessons.review(second, OFFICER, decision="decline", theme=None, text=None)
    [approved] = await _rows(core, SharedLesson)
    assert approved.id == first and approved.edited and approved.text == "Call the registrar early"
    audit = await _rows(core, AuditEvent, AuditEvent.action.like("lesson.%"))  # type: ignore[attr-defined]
    assert sorted(event.action for event in audit) == ["lesson.approved", "lesson.declined"]
    assert {event.actor for event in audit} == {OFFICER}
    assert not any(person in str(event.detail) for event in audit for person in PEOPLE)
    assert not any("registrar" in str(event.detail) for event in audit)


async def test_the_digest_groups_by_theme_and_names_a_team_only_with_enough_debriefs(core: Core, clock: FakeClock) -> None:
    big = await _waiting(core, ["Brief the team before a transfer"], team="CBIG000001")
    for _ in range(2):  # three debriefs of the big team this month
        await _start(core, "CBIG000001")
    small = await _waiting(core, ["Keep a spare oxygen cylinder on the trolley"], team="CSMALL0001")
    await core.lessons.review(big[0], OFFICER, decision="approve", theme="handover", text="Brief the team before a transfer")
    await core.lessons.review(small[0], OFFICER, decision="approve", theme="equipment",
                              text="Keep a spare oxygen cylinder on the trolley")
    declined = await _waiting(core, ["This one is declined"], team="CBIG000001")
    await core.lessons.review(declined[0], OFFICER, decision="decline", theme=None, text=None)
    row = LearningDigest(platform="slack", destination="CLEARN0001", month=date(2026, 1, 1),
                         due_at=datetime(2026, 2, 1, 9, tzinfo=UTC))
    content = await core.lessons.digest(row)
    shown = {theme.label: [(lesson.text, lesson.team) for lesson in theme.lessons] for theme in content.themes}
    assert shown == {
        "Equipment and environment": [("Keep a spare oxygen cylinder on the trolley", None)],
        "Handover": [("Brief the team before a transfer", "CBIG000001")],
    }
    assert "declined" not in str(content)
    later = LearningDigest(platform="slack", destination="CLEARN0001", month=date(2026, 2, 1), due_at=row.due_at)
    assert (await core.lessons.digest(later)).count == 0  # approved in January: January's digest only


async def test_enqueueing_the_month_is_idempotent(core: Core) -> None:
    slot, month = latest_month_slot(datetime(2026, 2, 1, 9, 30, tzinfo=UTC), ZoneInfo("UTC"))
    assert slot == datetime(2026, 2, 1, 9, tzinfo=UTC) and month == date(2026, 1, 1)
    assert latest_month_slot(datetime(2026, 2, 1, 8, 59, tzinfo=UTC), ZoneInfo("UTC"))[1] == date(2025, 12, 1)
    for _ in range(3):
        await core.lessons.enqueue(slot, month, ["slack", "teams"])
    assert [(r.platform, r.destination) for r in await _rows(core, LearningDigest)] == [("slack", "CLEARN0001")]


async def test_retention_deletes_unreviewed_and_old_approved_lessons(core: Core, clock: FakeClock) -> None:
    keep, old = await _waiting(core, ["One to approve now", "One nobody reviews"])
    await core.lessons.review(keep, OFFICER, decision="approve", theme="teamwork", text="One to approve now")
    clock.advance(timedelta(days=91))
    dry = await purge(core.database, clock.now(), 90, dry_run=True)
    assert dry.counts["shared lessons"] == 2
    await purge(core.database, clock.now(), 90, dry_run=False)
    assert await _count(core, SharedLesson) == 0 and old


@pytest.mark.parametrize("value", ["slack", "email:x@y", "slack:", "teams:a b", "slack:C1,"])
def test_a_malformed_learning_digest_setting_is_refused_in_one_line(value: str) -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.load(debrief_learning_digest=value, debrief_secret="s")
    assert str(refused.value).startswith("DEBRIEF_LEARNING_DIGEST: ") and "\n" not in str(refused.value)


def test_many_slack_workspaces_need_the_workspace_in_the_learning_digest() -> None:
    oauth = dict(slack_client_id="1", slack_client_secret="2", slack_signing_secret="s", debrief_secret="s")
    with pytest.raises(SettingsError, match="^DEBRIEF_LEARNING_DIGEST: with many Slack workspaces"):
        Settings.load(debrief_learning_digest="slack:C1", **oauth)
    assert Settings.load(debrief_learning_digest="slack:T1/C1", **oauth).learning_digest == [("slack", "T1/C1")]


def test_the_learning_digest_is_off_by_default_and_reads_both_platforms() -> None:
    assert Settings.load(debrief_secret="s").learning_digest == []
    both = Settings.load(debrief_secret="s", debrief_learning_digest="slack:T1/C2, teams:19:abc@thread.tacv2")
    assert both.learning_digest == [("slack", "T1/C2"), ("teams", "19:abc@thread.tacv2")]


async def test_a_lesson_with_crisis_language_comes_first_marked(core: Core) -> None:
    calm = [f"Restock the airway trolley every morning, round {n}" for n in range(4)]
    await _waiting(core, [*calm, "Nobody checks on us and I can't go on like this"])
    for _ in range(3):  # whatever the shuffle
        queue = await core.lessons.queue(OFFICER, platform="slack", workspace="T1")
        assert queue.lessons[0].crisis and "can't go on" in queue.lessons[0].text
        assert not any(lesson.crisis for lesson in queue.lessons[1:])
