"""Installing the app: the manifest, many workspaces through OAuth, and how the server says what is on."""

from __future__ import annotations

import asyncio
import re
from urllib.parse import parse_qs, urlsplit

import yaml
from fake_slack import FakeSlack
from harness import make_settings, running_app
from sqlalchemy import text
from test_slack_flow import opened, texts

from adapters.cli import main
from adapters.server import STATE, create_app
from adapters.slack.app import BOT_SCOPES
from adapters.slack.ids import Callback
from adapters.slack.manifest import manifest_path


def test_the_manifest_is_importable_as_is(capsys) -> None:  # type: ignore[no-untyped-def]
    manifest = yaml.safe_load(manifest_path().read_text())
    assert manifest["oauth_config"]["scopes"]["bot"] == BOT_SCOPES
    assert manifest["settings"]["event_subscriptions"]["bot_events"] == ["app_home_opened"]
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    command = manifest["features"]["slash_commands"][0]
    assert command["command"] == "/debrief" and command["usage_hint"]
    assert len(manifest["display_information"]["long_description"]) >= 175  # Slack's minimum


def test_slack_manifest_fills_in_the_host(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["slack", "manifest", "--url", "https://debrief.example.org/"]) == 0
    printed = yaml.safe_load(capsys.readouterr().out)
    events = "https://debrief.example.org/slack/events"
    assert printed["features"]["slash_commands"][0]["url"] == events
    assert printed["settings"]["event_subscriptions"]["request_url"] == events
    assert printed["settings"]["interactivity"]["request_url"] == events
    assert printed["oauth_config"]["redirect_urls"] == ["https://debrief.example.org/slack/oauth_redirect"]
    assert printed["settings"]["socket_mode_enabled"] is False
    assert "YOUR-HOST" not in yaml.safe_dump(printed)

    assert main(["slack", "manifest", "--url", "http://plain.example.org"]) == 2
    assert "https" in capsys.readouterr().err
    assert main(["slack", "manifest", "--socket-mode"]) == 0
    socket = yaml.safe_load(capsys.readouterr().out)
    assert socket["settings"]["socket_mode_enabled"] is True and "request_url" not in socket["settings"]["interactivity"]


async def test_the_start_up_line_says_how_slack_is_connected(fake_slack: FakeSlack, database_url: str) -> None:
    http = create_app(make_settings(fake_slack, database_url), housekeeping=False)
    assert http[STATE].enabled[0].startswith("Slack: on, HTTP at /slack/events, one workspace")
    socket = create_app(make_settings(fake_slack, database_url, slack_app_token="xapp-1-test"), housekeeping=False)
    assert "Socket Mode" in socket[STATE].enabled[0]
    many = create_app(
        make_settings(fake_slack, database_url, slack_bot_token=None, slack_client_id="111.222", slack_client_secret="shh"),
        housekeeping=False,
    )
    assert "many workspaces (install at /slack/install)" in many[STATE].enabled[0]
    assert {route.resource.canonical for route in many.router.routes()} >= {"/slack/install", "/slack/oauth_redirect"}


async def test_a_second_workspace_installs_through_oauth_and_can_debrief(fake_slack: FakeSlack, database_url: str) -> None:
    fake_slack.client_id, fake_slack.client_secret = "111.222", "shh"
    settings = make_settings(
        fake_slack, database_url, slack_bot_token=None, slack_client_id="111.222", slack_client_secret="shh"
    )
    async with running_app(settings, fake_slack) as running:
        install = await running.get("/slack/install")
        assert install.status == 200
        link = re.search(r'href="(https://slack.com/oauth/v2/authorize\?[^"]+)"', install.text)
        assert link, install.text[:300]
        query = parse_qs(urlsplit(link.group(1).replace("&amp;", "&")).query)
        assert set(query["scope"][0].split(",")) == set(BOT_SCOPES)
        state = query["state"][0]
        cookie = re.search(r"slack-app-oauth-state=([^;]+)", install.headers.get("Set-Cookie", ""))
        assert cookie and cookie.group(1) == state

        code = fake_slack.new_oauth_code(team_id="T0TEAM0002")
        async with running.session.get(
            f"{running.url}/slack/oauth_redirect?code={code}&state={state}",
            headers={"Cookie": f"slack-app-oauth-state={state}"},
        ) as res:
            assert res.status == 200, await res.text()
        async with running.core.database.session() as session:
            rows = (await session.execute(text("SELECT team_id, bot_token FROM slack_bots"))).all()
        assert [row.team_id for row in rows] == ["T0TEAM0002"]

        reply = await running.slack.command("/debrief", "", user_id="UOTHER0001", team_id="T0TEAM0002")
        assert reply.status == 200
        assert (await opened(fake_slack, Callback.SETUP))["team_id"] == "T0TEAM0002"
        assert "Start a debrief" in texts([fake_slack.last_view()["title"]])

        # A workspace that never installed the app is told so, not served.
        stranger = await running.slack.command("/debrief", "", user_id="USTRANGER1", team_id="T0NOTINSTALL")
        await running.idle()  # whatever the command started has finished
        assert stranger.status in (200, 401) and len(fake_slack.calls_to("views.open")) == 1
    assert fake_slack.violations == []


async def test_a_refused_socket_mode_token_is_one_log_line_and_the_server_still_serves(
    fake_slack: FakeSlack, database_url: str, caplog
) -> None:  # type: ignore[no-untyped-def]
    import logging

    caplog.set_level(logging.INFO, "debrief.slack")
    fake_slack.fail_next("apps.connections.open", "invalid_auth")
    settings = make_settings(fake_slack, database_url, slack_app_token="xapp-1-wrong")
    async with running_app(settings, fake_slack) as running:
        assert (await running.get("/healthz")).status == 200
        assert (await running.slack.command("/debrief", "help", user_id="ULEAD00001")).status == 200
    lines = [record.getMessage() for record in caplog.records if "Socket Mode" in record.getMessage()]
    assert len(lines) == 1 and "invalid_auth" in lines[0] and "SLACK_APP_TOKEN" in lines[0], lines
    assert fake_slack.violations == []


async def test_socket_mode_receives_a_command_and_acks_it_over_the_websocket(
    fake_slack: FakeSlack, database_url: str
) -> None:
    """A tiny Socket Mode server stands in for Slack's WebSocket; the fake answers apps.connections.open."""
    import json

    from aiohttp import WSMsgType, web

    acks: asyncio.Queue[dict] = asyncio.Queue()
    connected = asyncio.Event()
    command = {
        "team_id": fake_slack.team_id,
        "channel_id": "CWARD00001",
        "user_id": "ULEAD00001",
        "command": "/debrief",
        "text": "",
        "api_app_id": fake_slack.app_id,
        "trigger_id": fake_slack.new_trigger_id("ULEAD00001"),
        "response_url": f"{fake_slack.url}/response/socket",
    }

    async def websocket(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_json({"type": "hello", "num_connections": 1})
        connected.set()
        await ws.send_json(
            {"envelope_id": "env-1", "type": "slash_commands", "payload": command, "accepts_response_payload": True}
        )
        async for message in ws:
            if message.type == WSMsgType.TEXT:
                await acks.put(json.loads(message.data))
        return ws

    server = web.Application()
    server.router.add_get("/link", websocket)
    runner = web.AppRunner(server)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    ws_url = f"ws://127.0.0.1:{runner.addresses[0][1]}/link"
    # The fake knows bot and user tokens only: teach it, for this test, the app-level token and the one method it opens.
    fake_slack._handlers["apps.connections.open"] = lambda args, caller: {"url": ws_url}
    authenticate = fake_slack._authenticate
    fake_slack._authenticate = lambda token: None if (token or "").startswith("xapp-") else authenticate(token)  # type: ignore[method-assign]
    try:
        settings = make_settings(fake_slack, database_url, slack_app_token="xapp-1-test", slack_signing_secret=None)
        async with running_app(settings, fake_slack):
            await asyncio.wait_for(connected.wait(), 10)
            ack = await asyncio.wait_for(acks.get(), 10)
            assert ack["envelope_id"] == "env-1"
            assert (await opened(fake_slack, Callback.SETUP))["type"] == "modal"
    finally:
        await runner.cleanup()
    assert fake_slack.violations == []
