"""The Bot Framework endpoint: CloudAdapter, authentication, and POST /api/messages.

Authentication is botbuilder's `ConfigurationBotFrameworkAuthentication`:

* MICROSOFT_APP_ID set: every request's JWT is validated (issuer, signature
  against Microsoft's published keys, audience = the app id, service URL);
  a missing, forged or expired token gets 401 before anything else happens.
* MICROSOFT_APP_ID blank: local unauthenticated mode, for the Microsoft 365
  Agents Playground and the Bot Framework Emulator. Replies go to the
  request's serviceUrl without a token, so in this mode only a serviceUrl on
  this machine (loopback) is accepted: an unauthenticated bot exposed by
  mistake cannot be made to send requests elsewhere.

The handler authenticates and parses itself and then runs the turn with
`CloudAdapter.process_activity`, so that it can answer 400/401/403/415
precisely and write each invoke answer once, as the plain dict it is
(`CloudAdapter.process` serializes invoke bodies with msrest, which fails
on a dict and answers 500).
"""

from __future__ import annotations

import ipaddress
import json
import logging
from dataclasses import dataclass
from urllib.parse import urlparse

from aiohttp import web
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botbuilder.schema import Activity

from adapters.teams.bot import DebriefBot
from adapters.teams.messaging import Messaging
from adapters.teams.references import References
from adapters.teams.services import Services
from bot.core import Core
from bot.settings import Settings

log = logging.getLogger("debrief.teams")

MESSAGES_PATH = "/api/messages"


@dataclass(frozen=True)
class BotConfiguration:
    """The attributes `ConfigurationBotFrameworkAuthentication` reads, from our Settings."""

    APP_ID: str
    APP_PASSWORD: str
    APP_TENANTID: str | None
    APP_TYPE: str

    @classmethod
    def from_settings(cls, settings: Settings) -> BotConfiguration:
        tenant = settings.microsoft_app_tenant_id
        return cls(
            APP_ID=settings.microsoft_app_id or "",
            APP_PASSWORD=settings.microsoft_app_password or "",
            APP_TENANTID=tenant,
            APP_TYPE="SingleTenant" if tenant and settings.microsoft_app_id else "MultiTenant",
        )


def build(core: Core) -> tuple[CloudAdapter, DebriefBot, Services]:
    settings = core.settings
    # msrest warns about every channelData field it has no model for (Teams adds new ones all the
    # time), once per activity: noise for an operator, and nothing to act on.
    logging.getLogger("msrest.serialization").setLevel(logging.ERROR)
    authentication = ConfigurationBotFrameworkAuthentication(
        BotConfiguration.from_settings(settings), logger=logging.getLogger("debrief.teams.auth")
    )
    adapter = CloudAdapter(authentication)
    references = References(core.database, core.clock)
    app_id = settings.microsoft_app_id
    services = Services(core, adapter, references, Messaging(core, adapter, references, app_id), app_id)
    if settings.microsoft_graph_enabled:
        from adapters.teams.graph import Graph, msal_token_provider

        services.graph = Graph(settings.microsoft_graph_url, msal_token_provider(settings))
    return adapter, DebriefBot(services), services


ADAPTER = web.AppKey("teams_adapter", CloudAdapter)
BOT = web.AppKey("teams_bot", DebriefBot)
SERVICES = web.AppKey("teams_services", Services)


def _is_loopback(url: str | None) -> bool:
    host = urlparse(url or "").hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def messages(request: web.Request) -> web.StreamResponse:
    services = request.app[SERVICES]
    adapter, bot = request.app[ADAPTER], request.app[BOT]
    authenticated = bool(services.app_id)
    header = request.headers.get("Authorization", "")
    if authenticated and not header.startswith("Bearer "):
        log.warning("Bot Framework request refused: no bearer token")
        return web.json_response({"error": "unauthorized"}, status=401)
    if "json" not in (request.content_type or ""):
        return web.json_response({"error": "expected application/json"}, status=415)
    try:
        body = json.loads(await request.text())
        activity = Activity().deserialize(body) if isinstance(body, dict) else None
    except (ValueError, TypeError, AttributeError):
        activity = None
    if activity is None or not activity.type:
        return web.json_response({"error": "not an activity"}, status=400)
    if not authenticated and not _is_loopback(activity.service_url):
        log.warning("local unauthenticated mode: refused an activity whose serviceUrl is not on this machine "
                    "(set MICROSOFT_APP_ID to accept Microsoft Teams)")
        return web.json_response({"error": "forbidden"}, status=403)
    try:
        authentication = await adapter.bot_framework_authentication.authenticate_request(activity, header)
    except Exception as error:  # noqa: BLE001 - unreachable signing keys are told apart below; any other failure is a refused request
        if _unreachable_keys(error):
            log.error("Bot Framework request not checked: Microsoft's signing keys are unreachable (%s)",
                      type(error).__name__)
            return web.json_response({"error": "authentication unavailable"}, status=503)
        log.warning("Bot Framework request refused: invalid token (%s)", type(error).__name__)
        return web.json_response({"error": "unauthorized"}, status=401)
    try:
        invoke = await adapter.process_activity(authentication, activity, bot.on_turn)
    except Exception as error:  # noqa: BLE001 - the bot handles its own failures; this is the adapter's
        log.error("Bot Framework turn failed in the adapter: %s", type(error).__name__)
        return web.json_response({"error": "internal error"}, status=500)
    if invoke is not None:
        if invoke.body is None:
            return web.Response(status=invoke.status or 200)
        return web.json_response(invoke.body, status=invoke.status or 200)
    return web.Response(status=201)


def _unreachable_keys(error: BaseException) -> bool:
    try:
        import requests
    except ImportError:  # pragma: no cover
        return False
    return isinstance(error, requests.exceptions.ConnectionError | requests.exceptions.Timeout)


def add_routes(app: web.Application, core: Core) -> Services:
    adapter, bot, services = build(core)
    app[ADAPTER], app[BOT], app[SERVICES] = adapter, bot, services
    app.router.add_post(MESSAGES_PATH, messages)

    async def drain(app: web.Application):
        yield
        await services.drain()

    app.cleanup_ctx.append(drain)
    return services
