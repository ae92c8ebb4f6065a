"""The aiohttp routes: POST /slack/events, and GET /slack/install + /slack/oauth_redirect with OAuth.

Bolt verifies every request's signature and timestamp (401 when either is
wrong) and answers within Slack's 3 seconds. Bolt parses the body before it
checks the signature, so a body that is not even valid form data or JSON
would escape as a 500; here it gets 401 when unsigned and 400 when signed
(slack_sdk's SignatureVerifier, not a hand-written check).
"""

from __future__ import annotations

import logging

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.signature import SignatureVerifier

from adapters.slack.app import EVENTS_PATH

log = logging.getLogger("debrief.slack")

BOLT = web.AppKey("slack_bolt", AsyncApp)
VERIFIER = web.AppKey("slack_signature_verifier", SignatureVerifier)


async def events(request: web.Request) -> web.Response:
    bolt = request.app[BOLT]
    try:
        bolt_request = await to_bolt_request(request)
    except Exception as error:  # noqa: BLE001 - JSON or form data that does not parse into a payload
        return await _malformed(request, error)
    response = await bolt.async_dispatch(bolt_request)
    if response.status == 401:
        log.warning("Slack request refused: invalid signature or stale timestamp")
    return await to_aiohttp_response(response)


async def _malformed(request: web.Request, error: Exception) -> web.Response:
    body = await request.text()
    if not request.app[VERIFIER].is_valid_request(body, dict(request.headers)):
        log.warning("Slack request refused: invalid signature or stale timestamp")
        return web.json_response({"error": "invalid request"}, status=401)
    log.warning("signed Slack request with a malformed body refused: %s", type(error).__name__)
    return web.json_response({"error": "malformed payload"}, status=400)


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
    app.router.add_post(EVENTS_PATH, events)
    flow = bolt.oauth_flow
    if flow is not None:
        app.router.add_get(flow.install_path, install)
        app.router.add_get(flow.redirect_uri_path, oauth_redirect)

