"""deploy/nginx/debrief-bot.conf as it is, run by a real nginx on loopback in front of the real server.

From outside, through the proxy: the public paths reach the bot (which
answers them as it would Slack, Teams or a browser), and /metrics and
/healthz answer 404 from nginx. Skipped where nginx or openssl is not
installed (Debian: apt-get install nginx-light).
"""

from __future__ import annotations

import asyncio
import re
import shutil
import socket
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from adapters.server import create_app
from bot.settings import Settings

DEPLOY = Path(__file__).resolve().parent.parent / "deploy" / "nginx"

pytestmark = pytest.mark.skipif(
    not (shutil.which("nginx") and shutil.which("openssl")), reason="nginx or openssl is not installed"
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _site(tmp_path: Path, upstream: int, https: int, http: int) -> str:
    """The shipped site file, moved onto loopback ports and this test's certificate and log paths."""
    site = (DEPLOY / "debrief-bot.conf").read_text()
    site = re.sub(r"server 127\.0\.0\.1:3978;", f"server 127.0.0.1:{upstream};", site)
    site = re.sub(r"^\s*listen \[::\]:.*$", "", site, flags=re.M)
    site = site.replace("listen 443 ssl", f"listen 127.0.0.1:{https} ssl").replace("listen 80;", f"listen 127.0.0.1:{http};")
    site = re.sub(r"ssl_certificate\s+\S+;", f"ssl_certificate {tmp_path / 'cert.pem'};", site)
    site = re.sub(r"ssl_certificate_key\s+\S+;", f"ssl_certificate_key {tmp_path / 'key.pem'};", site)
    site = site.replace("/etc/nginx/debrief-bot-proxy.conf", str(DEPLOY / "debrief-bot-proxy.conf"))
    return re.sub(r"access_log \S+;", f"access_log {tmp_path / 'access.log'};", site)


@pytest.fixture
async def through_nginx(tmp_path: Path, database_url: str) -> AsyncIterator[str]:
    settings = Settings.load(
        database_url=database_url, debrief_secret="nginx-test-secret-0123456789abcdefghijk", slack_bot_token="xoxb-nginx",
        slack_signing_secret="nginx-signing", slack_api_url=f"http://127.0.0.1:{_free_port()}/api/",
        microsoft_app_id="00000000-0000-0000-0000-000000000002", microsoft_app_password="p", host="127.0.0.1",
    )  # fmt: skip
    server = TestServer(create_app(settings, housekeeping=False, followups=False), host="127.0.0.1")
    await server.start_server()
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=debrief.example.org",
         "-keyout", str(tmp_path / "key.pem"), "-out", str(tmp_path / "cert.pem")],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    https, http = _free_port(), _free_port()
    (tmp_path / "site.conf").write_text(_site(tmp_path, server.port, https, http))  # type: ignore[arg-type]
    temp = tmp_path / "temp"
    temp.mkdir()
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path / 'nginx.pid'};\nerror_log {tmp_path / 'error.log'};\nevents {{}}\n"
        f"http {{ client_body_temp_path {temp}; proxy_temp_path {temp}; fastcgi_temp_path {temp}; "
        f"uwsgi_temp_path {temp}; scgi_temp_path {temp}; include {tmp_path / 'site.conf'}; }}\n"
    )
    nginx = subprocess.Popen(
        ["nginx", "-e", str(tmp_path / "error.log"), "-c", str(tmp_path / "nginx.conf"), "-g", "daemon off;"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        for _ in range(100):
            if nginx.poll() is not None:
                pytest.fail(f"nginx stopped: {nginx.communicate()[0]}")
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", https)) == 0:
                    break
            await asyncio.sleep(0.05)
        yield f"https://127.0.0.1:{https}"
    finally:
        nginx.terminate()
        nginx.communicate(timeout=10)
        await server.close()


async def test_through_nginx_the_public_paths_reach_the_bot_and_metrics_and_health_do_not(through_nginx: str) -> None:
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=False)) as http:

        async def status(method: str, path: str) -> tuple[int, str]:
            async with http.request(method, through_nginx + path, headers={"Host": "debrief.example.org"}) as reply:
                return reply.status, await reply.text()

        assert (await status("GET", "/privacy"))[0] == 200
        assert (await status("GET", "/terms"))[0] == 200
        assert (await status("POST", "/slack/events"))[0] == 401  # the bot's refusal of an unsigned request
        assert (await status("POST", "/api/messages"))[0] == 401  # no Bot Framework token
        assert await status("GET", "/charts/forged.png") == (404, "Nothing here.")  # the bot's answer, not nginx's
        assert await status("GET", "/exports/forged.csv") == (404, "Nothing here.")
        for private in ("/metrics", "/healthz", "/", "/metrics?x=1", "//metrics", "/charts/../metrics"):
            code, body = await status("GET", private)
            assert code == 404 and "debrief" not in body.lower() and "python" not in body.lower(), (private, body)
