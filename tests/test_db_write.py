"""`Database.write`, the answers' transaction: all or nothing, in turn, and on SQLite beside other writers."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import uuid

import pytest
from answering import record
from sqlalchemy import func, insert, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError, OperationalError

from bot import db as db_module
from bot import pending
from bot.core import Core
from bot.debriefs import _store
from bot.errors import AlreadyAnswered
from bot.models import Answer, AnswerReceipt, PendingAnswer
from bot.settings import Settings


@pytest.fixture
def core(db) -> Core:
    return Core.build(Settings.load(database_url=db.url, debrief_secret="s"), database=db)


async def start(core: Core, people: int = 3):
    users = [f"U{number}" for number in range(people)]
    debrief = await core.debriefs.start(
        platform="slack", workspace="T", team="C", lead="UL", script_id="stop5", participants=users
    )
    return debrief, users


async def answers(core: Core) -> tuple[int, int]:
    """Receipts, and answer rows once everything waiting is released (as at the end of the stage's window)."""
    async with core.database.session() as session:
        waiting = (await session.execute(select(PendingAnswer.debrief_id, PendingAnswer.stage).distinct())).all()
    for debrief_id, stage in waiting:
        await core.debriefs.release(debrief_id, stage, everything=True)
    async with core.database.session() as session:
        receipts = (await session.execute(select(func.count()).select_from(AnswerReceipt))).scalar_one()
        rows = (await session.execute(select(func.count()).select_from(Answer))).scalar_one()
    return receipts, rows


async def test_a_write_that_fails_half_way_leaves_nothing_and_the_next_one_works(core):
    debrief, _ = await start(core)
    receipt = {"id": uuid.uuid4(), "debrief_id": debrief.id, "stage": "debrief", "digest": "d" * 64}

    def half_then_fail(connection: Connection) -> None:
        connection.execute(insert(AnswerReceipt.__table__), receipt)
        raise RuntimeError("after the first row")

    with pytest.raises(RuntimeError):
        await core.database.write(half_then_fail)
    assert await answers(core) == (0, 0)
    assert await core.database.write(lambda connection: connection.execute(insert(AnswerReceipt.__table__), receipt).rowcount) == 1
    assert await answers(core) == (1, 0)


async def test_a_receipt_and_its_sealed_answers_are_stored_together_or_not_at_all_without_a_transaction(core):
    """On PostgreSQL the answer's write is one statement under autocommit: a bad sealed row takes its receipt with it."""
    debrief, _ = await start(core)
    receipt = {"id": uuid.uuid4(), "debrief_id": debrief.id, "stage": "debrief", "digest": "d" * 64}
    rows = [{"question": "distress", "number": 3, "choice": None, "text": None, "shared_with_team": False}]
    key = pending.sealing_key(b"s")
    good = {"id": uuid.uuid4(), "debrief_id": debrief.id, "stage": "debrief",
            "sealed": pending.seal(key, rows, 256, pending.context_of(debrief.id, "debrief"))}
    bad = {**good, "sealed": None}  # NOT NULL: the database refuses the row

    with pytest.raises(IntegrityError):
        await core.database.write(lambda connection: _store(connection, receipt, bad), reads_then_one_write=True)
    assert await answers(core) == (0, 0)
    assert await core.database.write(lambda connection: _store(connection, receipt, good), reads_then_one_write=True) == 1
    assert await answers(core) == (1, 1)
    with pytest.raises(IntegrityError):  # the same receipt again: refused, and its answers with it
        await core.database.write(
            lambda connection: _store(connection, receipt, {**good, "id": uuid.uuid4()}), reads_then_one_write=True
        )
    assert await answers(core) == (1, 1)


async def test_many_answers_at_once_each_stored_once_and_a_double_tap_refused(core):
    debrief, users = await start(core, people=30)
    values = {"distress": 2, "team_note": "We pulled together."}
    taps = [*users, users[0], users[1]]  # two people tap twice, all at once
    results = await asyncio.gather(
        *(record(core.debriefs, debrief.id, "debrief", user, values) for user in taps), return_exceptions=True
    )
    refused = [result for result in results if isinstance(result, Exception)]
    assert len(refused) == 2 and all(isinstance(error, AlreadyAnswered) for error in refused)
    receipts, rows = await answers(core)
    assert receipts == 30 and rows == 30 * len(values)


async def test_an_answer_waits_while_another_process_holds_the_sqlite_file(core, db, monkeypatch):
    if not db.is_sqlite:
        pytest.skip("SQLite's single writer only")
    debrief, users = await start(core)
    other = sqlite3.connect(db_module.make_url(db.url).database, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # another replica or the CLI, in the middle of a write
        answering = asyncio.create_task(record(core.debriefs, debrief.id, "debrief", users[0], {"distress": 1}))
        for _ in range(30):
            await asyncio.sleep(0.01)
        # The loop went on, and the answer still waits: SQLite's busy handler runs in the writer's
        # thread. On the loop's thread it would have held the loop until it gave up, and the answer
        # would be done (failed) by now.
        assert not answering.done()
        assert db._sqlite_writer._thread is not None
        other.execute("COMMIT")
        await asyncio.wait_for(answering, 5)
    finally:
        other.close()
    assert await answers(core) == (1, 1)
    # the loop's own connection, refused the lock a moment ago, writes again as before: not in the thread
    in_thread = []
    monkeypatch.setattr(db._sqlite_writer, "_transaction", lambda work: in_thread.append(work))
    await record(core.debriefs, debrief.id, "debrief", users[1], {"distress": 1})
    assert in_thread == [] and await answers(core) == (2, 2)


async def test_with_the_sqlite_file_free_an_answer_is_written_on_the_loop_without_a_thread(core, db):
    if not db.is_sqlite:
        pytest.skip("SQLite's writer only")
    debrief, users = await start(core)
    await record(core.debriefs, debrief.id, "debrief", users[0], {"distress": 1})
    with pytest.raises(AlreadyAnswered):
        await record(core.debriefs, debrief.id, "debrief", users[0], {"distress": 1})
    assert db._sqlite_writer._thread is None  # the hop to a thread costs as much CPU as the answer itself
    assert await answers(core) == (1, 1)


async def test_the_answers_do_not_checkpoint_inside_their_commit_but_soon_after(core, db, monkeypatch):
    if not db.is_sqlite:
        pytest.skip("SQLite's write-ahead log only")
    monkeypatch.setattr(db_module, "CHECKPOINT_SECONDS", 0.0)
    debrief, users = await start(core, people=20)
    wal = db_module.make_url(db.url).database + "-wal"
    sizes = []
    for user in users:
        await record(core.debriefs, debrief.id, "debrief", user, {"distress": 1, "team_note": "x" * 900})
        checkpoint = db._checkpoint
        if checkpoint is not None:  # None: a batch was released, and the log truncated (`Database.erase_wal`)
            await checkpoint
        sizes.append(os.path.getsize(wal))
    # Checkpointed after each answer, the log is reused from its start instead of growing by an answer each time.
    assert max(sizes) <= max(sizes[:5]), sizes


async def test_a_database_that_cannot_be_opened_fails_the_write_and_then_recovers(core, db):
    if not db.is_sqlite:
        pytest.skip("SQLite file paths only")
    debrief, users = await start(core)
    broken = db_module.Database("sqlite+aiosqlite:////nonexistent-directory/debrief.db")
    with pytest.raises(OperationalError):
        await broken.write(lambda connection: None)
    await broken.dispose()
    await record(core.debriefs, debrief.id, "debrief", users[0], {"distress": 1})
    assert await answers(core) == (1, 1)
