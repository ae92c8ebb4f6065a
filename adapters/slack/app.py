"""The Bolt app, built from settings by a factory (never at import time, never mutated per request).

* One workspace: SLACK_BOT_TOKEN; Bolt calls `auth.test` once to learn the
  bot's ids (context.bot_user_id), through the same client as everything else.
* Many workspaces: SLACK_CLIENT_ID/SLACK_CLIENT_SECRET; installations live in
  slack_sdk's SQLAlchemy stores on the bot's own database (their tables come
  from our Alembic migration, not from `create_tables()`).
* Every Web API call goes to SLACK_API_URL when it is set: Bolt copies the
  app client's base_url and retry handlers into every per-request client.
* 429s wait for Retry-After (AsyncRateLimitErrorRetryHandler) besides the
  default retry of connection errors.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import listeners
from bot.core import Core
from bot.settings import Settings, revealed

log = logging.getLogger("debrief.slack")

BOT_SCOPES = ["commands", "chat:write", "groups:write", "im:history", "im:write", "users:read", "users:read.email",
              "channels:history"]
"""`im:history` only so a check-in or an officer's digest can be found again in the DM before it is
re-sent after a crash or a timeout (messenger.find_delivered, find_digest); it looks at nothing but
its own messages. `channels:history` likewise for the monthly learning digest in its channel
(find_learning_digest, DEBRIEF_LEARNING_DIGEST)."""
EVENTS_PATH = "/slack/events"
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
STATE_SECONDS = 600
API_TIMEOUT_SECONDS = 15


def build_client(settings: Settings, token: str | None = None) -> AsyncWebClient:
    kwargs: dict[str, Any] = {"base_url": settings.slack_api_url} if settings.slack_api_url else {}
    return AsyncWebClient(
        token=token,
        timeout=API_TIMEOUT_SECONDS,
        retry_handlers=[AsyncConnectionErrorRetryHandler(), AsyncRateLimitErrorRetryHandler(max_retry_count=2)],
        logger=_api_logger(settings),
        **kwargs,
    )


def _api_logger(settings: Settings) -> logging.Logger:
    """The Web API client's logger, at WARNING whatever LOG_LEVEL says (see `adapters.logs`).

    At DEBUG slack_sdk writes every request and response whole (whom a
    message went to, and what it said). The level is set on the logger
    itself: left unset (NOTSET) slack_sdk formats its debug line for every
    call even when nothing would print it, half a millisecond of CPU per call.
    """
    logger = logging.getLogger("debrief.slack.api")
    level = logging.getLevelName(settings.log_level.upper())
    logger.setLevel(max(logging.WARNING, level if isinstance(level, int) else logging.WARNING))
    return logger


def share_connections(bolt: AsyncApp) -> Callable[[web.Application], AsyncIterator[None]]:
    """An aiohttp cleanup context: one HTTP session (kept-alive connections) for every Web API call.

    Without it slack_sdk opens a new session, and a new connection, per call.
    Bolt hands the app client's session to each per-request client, so
    setting it here once covers every listener, the OAuth flow and Socket Mode.
    """

    async def context(_: web.Application) -> AsyncIterator[None]:
        session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=API_TIMEOUT_SECONDS))
        bolt.client.session = session
        try:
            yield
        finally:
            bolt.client.session = None
            await session.close()

    return context


def build_oauth_settings(core: Core) -> AsyncOAuthSettings:
    settings = core.settings
    assert settings.slack_client_id and settings.slack_client_secret
    engine = core.database.engine
    return AsyncOAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=revealed(settings.slack_client_secret),
        scopes=BOT_SCOPES,
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        installation_store=AsyncSQLAlchemyInstallationStore(client_id=settings.slack_client_id, engine=engine),
        state_store=AsyncSQLAlchemyOAuthStateStore(expiration_seconds=STATE_SECONDS, engine=engine),
    )


class _TokenInClient(logging.Filter):
    """Drop Bolt's "`token` will be unused" warning: Bolt reads SLACK_BOT_TOKEN from the environment by itself,
    and the client we give it already carries that very token, so nothing is unused."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != warning_client_prioritized_and_token_skipped()


def _bolt_logger() -> logging.Logger:
    """Bolt's logger, with its filters from the first app on.

    Bolt's middlewares take their loggers' filters from this one only when
    their own logger (one per middleware class, for the whole process) has
    none yet, so `CauseOnly` (a refused request's body kept out of the log)
    is here before any app is built, not added later by `adapters.logs.configure`.
    """
    from adapters.logs import CauseOnly

    logger = logging.getLogger("debrief.slack.bolt")
    for kind in (CauseOnly, _TokenInClient):
        if not any(isinstance(existing, kind) for existing in logger.filters):
            logger.addFilter(kind())
    return logger


class _AttachCore(AsyncMiddleware):
    """Puts the core in every request's context, for listeners to ask for by name.

    A middleware class, not a function: Bolt calls it as it is, where a
    function middleware has its arguments looked up and built on every
    request (the answer form is the busiest one).
    """

    def __init__(self, core: Core) -> None:
        self.core = core

    async def async_process(
        self, *, req: AsyncBoltRequest, resp: BoltResponse, next: Callable[[], Awaitable[BoltResponse]]
    ) -> BoltResponse | None:
        req.context["core"] = self.core
        return await next()


def build_app(core: Core) -> AsyncApp:
    """A Bolt AsyncApp wired to `core`, for HTTP, Socket Mode or both."""
    settings = core.settings
    oauth = settings.slack_oauth
    app = AsyncApp(
        name="debrief-bot",
        logger=_bolt_logger(),
        signing_secret=revealed(settings.slack_signing_secret),
        request_verification_enabled=False,  # `adapters.slack.http` checks every request first, on the signed bytes
        client=build_client(settings, None if oauth else revealed(settings.slack_bot_token) or None),
        oauth_settings=build_oauth_settings(core) if oauth else None,
    )

    app.use(_AttachCore(core))
    listeners.register(app)
    return app
