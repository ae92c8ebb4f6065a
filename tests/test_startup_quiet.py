"""Start-up as an operator reads it: one log line per migration step, and no plotting libraries in an idle server."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
from sqlalchemy.engine import make_url

from bot.schema import _script

SERVE = [sys.executable, "-c", "from adapters.cli import main; raise SystemExit(main(['serve']))"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _environment(database_url: str, port: int) -> dict[str, str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SLACK_", "MICROSOFT_", "DEBRIEF_", "DATABASE_URL", "TEST_DATABASE_URL", "LOG_LEVEL"))
    }
    closed = _free_port()  # nothing listens there: Slack must not be needed to start
    environment.update(
        DATABASE_URL=make_url(database_url).render_as_string(hide_password=False),
        DEBRIEF_SECRET="startup-test-secret-0123456789abcdefghi",
        HOST="127.0.0.1",
        PORT=str(port),
        SLACK_BOT_TOKEN="xoxb-startup-test",
        SLACK_SIGNING_SECRET="startup-test",
        SLACK_API_URL=f"http://127.0.0.1:{closed}/api/",
    )
    return environment


async def _serve_until_healthy(tmp_path: Path, database_url: str) -> tuple[str, list[str]]:
    """Run `debrief-bot serve` until /healthz says 200; its output, and the shared objects it had mapped then."""
    port = _free_port()
    process = subprocess.Popen(
        SERVE, cwd=tmp_path, env=_environment(database_url, port),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        status = None
        async with aiohttp.ClientSession() as http:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and status != 200 and process.poll() is None:
                try:
                    async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                        status = response.status
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.1)
        mapped = Path(f"/proc/{process.pid}/maps").read_text().splitlines() if status == 200 else []
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=30)
    assert status == 200, output
    return output, mapped


async def test_each_migration_step_is_one_line_and_a_restart_says_none(tmp_path: Path, database_url: str):
    first, _ = await _serve_until_healthy(tmp_path, database_url)
    alembic = [line for line in first.splitlines() if " alembic." in line]
    steps = list(_script().walk_revisions())
    assert len(alembic) == len(steps), first
    assert all("Running upgrade" in line for line in alembic), alembic
    assert "Traceback" not in first
    assert "will be unused" not in first, "Bolt's warning about the token is noise: the client carries that token"

    again, _ = await _serve_until_healthy(tmp_path, database_url)
    assert [line for line in again.splitlines() if " alembic." in line] == []


async def test_an_idle_server_has_not_loaded_matplotlib_or_numpy(tmp_path: Path, database_url: str):
    """About 55 MB of memory that only a chart or an officers' report needs (bench/startup_bench.py measures it)."""
    _, mapped = await _serve_until_healthy(tmp_path, database_url)
    assert mapped, "no memory map read"
    loaded = [line.split()[-1] for line in mapped if "/site-packages/" in line]
    assert not [path for path in loaded if "/matplotlib/" in path or "/numpy/" in path or "/PIL/" in path]
