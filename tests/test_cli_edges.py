"""The database commands when the database is not what they need: one line, exit 2, nothing created."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.db import Database
from bot.schema import upgrade
from bot.settings import Settings

SECRET = "a-secret-of-at-least-thirty-two-characters"


def _run(cwd: Path, database_url: str, *args: str, **popen: object) -> subprocess.CompletedProcess[str]:
    names = {name.upper() for name in Settings.model_fields}
    env = {key: value for key, value in os.environ.items() if key.upper() not in names and key != "TEST_DATABASE_URL"}
    env.update(DATABASE_URL=database_url, DEBRIEF_SECRET=SECRET)
    return subprocess.run([sys.executable, "-c", "from adapters.cli import main; import sys; raise SystemExit(main(sys.argv[1:]))", *args],
                          cwd=cwd, env=env, text=True, timeout=120, **popen)  # type: ignore[call-overload]


@pytest.mark.parametrize("command", [["export"], ["purge", "--dry-run"]])
def test_a_sqlite_file_that_is_not_there_is_not_created(tmp_path: Path, command: list[str]) -> None:
    done = _run(tmp_path, "sqlite:///debrief.db", *command, capture_output=True)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.splitlines() == [
        "DATABASE_URL: there is no database at debrief.db; check the path, or create it with debrief-bot db upgrade"
    ]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", [["export"], ["purge", "--dry-run"]])
def test_a_database_without_tables_is_one_line(tmp_path: Path, database_url: str, command: list[str]) -> None:
    if database_url.startswith("sqlite"):
        Path(database_url.split("///", 1)[1]).touch()  # an empty file, as a mistaken path or a wiped volume leaves
    done = _run(tmp_path, database_url, *command, capture_output=True)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.splitlines() == [
        "DATABASE_URL: the database has no tables yet; run debrief-bot db upgrade (or debrief-bot serve) first"
    ]


def test_a_database_that_does_not_answer_is_one_line(tmp_path: Path) -> None:
    done = _run(tmp_path, "postgresql://nobody@127.0.0.1:1/none", "export", capture_output=True)
    assert done.returncode == 2
    [line] = done.stderr.splitlines()
    assert line.startswith("DATABASE_URL: cannot use the database (ConnectionRefusedError")


def test_export_into_a_closed_pipe_is_one_line(tmp_path: Path, database_url: str) -> None:
    """`debrief-bot export | head -3`, with the reader gone before the first write."""
    async def migrate() -> None:
        database = Database(database_url)
        try:
            await upgrade(database)
        finally:
            await database.dispose()

    asyncio.run(migrate())
    read, write = os.pipe()
    os.close(read)
    try:
        done = _run(tmp_path, database_url, "export", stdout=write, stderr=subprocess.PIPE)
    finally:
        os.close(write)
    assert done.returncode == 1
    assert done.stderr.splitlines() == ["debrief-bot: output closed before the end (broken pipe)"]
