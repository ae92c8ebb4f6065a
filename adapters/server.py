"""The one aiohttp server: health, metrics, and every platform adapter whose settings are present.

`create_app` is the composition root: it builds the core from settings and
mounts the Slack and Teams adapters on one application, so a single process
(or several replicas behind a load balancer) serves everything on one port.

Its edges (DESIGN.md, "The server's edges"): `/api/messages` is mounted only
for Teams (an app id) or local Teams mode (`Settings.teams_local`, this
machine only); `/metrics` answers loopback peers only, or lives on its own
METRICS_PORT; background jobs are supervised and `/healthz` says 503 while
one is down. `run` (`debrief-bot serve`) reports every start-up failure in
one line, with a traceback only at LOG_LEVEL=DEBUG.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import gc
import logging
import signal
import socket
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from adapters import pages_http
from bot.clock import Clock
from bot.core import Core
from bot.followups import dispatch_forever
from bot.port import Messenger
from bot.schema import SchemaTooNew, ensure_schema
from bot.settings import Settings
from bot.supervisor import Job, supervise
from bot.support import startup_notes

log = logging.getLogger("debrief.server")

HOUSEKEEPING_SECONDS = 30.0
MAX_REQUEST_BYTES = 1024 * 1024
"""Slack and Bot Framework payloads are far smaller; anything bigger is refused with 413."""


@dataclass
class ServerState:
    """What the server knows about itself, for /healthz and for clean shutdown."""

    ready: bool = False
    enabled: list[str] = field(default_factory=list)
    background: list[tuple[str, Callable[[Core], Coroutine[Any, Any, None]]]] = field(default_factory=list)
    """(name, job) run under `bot.supervisor.supervise` while the server runs."""
    jobs: list[Job] = field(default_factory=list)
    restart_delay: float = 1.0
    """The supervisor's first delay before restarting a job that ended (doubles up to a minute)."""
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
    messengers the adapters registered (`register_messenger`); it and the
    other background jobs run under `bot.supervisor.supervise`.
    """
    core = Core.build(settings, clock)
    app = web.Application(client_max_size=MAX_REQUEST_BYTES)
    app[CORE] = core
    app[STATE] = state = ServerState()
    app.router.add_get("/healthz", _healthz)
    if settings.metrics_port is None:
        app.router.add_get("/metrics", _local_metrics)
    from adapters import charts_http

    charts_http.register(app)
    pages_http.register(app, settings)

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
    if settings.teams_enabled:
        from adapters.teams import mount as mount_teams

        state.enabled.append(mount_teams(app, core))
    else:
        state.enabled.append(
            "Teams: off (/api/messages not served). Set MICROSOFT_APP_ID and MICROSOFT_APP_PASSWORD to turn it on, "
            "or DEBRIEF_TEAMS_LOCAL=true for local mode on this machine."
        )
    state.enabled += startup_notes(core.resources, bool(settings.debrief_resources))
    if housekeeping:
        state.background.append(("answer-key expiry", _expire_keys_forever))
    if followups and state.messengers:
        state.background.append(("follow-up dispatcher", lambda core: dispatch_forever(core, state.messengers)))
    elif followups:
        state.enabled.append("Check-ins: not sent from this process: no platform is on.")
    app.cleanup_ctx.append(_lifecycle)
    return app


async def _lifecycle(app: web.Application) -> AsyncIterator[None]:
    core, state = app[CORE], app[STATE]
    try:
        await ensure_schema(core.database)
    except BaseException:
        await core.database.dispose()
        raise
    state.jobs = [Job(name, _bound(job, core)) for name, job in state.background]
    tasks = [asyncio.create_task(supervise(job, first_delay=state.restart_delay)) for job in state.jobs]
    # What start-up made (the platforms' libraries, the scripts, the identifier lists, the schema)
    # lives as long as the process: out of the cycle collector's way, its passes read only what
    # requests make (a sixth less CPU per answer under load, bench/slack_bench.py).
    gc.freeze()
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


def _bound(job: Callable[[Core], Awaitable[None]], core: Core) -> Callable[[], Awaitable[None]]:
    return lambda: job(core)


async def _expire_keys_forever(core: Core) -> None:
    """Destroy answer keys whose last follow-up stage is over (see bot.anonymity)."""
    while True:
        try:
            gone = await core.tallies.expire_keys()
            if gone:
                log.info("destroyed %d expired debrief keys", gone)
        except Exception as exc:  # noqa: BLE001 - keep the loop alive through a database outage
            log.warning("key expiry failed: %s", exc)
        await asyncio.sleep(HOUSEKEEPING_SECONDS)


async def _healthz(request: web.Request) -> web.Response:
    """200 only when the schema is ready, every background job runs and the database answers."""
    state = request.app[STATE]
    if not state.ready:
        return web.json_response({"status": "starting"}, status=503)
    down = [job.name for job in state.jobs if not job.up]
    if down:
        return web.json_response({"status": f"{', '.join(down)} down, restarting"}, status=503)
    try:
        async with request.app[CORE].database.session() as session:
            await session.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - the health check answers 503 for any database failure
        log.warning("health check: database unavailable: %s", exc)
        return web.json_response({"status": "database unavailable"}, status=503)
    return web.json_response({"status": "ok"})


async def _metrics(request: web.Request) -> web.Response:
    return web.Response(body=generate_latest(), headers={"Content-Type": CONTENT_TYPE_LATEST})


async def _local_metrics(request: web.Request) -> web.Response:
    """/metrics on the main port: for this machine only (a scraper beside it, or an SSH tunnel)."""
    from adapters.local import not_local

    reason = not_local(request)
    if reason is not None:
        log.warning("/metrics refused: %s (set METRICS_PORT to serve it on a port of its own)", reason)
        return web.json_response({"error": "forbidden"}, status=403)
    return await _metrics(request)


def metrics_app() -> web.Application:
    """The application on METRICS_PORT: /metrics and nothing else."""
    app = web.Application()
    app.router.add_get("/metrics", _metrics)
    return app


def describe(settings: Settings, app: web.Application) -> list[str]:
    """The first lines an operator reads: where it listens, what is on, how to turn on the rest."""
    backend = "PostgreSQL" if settings.is_postgres else "SQLite"
    where = settings.database_url.split("@")[-1] if settings.is_postgres else settings.database_url.split("///")[-1]
    if settings.metrics_port is None:
        metrics = "metrics: /metrics, to this machine only"
    else:
        metrics = f"metrics: http://{settings.metrics_host or settings.host}:{settings.metrics_port}/metrics"
    return [
        f"debrief-bot listening on http://{settings.host}:{settings.port} (health: /healthz, {metrics})",
        f"Database: {backend} ({where})",
        settings.secret_source(),
        *app[STATE].enabled,
    ]


class StartupFailed(Exception):
    """Start-up stopped; the message is the one line the operator reads."""


def run(settings: Settings) -> int:
    """`debrief-bot serve` on settings already checked (`bot.startup.check`): 0 after a clean stop.

    Every failure to start is one line on stderr and exit status 2 (3 for a
    database written by a newer release); the traceback only at LOG_LEVEL=DEBUG.
    """
    from adapters.logs import configure

    configure(settings.log_level)
    try:
        asyncio.run(_serve(settings))
    except SchemaTooNew as exc:
        print(f"debrief-bot: {exc}", file=sys.stderr)
        return 3
    except StartupFailed as exc:
        log.debug("start-up failed", exc_info=exc.__cause__ or exc)
        print(f"debrief-bot: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        pass
    return 0


async def _serve(settings: Settings) -> None:
    """Claim the ports, then the schema, then serve; log what is on; stop cleanly on SIGTERM or SIGINT.

    The ports are bound first, so that a port in use stops start-up before
    anything (the schema, the dispatcher) has run.
    """
    from bot.startup import database_problem

    sockets = [_bind(settings.host, settings.port, "PORT")]
    if settings.metrics_port is not None:
        sockets.append(_bind(settings.metrics_host or settings.host, settings.metrics_port, "METRICS_PORT"))
    app = create_app(settings)
    runners = [web.AppRunner(app, access_log=None, handle_signals=False)]
    if settings.metrics_port is not None:
        runners.append(web.AppRunner(metrics_app(), access_log=None, handle_signals=False))
    started: list[web.AppRunner] = []
    try:
        for runner in runners:
            try:
                await runner.setup()  # the main app's creates or upgrades the schema, or refuses a newer one
            except SchemaTooNew:
                raise
            except Exception as error:
                raise StartupFailed(database_problem(error)) from error
            finally:
                started.append(runner)
        for runner, sock in zip(runners, sockets, strict=True):
            await web.SockSite(runner, sock).start()
        for line in describe(settings, app):
            log.info(line)
        await _until_stopped()
    finally:
        for runner in reversed(started):
            await _quietly(runner.cleanup())
        for sock in sockets:
            sock.close()


def _bind(host: str, port: int, variable: str) -> socket.socket:
    """A listening-to-be socket on host:port, or `StartupFailed` saying which variable to change."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        sock = socket.socket(family, kind, proto)
    except OSError as error:
        raise StartupFailed(f"HOST: cannot listen on {host} ({error.strerror or error}); set HOST to an address of this machine") from error
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError as error:
        sock.close()
        if error.errno == errno.EADDRINUSE:
            raise StartupFailed(f"{variable}: {host}:{port} is already in use; stop what uses it, or set {variable} to a free port") from error
        if error.errno == errno.EACCES:
            raise StartupFailed(f"{variable}: not allowed to listen on port {port}; use a port above 1023") from error
        raise StartupFailed(f"HOST: cannot listen on {host}:{port} ({error.strerror or error}); set HOST to an address of this machine") from error
    return sock


async def _until_stopped() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    log.info("stopping")


async def _quietly(work: Awaitable[None]) -> None:
    try:
        await work
    except Exception as error:  # noqa: BLE001 - already failing or stopping: say it, do not mask the first problem
        log.warning("while stopping: %s", type(error).__name__)
