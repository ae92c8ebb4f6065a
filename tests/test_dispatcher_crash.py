"""Crash test: two dispatcher processes on PostgreSQL, one killed with SIGKILL mid-batch.

Each process is `tests/dispatcher_worker.py`: the real Core and Dispatcher,
sending through a generic HTTP messenger to a loopback platform run here
(`tests/fake_platform.py`) that records every message with its follow-up
id and answers in 20 ms. Once process A has delivered some messages, the
platform stores A's next ones and never answers them: A is then killed in
the middle of sends whose messages the platform already has, which is the
case a naive outbox gets wrong (re-sending them after the lease expires).
Process B must deliver everything else and find A's orphans by asking the
platform, so that each follow-up arrives exactly once.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fake_platform import FakePlatform, serve
from sqlalchemy import func, select

from bot.clock import FakeClock
from bot.core import Core
from bot.models import Followup, FollowupStatus
from bot.settings import Settings

WORKER = Path(__file__).resolve().parent / "dispatcher_worker.py"
DEBRIEFS, PEOPLE = 3, 100  # 300 follow-ups due at once
KILL_AFTER = 40
LEASE_SECONDS = 3


async def spawn(
    worker: str, url: str, database_url: str, log: Path, started: list[asyncio.subprocess.Process]
) -> asyncio.subprocess.Process:
    env = dict(
        os.environ,
        DATABASE_URL=database_url,
        DEBRIEF_SECRET="crash-test",
        DEBRIEF_QUIET_HOURS="00:00-00:00",
        SLACK_BOT_TOKEN="",
        SLACK_CLIENT_ID="",
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(WORKER),
        "--platform-url", url, "--worker-id", worker, "--lease", str(LEASE_SECONDS), "--concurrency", "4",
        "--batch", "4", "--poll", "0.1",
        stdout=asyncio.subprocess.PIPE, stderr=log.open("w"), env=env,
    )  # fmt: skip
    started.append(process)
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), 20)
    assert line.strip() == b"ready", f"worker {worker} did not start: see {log}"
    return process


async def count_sent(core: Core) -> int:
    async with core.database.session() as session:
        result = await session.execute(
            select(func.count()).select_from(Followup).where(Followup.status == FollowupStatus.SENT)
        )
        return int(result.scalar_one())


async def test_a_killed_dispatcher_loses_nothing_and_sends_nothing_twice(database_url, db, tmp_path):
    if not database_url.startswith("postgresql"):
        pytest.skip("the crash test runs on PostgreSQL (set TEST_DATABASE_URL)")
    platform = FakePlatform(latency=0.02)
    a_count = 0

    def on_delivery(delivery) -> None:  # type: ignore[no-untyped-def]
        nonlocal a_count
        a_count += delivery.worker == "A"

    platform.on_delivery = on_delivery
    platform.hold = lambda worker: worker == "A" and a_count > KILL_AFTER
    runner, url = await serve(platform)
    processes: list[asyncio.subprocess.Process] = []
    try:
        a, b = await asyncio.gather(
            spawn("A", url, db.url, tmp_path / "a.log", processes),
            spawn("B", url, db.url, tmp_path / "b.log", processes),
        )
        # Debriefs that started 25 hours ago: every 24-hour follow-up is due now, at once.
        clock = FakeClock(datetime.now(UTC) - timedelta(hours=25))
        core = Core.build(
            Settings.load(database_url=db.url, debrief_secret="crash-test", debrief_followups="24h"),
            clock=clock,
            database=db,
        )
        for number in range(DEBRIEFS):
            await core.debriefs.start(
                platform="loopback",
                workspace="T1",
                team=f"C{number}",
                lead=f"L{number}",
                script_id="stop5",
                participants=[f"U{number}-{person:03}" for person in range(PEOPLE - 1)],
            )
        total = DEBRIEFS * PEOPLE

        for _ in range(400):  # until A is stuck in sends the platform has already stored
            if a_count > KILL_AFTER + 1:
                break
            await asyncio.sleep(0.01)
        assert a_count > KILL_AFTER, "process A never got going"
        await asyncio.sleep(0.05)
        a.send_signal(signal.SIGKILL)
        await a.wait()
        stuck = a_count - KILL_AFTER
        sent_at_kill = len(platform.deliveries)
        assert sent_at_kill < total, "everything was sent before the kill; the test proves nothing"

        for _ in range(250):
            if await count_sent(core) == total:
                break
            await asyncio.sleep(0.1)

        b.send_signal(signal.SIGTERM)
        await asyncio.wait_for(b.wait(), 10)
        assert await count_sent(core) == total, f"lost: {total - await count_sent(core)}"
        assert len(platform.counts) == total  # every follow-up reached the platform...
        assert platform.duplicates() == 0, {k: v for k, v in platform.counts.items() if v > 1}  # ...once
        assert platform.found_queries >= stuck  # A's stored-but-unanswered sends were found, not re-sent
    finally:
        for process in processes:
            if process.returncode is None:
                process.kill()
                await process.wait()
        await runner.cleanup()
