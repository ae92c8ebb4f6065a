"""Socket Mode on a laptop with no network: one warning line per retry, no traceback, and the rest keeps serving."""

from __future__ import annotations

import asyncio
import logging
import socket
import time

from fake_slack import FakeSlack
from harness import make_settings, running_app

from adapters.slack import socket_mode


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_socket_mode_without_network_logs_one_line_per_retry(
    fake_slack: FakeSlack, database_url: str, caplog, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(socket_mode, "RETRY_SECONDS", 0.05)  # slack_sdk's 10 s between tries, shortened
    caplog.set_level(logging.INFO)
    unreachable = f"http://127.0.0.1:{_closed_port()}/api/"
    settings = make_settings(fake_slack, database_url, slack_app_token="xapp-1-offline", slack_api_url=unreachable)
    async with running_app(settings, fake_slack) as running:
        assert (await running.get("/healthz")).status == 200
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            retries = [record for record in caplog.records if record.name == "debrief.slack.socket"]
            if len(retries) >= 3:
                break
            await asyncio.sleep(0.05)
    assert len(retries) >= 3, [record.getMessage() for record in caplog.records]
    for record in retries:
        assert record.levelno == logging.WARNING and record.exc_info is None
        assert "\n" not in logging.Formatter().format(record)
        assert "Failed to connect" in record.getMessage()
    ours = [record for record in caplog.records if record.name.startswith("debrief")]
    assert not [record for record in ours if record.exc_info], "a traceback on a network error"
    assert not [record for record in ours if "will be unused" in record.getMessage()]
