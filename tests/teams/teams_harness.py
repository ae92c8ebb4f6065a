"""Drive the real bot server the way Microsoft Teams does: Bot Framework activities over loopback.

Two modes, as in production:

* Teams (`running_app(..., signed=True)`, the `teams_app` fixture): MICROSOFT_APP_ID
  is set, and every activity carries a JWT signed the way the Bot Framework
  signs it (issuer, audience = the app id, serviceUrl claim, RS256 with a key
  id). Microsoft's two services are stood in for, nothing else: the signing
  keys botbuilder would download (`publish_signing_key`, put in botbuilder's
  key cache) and Azure AD's tokens for the bot's own outbound calls (a
  credentials factory that issues none: the fake connector cannot check an
  AAD token anyway). Forms open as dialogs.
* Local mode (`signed=False`, the `local_app` fixture): MICROSOFT_APP_ID is
  blank, as for the Agents Playground; no tokens; forms come as cards.

`running_app(settings, connector)` starts `adapters.server.create_app` on
127.0.0.1 (a free port) and yields a `TeamsApp`; its `teams` client posts
what Teams posts to `/api/messages`, with `serviceUrl` pointing at the
`FakeConnector`, so every reply, update and roster request of the bot goes
there and is recorded:

    await teams.say(LEAD, "<at>Debrief</at> debrief", CHANNEL)      # a typed command
    dialog = await teams.open_dialog(LEAD, CHANNEL, card_posted)     # task/fetch from a card's button
    reply = await teams.submit_dialog(LEAD, CHANNEL, dialog, {"setup.label": "Resus 2"})   # task/submit
    await teams.click(USER, PERSONAL, card, "Stop these check-ins")  # Action.Submit as a message

Activities have the shape Teams sends (channelId msteams, tenant in
conversation and channelData, team and channel in channelData for a
channel, the bot's @mention as an entity, clientInfo with the time zone).
A dialog submission is built from the dialog's own card: every input id
with its value ("" when empty), merged with the submit button's data, and
refused here as Teams would refuse it (a required input left empty, a
choice that is not offered). Every card the bot answers with is checked
against Adaptive Cards 1.5 (`adaptive_cards.validate`).
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiohttp
import jwt
from adaptive_cards import assert_valid
from aiohttp import web
from aiohttp.test_utils import TestServer
from botframework.connector.auth import (
    AuthenticationConstants,
    MicrosoftAppCredentials,
    PasswordServiceClientCredentialFactory,
)
from botframework.connector.auth.jwt_token_extractor import JwtTokenExtractor, _OpenIdMetadata
from cryptography.hazmat.primitives.asymmetric import rsa
from fake_connector import BOT_ID, BOT_NAME, TENANT_ID, FakeConnector
from jwt.algorithms import RSAAlgorithm

from adapters.server import CORE, create_app
from bot.clock import Clock
from bot.core import Core
from bot.settings import Settings

DEBRIEF_SECRET = "test-secret"
MESSAGES = "/api/messages"
APP_ID = "5c2d8a1e-7f3b-4c9d-8e2a-1b4f6d8c0a12"
ISSUER = "https://api.botframework.com"
KEY_ID = "test-key-1"
SIGNING_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
_ids = itertools.count(1)


def publish_signing_key() -> Callable[[], None]:
    """Put SIGNING_KEY among "Microsoft's published keys", as botbuilder caches them; returns the undo."""
    url = AuthenticationConstants.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL
    metadata = _OpenIdMetadata(url)
    jwk = json.loads(RSAAlgorithm.to_jwk(SIGNING_KEY.public_key()))
    metadata.keys = [{**jwk, "kid": KEY_ID, "use": "sig", "endorsements": ["msteams"]}]
    metadata.last_updated = datetime.now()
    saved = JwtTokenExtractor.metadataCache.get(url)
    JwtTokenExtractor.metadataCache[url] = metadata

    def undo() -> None:
        if saved is None:
            JwtTokenExtractor.metadataCache.pop(url, None)
        else:
            JwtTokenExtractor.metadataCache[url] = saved

    return undo


def token(service_url: str, *, key: rsa.RSAPrivateKey = SIGNING_KEY, kid: str = KEY_ID, issuer: str = ISSUER,
          audience: str = APP_ID, expires_in: int = 3600, **extra: Any) -> str:
    """A JWT as the Bot Framework service signs one for the bot."""
    now = int(time.time())
    claims = {"iss": issuer, "aud": audience, "serviceurl": service_url, "nbf": now - 60, "exp": now + expires_in,
              **extra}
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


class NoOutboundToken(PasswordServiceClientCredentialFactory):
    """Stands in for Azure AD: inbound tokens are checked as configured, outbound calls carry none."""

    async def create_credentials(self, app_id: str, oauth_scope: str, login_endpoint: str,
                                 validate_authority: bool) -> MicrosoftAppCredentials:
        return MicrosoftAppCredentials.empty()


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    aad: str


@dataclass(frozen=True)
class Chat:
    """A conversation as Teams describes it in activities."""

    id: str
    kind: str = "channel"  # personal, groupChat or channel
    team: str | None = None
    channel: str | None = None

    def conversation(self) -> dict[str, Any]:
        shape: dict[str, Any] = {"id": self.id, "conversationType": self.kind, "tenantId": TENANT_ID}
        if self.kind != "personal":
            shape["isGroup"] = True
        return shape

    def channel_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"tenant": {"id": TENANT_ID}}
        if self.team:
            data["team"] = {"id": self.team, "name": "Ward 7", "aadGroupId": "00000000-0000-4000-8000-0000000000a7"}
            data["channel"] = {"id": self.channel or self.team, "name": "General"}
        return data


def make_settings(database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "debrief_secret": DEBRIEF_SECRET,
        "host": "127.0.0.1",
        "debrief_digest": "off",  # the weekly digest only where a test turns it on
    }
    values.update(overrides)
    return Settings.load(**values)


@dataclass
class Reply:
    status: int
    text: str
    elapsed: float

    def json(self) -> Any:
        return json.loads(self.text) if self.text else None

    @property
    def task(self) -> dict[str, Any]:
        body = self.json() or {}
        assert "task" in body, f"no task in the invoke answer: {self}"
        return body["task"]

    @property
    def card(self) -> dict[str, Any]:
        """The card of a `continue` dialog answer, checked against Adaptive Cards 1.5."""
        task = self.task
        assert task["type"] == "continue", f"the dialog did not continue: {task}"
        attachment = task["value"]["card"]
        assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
        assert_valid(attachment["content"])
        return attachment["content"]

    @property
    def closes(self) -> bool:
        return self.status == 200 and not (self.json() or {}).get("task")

    def __repr__(self) -> str:
        return f"Reply(status={self.status}, elapsed={self.elapsed:.3f}s, text={self.text[:300]!r})"


def card_text(card: Mapping[str, Any]) -> str:
    """Every piece of text a person would read on a card, joined (for assertions)."""
    parts: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key in ("text", "title", "label", "placeholder", "fallbackText"):
                if isinstance(node.get(key), str):
                    parts.append(node[key])
            for value in node.values():
                if isinstance(value, (dict, list)):
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(card)
    return "\n".join(parts)


def actions_of(card: Mapping[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if str(node.get("type", "")).startswith("Action."):
                found.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(card)
    return found


def action(card: Mapping[str, Any], title: str) -> dict[str, Any]:
    for candidate in actions_of(card):
        if candidate.get("title") == title:
            return candidate
    raise AssertionError(f"no button {title!r}; the card has {[a.get('title') for a in actions_of(card)]}")


def inputs_of(card: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if str(node.get("type", "")).startswith("Input.") and node.get("id"):
                found[node["id"]] = node
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(card)
    return found


def submission(card: Mapping[str, Any], answers: Mapping[str, Any], button: str | None = None) -> dict[str, Any]:
    """What Teams sends when a person fills the dialog's inputs and taps `button` (the first submit by default)."""
    inputs = inputs_of(card)
    unknown = set(answers) - set(inputs)
    assert not unknown, f"the dialog has no inputs {sorted(unknown)}; it has {sorted(inputs)}"
    values: dict[str, Any] = {}
    for input_id, element in inputs.items():
        value = answers.get(input_id, element.get("value", "" if element["type"] != "Input.Toggle" else "false"))
        if isinstance(value, list):
            value = ",".join(value)
        value = "" if value is None else str(value)
        if element.get("isRequired") and not value:
            raise AssertionError(f"Teams would not submit: required input {input_id!r} is empty")
        if element["type"] == "Input.ChoiceSet" and value:
            offered = {choice["value"] for choice in element.get("choices", [])}
            chosen = value.split(",") if element.get("isMultiSelect") else [value]
            assert set(chosen) <= offered, f"{input_id!r} offers {sorted(offered)}, not {chosen}"
        values[input_id] = value
    submits = [a for a in actions_of(card) if a.get("type") == "Action.Submit"]
    chosen_button = action(card, button) if button else submits[0]
    return {**values, **(chosen_button.get("data") or {})}


class TeamsClient:
    """Sends Teams' activities to the running server."""

    def __init__(self, session: aiohttp.ClientSession, url: str, connector: FakeConnector,
                 token: str | None = None, signed: bool = False) -> None:
        self.session = session
        self.url = url
        self.connector = connector
        self.token = token
        self.signed = signed
        """Sign every activity as the Bot Framework does (unless `token` says otherwise)."""

    def with_token(self, token: str | None) -> TeamsClient:
        """A client that sends exactly this token (None: no Authorization header at all)."""
        return TeamsClient(self.session, self.url, self.connector, token, signed=False)

    def activity(self, kind: str, person: Person, chat: Chat, **fields: Any) -> dict[str, Any]:
        activity = {
            "type": kind,
            "id": f"f:{next(_ids)}",
            "timestamp": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "localTimestamp": datetime.now(UTC).isoformat(),
            "localTimezone": "Europe/London",
            "serviceUrl": self.connector.url,
            "channelId": "msteams",
            "from": {"id": person.id, "name": person.name, "aadObjectId": person.aad},
            "conversation": chat.conversation(),
            "recipient": {"id": BOT_ID, "name": BOT_NAME},
            "entities": [{"type": "clientInfo", "locale": "en-GB", "country": "GB", "platform": "Android",
                          "timezone": "Europe/London"}],
            "channelData": chat.channel_data(),
            "locale": "en-GB",
        }
        activity.update(fields)
        return activity

    async def post(self, activity: Mapping[str, Any], headers: Mapping[str, str] | None = None,
                   raw: bytes | None = None) -> Reply:
        all_headers = {"Content-Type": "application/json"}
        if self.token:
            all_headers["Authorization"] = f"Bearer {self.token}"
        elif self.signed:
            all_headers["Authorization"] = f"Bearer {token(str(activity.get('serviceUrl')))}"
        all_headers.update(headers or {})
        started = time.perf_counter()
        body = raw if raw is not None else json.dumps(activity).encode()
        async with self.session.post(self.url + MESSAGES, data=body, headers=all_headers) as res:
            text = await res.text()
        return Reply(res.status, text, time.perf_counter() - started)

    async def say(self, person: Person, text: str, chat: Chat) -> Reply:
        """A typed message; `<at>Debrief</at>` in `text` becomes the bot's mention entity, as in Teams."""
        entities = []
        if "<at>" in text:
            entities.append({"type": "mention", "text": f"<at>{BOT_NAME}</at>",
                             "mentioned": {"id": BOT_ID, "name": BOT_NAME}})
        activity = self.activity("message", person, chat, text=text, textFormat="plain")
        activity["entities"] = activity["entities"] + entities
        return await self.post(activity)

    async def invoke(self, person: Person, chat: Chat, name: str, value: Mapping[str, Any]) -> Reply:
        return await self.post(self.activity("invoke", person, chat, name=name, value=dict(value)))

    async def open_dialog(self, person: Person, chat: Chat, card: Mapping[str, Any], button: str) -> Reply:
        """Tap a dialog button on a card: Teams sends task/fetch with the button's data."""
        data = action(card, button).get("data") or {}
        assert (data.get("msteams") or {}).get("type") == "task/fetch", f"{button!r} does not open a dialog"
        return await self.invoke(person, chat, "task/fetch", {"data": data, "context": {"theme": "default"}})

    async def submit_dialog(self, person: Person, chat: Chat, dialog: Mapping[str, Any],
                            answers: Mapping[str, Any] | None = None, button: str | None = None) -> Reply:
        data = submission(dialog, answers or {}, button)
        return await self.invoke(person, chat, "task/submit", {"data": data, "context": {"theme": "default"}})

    async def click(self, person: Person, chat: Chat, card: Mapping[str, Any], button: str) -> Reply:
        """A plain Action.Submit outside a dialog: Teams sends a message whose value is the data."""
        data = action(card, button).get("data") or {}
        return await self.post(self.activity("message", person, chat, value=data, text=None))

    async def submit_card(self, person: Person, chat: Chat, card: Mapping[str, Any],
                          answers: Mapping[str, Any] | None = None, button: str | None = None) -> Reply:
        """Fill a form card's inputs and tap its button (no dialog): a message whose value holds the inputs."""
        value = submission(card, answers or {}, button)
        return await self.post(self.activity("message", person, chat, value=value, text=None))

    async def members_added(self, chat: Chat, members: list[dict[str, Any]], by: Person) -> Reply:
        channel_data = chat.channel_data()
        channel_data["eventType"] = "teamMemberAdded"
        return await self.post(self.activity("conversationUpdate", by, chat, membersAdded=members,
                                             channelData=channel_data))


@dataclass
class TeamsApp:
    app: web.Application
    server: TestServer
    url: str
    teams: TeamsClient
    connector: FakeConnector
    settings: Settings
    session: aiohttp.ClientSession
    people: dict[str, Person] = field(default_factory=dict)

    @property
    def core(self) -> Core:
        return self.app[CORE]

    def person(self, key: str, name: str, chats: list[Chat] = (), *, email: str | None = None) -> Person:  # type: ignore[assignment]
        """Someone in the tenant, in these conversations' rosters."""
        member_id = f"29:{key}"
        member = self.connector.add_member(member_id, name, email=email)
        for chat in chats:
            conversation = self.connector.conversations.get(chat.id.split(";")[0])
            if conversation is None:
                conversation = self.connector.add_conversation(chat.id.split(";")[0], [], kind=chat.kind)
            if member_id not in conversation.members:
                conversation.members.append(member_id)
        person = Person(member_id, name, member.aad_object_id)
        self.people[key] = person
        return person

    async def drain(self) -> None:
        """Wait for work the bot does after answering (the counter update)."""
        from adapters.teams.app import SERVICES

        await self.app[SERVICES].drain()


def signed_settings(database_url: str, **overrides: Any) -> Settings:
    return make_settings(database_url, microsoft_app_id=APP_ID, microsoft_app_password="not-used-in-tests", **overrides)


@asynccontextmanager
async def running_app(settings: Settings, connector: FakeConnector, *, clock: Clock | None = None) -> AsyncIterator[TeamsApp]:
    """The server; signed (Teams) mode when the settings have an app id, else local mode."""
    from adapters.teams.app import ADAPTER

    app = create_app(settings, clock=clock, housekeeping=False)
    signed = bool(settings.microsoft_app_id)
    undo = publish_signing_key() if signed else None
    if signed:
        authentication = app[ADAPTER].bot_framework_authentication._inner  # botbuilder's, built from our settings
        built = authentication._credentials_factory._inner  # keep the app id and tenant botbuilder read from our settings
        authentication._credentials_factory = NoOutboundToken(built.app_id, "unused", built.tenant_id)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    url = str(server.make_url("")).rstrip("/")
    session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
    try:
        client = TeamsClient(session, url, connector, signed=signed)
        yield TeamsApp(app, server, url, client, connector, settings, session)
    finally:
        await session.close()
        await server.close()
        if undo is not None:
            undo()
