"""A loopback fake of the Bot Connector service (the Teams side of Bot Framework), as a real aiohttp server.

Tests put its address in each activity's `serviceUrl`; botbuilder's
ConnectorClient then sends every reply, update and roster request here, and
the fake answers in the shape the real service uses:

- ``POST /v3/conversations/{id}/activities``: send to a conversation
  (``{"id": ...}``).
- ``POST /v3/conversations/{id}/activities/{activityId}``: reply to one.
- ``PUT /v3/conversations/{id}/activities/{activityId}``: update one;
  ``DELETE`` removes it. An unknown activity answers 404 ``ActivityNotFound``.
- ``GET /v3/conversations/{id}/members``, ``/pagedmembers`` (``pageSize``,
  ``continuationToken``) and ``/members/{userId}`` (404
  ``MemberNotFoundInConversation``): the roster, with ``aadObjectId``,
  ``email``, ``userPrincipalName``, ``tenantId`` and ``userRole``.
- ``POST /v3/conversations``: create a personal conversation with one
  member; 403 ``Forbidden`` unless that person may be messaged
  (``fake.reachable``), as Teams answers when the app is not available to them.

Conversation ids are taken from the path exactly as Teams writes them
(``19:abc@thread.tacv2;messageid=123`` included).

What it checks, because Teams would refuse it or because it would hurt a real
team: every activity has a type and, for messages, text or attachments;
every Adaptive Card attachment passes `card_validator` (a callable given by
the test harness; failures answer 400 ``BadArgument`` as Teams does for a
malformed card); no message is over Teams' size limit (about 28 KB);
no activity carries a ``mention`` entity and no text or card
contains ``<at>`` (the bot never mentions anyone, and user text must never
become a mention). Violations are kept in ``fake.violations`` and a test
asserts the list is empty.

Scripted trouble: ``fail_next(kind, status, code)`` answers the next call of
a kind (``send``, ``reply``, ``update``, ``members``, ``member``,
``create``) with that status and error code; ``latency`` delays every answer.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from aiohttp import web

log = logging.getLogger("tests.fake_connector")

TENANT_ID = "72f988bf-0000-4000-8000-00000000c0de"
BOT_ID = "28:00000000-0000-4000-8000-00000000b07"
BOT_NAME = "Debrief"
ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
MAX_PAGE_SIZE = 500
MAX_ACTIVITY_BYTES = 28 * 1024
"""Teams refuses a bot message over about 28 KB (413 MessageSizeTooBig)."""
_MENTION_TAG = re.compile(r"<\s*/?\s*at\b", re.IGNORECASE)

CardValidator = Callable[[dict[str, Any]], list[str]]


@dataclass
class Member:
    """A person in the tenant, as Teams describes them in rosters."""

    id: str
    name: str
    aad_object_id: str
    email: str

    def shape(self) -> dict[str, Any]:
        given, _, surname = self.name.partition(" ")
        return {
            "id": self.id,
            "name": self.name,
            "aadObjectId": self.aad_object_id,
            "givenName": given,
            "surname": surname,
            "email": self.email,
            "userPrincipalName": self.email,
            "tenantId": TENANT_ID,
            "userRole": "user",
        }


@dataclass
class Posted:
    """One activity the bot sent, with where and how."""

    kind: str
    """send, reply, update or delete"""
    conversation: str
    activity_id: str
    activity: dict[str, Any]
    at: float = field(default_factory=time.monotonic)

    @property
    def cards(self) -> list[dict[str, Any]]:
        return [
            attachment.get("content") or {}
            for attachment in self.activity.get("attachments") or []
            if attachment.get("contentType") == ADAPTIVE_CARD
        ]

    @property
    def card(self) -> dict[str, Any]:
        cards = self.cards
        assert cards, f"no Adaptive Card in {self.activity}"
        return cards[0]

    @property
    def text(self) -> str:
        return str(self.activity.get("text") or "")


@dataclass
class Conversation:
    id: str
    members: list[str] = field(default_factory=list)
    kind: str = "channel"
    activities: dict[str, dict[str, Any]] = field(default_factory=dict)


class FakeConnector:
    """The Bot Connector service on 127.0.0.1: answers like Teams and records every call."""

    def __init__(self, card_validator: CardValidator | None = None) -> None:
        self.card_validator = card_validator
        self.members: dict[str, Member] = {}
        self.conversations: dict[str, Conversation] = {}
        self.posted: list[Posted] = []
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.violations: list[str] = []
        self.reachable: set[str] = set()
        """People a personal conversation may be created with (the app is available to them)."""
        self.created: list[dict[str, Any]] = []
        self.latency = 0.0
        self._failures: dict[str, list[tuple[int, str]]] = {}
        self._ids = itertools.count(1000)
        self._runner: web.AppRunner | None = None
        self.url = ""
        self._changed = asyncio.Event()

    # -- lifecycle -----------------------------------------------------------------------

    async def start(self) -> FakeConnector:
        app = web.Application()
        app.router.add_route("*", "/v3/conversations", self._conversations)
        app.router.add_route("*", "/v3/conversations/{rest:.+}", self._conversation_call)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}/"
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeConnector:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- set-up by tests -----------------------------------------------------------------

    def add_member(self, member_id: str, name: str, *, aad_object_id: str | None = None, email: str | None = None) -> Member:
        slug = name.lower().replace(" ", ".")
        member = Member(
            id=member_id,
            name=name,
            aad_object_id=aad_object_id or f"00000000-0000-4000-8000-{abs(hash(member_id)) % 10**12:012d}",
            email=email or f"{slug}@hospital.example",
        )
        self.members[member_id] = member
        return member

    def add_conversation(self, conversation_id: str, members: Iterable[str], kind: str = "channel") -> Conversation:
        conversation = Conversation(id=conversation_id, members=list(members), kind=kind)
        self.conversations[conversation_id] = conversation
        return conversation

    def fail_next(self, kind: str, status: int = 503, code: str = "ServiceError", times: int = 1) -> None:
        self._failures.setdefault(kind, []).extend([(status, code)] * times)

    # -- what the bot sent ---------------------------------------------------------------

    def sent_to(self, conversation: str, *, kinds: tuple[str, ...] = ("send", "reply")) -> list[Posted]:
        """Activities posted in a conversation (a channel thread's replies included)."""
        base = conversation.split(";")[0]
        return [p for p in self.posted if p.kind in kinds and p.conversation.split(";")[0] == base]

    def updates_of(self, activity_id: str) -> list[Posted]:
        return [p for p in self.posted if p.kind == "update" and p.activity_id == activity_id]

    def current(self, conversation: str, activity_id: str) -> dict[str, Any]:
        """The activity as it stands now (after every update)."""
        return self.conversations[conversation.split(";")[0]].activities[activity_id]

    def personal_conversations_of(self, member_id: str) -> list[str]:
        return [c.id for c in self.conversations.values() if c.kind == "personal" and c.members == [member_id]]

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 30.0) -> Any:
        """Wait until `predicate()` is truthy (checked after every recorded call); return its value.

        `timeout` is a safety net for a loaded machine, not a bound on the bot.
        """
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError("timed out waiting for the bot to call the connector")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), min(remaining, 0.2))
            except TimeoutError:
                pass

    # -- the HTTP API ----------------------------------------------------------------------

    async def _conversations(self, request: web.Request) -> web.Response:
        await self._begin(request)
        if request.method != "POST":
            return _error(405, "MethodNotAllowed", "Only POST creates a conversation")
        if failure := self._failure("create"):
            return failure
        body = await request.json()
        members = [m.get("id") for m in body.get("members") or []]
        tenant = ((body.get("channelData") or {}).get("tenant") or {}).get("id") or body.get("tenantId")
        if not body.get("bot") or not members or not tenant:
            return _error(400, "BadArgument", "bot, members and the tenant are required")
        if len(members) != 1 or body.get("isGroup"):
            return _error(400, "BadArgument", "a bot can only create one-to-one conversations")
        if members[0] not in self.reachable:
            return _error(403, "Forbidden", "The bot is not part of the conversation roster.")
        self.created.append(body)
        existing = self.personal_conversations_of(members[0])
        conversation_id = existing[0] if existing else f"a:personal-{next(self._ids)}"
        if not existing:
            self.add_conversation(conversation_id, [members[0]], kind="personal")
        self._touch()
        return web.json_response({"id": conversation_id, "serviceUrl": self.url.rstrip("/")}, status=201)

    async def _conversation_call(self, request: web.Request) -> web.Response:
        await self._begin(request)
        parts = request.match_info["rest"].split("/")
        conversation_id = unquote(parts[0])
        rest = parts[1:]
        method = request.method
        if rest == ["activities"] and method == "POST":
            return await self._post_activity(request, conversation_id, None)
        if len(rest) == 2 and rest[0] == "activities":
            activity_id = unquote(rest[1])
            if method == "POST":
                return await self._post_activity(request, conversation_id, activity_id)
            if method == "PUT":
                return await self._update_activity(request, conversation_id, activity_id)
            if method == "DELETE":
                return self._delete_activity(conversation_id, activity_id)
        if rest == ["members"] and method == "GET":
            if failure := self._failure("members"):
                return failure
            return web.json_response([self.members[m].shape() for m in self._roster(conversation_id)])
        if rest == ["pagedmembers"] and method == "GET":
            if failure := self._failure("members"):
                return failure
            return self._paged_members(request, conversation_id)
        if len(rest) == 2 and rest[0] == "members" and method == "GET":
            if failure := self._failure("member"):
                return failure
            member_id = unquote(rest[1])
            if member_id not in self._roster(conversation_id):
                return _error(404, "MemberNotFoundInConversation", "The member is not part of the conversation.")
            return web.json_response(self.members[member_id].shape())
        return _error(404, "NotFound", f"the fake has no {method} /{request.match_info['rest']}")

    def _roster(self, conversation_id: str) -> list[str]:
        base = conversation_id.split(";")[0]
        conversation = self.conversations.get(base)
        if conversation is None:
            return []
        return [member for member in conversation.members if member in self.members]

    def _paged_members(self, request: web.Request, conversation_id: str) -> web.Response:
        size_text = request.query.get("pageSize")
        size = int(size_text) if size_text else 200
        if not 1 <= size <= MAX_PAGE_SIZE:
            return _error(400, "BadArgument", "pageSize must be between 1 and 500")
        start = int(request.query.get("continuationToken") or 0)
        roster = self._roster(conversation_id)
        page = roster[start : start + size]
        body: dict[str, Any] = {"members": [self.members[m].shape() for m in page]}
        if start + size < len(roster):
            body["continuationToken"] = str(start + size)
        return web.json_response(body)

    async def _post_activity(self, request: web.Request, conversation_id: str, reply_to: str | None) -> web.Response:
        kind = "reply" if reply_to else "send"
        if failure := self._failure(kind):
            return failure
        activity = await request.json()
        problem = self._check(activity, kind)
        if problem:
            return _refusal(problem)
        base = conversation_id.split(";")[0]
        conversation = self.conversations.get(base)
        if conversation is None:
            conversation = self.add_conversation(base, [], kind=_kind_of(activity))
        new_id = str(next(self._ids))
        conversation.activities[new_id] = activity
        self.posted.append(Posted(kind, conversation_id, new_id, activity))
        self._touch()
        return web.json_response({"id": new_id}, status=201 if kind == "send" else 200)

    async def _update_activity(self, request: web.Request, conversation_id: str, activity_id: str) -> web.Response:
        if failure := self._failure("update"):
            return failure
        activity = await request.json()
        conversation = self.conversations.get(conversation_id.split(";")[0])
        if conversation is None or activity_id not in conversation.activities:
            return _error(404, "ActivityNotFound", "Unknown activity")
        if activity.get("id") not in (None, activity_id):
            self.violations.append(f"update of {activity_id} carries another id {activity.get('id')}")
        problem = self._check(activity, "update")
        if problem:
            return _refusal(problem)
        conversation.activities[activity_id] = activity
        self.posted.append(Posted("update", conversation_id, activity_id, activity))
        self._touch()
        return web.json_response({"id": activity_id})

    def _delete_activity(self, conversation_id: str, activity_id: str) -> web.Response:
        conversation = self.conversations.get(conversation_id.split(";")[0])
        if conversation is None or activity_id not in conversation.activities:
            return _error(404, "ActivityNotFound", "Unknown activity")
        del conversation.activities[activity_id]
        self.posted.append(Posted("delete", conversation_id, activity_id, {}))
        self._touch()
        return web.Response(status=200)

    # -- checks ------------------------------------------------------------------------------

    def _check(self, activity: dict[str, Any], kind: str) -> str | None:
        size = len(json.dumps(activity, ensure_ascii=False).encode())
        if size > MAX_ACTIVITY_BYTES:
            return self._violation(f"{kind}: a message of {size} bytes, over Teams' {MAX_ACTIVITY_BYTES}")
        if not activity.get("type"):
            return self._violation(f"{kind}: an activity without a type")
        if activity["type"] == "message" and not (activity.get("text") or activity.get("attachments")):
            return self._violation(f"{kind}: a message with neither text nor attachments")
        for entity in activity.get("entities") or []:
            if (entity or {}).get("type") == "mention":
                self._violation(f"{kind}: a mention entity {entity}")
        if _MENTION_TAG.search(str(activity.get("text") or "")):
            self._violation(f"{kind}: <at> in the text {activity.get('text')!r}")
        for attachment in activity.get("attachments") or []:
            if attachment.get("contentType") != ADAPTIVE_CARD:
                continue
            content = attachment.get("content")
            if not isinstance(content, dict):
                return self._violation(f"{kind}: an Adaptive Card attachment without content")
            if _MENTION_TAG.search(json.dumps(content, ensure_ascii=False)):
                self._violation(f"{kind}: <at> inside a card")
            if (content.get("msteams") or {}).get("entities"):
                self._violation(f"{kind}: mention entities inside a card")
            if self.card_validator is not None:
                problems = self.card_validator(content)
                if problems:
                    return self._violation(f"{kind}: invalid Adaptive Card: {'; '.join(problems[:5])}")
        return None

    def _violation(self, text: str) -> str:
        log.warning("fake connector: %s", text)
        self.violations.append(text)
        return text

    # -- plumbing ----------------------------------------------------------------------------

    async def _begin(self, request: web.Request) -> None:
        self.requests.append((request.method, request.path, dict(request.headers)))
        if self.latency:
            await asyncio.sleep(self.latency)

    def _failure(self, kind: str) -> web.Response | None:
        queue = self._failures.get(kind)
        if not queue:
            return None
        status, code = queue.pop(0)
        self._touch()
        return _error(status, code, f"scripted failure of {kind}")

    def _touch(self) -> None:
        self._changed.set()


def _kind_of(activity: dict[str, Any]) -> str:
    conversation = activity.get("conversation") or {}
    return str(conversation.get("conversationType") or "channel")


def _refusal(problem: str) -> web.Response:
    if "bytes, over" in problem:
        return _error(413, "MessageSizeTooBig", problem)
    return _error(400, "BadArgument", problem)


def _error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status)
