"""Crash tests for answers waiting to be released: `kill -9` while they wait, and in the middle of releasing them.

While answers wait: a process answering (`tests/answer_worker.py`, as the
server does) and a dispatcher (`tests/dispatcher_worker.py`) are killed
with SIGKILL part of the way through many debriefs' answers, some batches
released, others waiting, one perhaps mid-release. Every answer accepted
before the kill is then kept (sealed or released), and every receipt has
its form: nobody is told "already answered" for an answer that is gone.
After a restart, the batches still whole are released at once and the
rest when the stage's window ends, each answer once.

In the middle of a release: many debriefs each hold a few sealed answers
(fewer than DEBRIEF_MIN_GROUP, so none is released yet) when their window
ends. Process A (the real dispatcher) starts releasing them and is killed
part of the way; processes B and C then run at the same time. In the end
nothing is lost (every form's answers are in `answers`), nothing is
released twice (each note once), and nothing waits.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
from datetime import timedelta
from pathlib import Path

from answering import record
from fake_platform import FakePlatform, serve
from sqlalchemy import func, select, update
from test_dispatcher_crash import spawn

from bot import pending
from bot.core import Core
from bot.models import Answer, AnswerReceipt, Debrief, PendingAnswer
from bot.settings import Settings

ANSWERER = Path(__file__).resolve().parent / "answer_worker.py"

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


async def _notes(core: Core) -> tuple[list[str], list[str], int]:
    """The notes released, the notes still sealed (opened with the key, as a release would), and the receipts."""
    async with core.database.session() as session:
        released = list((await session.execute(select(Answer.text).where(Answer.question == "team_note"))).scalars())
        waiting = (await session.execute(select(PendingAnswer.debrief_id, PendingAnswer.stage, PendingAnswer.sealed))).all()
        receipts = (await session.execute(select(func.count()).select_from(AnswerReceipt))).scalar_one()
    key = core.debriefs._sealing
    sealed = [str(row["text"]) for debrief_id, stage, blob in waiting
              for row in pending.unseal(key, blob, pending.context_of(debrief_id, stage)) if row.get("question") == "team_note"]
    return [str(note) for note in released], sealed, int(receipts)


async def test_a_kill_while_answers_wait_loses_none_and_the_restart_releases_each_once(database_url, db, tmp_path):
    settings = Settings.load(database_url=db.url, debrief_secret="crash-test", debrief_min_group=5)
    core = Core.build(settings, database=db)
    answers = []
    for number in range(12):
        people = [f"W{number}-{person}" for person in range(7)]  # a batch of 5, then 2 that wait for the window
        debrief = await core.debriefs.start(
            platform="loopback", workspace="T1", team=f"C{number}", lead=people[0], script_id="stop5",
            participants=people,
        )
        answers += [f"{debrief.id}:{person}" for person in people]
    random.shuffle(answers)  # interleaved: at the kill some debriefs are released, some wait, some half-way

    platform = FakePlatform()
    runner, url = await serve(platform)
    processes: list[asyncio.subprocess.Process] = []
    env = dict(os.environ, DATABASE_URL=db.url, DEBRIEF_SECRET="crash-test", DEBRIEF_MIN_GROUP="5",
               SLACK_BOT_TOKEN="", SLACK_CLIENT_ID="")
    try:
        a = await spawn("A", url, db.url, tmp_path / "a.log", processes)
        answering = await asyncio.create_subprocess_exec(
            sys.executable, str(ANSWERER), *answers, stdout=asyncio.subprocess.PIPE,
            stderr=(tmp_path / "answering.log").open("w"), env=env,
        )
        processes.append(answering)
        assert answering.stdout is not None
        accepted = []
        while len(accepted) < len(answers) // 2:  # killed half-way, whatever the machine's speed
            line = await asyncio.wait_for(answering.stdout.readline(), 60)
            assert line.startswith(b"ok "), f"the answering process stopped: see {tmp_path / 'answering.log'}"
            accepted.append(line.split()[1].decode())
        for process in (answering, a):
            process.send_signal(signal.SIGKILL)
            await process.wait()
        released, sealed, receipts = await _notes(core)
        print("at the kill (accepted, released, waiting, receipts):", len(accepted), len(released), len(sealed), receipts)
        assert sealed, "nothing was waiting at the kill: the test did not test it"
        assert sorted(released + sealed) == sorted(set(released + sealed))  # none in both, none twice
        assert len(released) + len(sealed) == receipts  # every receipt has its answer
        assert {f"{person} note" for person in accepted} <= set(released + sealed)

        b, c = await asyncio.gather(*(spawn(name, url, db.url, tmp_path / f"{name}.log", processes) for name in "BC"))
        async with core.database.session() as session:  # every window ends now
            await session.execute(update(Debrief).values(key_expires_at=core.clock.now() - timedelta(seconds=1)))
        for _ in range(600):
            if (await counts(core))[0] == 0:
                break
            await asyncio.sleep(0.05)
        for process in (b, c):
            process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.wait(), 10)
        after, still, receipts_after = await _notes(core)
        assert still == [] and sorted(after) == sorted(set(after)) == sorted(released + sealed)
        assert receipts_after == receipts == len(after)
    finally:
        for process in processes:
            if process.returncode is None:
                process.kill()
                await process.wait()
        await runner.cleanup()
