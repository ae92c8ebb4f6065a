"""A released batch goes into `answers` in an order that says nothing about who answered first.

`bot.pending.release` shuffles the rows of a batch before its one INSERT:
the order of the rows in that statement is the order of their cells in the
SQLite file and of their tuples in PostgreSQL's heap, which an
administrator can read. The attack: answer in a known order, watch the
statement that writes the batch, and see whether the order survives.
"""

from __future__ import annotations

from answering import record
from sqlalchemy import event

from bot.clock import FakeClock
from bot.core import Core
from bot.settings import Settings

PEOPLE = [f"UNURSE{n:02d}" for n in range(8)]


async def test_a_batch_is_written_in_an_order_unrelated_to_the_order_of_answering(db, clock: FakeClock) -> None:
    settings = Settings.load(database_url=db.url, debrief_secret="deployment-secret", debrief_min_group=len(PEOPLE))
    core = Core.build(settings, clock=clock, database=db)
    debrief = await core.debriefs.start(
        platform="slack", workspace="T1", team="C1", lead=PEOPLE[0], script_id="stop5", participants=PEOPLE[1:]
    )
    written: list[str] = []

    def seen(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("INSERT INTO ANSWERS"):
            rows = parameters if executemany else [parameters]
            for row in rows:
                values = row.values() if isinstance(row, dict) else row
                written.extend(value for value in values if isinstance(value, str) and value.startswith("note "))

    engines = [db.engine.sync_engine]
    if db._sqlite_writer is not None:
        engines += [db._sqlite_writer.engine, db._sqlite_writer._here]
    for engine in engines:
        event.listen(engine, "before_cursor_execute", seen)
    try:
        for number, person in enumerate(PEOPLE):  # the last one completes the batch
            await record(core.debriefs, debrief.id, "debrief", person, {"distress": 3, "team_note": f"note {number}"})
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", seen)
    answered = [f"note {number}" for number in range(len(PEOPLE))]
    assert sorted(written) == answered  # one batch, every note in it
    assert written != answered  # 8 notes: the order survives a shuffle once in 40,320 runs
