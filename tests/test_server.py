"""The server as an operator meets it: `debrief-bot serve`, /healthz, /metrics, supervised jobs, CLI failures."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer
from answering import record

from adapters.server import CORE, STATE, create_app
from bot.db import Database
from bot.settings import Settings


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_serve_with_no_settings_starts_on_sqlite_and_says_what_is_on(tmp_path: Path):
    """The README's run command, in a fresh directory with nothing configured."""
    port = _free_port()
    process = _serve(tmp_path, PORT=str(port))
    try:
        assert await _ready(port)
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=15)
    assert process.returncode == 0
    said = [line.split("debrief.server: ", 1)[1] for line in output.splitlines() if "debrief.server: " in line]
    assert said[0] == f"debrief-bot listening on http://127.0.0.1:{port} (health: /healthz, metrics: /metrics, to this machine only)"
    assert said[1].startswith("Database: SQLite")
    assert any(line.startswith("Slack: off. Set SLACK_BOT_TOKEN") for line in said)
    assert any(line.startswith("Teams: on") for line in said)
    assert "Traceback" not in output
    assert any("DEBRIEF_RESOURCES is not set, so people see the international set" in line for line in said)  # no silent country
    assert "Support contacts still to fill in" in output and "Peer support team" in output
    assert (tmp_path / "debrief.db").exists()


def _environment(**values: str) -> dict[str, str]:
    clean = {key: value for key, value in os.environ.items()
             if not key.startswith(("SLACK_", "MICROSOFT_", "DEBRIEF_", "DATABASE_URL", "TEST_DATABASE_URL", "METRICS_", "HOST", "PORT", "LOG_LEVEL"))}
    return {**clean, **values}


def _serve(cwd: Path, **values: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", "from adapters.cli import main; raise SystemExit(main(['serve']))"],
        cwd=cwd, env=_environment(**values), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )


async def _ready(port: int) -> bool:
    async with aiohttp.ClientSession() as http:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                    if response.status == 200:
                        return True
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.2)
    return False


async def test_metrics_on_a_port_of_their_own_leave_the_main_port(tmp_path: Path):
    port, metrics_port = _free_port(), _free_port()
    process = _serve(tmp_path, PORT=str(port), METRICS_PORT=str(metrics_port))
    try:
        assert await _ready(port)
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{port}/metrics") as response:
                assert response.status == 404
            async with http.get(f"http://127.0.0.1:{metrics_port}/metrics") as response:
                assert response.status == 200 and "debrief_" in await response.text()
            async with http.get(f"http://127.0.0.1:{metrics_port}/healthz") as response:
                assert response.status == 404  # the metrics port serves nothing else
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=15)
    assert f"metrics: http://127.0.0.1:{metrics_port}/metrics" in output


def test_a_port_in_use_is_one_line_and_nothing_is_created(tmp_path: Path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-c", "from adapters.cli import main; raise SystemExit(main(['serve']))"],
            cwd=tmp_path, env=_environment(PORT=str(port)), capture_output=True, text=True, timeout=60,
        )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"debrief-bot: PORT: 127.0.0.1:{port} is already in use; stop what uses it, or set PORT to a free port"
    ]
    assert list(tmp_path.iterdir()) == []  # the port is claimed before the database is touched


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


async def test_metrics_on_the_main_port_are_for_this_machine_only(client, caplog):
    caplog.set_level(logging.INFO)
    assert (await client.get("/metrics")).status == 200  # the test client is on 127.0.0.1
    for header in ("X-Forwarded-For", "Forwarded", "X-Real-IP"):
        assert (await client.get("/metrics", headers={header: "203.0.113.7"})).status == 403
    refused = [r for r in caplog.records if "/metrics refused" in r.getMessage()]
    assert len(refused) == 3 and not any(r.exc_info for r in refused)


async def test_a_background_job_that_ends_is_restarted_and_health_says_503_meanwhile(database_url, caplog):
    """The supervisor, through the real server: a job that fails once, then runs."""
    caplog.set_level(logging.INFO)
    settings = Settings.load(database_url=database_url, debrief_secret="s")
    app = create_app(settings, housekeeping=False)
    state = app[STATE]
    assert [name for name, _ in state.background] == ["follow-up dispatcher"]
    state.restart_delay = 0.2
    release, runs = asyncio.Event(), []

    async def flaky(core) -> None:  # type: ignore[no-untyped-def]
        runs.append(1)
        if len(runs) == 1:
            await release.wait()
            raise RuntimeError("lost the plot")
        await asyncio.Event().wait()  # runs until cancelled

    state.background.append(("flaky job", flaky))
    async with TestClient(TestServer(app)) as client:
        assert (await client.get("/healthz")).status == 200
        release.set()
        deadline = time.monotonic() + 60  # a safety net on a loaded machine
        statuses = []
        while len(runs) < 2 and time.monotonic() < deadline:
            response = await client.get("/healthz")
            statuses.append((response.status, (await response.json())["status"]))
            await asyncio.sleep(0.02)
        assert (503, "flaky job down, restarting") in statuses
        assert len(runs) == 2
        assert (await client.get("/healthz")).status == 200
    lines = [r for r in caplog.records if r.name == "debrief.supervisor"]
    assert len(lines) == 1 and "flaky job failed (RuntimeError: lost the plot); restarting in 0.2s" in lines[0].getMessage()
    assert not lines[0].exc_info


async def test_the_real_dispatcher_failing_to_start_is_retried_and_reported(database_url, tmp_path, caplog):
    """The issue's case: the resources file goes bad after start-up was checked (it is read again by each dispatcher)."""
    from bot.scripts import shipped_dir

    caplog.set_level(logging.INFO)
    resources = tmp_path / "ours.yml"
    resources.write_text((shipped_dir() / "resources" / "uk.yml").read_text().replace("region: uk", "region: ours"))
    settings = Settings.load(database_url=database_url, debrief_secret="s", debrief_resources=str(resources))
    app = create_app(settings, housekeeping=False)
    app[STATE].restart_delay = 0.2
    good = resources.read_text()
    resources.write_text("region: [broken\n")
    async with TestClient(TestServer(app)) as client:
        deadline = time.monotonic() + 60  # a safety net on a loaded machine
        while time.monotonic() < deadline and not any(r.name == "debrief.supervisor" for r in caplog.records):
            await asyncio.sleep(0.02)
        response = await client.get("/healthz")
        assert response.status == 503 and (await response.json())["status"] == "follow-up dispatcher down, restarting"
        resources.write_text(good)
        while time.monotonic() < deadline and (await client.get("/healthz")).status != 200:
            await asyncio.sleep(0.05)
        assert (await client.get("/healthz")).status == 200
    [first, *_] = [r for r in caplog.records if r.name == "debrief.supervisor"]
    assert first.getMessage().startswith("follow-up dispatcher failed (ScriptProblem: ")
    assert not first.exc_info


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
