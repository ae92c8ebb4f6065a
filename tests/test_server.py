"""The server as an operator meets it: `debrief-bot serve` with no settings, /healthz, /metrics."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from adapters.server import CORE, create_app
from bot.db import Database
from bot.settings import Settings
from answering import record


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_serve_with_no_settings_starts_on_sqlite_and_says_what_is_on(tmp_path: Path):
    """The README's run command, in a fresh directory with nothing configured."""
    port = _free_port()
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("SLACK_", "MICROSOFT_", "DEBRIEF_", "DATABASE_URL", "TEST_DATABASE_URL"))}
    environment.update(PORT=str(port), HOST="127.0.0.1")
    process = subprocess.Popen(
        [sys.executable, "-c", "from adapters.cli import main; raise SystemExit(main(['serve']))"],
        cwd=tmp_path,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        status = None
        async with aiohttp.ClientSession() as http:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and status != 200:
                try:
                    async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                        status = response.status
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.2)
        assert status == 200
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=15)
    first_lines = "\n".join(output.splitlines()[:6])
    assert f"listening on http://127.0.0.1:{port}" in first_lines
    assert "Database: SQLite" in first_lines
    assert "Slack: off. Set SLACK_BOT_TOKEN" in first_lines
    assert "Teams: on" in first_lines
    assert (tmp_path / "debrief.db").exists()


async def test_a_bad_setting_stops_start_up_with_one_line(tmp_path: Path):
    environment = {**os.environ, "DEBRIEF_MIN_GROUP": "2"}
    result = subprocess.run(
        [sys.executable, "-c", "from adapters.cli import main; raise SystemExit(main(['serve']))"],
        cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == ["debrief-bot: DEBRIEF_MIN_GROUP: must be 3 or more (5 is the default and the usual choice)"]


@pytest.fixture
async def client(database_url):
    settings = Settings.load(database_url=database_url, debrief_secret="s")
    app = create_app(settings, housekeeping=False)
    async with TestClient(TestServer(app)) as client:
        yield client


async def test_metrics_count_debriefs_but_never_answers(client):
    core = client.app[CORE]
    debrief = await core.debriefs.start(
        platform="slack", workspace="T", team="C", lead="UL", script_id="stop5", participants=["U1"]
    )
    await record(core.debriefs, debrief.id, "debrief", "U1", {"distress": 3})
    response = await client.get("/metrics")
    text = await response.text()
    assert response.status == 200
    assert 'debrief_debriefs_started_total{platform="slack"}' in text
    assert "answer" not in text.lower()


async def test_health_says_503_when_the_database_is_gone(client):
    assert (await client.get("/healthz")).status == 200
    # The server's database goes away: its connections now lead to a closed port.
    database = client.app[CORE].database
    await database.engine.dispose()
    dead = Database("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    database.engine, database._sessions = dead.engine, dead._sessions
    response = await client.get("/healthz")
    assert response.status == 503
    assert (await response.json()) == {"status": "database unavailable"}
