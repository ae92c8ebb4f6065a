"""The aiohttp routes: POST /slack/events, and GET /slack/install + /slack/oauth_redirect with OAuth.

Every request a client can send gets a status and at most one log line,
never a traceback and never its body in the log:

* over the server's size limit: 413, before anything else (the body is not read);
* a missing, wrong or stale signature, or a timestamp that is not a number: 401
  (slack_sdk's SignatureVerifier, checked here on the bytes Slack signed,
  before anything is parsed; this is the only check, so Bolt's own is off
  in `adapters.slack.app`: it would parse first, raise on a non-numeric
  timestamp, and quote the body when it refuses);
* signed, but not form data or JSON, or a payload of a shape Bolt's
  matchers cannot read (a string where an object belongs, an action without
  an action_id): 400. Known shapes are checked before dispatch
  (`payload_problem`); anything else that makes Bolt's own code raise ends
  in `refuse_unreadable`, Bolt's global error handler, as 400.

Bolt then answers within Slack's 3 seconds.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Mapping
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.signature import SignatureVerifier
from yarl import URL

from adapters.slack.app import EVENTS_PATH

log = logging.getLogger("debrief.slack")

BOLT = web.AppKey("slack_bolt", AsyncApp)
VERIFIER = web.AppKey("slack_signature_verifier", SignatureVerifier)


async def events(request: web.Request) -> web.Response:
    bolt = request.app[BOLT]
    try:
        body = await request.text()
    except web.HTTPRequestEntityTooLarge:
        log.warning("Slack request refused: the body is over the server's size limit")
        return web.json_response({"error": "request too large"}, status=413)
    except UnicodeDecodeError:
        body = None
    if body is None or not _signed(request.app[VERIFIER], body, request.headers):
        log.warning("Slack request refused: invalid signature or stale timestamp")
        return web.json_response({"error": "invalid request"}, status=401)
    try:
        bolt_request = AsyncBoltRequest(body=bolt_body(body), query=request.query_string, headers=request.headers)  # type: ignore[arg-type]  # aiohttp's CIMultiDictProxy is the Mapping Bolt reads; its hint asks for a dict
    except Exception as error:  # noqa: BLE001 - JSON or form data that does not parse into a payload
        log.warning("signed Slack request with a malformed body refused: %s", type(error).__name__)
        return web.json_response({"error": "malformed payload"}, status=400)
    problem = payload_problem(bolt_request.body)
    if problem:
        log.warning("signed Slack request refused: %s", problem)
        return web.json_response({"error": "malformed payload"}, status=400)
    response = await bolt.async_dispatch(bolt_request)
    if response.status == 401:
        log.warning("Slack request refused: invalid signature or stale timestamp")
    return await to_aiohttp_response(response)


def bolt_body(body: str) -> str:
    """What Bolt is handed to parse: an interaction's JSON itself, out of its form field; anything else as it came.

    Slack sends every button and form as `payload=<the JSON, percent-encoded>`,
    and a submitted modal carries the whole view back: 8 KB and more. Bolt's
    `parse_body` decodes it with urllib's pure-Python decoder, 0.7 ms of CPU
    for a typical answer form (the biggest single cost of an answer after the
    database); yarl's, the one aiohttp decodes every query string with, takes
    0.04 ms, and Bolt then only `json.loads` it. The result is the one Bolt
    would have reached (the last `payload` field, `+` as a space, malformed
    escapes kept as they are); a payload that is not a JSON object goes to
    Bolt unchanged, for `payload_problem` to refuse as before. The signature
    was checked on the original bytes (`_signed`).
    """
    if body.startswith("{") or "payload" not in body:
        return body
    payloads = URL.build(query_string=body, encoded=True).query.getall("payload", [])
    return payloads[-1] if payloads and payloads[-1].startswith("{") else body


def _signed(verifier: SignatureVerifier, body: str, headers: Mapping[str, str]) -> bool:
    """slack_sdk's check, with a timestamp that is not a number counted as unsigned (it raises ValueError)."""
    try:
        return verifier.is_valid(body, headers.get("X-Slack-Request-Timestamp"), headers.get("X-Slack-Signature"))
    except (ValueError, TypeError, OverflowError):
        return False


_OBJECTS = ("team", "user", "channel", "container", "view", "message", "event", "enterprise", "state", "item")
_TEXT = ("type", "command", "callback_id", "trigger_id", "response_url", "team_id", "user_id", "channel_id",
         "api_app_id", "text", "token", "action_ts", "event_id")
_ACTION_TEXT = ("action_id", "block_id", "type", "value")
_VIEW_TEXT = ("id", "callback_id", "private_metadata", "type", "hash", "team_id", "app_installed_team_id")


def payload_problem(body: Any) -> str | None:
    """What makes a signed payload unreadable for Bolt's matchers and our listeners; None if nothing.

    Only the fields they read without checking: their types, not their
    values (an unknown id is the listeners' business, answered kindly).
    """
    if not isinstance(body, dict):
        return "the payload is not an object"
    for name in _TEXT:
        if body.get(name) is not None and not isinstance(body[name], str):
            return f"{name} is not a string"
    for name in _OBJECTS:
        if body.get(name) is not None and not isinstance(body[name], dict):
            return f"{name} is not an object"
    for name in ("authorizations", "response_urls"):
        if body.get(name) is not None and not _objects(body[name]):
            return f"{name} is not a list of objects"
    for place, part, fields in (("view", body.get("view"), _VIEW_TEXT), ("event", body.get("event"), ("type", "subtype"))):
        for name in fields:
            if isinstance(part, dict) and part.get(name) is not None and not isinstance(part[name], str):
                return f"{place}.{name} is not a string"
    view = body.get("view") or {}
    if view.get("state") is not None and not (isinstance(view["state"], dict) and _nested_objects(view["state"].get("values"))):
        return "view.state.values is not an object of objects"
    if body.get("type") in ("block_actions", "interactive_message", "block_suggestion") or "actions" in body:
        actions = body.get("actions")
        if body.get("type") == "block_actions" and not (isinstance(actions, list) and actions):
            return "a block action without actions"
        if actions is not None and not _objects(actions):
            return "actions is not a list of objects"
        for action in actions or []:
            if not isinstance(action.get("action_id"), str):
                return "an action without an action_id"
            for name in _ACTION_TEXT:
                if action.get(name) is not None and not isinstance(action[name], str):
                    return f"an action's {name} is not a string"
    if body.get("type") in ("view_submission", "view_closed") and not isinstance(body.get("view"), dict):
        return f"a {body['type']} without a view"
    if body.get("type") == "event_callback" and not isinstance((body.get("event") or {}).get("type"), str):
        return "an event without a type"
    return None


def _objects(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, dict) for item in value)


def _nested_objects(value: Any) -> bool:
    return value is None or (isinstance(value, dict) and all(isinstance(item, dict) for item in value.values()))


async def refuse_unreadable(error: Exception, body: Any) -> BoltResponse:
    """Bolt's global error handler: a payload its own code could not read is 400, in one line.

    Our listeners never raise (`errors.listener`), so what reaches here
    raised inside Bolt (a matcher, a built-in middleware) on a payload of a
    shape `payload_problem` does not know. The line names the exception and
    where it was raised, not its text, which may quote the payload.
    """
    frames = traceback.extract_tb(error.__traceback__)
    place = f" at {frames[-1].filename.rsplit('/', 2)[-1]}:{frames[-1].lineno}" if frames else ""
    kind = str(body["type"]) if isinstance(body, dict) and isinstance(body.get("type"), str) else "request"
    log.warning("signed Slack %s refused: Bolt could not read it (%s%s)", kind[:40], type(error).__name__, place)
    return BoltResponse(status=400, body='{"error": "malformed payload"}', headers={"content-type": "application/json"})


async def install(request: web.Request) -> web.Response:
    flow = request.app[BOLT].oauth_flow
    assert flow is not None
    return await to_aiohttp_response(await flow.handle_installation(await to_bolt_request(request)))


async def oauth_redirect(request: web.Request) -> web.Response:
    flow = request.app[BOLT].oauth_flow
    assert flow is not None
    return await to_aiohttp_response(await flow.handle_callback(await to_bolt_request(request)))


def add_routes(app: web.Application, bolt: AsyncApp, signing_secret: str) -> None:
    app[BOLT] = bolt
    app[VERIFIER] = SignatureVerifier(signing_secret)
    bolt.error(refuse_unreadable)
    app.router.add_post(EVENTS_PATH, events)
    flow = bolt.oauth_flow
    if flow is not None:
        app.router.add_get(flow.install_path, install)
        app.router.add_get(flow.redirect_uri_path, oauth_redirect)

