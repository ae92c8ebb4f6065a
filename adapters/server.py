"""The one aiohttp server: health, metrics, and every platform adapter whose settings are present.

`create_app` is the composition root: it builds the core from settings and
mounts the Slack and Teams adapters on one application, so a single process
(or several replicas behind a load balancer) serves everything on one port.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from bot.clock import Clock
from bot.core import Core
from bot.followups import dispatch_forever
from bot.port import Messenger
from bot.schema import SchemaTooNew, ensure_schema
from bot.settings import Settings, SettingsError

log = logging.getLogger("debrief.server")

HOUSEKEEPING_SECONDS = 30.0
MAX_REQUEST_BYTES = 1024 * 1024
"""Slack and Bot Framework payloads are far smaller; anything bigger is refused with 413."""


@dataclass
class ServerState:
    """What the server knows about itself, for /healthz and for clean shutdown."""

    ready: bool = False
    enabled: list[str] = field(default_factory=list)
    background: list[Callable[[Core], Awaitable[None]]] = field(default_factory=list)
    messengers: dict[str, Messenger] = field(default_factory=dict)
    """platform -> the adapter's `bot.port.Messenger`, for follow-ups and support notices."""


CORE = web.AppKey("core", Core)
STATE = web.AppKey("state", ServerState)


def register_messenger(app: web.Application, messenger: Messenger) -> None:
    """Adapters call this from `mount`: what the core initiates on `messenger.platform` goes through it."""
    app[STATE].messengers[messenger.platform] = messenger
    app[CORE].support.messengers[messenger.platform] = messenger


def create_app(
    settings: Settings, *, clock: Clock | None = None, housekeeping: bool = True, followups: bool = True
) -> web.Application:
    """Build the whole bot as one aiohttp application; nothing runs until it starts.

    With `followups`, every process runs the follow-up dispatcher over the
    messengers the adapters registered (`register_messenger`).
    """
    core = Core.build(settings, clock)
    app = web.Application(client_max_size=MAX_REQUEST_BYTES)
    app[CORE] = core
    app[STATE] = state = ServerState()
    app.router.add_get("/healthz", _healthz)
    app.router.add_get("/metrics", _metrics)
    from adapters import charts_http

    charts_http.register(app)

    if settings.slack_enabled:
        from adapters.slack import mount as mount_slack

        state.enabled.append(mount_slack(app, core))
    else:
        state.enabled.append(
            "Slack: off. Set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (one workspace), "
            "or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET (many), to turn it on."
        )
    if not settings.debrief_public_url:
        state.enabled.append(
            "Officers' charts and export links: off in Slack and in signed-in Teams. "
            "Set DEBRIEF_PUBLIC_URL to this server's https address to turn them on."
        )
    from adapters.teams import mount as mount_teams

    state.enabled.append(mount_teams(app, core))
    if housekeeping:
        state.background.append(_expire_keys_forever)
    if followups:
        state.background.append(lambda core: dispatch_forever(core, state.messengers))
    app.cleanup_ctx.append(_lifecycle)
    return app


async def _lifecycle(app: web.Application) -> AsyncIterator[None]:
    core, state = app[CORE], app[STATE]
    await ensure_schema(core.database)
    tasks = [asyncio.create_task(job(core)) for job in state.background]
    state.ready = True
    try:
        yield
    finally:
        state.ready = False
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await core.database.dispose()


async def _expire_keys_forever(core: Core) -> None:
    """Destroy answer keys whose last follow-up stage is over (see bot.anonymity)."""
    while True:
        try:
            gone = await core.debriefs.expire_keys()
            if gone:
                log.info("destroyed %d expired debrief keys", gone)
        except Exception as exc:  # keep the loop alive through a database outage
            log.warning("key expiry failed: %s", exc)
        await asyncio.sleep(HOUSEKEEPING_SECONDS)


async def _healthz(request: web.Request) -> web.Response:
    """200 only when the schema is ready and the database answers."""
    if not request.app[STATE].ready:
        return web.json_response({"status": "starting"}, status=503)
    try:
        async with request.app[CORE].database.session() as session:
            await session.execute(text("SELECT 1"))
    except Exception as exc:
        log.warning("health check: database unavailable: %s", exc)
        return web.json_response({"status": "database unavailable"}, status=503)
    return web.json_response({"status": "ok"})


async def _metrics(request: web.Request) -> web.Response:
    return web.Response(body=generate_latest(), headers={"Content-Type": CONTENT_TYPE_LATEST})


def describe(settings: Settings, app: web.Application) -> list[str]:
    """The first lines an operator reads: where it listens, what is on, how to turn on the rest."""
    backend = "PostgreSQL" if settings.is_postgres else "SQLite"
    where = settings.database_url.split("@")[-1] if settings.is_postgres else settings.database_url.split("///")[-1]
    return [
        f"debrief-bot listening on http://{settings.host}:{settings.port} (health: /healthz, metrics: /metrics)",
        f"Database: {backend} ({where})",
        settings.secret_source(),
        *app[STATE].enabled,
    ]


def run() -> int:
    """`debrief-bot serve`: everything from the environment; one line and exit 2 on bad settings."""
    try:
        settings = Settings.load()
    except SettingsError as exc:
        print(f"debrief-bot: {exc}", file=sys.stderr)
        return 2
    from adapters.logs import configure

    configure(settings.log_level)
    app = create_app(settings)
    for line in describe(settings, app):
        log.info(line)
    try:
        web.run_app(app, host=settings.host, port=settings.port, print=None, access_log=None)
    except SchemaTooNew as exc:
        log.error("%s", exc)
        return 3
    return 0
