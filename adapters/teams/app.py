"""The Bot Framework endpoint: CloudAdapter, authentication, and POST /api/messages.

Authentication is botbuilder's `ConfigurationBotFrameworkAuthentication`:

* MICROSOFT_APP_ID set: every request's JWT is validated (issuer, signature
  against Microsoft's published keys, audience = the app id, service URL);
  a missing, forged or expired token gets 401 before anything else happens.
* MICROSOFT_APP_ID blank: local unauthenticated mode, for the Microsoft 365
  Agents Playground and the Bot Framework Emulator, on this machine only, by
  construction: a request is accepted only from a loopback TCP peer with no
  forwarding header (`adapters.local`), whatever its body claims, and only
  with a loopback serviceUrl (replies go there without a token, so the bot
  cannot be made to post elsewhere). `Settings` refuses local mode on a
  non-loopback HOST, and a deployment with Slack and no Teams does not
  mount this route unless DEBRIEF_TEAMS_LOCAL=true asks for it.

The handler authenticates and parses itself and then runs the turn with
`CloudAdapter.process_activity`, so that it can answer 400/401/403/415
precisely (413 for a body over the server's limit, 400 for what is not an
activity of a shape the bot can answer, with one log line and never the
body) and write each invoke answer once, as the plain dict it is
(`CloudAdapter.process` serializes invoke bodies with msrest, which fails
on a dict and answers 500).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from urllib.parse import urlparse

from aiohttp import web
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botbuilder.schema import Activity

from adapters.local import not_local
from adapters.teams.bot import DebriefBot
from adapters.teams.messaging import Messaging
from adapters.teams.references import References
from adapters.teams.services import Services
from bot.core import Core
from bot.settings import Settings, is_loopback_host, revealed

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
            APP_PASSWORD=revealed(settings.microsoft_app_password),
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
    return is_loopback_host(urlparse(url or "").hostname or "")


async def messages(request: web.Request) -> web.StreamResponse:
    services = request.app[SERVICES]
    adapter, bot = request.app[ADAPTER], request.app[BOT]
    authenticated = bool(services.app_id)
    if not authenticated and (reason := not_local(request)):
        log.warning("local unauthenticated mode: refused a request because %s "
                    "(set MICROSOFT_APP_ID and MICROSOFT_APP_PASSWORD to accept Microsoft Teams)", reason)
        return web.json_response({"error": "forbidden"}, status=403)
    header = request.headers.get("Authorization", "")
    if authenticated and not header.startswith("Bearer "):
        log.warning("Bot Framework request refused: no bearer token")
        return web.json_response({"error": "unauthorized"}, status=401)
    if "json" not in (request.content_type or ""):
        return web.json_response({"error": "expected application/json"}, status=415)
    try:
        text = await request.text()
    except web.HTTPRequestEntityTooLarge:
        log.warning("Bot Framework request refused: the body is over the server's size limit")
        return web.json_response({"error": "request too large"}, status=413)
    except UnicodeDecodeError:
        text = ""
    activity, problem = parse_activity(text)
    if activity is None:
        log.warning("Bot Framework request refused: %s", problem)
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
    except Exception as error:  # the bot handles its own failures; what escapes is an activity it could not read
        log.warning("Bot Framework activity refused: the adapter could not run its turn (%s)", type(error).__name__)
        log.debug("adapter failure", exc_info=True)
        return web.json_response({"error": "activity not understood"}, status=400)
    if invoke is not None:
        if invoke.body is None:
            return web.Response(status=invoke.status or 200)
        return web.json_response(invoke.body, status=invoke.status or 200)
    return web.Response(status=201)


def parse_activity(text: str) -> tuple[Activity | None, str]:
    """The activity in a request body, or None and why not (never quoting the body)."""
    try:
        body = json.loads(text)
    except ValueError:
        return None, "the body is not JSON"
    if not isinstance(body, dict):
        return None, f"the body is a JSON {type(body).__name__}, not an object"
    problem = shape_problem(body)
    if problem:
        return None, problem
    try:
        activity = Activity().deserialize(body)
    except Exception as error:  # noqa: BLE001 - msrest's DeserializationError and the errors of its parsers
        return None, f"the activity does not deserialize ({type(error).__name__})"
    return activity, ""


def shape_problem(body: dict[str, object]) -> str | None:
    """What the bot needs in an activity before it runs a turn; None when it is all there.

    botbuilder reads these without checking them: a string where an object
    belongs ends as an AttributeError deep in a turn.
    """
    kind = body.get("type")
    if not isinstance(kind, str) or not kind:
        return "no activity type"
    for name in ("serviceUrl", "channelId", "id", "text", "name", "locale", "replyToId"):
        if name in body and body[name] is not None and not isinstance(body[name], str):
            return f"{name} is not a string"
    if not isinstance(body.get("serviceUrl"), str):
        return "no serviceUrl"
    for name in ("from", "recipient", "conversation"):
        part = body.get(name)
        if not isinstance(part, dict):
            return f"no {name} object"
        if not isinstance(part.get("id"), str) or not part["id"]:
            return f"{name}.id is missing or not a string"
        for field, value in part.items():
            if field in ("name", "aadObjectId", "tenantId", "conversationType", "role") and value is not None and not isinstance(value, str):
                return f"{name}.{field} is not a string"
    for name in ("channelData", "clientInfo"):
        if name in body and body[name] is not None and not isinstance(body[name], dict):
            return f"{name} is not an object"
    for name in ("entities", "attachments", "membersAdded", "membersRemoved"):
        value = body.get(name)
        if value is not None and not (isinstance(value, list) and all(isinstance(item, dict) for item in value)):
            return f"{name} is not a list of objects"
    return None


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
