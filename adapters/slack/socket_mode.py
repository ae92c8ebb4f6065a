"""Socket Mode (SLACK_APP_TOKEN): Slack pushes events over a WebSocket, no public URL needed.

The connection opens when the server starts and closes when it stops, in an
aiohttp `cleanup_ctx`, so `debrief-bot serve` on a laptop just works.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp

log = logging.getLogger("debrief.slack")


def add_socket_mode(app: web.Application, bolt: AsyncApp, app_token: str) -> None:
    async def connection(_: web.Application) -> AsyncIterator[None]:
        handler = AsyncSocketModeHandler(bolt, app_token)
        await handler.connect_async()
        log.info("Slack Socket Mode connected")
        try:
            yield
        finally:
            await handler.close_async()

    app.cleanup_ctx.append(connection)
