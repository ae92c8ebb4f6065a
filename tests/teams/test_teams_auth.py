"""Who may talk to /api/messages: every token checked when MICROSOFT_APP_ID is set; loopback only when not.

With an app id, botbuilder validates each request's JWT against the keys
Microsoft publishes at login.botframework.com. There is no network here, so
the harness puts a key of its own in botbuilder's cache of those keys and
signs tokens the way the Bot Framework does (`teams_harness.token`). A
valid token is let through (every other Teams test sends one); every way of
getting one wrong gets 401, before the bot does anything.
"""

from __future__ import annotations

from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from teams_harness import APP_ID, ISSUER, Chat, TeamsApp, token

from bot.models import TeamsReference

CHAT = Chat("19:ward7general@thread.tacv2;messageid=1", "channel", team="19:ward7general@thread.tacv2")
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


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


async def test_a_valid_bot_framework_token_is_let_through(teams_app: TeamsApp) -> None:
    activity = member_joined(teams_app)
    reply = await teams_app.teams.with_token(token(activity["serviceUrl"])).post(activity)
    assert reply.status == 201, reply
    assert await stored_people(teams_app) == ["29:newcomer"]


@pytest.mark.parametrize(
    "how",
    ["missing", "not a jwt", "another key", "unknown key id", "wrong issuer", "wrong audience", "expired",
     "another service url", "not bearer", "unsigned"],
)
async def test_a_missing_or_forged_token_gets_401(teams_app: TeamsApp, how: str) -> None:
    activity = member_joined(teams_app)
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
    teams = teams_app.teams.with_token(tokens.get(how))
    headers = {"Authorization": "Basic " + (tokens["another key"] or "")} if how == "not bearer" else None
    reply = await teams.post(activity, headers=headers)
    assert reply.status == 401, reply
    assert await stored_people(teams_app) == []
    assert teams_app.connector.requests == []


async def test_a_forged_command_does_nothing(teams_app: TeamsApp) -> None:
    lead = teams_app.person("lead", "Alex Lead", [CHAT])
    activity = teams_app.teams.activity("message", lead, CHAT, text="<at>Debrief</at> debrief")
    reply = await teams_app.teams.with_token(token(activity["serviceUrl"], key=OTHER_KEY)).post(activity)
    assert reply.status == 401
    assert teams_app.connector.posted == []


# --- local unauthenticated mode -----------------------------------------------------------------


async def test_local_mode_needs_no_token(local_app: TeamsApp) -> None:
    lead = local_app.person("lead", "Alex Lead", [CHAT])
    reply = await local_app.teams.say(lead, "<at>Debrief</at> help", CHAT)
    assert reply.status == 201
    assert local_app.connector.requests[-1][2].get("Authorization") is None  # replies carry no token either


async def test_local_mode_only_answers_this_machine(local_app: TeamsApp) -> None:
    lead = local_app.person("lead", "Alex Lead", [CHAT])
    activity = local_app.teams.activity("message", lead, CHAT, text="help", serviceUrl="https://smba.example.com/emea/")
    reply = await local_app.teams.post(activity)
    assert reply.status == 403
    assert await stored_people(local_app) == []


async def test_local_mode_still_refuses_a_bad_token(local_app: TeamsApp) -> None:
    lead = local_app.person("lead", "Alex Lead", [CHAT])
    reply = await local_app.teams.with_token("garbage").say(lead, "help", CHAT)
    assert reply.status == 401


@pytest.mark.parametrize(
    "body, content_type, status",
    [(b"{not json", "application/json", 400), (b"[]", "application/json", 400),
     (b'{"text": "no type"}', "application/json", 400), (b"type=message", "text/plain", 415)],
)
async def test_what_is_not_an_activity_is_refused(local_app: TeamsApp, body: bytes, content_type: str, status: int) -> None:
    reply = await local_app.teams.post({}, headers={"Content-Type": content_type}, raw=body)
    assert reply.status == status, reply
