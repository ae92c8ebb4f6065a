"""A backup taken while a debrief is open, restored into a fresh place, serves the same debrief and its check-ins.

The real server runs a debrief on Slack (fake Web API); one person answers.
While it is still open, `bot.backup.take` copies the database (SQLite's
online backup API, or pg_dump). That server stops; the backup is restored
into a new SQLite file in a fresh directory (or a PostgreSQL database of the
test's own) and a new server starts on it with the same DEBRIEF_SECRET. It
still knows who has answered (a second answer is refused kindly), takes the
others' answers, and sends every participant the first check-in once.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from fake_slack import FakeSlack
from harness import make_settings, running_app
from sqlalchemy import select
from sqlalchemy.engine import make_url
from test_slack_flow import LEAD, STAFF, answer, start_debrief, texts
from test_slack_followups import check_ins

from bot.backup import restore, take
from bot.models import Debrief, DebriefStatus, Participant

FIRST, SECOND = "12s", "20s"
"""Far enough for the first server to stop before anything is due, on a busy machine too."""
OVERRIDES: dict[str, Any] = {
    "debrief_followups": f"{FIRST},{SECOND}",
    "debrief_quiet_hours": "00:00-00:00",
    "debrief_min_group": 3,
}


async def _fresh_postgres(url: str) -> str:
    """A database beside TEST_DATABASE_URL's, named `<it>_restore`, created if needed and emptied."""
    import asyncpg

    parsed = make_url(url)
    name = f"{parsed.database}_restore"
    plain = parsed.set(drivername="postgresql")
    admin = await asyncpg.connect(plain.set(database="postgres").render_as_string(hide_password=False))
    try:
        if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    conn = await asyncpg.connect(plain.set(database=name).render_as_string(hide_password=False))
    try:
        await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    finally:
        await conn.close()
    return parsed.set(database=name).render_as_string(hide_password=False)


async def test_a_backup_of_an_open_debrief_restored_elsewhere_serves_it_and_its_check_ins(
    fake_slack: FakeSlack, database_url: str, tmp_path: Path
) -> None:
    if database_url.startswith("postgresql") and not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.skip("pg_dump and pg_restore are not installed")
    people = [LEAD, *STAFF]
    before = make_settings(fake_slack, database_url, **OVERRIDES)
    async with running_app(before, fake_slack) as first:
        script = await start_debrief(first)
        reply, _ = await answer(first, script, STAFF[0], distress=4)
        assert reply is not None and reply.status == 200
        taken = await take(before, tmp_path / "backup")  # the debrief is open and the server running
    assert check_ins(fake_slack) == [], "nothing was due before the first server stopped"

    if database_url.startswith("postgresql"):
        elsewhere = await _fresh_postgres(database_url)
    else:
        elsewhere = f"sqlite:///{tmp_path / 'fresh' / 'debrief.db'}"
    after = make_settings(fake_slack, elsewhere, **OVERRIDES)
    restored = await restore(after, tmp_path / "backup")
    assert restored.revision == taken.revision and "matches" in restored.notes[0]

    started = time.monotonic()
    async with running_app(after, fake_slack) as second:
        async with second.core.database.session() as session:
            (debrief,) = (await session.execute(select(Debrief))).scalars().all()
            invited = set((await session.execute(select(Participant.user))).scalars().all())
        assert debrief.status == DebriefStatus.OPEN and invited == set(people)

        _, modal = await answer(second, script, STAFF[0])
        assert "already answered" in texts(modal["blocks"]), "the restored receipts must still be checked"
        for person in (LEAD, STAFF[1]):
            reply, _ = await answer(second, script, person, distress=2)
            assert reply is not None and reply.status == 200 and reply.json()["response_action"] == "update"

        deadline = started + 45
        while len({user for user, _, _ in check_ins(fake_slack, FIRST)}) < len(people):
            assert time.monotonic() < deadline, check_ins(fake_slack, FIRST)
            await asyncio.sleep(0.1)
    sent = [user for user, _, _ in check_ins(fake_slack, FIRST)]
    assert sorted(sent) == sorted(people), "each person gets the first check-in once, from the restored server"
