"""The core services on a real database (SQLite, or PostgreSQL with TEST_DATABASE_URL)."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest
from answering import record
from sqlalchemy import func, select

from bot.core import Core
from bot.errors import AlreadyAdded, IdentifierFound, InvalidAnswer, NoLongerOpen, NotAllowed, NotFound
from bot.models import (
    ActionPoint,
    ActionStatus,
    AuditEvent,
    Debrief,
    DebriefKey,
    DebriefStatus,
    Followup,
    FollowupStatus,
    Participant,
    SinceEvent,
    SkippedDebrief,
)

LEAD, ALEX, SAM = "ULEAD", "UALEX", "USAM"


async def start(core: Core, **overrides):
    arguments = dict(
        platform="slack", workspace="T1", team="C1", lead=LEAD, script_id="stop5", participants=[ALEX, SAM]
    )
    arguments.update(overrides)
    return await core.debriefs.start(**arguments)


async def count(core: Core, model) -> int:
    async with core.database.session() as session:
        return (await session.execute(select(func.count()).select_from(model))).scalar_one()


async def test_start_invites_the_lead_and_schedules_follow_ups_from_the_start(core, clock):
    debrief = await start(core, label="Resus 2")
    people = {p.user for p in await core.debriefs.participants(debrief.id)}
    assert people == {LEAD, ALEX, SAM}
    async with core.database.session() as session:
        followups = (await session.execute(select(Followup))).scalars().all()
        assert await session.get(DebriefKey, debrief.id) is not None
    assert sorted({(f.stage, f.due_at - debrief.started_at) for f in followups}) == [
        ("24h", timedelta(hours=24)),
        ("7d", timedelta(days=7)),
    ]
    assert len(followups) == 6 and {f.status for f in followups} == {FollowupStatus.PENDING}
    assert debrief.schedule == "24h,7d" and debrief.status == DebriefStatus.OPEN


async def test_start_is_idempotent_on_its_request_key(core):
    first = await start(core, request_key="V123")
    again = await start(core, request_key="V123")
    assert first.id == again.id
    assert await count(core, Debrief) == 1 and await count(core, Participant) == 3


async def test_a_label_with_a_patient_identifier_is_refused_and_nothing_is_stored(core):
    with pytest.raises(IdentifierFound) as caught:
        await start(core, label="Bed 4, NHS 943 476 5919")
    assert caught.value.by_field().keys() == {"label"}
    assert await count(core, Debrief) == 0 and await count(core, AuditEvent) == 0


async def test_how_long_since_the_event_is_kept_as_a_band_and_anything_else_is_refused(core):
    with pytest.raises(InvalidAnswer) as caught:
        await start(core, since_event="last tuesday at 14:05")
    assert caught.value.problems == {"since_event": "Please pick one of the choices."}
    assert await count(core, Debrief) == 0
    debrief = await start(core, since_event="1_4h")
    assert debrief.since_event == SinceEvent.HOURS_1_4
    assert (await start(core, request_key="V2")).since_event is None


async def test_an_unknown_script_is_a_kind_not_found(core):
    with pytest.raises(NotFound):
        await start(core, script_id="no-such-script")


async def test_only_participants_may_answer(core):
    debrief = await start(core)
    with pytest.raises(NotAllowed):
        await record(core.debriefs, debrief.id, "debrief", "USTRANGER", {"distress": 3})


async def test_answers_are_checked_against_the_script(core):
    debrief = await start(core)
    with pytest.raises(InvalidAnswer) as caught:
        await record(core.debriefs,
            debrief.id, "debrief", ALEX, {"distress": 11, "sfa_colour": "purple", "team_note": "x" * 5000, "bogus": 1}
        )
    assert set(caught.value.problems) == {"distress", "sfa_colour", "team_note", "bogus"}
    with pytest.raises(IdentifierFound):
        await record(core.debriefs, debrief.id, "debrief", ALEX, {"team_note": "call me on 07700 900123"})
    assert await core.debriefs.answer_count(debrief.id) == 0
    assert not await core.debriefs.has_answered(debrief.id, "debrief", ALEX)


async def test_high_distress_asks_for_crisis_resources(core):
    debrief = await start(core)
    assert (await record(core.debriefs, debrief.id, "debrief", ALEX, {"distress": 8})).escalate
    assert not (await record(core.debriefs, debrief.id, "debrief", SAM, {"distress": 6})).escalate


async def test_a_self_harm_answer_escalates_whatever_the_rating(core, clock):
    debrief = await start(core)
    clock.advance(timedelta(days=7))
    recorded = await record(core.debriefs, debrief.id, "7d", ALEX, {"distress": 1, "phq9_item9": "several_days"})
    assert recorded.escalate
    calm = await record(core.debriefs, debrief.id, "7d", SAM, {"distress": 1, "phq9_item9": "not_at_all"})
    assert not calm.escalate and not calm.support


async def test_the_distress_threshold_is_inclusive(core):
    """Exactly at DEBRIEF_DISTRESS_THRESHOLD (7) shows the crisis lines; one below does not."""
    threshold = core.settings.debrief_distress_threshold
    debrief = await start(core)
    assert (await record(core.debriefs, debrief.id, "debrief", ALEX, {"distress": threshold})).escalate
    assert not (await record(core.debriefs, debrief.id, "debrief", SAM, {"distress": threshold - 1})).escalate


@pytest.mark.parametrize(
    ("answers", "support"),
    [
        ({"phq2_interest": "several_days", "phq2_mood": "more_than_half"}, True),  # PHQ-2 = 3
        ({"gad2_nervous": "nearly_every_day"}, True),  # GAD-2 = 3
        ({"phq2_interest": "several_days", "phq2_mood": "several_days", "gad2_worry": "several_days"}, False),
    ],
)
async def test_a_positive_phq2_or_gad2_offers_support(core, clock, answers, support):
    debrief = await start(core)
    clock.advance(timedelta(days=7))
    recorded = await record(core.debriefs, debrief.id, "7d", ALEX, {"distress": 1, **answers})
    assert recorded.support is support and not recorded.escalate


async def test_crisis_words_in_a_note_show_the_crisis_lines(core):
    debrief = await start(core)
    note = {"distress": 1, "team_note": "Honestly I can\u2019t go on like this"}
    assert (await record(core.debriefs, debrief.id, "debrief", ALEX, note)).escalate
    about_a_patient = {"distress": 1, "team_note": "The patient had attempted suicide and took an overdose"}
    assert not (await record(core.debriefs, debrief.id, "debrief", SAM, about_a_patient)).escalate


async def test_action_points_need_text_an_owner_and_a_future_date(core, clock):
    debrief = await start(core)
    with pytest.raises(InvalidAnswer) as caught:
        await core.debriefs.add_action_point(
            debrief.id, text=" ", owner="", due_on=clock.now().date() - timedelta(days=1), actor=LEAD
        )
    assert set(caught.value.problems) == {"text", "owner", "due_on"}
    point = await core.debriefs.add_action_point(
        debrief.id, text="Check the defib pads on trolley 2", owner=SAM, due_on=date(2026, 2, 1), actor=ALEX
    )
    assert point.status == ActionStatus.OPEN
    assert [p.text for p in await core.debriefs.action_points(debrief.id)] == ["Check the defib pads on trolley 2"]


async def test_the_same_action_point_form_sent_twice_adds_one_point_even_at_once(core, clock):
    debrief = await start(core)
    point = dict(text="Restock the airway bag", owner=ALEX, due_on=None, actor=LEAD)
    await core.debriefs.add_action_point(debrief.id, **point, request_key="slack:V1")
    with pytest.raises(AlreadyAdded):
        await core.debriefs.add_action_point(debrief.id, **point, request_key="slack:V1")
    twins = await asyncio.gather(
        *(core.debriefs.add_action_point(debrief.id, **point, request_key="slack:V2") for _ in range(3)),
        return_exceptions=True,
    )
    assert sum(isinstance(result, AlreadyAdded) for result in twins) == 2
    await core.debriefs.add_action_point(debrief.id, **point)  # no key: a new form every time
    await core.debriefs.add_action_point(debrief.id, **point)
    assert len(await core.debriefs.action_points(debrief.id)) == 4


async def test_closing_keeps_the_key_until_the_last_follow_up_stage_is_over(core, clock):
    debrief = await start(core)
    await core.debriefs.add_action_point(debrief.id, text="Restock the airway bag", owner=ALEX, due_on=None, actor=LEAD)
    closed = await core.debriefs.close(debrief.id, LEAD)
    assert closed.newly_closed and [p.text for p in closed.action_points] == ["Restock the airway bag"]
    assert not (await core.debriefs.close(debrief.id, LEAD)).newly_closed
    with pytest.raises(NoLongerOpen):
        await record(core.debriefs, debrief.id, "debrief", ALEX, {"distress": 2})
    with pytest.raises(NoLongerOpen):
        await core.debriefs.add_action_point(debrief.id, text="late", owner=ALEX, due_on=None, actor=LEAD)

    clock.advance(timedelta(days=7, hours=1))
    await record(core.debriefs, debrief.id, "7d", ALEX, {"distress": 2})
    assert await core.tallies.expire_keys() == 0
    clock.advance(timedelta(days=3))
    assert await core.tallies.expire_keys() == 1
    with pytest.raises(NoLongerOpen):
        await record(core.debriefs, debrief.id, "7d", SAM, {"distress": 2})


async def test_a_forgotten_debrief_loses_its_key_too(core, clock):
    debrief = await start(core)
    clock.advance(timedelta(days=11))
    assert await core.tallies.expire_keys() == 1
    async with core.database.session() as session:
        assert await session.get(DebriefKey, debrief.id) is None


async def test_no_debrief_held_is_recorded_with_its_reason(core):
    record = await core.debriefs.skip(
        platform="slack", workspace="T1", team="C1", lead=LEAD, reason="no_time", detail="Two more arrests came in"
    )
    assert record.reason == "no_time"
    with pytest.raises(InvalidAnswer):
        await core.debriefs.skip(platform="slack", workspace="T1", team="C1", lead=LEAD, reason="bored")
    assert await count(core, SkippedDebrief) == 1


async def test_one_tap_stops_a_persons_follow_ups_only(core):
    debrief = await start(core)
    assert await core.debriefs.stop_followups(debrief.id, ALEX) == 2
    async with core.database.session() as session:
        statuses = (await session.execute(select(Followup.status, func.count()).group_by(Followup.status))).all()
    assert dict(statuses) == {FollowupStatus.STOPPED: 2, FollowupStatus.PENDING: 4}


async def test_the_audit_trail_says_who_did_what_but_never_who_answered(core):
    debrief = await start(core)
    await record(core.debriefs, debrief.id, "debrief", ALEX, {"distress": 5})
    await core.debriefs.add_action_point(debrief.id, text="Debrief checklist on the wall", owner=SAM, due_on=None, actor=LEAD)
    await core.debriefs.close(debrief.id, LEAD)
    async with core.database.session() as session:
        events = (await session.execute(select(AuditEvent.actor, AuditEvent.action).order_by(AuditEvent.at))).all()
        points = (await session.execute(select(func.count()).select_from(ActionPoint))).scalar_one()
    assert sorted(tuple(e) for e in events) == [
        (LEAD, "action_point.added"),
        (LEAD, "debrief.closed"),
        (LEAD, "debrief.started"),
    ]
    assert points == 1
