"""A loopback chat platform for the follow-up crash test and the benchmark.

`FakePlatform` is a tiny aiohttp app that stands in for a platform's Web
API: `POST /send` stores a direct message with the follow-up id it carries
(as Slack stores message metadata) and answers after `latency`;
`GET /delivered?followup_id=...` answers whether such a message exists
(as `conversations.history` would). It can enforce a rate limit: a token
bucket of `rate_limit` messages per second, empty at the first message, answering
HTTP 429 with Retry-After when it is out of tokens (whole seconds, as
Slack does). `hold` makes it store a message and then never answer, to
catch a process in the middle of a send.

`HttpMessenger` is the other side: a generic `bot.port.Messenger` over
that HTTP API, mapping 429 to `RateLimited`, 5xx and connection errors to
`TransientSendError`, and 404/410 to `PermanentSendError`.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import aiohttp
from aiohttp import web

from bot.port import FollowupDelivery, PermanentSendError, RateLimited, SupportNotice, TransientSendError


@dataclass
class Delivery:
    followup_id: str
    user: str
    stage: str
    late: bool
    worker: str
    at: float
    ts: str


@dataclass
class FakePlatform:
    latency: float = 0.02
    rate_limit: float | None = None
    deliveries: list[Delivery] = field(default_factory=list)
    by_followup: dict[str, Delivery] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)
    rejected: int = 0
    found_queries: int = 0
    checked_queries: int = 0
    notices: list[dict[str, object]] = field(default_factory=list)
    hold: Callable[[str], bool] | None = None
    """Given the sending worker's id: store the message, then never answer."""
    on_delivery: Callable[[Delivery], None] | None = None
    _tokens: float = 0.0
    _refilled: float | None = None

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/send", self._send)
        app.router.add_get("/delivered", self._delivered)
        app.router.add_post("/notify", self._notify)
        return app

    def _take_token(self) -> float | None:
        """None if the message may go; else seconds until a token is there."""
        if self.rate_limit is None:
            return None
        now = time.monotonic()
        if self._refilled is None:  # the bucket starts empty at the first message
            self._refilled = now
        self._tokens = min(self.rate_limit, self._tokens + (now - self._refilled) * self.rate_limit)
        self._refilled = now
        if self._tokens >= 1:
            self._tokens -= 1
            return None
        return (1 - self._tokens) / self.rate_limit

    async def _send(self, request: web.Request) -> web.Response:
        body = await request.json()
        worker = request.headers.get("X-Worker", "")
        wait = self._take_token()
        if wait is not None:
            self.rejected += 1
            return web.json_response(
                {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": str(max(1, math.ceil(wait)))}
            )
        if body.get("user", "").startswith("UGONE"):
            return web.json_response({"ok": False, "error": "user_not_found"}, status=404)
        delivery = Delivery(
            followup_id=body["followup_id"],
            user=body["user"],
            stage=body["stage"],
            late=bool(body.get("late")),
            worker=worker,
            at=time.monotonic(),
            ts=f"{time.time():.6f}.{len(self.deliveries)}",
        )
        self.deliveries.append(delivery)
        self.counts[delivery.followup_id] += 1
        self.by_followup.setdefault(delivery.followup_id, delivery)
        if self.on_delivery:
            self.on_delivery(delivery)
        if self.hold and self.hold(worker):
            await asyncio.sleep(3600)  # cancelled when the server shuts down
        await asyncio.sleep(self.latency)
        return web.json_response({"ok": True, "ts": delivery.ts})

    async def _delivered(self, request: web.Request) -> web.Response:
        self.checked_queries += 1
        found = self.by_followup.get(request.query["followup_id"])
        if found:
            self.found_queries += 1
        await asyncio.sleep(self.latency)
        return web.json_response({"ok": True, "ts": found.ts if found else None})

    async def _notify(self, request: web.Request) -> web.Response:
        self.notices.append(await request.json())
        return web.json_response({"ok": True})

    def duplicates(self) -> int:
        return sum(count - 1 for count in self.counts.values() if count > 1)


class HttpMessenger:
    """A generic Messenger over the fake platform's HTTP API."""

    def __init__(self, base_url: str, worker: str = "", platform: str = "loopback", timeout: float = 10.0) -> None:
        self.platform = platform
        self.base_url = base_url.rstrip("/")
        self.worker = worker
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=self._timeout,
                headers={"X-Worker": self.worker},
                connector=aiohttp.TCPConnector(limit=64),
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def send_followup(self, delivery: FollowupDelivery) -> str:
        payload = {
            "followup_id": str(delivery.followup_id),
            "user": delivery.user,
            "workspace": delivery.workspace,
            "stage": delivery.stage,
            "late": delivery.late,
            "text": delivery.message,
            "resources": [shown.resource.name for shown in delivery.resources],
        }
        try:
            async with self._client().post(f"{self.base_url}/send", json=payload) as response:
                body = await response.json()
                if response.status == 429:
                    raise RateLimited(float(response.headers.get("Retry-After", "1")))
                if response.status in (404, 410):
                    raise PermanentSendError(str(body.get("error", response.status)))
                if response.status >= 400:
                    raise TransientSendError(f"HTTP {response.status}")
                return str(body["ts"])
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise TransientSendError(type(exc).__name__) from exc

    async def find_delivered(self, delivery: FollowupDelivery) -> str | None:
        try:
            async with self._client().get(
                f"{self.base_url}/delivered", params={"followup_id": str(delivery.followup_id)}
            ) as response:
                if response.status >= 400:
                    raise TransientSendError(f"HTTP {response.status}")
                return (await response.json()).get("ts")
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise TransientSendError(type(exc).__name__) from exc

    async def user_timezone(self, workspace: str, user: str) -> str | None:
        return None

    async def notify_support_request(self, notice: SupportNotice, recipient: str) -> bool:
        payload = {"request_id": str(notice.request_id), "user": notice.user, "recipient": recipient}
        async with self._client().post(f"{self.base_url}/notify", json=payload) as response:
            return response.status == 200


async def serve(platform: FakePlatform, host: str = "127.0.0.1") -> tuple[web.AppRunner, str]:
    """Start the fake on a free loopback port; return the runner (to clean up) and its URL."""
    runner = web.AppRunner(platform.app(), access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, host, 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://{host}:{port}"
