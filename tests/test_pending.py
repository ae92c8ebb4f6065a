"""Answers released in shuffled batches, and the answer path that names no one, attacked through the stored rows.

The end-to-end attack is `tests/*/test_*_anonymity_attack.py`; these tests
pin the pieces: what a waiting answer looks like in the database, when it
moves, that the tally waits for it, and that the submission's statements
never carry the person's id.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from answering import record
from cryptography.exceptions import InvalidTag
from sqlalchemy import func, select, text, update
from statements import recorded, writes

from bot import db as db_module
from bot import pending
from bot.anonymity import FORM_TOKEN_AGE
from bot.clock import FakeClock
from bot.core import Core
from bot.errors import FormExpired, NotAllowed
from bot.models import Answer, Debrief, Followup, FollowupStatus, PendingAnswer, StageTally
from bot.settings import Settings
from bot.tallies import TALLY_GRACE

PEOPLE = [f"UNURSE{n:02d}" for n in range(8)]


@pytest.fixture
def core(db, clock: FakeClock) -> Core:
    settings = Settings.load(database_url=db.url, debrief_secret="deployment-secret", debrief_min_group=5)
    return Core.build(settings, clock=clock, database=db)


async def _start(core: Core) -> Debrief:
    return await core.debriefs.start(
        platform="slack", workspace="T1", team="C1", lead=PEOPLE[0], script_id="stop5", participants=PEOPLE[1:]
    )


async def _count(core: Core, model, *where) -> int:  # type: ignore[no-untyped-def]
    async with core.database.session() as session:
        return int((await session.execute(select(func.count()).select_from(model).where(*where))).scalar_one())


async def test_answers_wait_sealed_and_move_only_as_a_whole_batch(core):
    debrief = await _start(core)
    notes = [f"note number {n}" + " and more" * n for n in range(4)]
    for person, note in zip(PEOPLE, notes, strict=False):
        await record(core.debriefs, debrief.id, "debrief", person, {"distress": 4, "team_note": note})
    assert await _count(core, Answer) == 0 and await _count(core, PendingAnswer) == 4
    async with core.database.session() as session:
        sealed = list((await session.execute(select(PendingAnswer.sealed))).scalars())
    assert len({len(blob) for blob in sealed}) == 1  # one size whatever was typed
    assert not any(note.encode() in blob or b"distress" in blob for note in notes for blob in sealed)
    with pytest.raises(InvalidTag):  # not readable without DEBRIEF_SECRET
        pending.unseal(pending.sealing_key(b"a-guess"), sealed[0], pending.context_of(debrief.id, "debrief"))
    summary = await core.results.stage_aggregate(debrief, for_team=False)
    assert summary.suppressed
    assert await core.debriefs.release_due() == 0 and await core.debriefs.release(debrief.id, "debrief") == 0  # 4 < 5

    await record(core.debriefs, debrief.id, "debrief", PEOPLE[4], {"distress": 4, "team_note": "the fifth"})
    assert await _count(core, PendingAnswer) == 0
    assert await _count(core, Answer, Answer.question == "team_note") == 5
    assert await core.debriefs.answer_count(debrief.id) == 5


async def test_what_waits_when_the_window_ends_is_released_then_tallied(core, clock):
    debrief = await _start(core)
    for person in PEOPLE[:3]:
        await record(core.debriefs, debrief.id, "debrief", person, {"distress": 8})
    async with core.database.session() as session:  # the check-ins are over (no dispatcher runs here)
        await session.execute(update(Followup).values(status=FollowupStatus.SKIPPED))
    clock.advance(timedelta(days=10) + TALLY_GRACE)
    await core.tallies.expire_keys()
    assert await _count(core, StageTally) == 0  # three answers still sealed: not tallied without them
    assert await core.debriefs.release_due() == 3
    assert await core.debriefs.release_due() == 0  # once
    await core.tallies.expire_keys()
    async with core.database.session() as session:
        tally = await session.get(StageTally, (debrief.id, "debrief"))
    assert tally is not None and tally.responses == 3 and tally.distress_high == 3


async def test_closing_releases_the_debrief_stage_whatever_waits(core):
    debrief = await _start(core)
    for person in PEOPLE[:2]:
        await record(core.debriefs, debrief.id, "debrief", person, {"distress": 1})
    await core.debriefs.close(debrief.id, PEOPLE[0])
    assert await _count(core, PendingAnswer) == 0 and await _count(core, Answer) == 2


async def test_a_form_token_is_its_persons_own_and_expires(core, monkeypatch):
    debrief = await _start(core)
    form = await core.debriefs.open_form(debrief.id, "debrief", PEOPLE[1])
    with pytest.raises(NotAllowed):  # another person's form
        await core.debriefs.record_answer(debrief.id, "debrief", PEOPLE[2], {"distress": 1}, token=form.token)
    with pytest.raises(NotAllowed):  # another stage
        await core.debriefs.record_answer(debrief.id, "24h", PEOPLE[1], {"distress": 1}, token=form.token)
    with pytest.raises(NotAllowed):
        await core.debriefs.record_answer(debrief.id, "debrief", PEOPLE[1], {"distress": 1}, token=None)
    with pytest.raises(NotAllowed):  # nobody can open a form for someone not invited
        await core.debriefs.open_form(debrief.id, "debrief", "UOUTSIDER")
    later = time.time() + FORM_TOKEN_AGE + 5
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: later)
    with pytest.raises(FormExpired):
        await core.debriefs.record_answer(debrief.id, "debrief", PEOPLE[1], {"distress": 1}, token=form.token)
    assert await _count(core, PendingAnswer) == 0


async def test_the_submission_sends_the_database_nothing_with_the_persons_id(core, db):
    debrief = await _start(core)
    person = PEOPLE[3]
    form = await core.debriefs.open_form(debrief.id, "debrief", person)
    with recorded(db) as statements:
        await core.debriefs.record_answer(
            debrief.id, "debrief", person, {"distress": 2, "team_note": "hard"}, token=form.token
        )
    assert statements and not [s for s in statements if person in s]
    assert not [s for s in statements if "participants" in s or "teams_references" in s or "audit" in s]
    # The transaction holds the receipt and the sealed form and nothing else (fewer than 5 wait: no release).
    written = writes(statements)
    assert written and all("answer_receipts" in s or "pending_answers" in s for s in written), written
    assert any("answer_receipts" in s for s in written) and any("INTO pending_answers" in s for s in written)


async def test_released_rows_leave_nothing_of_the_sealed_copy_in_the_sqlite_file(core, db, monkeypatch):
    if not db.is_sqlite:
        pytest.skip("PostgreSQL's residual is described in the README")
    from pathlib import Path

    from sqlalchemy.engine import make_url

    monkeypatch.setattr(db_module, "CHECKPOINT_SECONDS", 0.0)
    monkeypatch.setattr(db_module, "ERASE_SECONDS", 0.0)
    debrief = await _start(core)
    async with core.database.session() as session:
        assert (await session.execute(text("PRAGMA secure_delete"))).scalar_one() == 1
    for person in PEOPLE[:4]:
        await record(core.debriefs, debrief.id, "debrief", person, {"distress": 2})
    async with core.database.session() as session:
        sealed = list((await session.execute(select(PendingAnswer.sealed))).scalars())
    await record(core.debriefs, debrief.id, "debrief", PEOPLE[4], {"distress": 2})
    while db._eraser is not None:  # the TRUNCATE checkpoint a release asks for, within ERASE_SECONDS
        await db._eraser
    path = Path(make_url(db.url).database)
    files = path.read_bytes() + (path.with_name(path.name + "-wal").read_bytes()
                                 if path.with_name(path.name + "-wal").exists() else b"")
    assert not [blob for blob in sealed if blob[:32] in files]
