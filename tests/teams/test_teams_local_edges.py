"""Local Teams mode is for this machine only, by construction: the TCP peer decides, never the body.

Attacked the way the issue reproduced it: an activity that claims a
loopback serviceUrl and an officer's id, sent from another host (a network
namespace this test creates, with a veth pair: real packets from a
non-loopback peer) or through a proxy (forwarding headers). Each gets 403
and one log line, and nothing is stored or sent.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from multidict import CIMultiDict
from teams_harness import Chat, TeamsApp, make_settings, running_app

from adapters.local import refusal
from bot.settings import Settings, SettingsError

CHAT = Chat("a:personal-edge", "personal")
OFFICER = "29:officer-id"
ATTACKER = "mallory@example.org"
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("peer", ["10.1.2.3", "192.168.0.7", "2001:db8::1", "::ffff:10.0.0.1", None, "not-an-ip"])
def test_the_peer_check_refuses_any_peer_that_is_not_loopback(peer: str | None) -> None:
    assert refusal(CIMultiDict(), peer) is not None


@pytest.mark.parametrize("peer", ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"])
def test_the_peer_check_accepts_loopback_peers(peer: str) -> None:
    assert refusal(CIMultiDict(), peer) is None


@pytest.mark.parametrize("header", ["Forwarded", "X-Forwarded-For", "X-Real-IP", "x-forwarded-for"])
def test_the_peer_check_refuses_what_came_through_a_proxy(header: str) -> None:
    assert "proxy" in (refusal(CIMultiDict({header: "for=10.0.0.9"}), "127.0.0.1") or "")


@pytest.fixture
def teams_overrides() -> dict:
    return {"debrief_wellbeing_officers": OFFICER}


def _officers_add(app: TeamsApp, sender: str) -> dict:
    lead = app.person("attacker", "Mallory", [CHAT])
    activity = app.teams.activity("message", lead, CHAT, text=f"officers add {ATTACKER}",
                                  serviceUrl="http://127.0.0.1:9/")
    activity["from"] = {"id": sender, "name": "Officer"}
    return activity


@pytest.mark.parametrize("header", ["Forwarded", "X-Forwarded-For", "X-Real-IP"])
async def test_a_request_through_a_proxy_gets_403_and_one_line(local_app: TeamsApp, caplog, header: str) -> None:
    caplog.set_level(logging.INFO)
    reply = await local_app.teams.post(_officers_add(local_app, OFFICER), headers={header: "203.0.113.9"})
    assert reply.status == 403
    refused = [r for r in caplog.records if "refused" in r.getMessage()]
    assert len(refused) == 1 and header in refused[0].getMessage() and not refused[0].exc_info
    assert local_app.connector.requests == []
    assert await local_app.core.officers.added() == []


async def test_the_same_request_from_this_machine_directly_is_served(local_app: TeamsApp) -> None:
    """The control: what the proxy's request would have done (local mode trusts this machine)."""
    activity = _officers_add(local_app, OFFICER)
    activity["serviceUrl"] = local_app.connector.url
    assert (await local_app.teams.post(activity)).status == 201
    assert await local_app.core.officers.added() == [ATTACKER]


async def test_a_body_over_the_limit_is_413(local_app: TeamsApp, caplog) -> None:
    caplog.set_level(logging.INFO)
    reply = await local_app.teams.post({}, raw=b'{"type": "message", "text": "' + b"x" * (1024 * 1024) + b'"}')
    assert reply.status == 413
    [line] = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert "size limit" in line.getMessage()


@pytest.mark.parametrize(
    ("change", "cause"),
    [
        ({"from": "29:someone"}, "no from object"),
        ({"conversation": {"id": 7}}, "conversation.id"),
        ({"serviceUrl": ["http://127.0.0.1:9/"]}, "serviceUrl is not a string"),
        ({"entities": "mention"}, "entities is not a list of objects"),
        ({"channelData": "x"}, "channelData is not an object"),
        ({"type": 3}, "no activity type"),
    ],
)
async def test_an_activity_of_the_wrong_shape_is_400_with_one_line(local_app: TeamsApp, caplog, change, cause) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.INFO)
    person = local_app.person("p", "Pat", [CHAT])
    activity = {**local_app.teams.activity("message", person, CHAT, text="a secret text"), **change}
    reply = await local_app.teams.post(activity)
    assert reply.status == 400
    [line] = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert cause in line.getMessage() and "secret" not in line.getMessage() and not line.exc_info


async def test_a_slack_only_deployment_does_not_serve_api_messages(slack_only: TeamsApp) -> None:
    reply = await slack_only.teams.post(slack_only.teams.activity("message", slack_only.person("x", "X"), CHAT, text="help"))
    assert reply.status == 404
    assert not slack_only.settings.teams_enabled


async def test_local_teams_beside_slack_only_when_asked_for(connector, database_url) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings(database_url, slack_bot_token="xoxb-1", slack_signing_secret="s" * 32,
                             slack_api_url="http://127.0.0.1:9/api/", debrief_teams_local=True)
    async with running_app(settings, connector) as app:
        lead = app.person("lead", "Alex Lead", [CHAT])
        assert (await app.teams.say(lead, "help", CHAT)).status == 201


@pytest.fixture
async def slack_only(connector, database_url):  # type: ignore[no-untyped-def]
    settings = make_settings(database_url, slack_bot_token="xoxb-1", slack_signing_secret="s" * 32,
                             slack_api_url="http://127.0.0.1:9/api/")
    async with running_app(settings, connector) as app:
        yield app


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "10.0.0.5", "debrief.example.org"])
def test_local_mode_refuses_to_listen_beyond_this_machine(host: str) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.load(host=host)
    assert str(caught.value).startswith("HOST:") and "MICROSOFT_APP_ID" in str(caught.value)


def test_a_public_host_is_fine_when_teams_is_authenticated_or_off() -> None:
    assert not Settings.load(host="0.0.0.0", microsoft_app_id="app", microsoft_app_password="p").teams_local
    slack = Settings.load(host="0.0.0.0", slack_bot_token="xoxb-1", slack_signing_secret="s")
    assert not slack.teams_enabled
    assert Settings.load().host == "127.0.0.1"


# -- real packets from another host: a network namespace with a veth pair ------------------------------

NETNS_SERVER = """
import asyncio, sys
from aiohttp import web
from adapters.server import create_app
from bot.settings import Settings
settings = Settings.load(database_url=sys.argv[1], debrief_secret="x" * 32)
web.run_app(create_app(settings, housekeeping=False), host="0.0.0.0", port=int(sys.argv[2]), print=lambda *_: print("up", flush=True))
"""


def _can_make_namespaces() -> bool:
    return os.geteuid() == 0 and shutil.which("ip") is not None


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=20)


@pytest.fixture
def namespace():  # type: ignore[no-untyped-def]
    """A network namespace holding 10.231.N.2, reachable from here over a veth pair at 10.231.N.1."""
    if not _can_make_namespaces():
        pytest.skip("needs root and iproute2 for a network namespace (the unit tests above check the peer test)")
    tag = os.getpid() % 100000
    name, outside, inside = f"debrief-edge-{tag}", f"dbe{tag}h", f"dbe{tag}n"
    subnet = f"10.231.{tag % 250}"
    try:
        _ip("netns", "add", name)
    except subprocess.CalledProcessError as error:
        pytest.skip(f"cannot create a network namespace here: {error.stderr.decode().strip()}")
    try:
        _ip("link", "add", outside, "type", "veth", "peer", "name", inside)
        _ip("link", "set", inside, "netns", name)
        _ip("addr", "add", f"{subnet}.1/30", "dev", outside)
        _ip("link", "set", outside, "up")
        _ip("netns", "exec", name, "ip", "addr", "add", f"{subnet}.2/30", "dev", inside)
        _ip("netns", "exec", name, "ip", "link", "set", inside, "up")
        _ip("netns", "exec", name, "ip", "link", "set", "lo", "up")
        yield name, f"{subnet}.2"
    finally:
        subprocess.run(["ip", "link", "del", outside], capture_output=True, timeout=20)
        subprocess.run(["ip", "netns", "del", name], capture_output=True, timeout=20)


def _request(url: str, body: dict | None = None) -> int:
    """POST `body` as JSON (GET without one); the status."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_a_peer_on_another_host_gets_403_whatever_the_activity_claims(namespace, tmp_path: Path) -> None:
    name, address = namespace
    port = 39_000 + os.getpid() % 1000
    server = subprocess.Popen(
        ["ip", "netns", "exec", name, sys.executable, "-c", NETNS_SERVER, f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", str(port)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "MICROSOFT_", "DEBRIEF_"))}, "PYTHONPATH": str(ROOT)},
    )
    try:
        base = f"http://{address}:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if urllib.request.urlopen(f"{base}/healthz", timeout=2).status == 200:
                    break
            except OSError:
                time.sleep(0.3)
        else:
            pytest.fail("the server in the namespace did not become ready")
        activity = {"type": "message", "id": "1", "serviceUrl": "http://127.0.0.1:9/", "channelId": "msteams",
                    "from": {"id": OFFICER}, "recipient": {"id": "28:bot"}, "conversation": {"id": "a:1"},
                    "text": f"officers add {ATTACKER}"}
        assert _request(f"{base}/api/messages", activity) == 403
        assert _request(f"{base}/metrics") == 403
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    refused = [line for line in output.splitlines() if "refused" in line]
    assert len(refused) == 2, output
    assert "is not this machine" in refused[0] and "Traceback" not in output
