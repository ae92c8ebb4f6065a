"""Shared lessons on Slack end to end: the real server, its own dispatcher, the fake Web API, a FakeClock.

A debrief of four runs with check-ins at 2s and 4s (the second says what the
shipped 7-day stage says, lesson question included). At the 4-second
check-in three people write a lesson from the modal in their DM: two tick
consent, one does not; a fourth is refused kindly for an NHS number. The
consented lessons reach the officers' queue only when the batch is released.
A staff member cannot see the queue; the officer approves one (edited, and an
edit naming a patient is refused), declines the other, and on the 1st of the
next month the server's dispatcher posts the learning digest in the channel
DEBRIEF_LEARNING_DIGEST names: by theme, no name, no team (one debrief is
below DEBRIEF_MIN_GROUP), no identifier, nothing declined; once.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from answering import record
from fake_slack import FakeSlack
from harness import OFFICER, SlackApp, make_settings
from outbox_idle import nothing_more_to_send
from sqlalchemy import select
from test_slack_flow import texts
from test_slack_followups import check_ins, opened, settled

from adapters.server import STATE
from adapters.slack.ids import SHARED, Action, Callback, SetupBlock, Where, question_block, share_block
from adapters.slack.messenger import SlackMessenger
from adapters.slack.render.lessons import REVIEW_CALLBACK, LessonAction, LessonBlock, queue_modal, review_modal
from bot import lessons
from bot.clock import FakeClock
from bot.core import Core
from bot.db import Database
from bot.followups import Dispatcher
from bot.models import AuditEvent, FollowupStatus, LearningDigest, SharedLesson
from bot.schema import ensure_schema

LEAD, NURSE, DOCTOR, PORTER = "ULEAD00001", "UNURSE0001", "UDOCTOR001", "UPORTER001"
PEOPLE = [LEAD, NURSE, DOCTOR, PORTER]
WARD, LEARNING = "CWARD00001", "CLEARN0001"
SHARED_LESSON = "Check the suction is working at the start of every shift"
OTHER_LESSON = "Say out loud who is leading as soon as the arrest call comes in"
PRIVATE_LESSON = "I need to stop blaming myself"


@pytest.fixture
def slack_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def slack_overrides() -> dict[str, Any]:
    return {"debrief_followups": "2s,4s", "debrief_quiet_hours": "00:00-00:00", "debrief_min_group": 3,
            "debrief_learning_digest": f"slack:{LEARNING}"}


async def wait_until(condition, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not await condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def answer_checkin(slack_app: SlackApp, user: str, answers: dict[str, Any]) -> dict[str, Any]:
    fake, slack = slack_app.fake, slack_app.slack
    [dm] = [args for who, args, _ in check_ins(fake, "4s") if who == user]
    before = len(fake.calls_to("views.open"))
    await slack.click(dm, Action.ANSWER, user_id=user)
    form = await opened(fake, Callback.ANSWER, before)
    return {"form": form, "reply": (await slack.submit(form, answers, user_id=user)).json()}


async def test_a_lesson_goes_from_the_check_in_through_review_into_the_digest_without_a_name(
    slack_app: SlackApp, slack_clock: FakeClock
) -> None:
    fake, slack, core = slack_app.fake, slack_app.slack, slack_app.core
    fake.add_channel("learning", id=LEARNING)
    assert (await slack.command("/debrief", "", user_id=LEAD, channel_id=WARD)).status == 200
    await fake.wait_for("views.open")
    setup = fake.last_view(Callback.SETUP)
    await slack.submit(setup, {SetupBlock.SCRIPT: "stop5", SetupBlock.PARTICIPANTS: [NURSE, DOCTOR, PORTER],
                               SetupBlock.WHERE: Where.NEW_CHANNEL}, user_id=LEAD)
    await fake.wait_for("views.update", where=lambda args: "Done" in texts(args["view"]["blocks"]))
    slack_clock.advance(timedelta(seconds=4))
    await settled(slack_app, "4s")

    # The 7-day check-in's form asks for one lesson, with its own consent tick, unticked, and says what follows.
    nurse = await answer_checkin(slack_app, NURSE, {question_block("lesson"): SHARED_LESSON, share_block("lesson"): [SHARED]})
    form = nurse["form"]
    shown = texts(form["blocks"])
    assert "one lesson from this you'd want other teams to know" in shown
    assert lessons.CONSENT in shown and lessons.FORM_NOTE in shown and "monthly learning digest" in shown
    [consent] = [block for block in form["blocks"] if block.get("block_id") == share_block("lesson")]
    assert consent["optional"] and "initial_options" not in consent["element"]
    assert nurse["reply"]["response_action"] == "update"

    refused = await answer_checkin(slack_app, DOCTOR, {question_block("lesson"): "Mr Osei NHS 943 476 5919 waited",
                                                       share_block("lesson"): [SHARED]})
    assert refused["reply"]["response_action"] == "errors"
    assert "NHS number" in refused["reply"]["errors"][question_block("lesson")]
    await slack.submit(refused["form"], {question_block("lesson"): OTHER_LESSON, share_block("lesson"): [SHARED]},
                       user_id=DOCTOR)
    assert await core.lessons.queue(OFFICER, platform="slack", workspace=fake.team_id) == lessons.Queue([], 0)  # sealed
    await answer_checkin(slack_app, PORTER, {question_block("lesson"): PRIVATE_LESSON})  # no tick: the third form
    await wait_until(lambda: _count_lessons(slack_app, 2))

    # A staff member cannot see the queue: a kind refusal, nothing opened, no button in their Home tab.
    opened_before, responses = len(fake.calls_to("views.open")), len(fake.calls_to("response_url"))
    await slack.command("/debrief", "lessons", user_id=NURSE, channel_id=WARD)
    await fake.wait_for("response_url", responses + 1)
    assert lessons.NOT_AN_OFFICER in str(fake.last("response_url"))
    assert len(fake.calls_to("views.open")) == opened_before
    await slack.event({"type": "app_home_opened", "user": NURSE, "tab": "home"})
    await fake.wait_for("views.publish", where=lambda args: args["user_id"] == NURSE)
    assert LessonAction.OPEN not in json.dumps(fake.last("views.publish")["view"])

    # The officer opens the queue: both consented lessons, no name, no team, never the unticked one.
    await slack.command("/debrief", "lessons", user_id=OFFICER, channel_id=WARD)
    await fake.wait_for("views.update", where=lambda args: "waiting" in texts(args["view"]["blocks"]))
    queue_id = fake.last("views.update")["view_id"]
    queue = fake.last("views.update")["view"]
    listed = texts(queue["blocks"])
    assert SHARED_LESSON in listed and OTHER_LESSON in listed and PRIVATE_LESSON not in listed
    assert not any(person in str(queue) for person in PEOPLE) and WARD not in str(queue)

    async def review(lesson_text: str, shown: dict[str, Any] | None = None) -> dict[str, Any]:
        current = {**fake.views[queue_id], **(shown or {})}  # the list as the last answer left the modal
        [block] = [block for block in current["blocks"]
                   if block.get("accessory", {}).get("action_id") == LessonAction.REVIEW and lesson_text in texts([block])]
        before = len(fake.calls_to("views.update"))
        await slack.block_action(LessonAction.REVIEW, block["accessory"]["value"], user_id=OFFICER, view=current,
                                 block_id=block.get("block_id"))
        await fake.wait_for("views.update", before + 1)
        form = fake.last("views.update")["view"]
        assert form["callback_id"] == REVIEW_CALLBACK
        return form

    form = await review(SHARED_LESSON)
    bad = (await slack.submit(form, {LessonBlock.TEXT: SHARED_LESSON + " (bed 4, DOB 12/03/1954)",
                                     LessonBlock.THEME: "equipment", LessonBlock.DECISION: "approve"},
                              user_id=OFFICER)).json()
    assert bad["response_action"] == "errors" and LessonBlock.TEXT in bad["errors"]
    no_theme = (await slack.submit(form, {LessonBlock.TEXT: SHARED_LESSON, LessonBlock.DECISION: "approve"},
                                   user_id=OFFICER)).json()
    assert no_theme["errors"] == {LessonBlock.THEME: "Please pick a theme."}
    edited = "Check the suction works at the start of every shift"
    done = (await slack.submit(form, {LessonBlock.TEXT: edited, LessonBlock.THEME: "equipment",
                                      LessonBlock.DECISION: "approve"}, user_id=OFFICER)).json()
    assert done["response_action"] == "update" and "Approved" in texts(done["view"]["blocks"])
    form = await review(OTHER_LESSON, done["view"])
    declined = (await slack.submit(form, {LessonBlock.TEXT: OTHER_LESSON, LessonBlock.DECISION: "decline"},
                                   user_id=OFFICER)).json()
    assert "Declined" in texts(declined["view"]["blocks"]) and lessons.QUEUE_EMPTY in texts(declined["view"]["blocks"])
    async with core.database.session() as session:
        audit = list((await session.execute(select(AuditEvent).where(AuditEvent.action.like("lesson.%")))).scalars())  # type: ignore[attr-defined]
    assert sorted((event.action, event.actor) for event in audit) == [("lesson.approved", OFFICER),
                                                                       ("lesson.declined", OFFICER)]

    # The 1st of next month, 09:00: the server's dispatcher posts the digest in the learning channel, once.
    slack_clock.set(datetime(2026, 2, 1, 9, 0, 5, tzinfo=UTC))
    await fake.wait_for("chat.postMessage", where=lambda args: args["channel"] == LEARNING, timeout=60)
    # Nothing else comes: every outbox row is dealt with for good, and a dispatcher polling now finds nothing.
    await nothing_more_to_send(core, slack_app.app[STATE].messengers)
    [digest] = [args for args in fake.calls_to("chat.postMessage") if args["channel"] == LEARNING]
    text = texts(digest["blocks"])
    assert digest["text"] == "Lessons from our teams: January 2026"
    assert "Equipment and environment" in text and edited in text
    assert OTHER_LESSON not in str(digest) and PRIVATE_LESSON not in str(digest) and SHARED_LESSON not in str(digest)
    assert WARD not in str(digest) and not any(person in str(digest) for person in [*PEOPLE, OFFICER])
    assert "943" not in str(digest) and "1954" not in str(digest)
    async with core.database.session() as session:
        rows = list((await session.execute(select(LearningDigest).order_by(LearningDigest.month))).scalars())
    assert [(row.month.isoformat(), row.status) for row in rows] == [
        ("2025-12-01", FollowupStatus.SKIPPED), ("2026-01-01", FollowupStatus.SENT)]  # December had none
    assert fake.violations == []


async def _count_lessons(slack_app: SlackApp, n: int) -> bool:
    async with slack_app.core.database.session() as session:
        return len((await session.execute(select(SharedLesson))).all()) == n


async def test_the_officers_home_has_the_review_button_and_it_opens_the_queue(slack_app: SlackApp) -> None:
    fake, slack = slack_app.fake, slack_app.slack
    await slack.event({"type": "app_home_opened", "user": OFFICER, "tab": "home"})
    await fake.wait_for("views.publish", where=lambda args: args["user_id"] == OFFICER)
    home = fake.home_tabs[OFFICER]
    assert LessonAction.OPEN in json.dumps(home)
    await slack.click(home, LessonAction.OPEN, user_id=OFFICER)
    await fake.wait_for("views.update", where=lambda args: lessons.QUEUE_EMPTY in texts(args["view"]["blocks"]))
    assert fake.violations == []


async def test_a_digest_posted_just_before_a_crash_is_found_in_the_channel_and_not_posted_again(database_url: str) -> None:
    """The outbox's exactly-once: a claim that posted and died before marking it; the next claim finds the post."""
    async with FakeSlack() as fake:
        fake.add_channel("learning", id=LEARNING)
        clock = FakeClock()
        database = Database(database_url)
        try:
            core = Core.build(make_settings(fake, database_url, debrief_learning_digest=f"slack:{LEARNING}",
                                            debrief_min_group=3), clock=clock, database=database)
            await ensure_schema(database)
            debrief = await core.debriefs.start(platform="slack", workspace=fake.team_id, team=WARD, lead=LEAD,
                                                script_id="stop5", participants=[NURSE, DOCTOR, PORTER])
            for person in (NURSE, DOCTOR, PORTER):
                await record(core.debriefs, debrief.id, "7d", person, {"lesson": f"{SHARED_LESSON} {person[1:4]}"}, {"lesson"})
            queue = await core.lessons.queue(OFFICER, platform="slack", workspace=fake.team_id)
            for lesson in queue.lessons:
                await core.lessons.review(lesson.id, OFFICER, decision="approve", theme="teamwork", text=lesson.text)
            clock.set(datetime(2026, 2, 1, 9, 0, tzinfo=UTC))
            crashed = Dispatcher(core, {"slack": SlackMessenger(core)}, rng=random.Random(4))
            await crashed._enqueue_learning()
            jobs = await crashed._claim_jobs(10)

            async def died_before_marking(*_: object, **__: object) -> None:
                return None

            crashed._sent = died_before_marking  # type: ignore[method-assign]  # Slack has the post; the row does not know
            await asyncio.gather(*(crashed._run_job(job) for job in jobs))
            posted = [args for args in fake.calls_to("chat.postMessage") if args["channel"] == LEARNING]
            assert len(posted) == 1
            clock.advance(timedelta(seconds=16))  # the lease is over: another process claims it
            assert await Dispatcher(core, {"slack": SlackMessenger(core)}, rng=random.Random(5)).run_once() == 1
            assert len([args for args in fake.calls_to("chat.postMessage") if args["channel"] == LEARNING]) == 1
            async with core.database.session() as session:
                [row] = list((await session.execute(select(LearningDigest).where(
                    LearningDigest.month == datetime(2026, 1, 1).date()))).scalars())
            assert (row.status, row.attempts) == (FollowupStatus.SENT, 2)
            assert "Teamwork" in texts(posted[0]["blocks"]) and fake.violations == []
        finally:
            await database.dispose()


def test_a_crisis_lesson_is_marked_in_the_queue_and_its_review_form() -> None:
    crisis = lessons.Waiting(uuid.uuid4(), "I can't go on <!channel>", crisis=True)
    listed = texts(queue_modal(lessons.Queue([crisis], 1))["blocks"])
    assert "⚠️" in listed and "&lt;!channel&gt;" in listed  # marked, and pings nobody
    assert lessons.CRISIS_NOTE in texts(review_modal(crisis)["blocks"])
