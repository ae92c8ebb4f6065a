"""Crash test for answers waiting to be released: `kill -9` a process in the middle of releasing them.

Many debriefs each hold a few sealed answers (fewer than DEBRIEF_MIN_GROUP,
so none is released yet) when their window ends. Process A (the real
dispatcher, `tests/dispatcher_worker.py`) starts releasing them and is
killed with SIGKILL part of the way; processes B and C then run at the same
time. In the end nothing is lost (every form's answers are in `answers`),
nothing is released twice (each note once), and nothing waits.
"""

from __future__ import annotations

import asyncio
import signal
from datetime import timedelta

from answering import record
from fake_platform import FakePlatform, serve
from sqlalchemy import func, select, update
from test_dispatcher_crash import spawn

from bot.core import Core
from bot.models import Answer, Debrief, PendingAnswer
from bot.settings import Settings

DEBRIEFS, ANSWERING = 60, 4


async def counts(core: Core) -> tuple[int, int, int]:
    async with core.database.session() as session:
        waiting = (await session.execute(select(func.count()).select_from(PendingAnswer))).scalar_one()
        notes = (await session.execute(select(func.count(), func.count(func.distinct(Answer.text))).where(
            Answer.question == "team_note"))).one()
    return int(waiting), int(notes[0]), int(notes[1])


async def test_a_killed_process_mid_release_loses_no_answer_and_releases_none_twice(database_url, db, tmp_path):
    settings = Settings.load(database_url=db.url, debrief_secret="crash-test", debrief_min_group=5)
    core = Core.build(settings, database=db)
    for number in range(DEBRIEFS):
        people = [f"U{number}-{person}" for person in range(ANSWERING)]
        debrief = await core.debriefs.start(
            platform="loopback", workspace="T1", team=f"C{number}", lead=people[0], script_id="stop5",
            participants=people,
        )
        for person in people:
            await record(core.debriefs, debrief.id, "debrief", person, {"distress": 3, "team_note": f"{person} note"})
    total = DEBRIEFS * ANSWERING
    assert await counts(core) == (total, 0, 0)  # all sealed, none released: fewer than 5 per debrief
    async with core.database.session() as session:  # every window ends now
        await session.execute(update(Debrief).values(key_expires_at=core.clock.now() - timedelta(seconds=1)))

    platform = FakePlatform()
    runner, url = await serve(platform)
    processes: list[asyncio.subprocess.Process] = []
    try:
        a = await spawn("A", url, db.url, tmp_path / "a.log", processes)
        for _ in range(500):
            if (await counts(core))[1] > 0:
                break
            await asyncio.sleep(0.005)
        a.send_signal(signal.SIGKILL)
        await a.wait()
        at_kill = await counts(core)
        print("at the kill (waiting, released notes, distinct):", at_kill)
        b, c = await asyncio.gather(*(spawn(name, url, db.url, tmp_path / f"{name}.log", processes) for name in "BC"))
        for _ in range(300):
            if (await counts(core))[0] == 0:
                break
            await asyncio.sleep(0.05)
        for process in (b, c):
            process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.wait(), 10)
        assert await counts(core) == (0, total, total), f"at the kill: {at_kill}"
    finally:
        for process in processes:
            if process.returncode is None:
                process.kill()
                await process.wait()
        await runner.cleanup()
