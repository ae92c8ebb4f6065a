"""Socket Mode (SLACK_APP_TOKEN): Slack pushes events over a WebSocket, no public URL needed.

The connection opens when the server starts and closes when it stops, in an
aiohttp `cleanup_ctx`, so `debrief-bot serve` on a laptop just works.

slack_sdk's `connect()` retries for ever, every 10 seconds, when it cannot
connect, which is right for a network blip and wrong for a mistyped token:
so the token is tried once first (`apps.connections.open`). A refusal is one
log line naming SLACK_APP_TOKEN and the rest of the server (HTTP, health,
Teams) keeps serving; otherwise the connection is made in the background.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError

from adapters.slack.errors import cause

log = logging.getLogger("debrief.slack")


def add_socket_mode(app: web.Application, bolt: AsyncApp, app_token: str) -> None:
    async def connection(_: web.Application) -> AsyncIterator[None]:
        try:
            await bolt.client.apps_connections_open(app_token=app_token)
        except SlackApiError as error:
            log.error("Slack Socket Mode is off: Slack refused SLACK_APP_TOKEN (%s)", cause(error))
            yield
            return
        except Exception as error:  # noqa: BLE001 - a network problem: slack_sdk keeps trying in the background
            log.warning("Slack Socket Mode: cannot reach Slack yet, will keep trying: %s", cause(error))
        handler = AsyncSocketModeHandler(bolt, app_token)
        connecting = asyncio.create_task(handler.connect_async())
        connecting.add_done_callback(_report)
        try:
            yield
        finally:
            connecting.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await connecting
            await handler.close_async()

    app.cleanup_ctx.append(connection)


def _report(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is None:
        log.info("Slack Socket Mode connected")
