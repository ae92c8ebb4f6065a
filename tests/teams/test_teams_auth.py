"""Who may talk to /api/messages: every token checked when MICROSOFT_APP_ID is set; loopback only when not.

With an app id, botbuilder validates each request's JWT against the keys
Microsoft publishes at login.botframework.com. There is no network here, so
the tests put a key of their own in botbuilder's cache of those keys (the
one thing they stand in for) and sign tokens the way the Bot Framework
does: issuer https://api.botframework.com, audience = the app id, the
request's serviceUrl as a claim, RS256 with a key id. A valid token is let
through; every way of getting one wrong gets 401, before the bot does
anything.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import jwt
import pytest
from botframework.connector.auth import AuthenticationConstants
from botframework.connector.auth.jwt_token_extractor import JwtTokenExtractor, _OpenIdMetadata
from cryptography.hazmat.primitives.asymmetric import rsa
from fake_connector import FakeConnector
from jwt.algorithms import RSAAlgorithm
from teams_harness import Chat, TeamsApp, make_settings, running_app

from bot.models import TeamsReference

APP_ID = "5c2d8a1e-7f3b-4c9d-8e2a-1b4f6d8c0a12"
ISSUER = "https://api.botframework.com"
KEY_ID = "test-key-1"
CHAT = Chat("19:ward7general@thread.tacv2;messageid=1", "channel", team="19:ward7general@thread.tacv2")


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


SIGNING_KEY = _key()
OTHER_KEY = _key()


@pytest.fixture
def published_keys() -> Any:
    """Microsoft's signing keys, as botbuilder caches them, with our test key among them."""
    url = AuthenticationConstants.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL
    metadata = _OpenIdMetadata(url)
    jwk = json.loads(RSAAlgorithm.to_jwk(SIGNING_KEY.public_key()))
    metadata.keys = [{**jwk, "kid": KEY_ID, "use": "sig", "endorsements": ["msteams"]}]
    metadata.last_updated = datetime.now()
    saved = JwtTokenExtractor.metadataCache.get(url)
    JwtTokenExtractor.metadataCache[url] = metadata
    yield metadata
    if saved is None:
        JwtTokenExtractor.metadataCache.pop(url, None)
    else:
        JwtTokenExtractor.metadataCache[url] = saved


@pytest.fixture
async def secured(connector: FakeConnector, database_url: str, published_keys: Any) -> AsyncIterator[TeamsApp]:
    settings = make_settings(database_url, microsoft_app_id=APP_ID, microsoft_app_password="not-used-here")
    async with running_app(settings, connector) as running:
        yield running


def token(service_url: str, *, key: rsa.RSAPrivateKey = SIGNING_KEY, kid: str = KEY_ID, issuer: str = ISSUER,
          audience: str = APP_ID, expires_in: int = 3600, **extra: Any) -> str:
    now = int(time.time())
    claims = {"iss": issuer, "aud": audience, "serviceurl": service_url, "nbf": now - 60, "exp": now + expires_in,
              **extra}
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


def member_joined(app: TeamsApp) -> dict[str, Any]:
    """A conversationUpdate: someone joined the channel (the bot answers nothing, so no outbound token is needed)."""
    person = app.person("newcomer", "Gus Newcomer", [CHAT])
    activity = app.teams.activity("conversationUpdate", person, CHAT, membersAdded=[{"id": person.id}])
    activity["channelData"]["eventType"] = "teamMemberAdded"
    return activity


async def stored_people(app: TeamsApp) -> list[str]:
    async with app.core.database.session() as session:
        rows = await session.execute(TeamsReference.__table__.select().where(TeamsReference.kind == "person"))
        return [row.key for row in rows]


async def test_a_valid_bot_framework_token_is_let_through(secured: TeamsApp) -> None:
    activity = member_joined(secured)
    reply = await secured.teams.with_token(token(activity["serviceUrl"])).post(activity)
    assert reply.status == 201, reply
    assert await stored_people(secured) == ["29:newcomer"]


@pytest.mark.parametrize(
    "how",
    ["missing", "not a jwt", "another key", "unknown key id", "wrong issuer", "wrong audience", "expired",
     "another service url", "not bearer", "unsigned"],
)
async def test_a_missing_or_forged_token_gets_401(secured: TeamsApp, how: str) -> None:
    activity = member_joined(secured)
    url = activity["serviceUrl"]
    tokens = {
        "missing": None,
        "not a jwt": "garbage",
        "another key": token(url, key=OTHER_KEY),
        "unknown key id": token(url, key=OTHER_KEY, kid="attacker"),
        "wrong issuer": token(url, issuer="https://attacker.example"),
        "wrong audience": token(url, audience="11111111-2222-3333-4444-555555555555"),
        "expired": token(url, expires_in=-3600),
        "another service url": token("https://attacker.example/"),
        "unsigned": jwt.encode({"iss": ISSUER, "aud": APP_ID, "serviceurl": url}, key=None, algorithm="none"),
    }
    teams = secured.teams.with_token(tokens.get(how))
    headers = {"Authorization": "Basic " + (tokens["another key"] or "")} if how == "not bearer" else None
    reply = await teams.post(activity, headers=headers)
    assert reply.status == 401, reply
    assert await stored_people(secured) == []
    assert secured.connector.requests == []


async def test_a_forged_command_does_nothing(secured: TeamsApp) -> None:
    lead = secured.person("lead", "Alex Lead", [CHAT])
    activity = secured.teams.activity("message", lead, CHAT, text="<at>Debrief</at> debrief")
    reply = await secured.teams.with_token(token(activity["serviceUrl"], key=OTHER_KEY)).post(activity)
    assert reply.status == 401
    assert secured.connector.posted == []


# --- local unauthenticated mode -----------------------------------------------------------------


async def test_local_mode_needs_no_token(teams_app: TeamsApp) -> None:
    lead = teams_app.person("lead", "Alex Lead", [CHAT])
    reply = await teams_app.teams.say(lead, "<at>Debrief</at> help", CHAT)
    assert reply.status == 201
    assert teams_app.connector.requests[-1][2].get("Authorization") is None  # replies carry no token either


async def test_local_mode_only_answers_this_machine(teams_app: TeamsApp) -> None:
    lead = teams_app.person("lead", "Alex Lead", [CHAT])
    activity = teams_app.teams.activity("message", lead, CHAT, text="help", serviceUrl="https://smba.example.com/emea/")
    reply = await teams_app.teams.post(activity)
    assert reply.status == 403
    assert await stored_people(teams_app) == []


async def test_local_mode_still_refuses_a_bad_token(teams_app: TeamsApp) -> None:
    lead = teams_app.person("lead", "Alex Lead", [CHAT])
    reply = await teams_app.teams.with_token("garbage").say(lead, "help", CHAT)
    assert reply.status == 401


@pytest.mark.parametrize(
    "body, content_type, status",
    [(b"{not json", "application/json", 400), (b"[]", "application/json", 400),
     (b'{"text": "no type"}', "application/json", 400), (b"type=message", "text/plain", 415)],
)
async def test_what_is_not_an_activity_is_refused(teams_app: TeamsApp, body: bytes, content_type: str, status: int) -> None:
    reply = await teams_app.teams.post({}, headers={"Content-Type": content_type}, raw=body)
    assert reply.status == status, reply
