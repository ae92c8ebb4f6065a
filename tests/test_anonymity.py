"""The product's promise, tested as such: answers cannot be traced to a person.

These tests look at the stored rows directly, as a database administrator
would, after a realistic debrief with follow-up check-ins.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import timedelta

import pytest
from answering import record
from sqlalchemy import inspect, select, text
from sqlalchemy.types import Date, DateTime, Time

from bot.anonymity import batched_count, describe_count, receipt_digest
from bot.clock import FakeClock
from bot.core import Core
from bot.errors import AlreadyAnswered, NoLongerOpen
from bot.models import AnswerReceipt, DebriefKey
from bot.settings import Settings
from bot.suppression import ALL

PEOPLE = [f"U0{n}ALICE{n}" for n in range(7)]
LEAD = "ULEADNURSE"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def core(db, clock) -> Core:
    settings = Settings.load(database_url=db.url, debrief_secret="deployment-secret", debrief_followups="24h,7d")
    return Core.build(settings, clock=clock, database=db)


async def run_realistic_debrief(core: Core, clock: FakeClock):
    debrief = await core.debriefs.start(
        platform="slack",
        workspace="T1",
        team="C-ED",
        lead=LEAD,
        script_id="stop5",
        participants=PEOPLE,
        label="Resus 2, night shift",
    )
    for n, person in enumerate([LEAD, *PEOPLE]):
        clock.advance(timedelta(minutes=3, seconds=17))
        await record(core.debriefs,
            debrief.id,
            "debrief",
            person,
            {"distress": n % 11, "sfa_colour": "reacting", "team_note": f"note {n} from the team"},
            shared={"team_note"} if n % 2 else set(),
        )
    clock.advance(timedelta(hours=24))
    for n, person in enumerate(PEOPLE[:5]):
        clock.advance(timedelta(minutes=41))
        await record(core.debriefs, debrief.id, "24h", person, {"distress": (n * 3) % 11})
    return debrief


async def rows(core: Core, table: str) -> tuple[list[str], list[tuple]]:
    async with core.database.session() as session:
        result = await session.execute(text(f"SELECT * FROM {table}"))
        return list(result.keys()), [tuple(row) for row in result.all()]


@pytest.mark.parametrize("table", ["answers", "answer_receipts"])
async def test_answer_rows_and_their_neighbours_hold_no_person_and_no_time(core, clock, table):
    await run_realistic_debrief(core, clock)
    columns, stored = await rows(core, table)
    assert stored, "the run stored nothing to inspect"
    assert not {"user", "user_id", "participant_id", "created_at", "at", "answered_at", "seq"} & set(columns)
    dump = repr(stored)
    for person in [LEAD, *PEOPLE]:
        assert person not in dump
    assert not re.search(r"\b\d{1,2}:\d{2}(:\d{2})?\b", dump), "a time of day is stored"
    assert "datetime" not in dump and "time(" not in dump

    async with core.database.engine.connect() as connection:
        details = await connection.run_sync(
            lambda sync: (inspect(sync).get_columns(table), inspect(sync).get_foreign_keys(table))
        )
    column_info, foreign_keys = details
    assert not [c["name"] for c in column_info if isinstance(c["type"], DateTime | Date | Time)]
    assert {fk["referred_table"] for fk in foreign_keys} == {"debriefs"}


async def test_answer_ids_are_random_not_a_sequence(core, clock):
    await run_realistic_debrief(core, clock)
    _, stored = await rows(core, "answers")
    ids = [str(row[0]) for row in stored]
    assert len(set(ids)) == len(ids)
    assert all(uuid.UUID(i).version == 4 for i in ids), "answer ids must be random (UUID4)"


async def test_receipts_cannot_be_tested_once_the_key_is_destroyed(core, clock):
    debrief = await run_realistic_debrief(core, clock)
    async with core.database.session() as session:
        key = (await session.get(DebriefKey, debrief.id)).key
        receipts = set((await session.execute(select(AnswerReceipt.digest))).scalars())
    # While the key exists, the bot (and only with the deployment secret) can tell.
    assert receipt_digest(b"deployment-secret", key, "debrief", PEOPLE[0]) in receipts
    assert receipt_digest(b"a-guessed-secret", key, "debrief", PEOPLE[0]) not in receipts
    assert await core.debriefs.has_answered(debrief.id, "debrief", PEOPLE[0])

    await core.debriefs.close(debrief.id, LEAD)
    clock.advance(timedelta(days=10))
    assert await core.tallies.expire_keys() == 1

    async with core.database.session() as session:
        assert await session.get(DebriefKey, debrief.id) is None
        assert set((await session.execute(select(AnswerReceipt.digest))).scalars()) == receipts
    for person in [LEAD, *PEOPLE]:
        assert not await core.debriefs.has_answered(debrief.id, "debrief", person)
    with pytest.raises(NoLongerOpen):
        await record(core.debriefs, debrief.id, "7d", PEOPLE[0], {"distress": 3})


async def test_receipts_of_one_person_differ_between_stages(core, clock):
    debrief = await run_realistic_debrief(core, clock)
    async with core.database.session() as session:
        key = (await session.get(DebriefKey, debrief.id)).key
    stages = {receipt_digest(b"deployment-secret", key, stage, PEOPLE[0]) for stage in ("debrief", "24h", "7d")}
    assert len(stages) == 3


async def test_a_second_answer_by_the_same_person_is_refused(core, clock):
    debrief = await run_realistic_debrief(core, clock)
    with pytest.raises(AlreadyAnswered):
        await record(core.debriefs, debrief.id, "debrief", PEOPLE[2], {"distress": 9})
    _, stored = await rows(core, "answers")
    assert sum(1 for row in stored if 9 in row) <= 1


async def test_a_double_tap_stores_one_answer(core, clock):
    debrief = await core.debriefs.start(
        platform="slack", workspace="T1", team="C1", lead=LEAD, script_id="stop5", participants=PEOPLE
    )
    results = await asyncio.gather(
        *(record(core.debriefs, debrief.id, "debrief", PEOPLE[0], {"distress": 4}) for _ in range(2)),
        return_exceptions=True,
    )
    assert sum(isinstance(result, AlreadyAnswered) for result in results) == 1
    assert await core.debriefs.answer_count(debrief.id) == 1


async def test_summaries_below_the_minimum_group_show_no_numbers(core, clock):
    debrief = await core.debriefs.start(
        platform="slack", workspace="T1", team="C1", lead=LEAD, script_id="stop5", participants=PEOPLE
    )
    for person in PEOPLE[:4]:
        await record(core.debriefs,
            debrief.id, "debrief", person, {"distress": 8, "team_note": "hard night"}, shared={"team_note"}
        )
    team_view = await core.results.stage_aggregate(debrief, for_team=True)
    officer_view = await core.results.stage_aggregate(debrief, for_team=False)
    for view in (team_view, officer_view):
        assert view.suppressed and view.questions == []
    report = await core.wellbeing.report(clock.now() + timedelta(seconds=1))
    distress = report.figures["distress debrief"]
    assert not distress.get("30d", ALL, "7-10") and not distress.get("30d", ALL, ALL)  # suppressed, or not released yet
    assert not [value for value in distress.cells.values() if value]  # four answers: no count above zero anywhere

    await record(core.debriefs, debrief.id, "debrief", PEOPLE[4], {"distress": 2})
    team_view = await core.results.stage_aggregate(debrief, for_team=True)
    officer_view = await core.results.stage_aggregate(debrief, for_team=False)
    distress = next(q for q in officer_view.questions if q.id == "distress")
    assert not team_view.suppressed and distress.counts == {"0-3": 1, "4-6": 0, "7-10": 4}
    assert "distress" not in {q.id for q in team_view.questions}  # the team sees it only with DEBRIEF_TEAM_DISTRESS
    notes = next(q for q in team_view.questions if q.id == "team_note")
    assert notes.texts == ["hard night"] * 4
    report = await core.wellbeing.report(clock.now() + timedelta(seconds=1))
    distress = report.figures["distress debrief"]
    # five answers: the total shows, but not the 1 and the 4 it is made of (nor anything that gives them back)
    assert distress.get("30d", ALL, ALL) == 5
    assert {band: distress.get("30d", ALL, band) for band in ("0-3", "4-6", "7-10")} == {"0-3": None, "4-6": 0, "7-10": None}


async def test_text_kept_for_the_wellbeing_team_never_reaches_the_team_view(core, clock):
    debrief = await core.debriefs.start(
        platform="slack", workspace="T1", team="C1", lead=LEAD, script_id="stop5", participants=PEOPLE
    )
    for n, person in enumerate(PEOPLE[:5]):
        await record(core.debriefs,
            debrief.id, "debrief", person, {"team_note": f"private {n}" if n else "shared"}, shared={"team_note"} if not n else set()
        )
    team = next(q for q in (await core.results.stage_aggregate(debrief)).questions if q.id == "team_note")
    officer = next(
        q for q in (await core.results.stage_aggregate(debrief, for_team=False)).questions if q.id == "team_note"
    )
    assert team.texts == ["shared"]
    assert len(officer.texts) == 5


@pytest.mark.parametrize(
    ("count", "shown", "words"),
    [(0, None, "fewer than 5"), (4, None, "fewer than 5"), (5, 5, "5 or more"), (9, 5, "5 or more"), (10, 10, "10 or more")],
)
def test_live_counters_move_in_whole_batches(count, shown, words):
    assert batched_count(count, 5) == shown
    assert describe_count(count, 5).startswith(words)


async def test_the_channel_counter_is_claimed_once_per_batch(core, clock):
    debrief = await core.debriefs.start(
        platform="slack", workspace="T1", team="C1", lead=LEAD, script_id="stop5", participants=PEOPLE
    )
    claims = []
    for person in [LEAD, *PEOPLE]:
        await record(core.debriefs, debrief.id, "debrief", person, {"distress": 1})
        claims.append(await core.debriefs.claim_count_update(debrief.id))
    assert claims == [None, None, None, None, 5, None, None, None]
