"""A loopback fake of the Slack Web API, as a real aiohttp server.

Point slack_sdk at it with ``AsyncWebClient(token, base_url=fake.url + "/api/")``
(or ``SLACK_API_URL=<fake.url>/api/`` for the whole bot) and it answers like
Slack: it checks the arguments the real methods require, answers in the real
response shape with the real error names, keeps the state a test needs to look
at (channels, messages, views, Home tabs) and records every call.

What it checks beyond arguments, because Slack would refuse it or because it
would hurt a real team:

- Block Kit: every ``blocks`` and every ``view`` must parse with slack_sdk's
  models and pass their validators, plus the limits slack_sdk does not check
  (50 blocks per message, 3000 characters per text object, unique block ids,
  10 options in radio buttons and checkboxes, ...). A failure answers
  ``invalid_blocks`` (messages) or ``invalid_arguments`` (views) as Slack does,
  and the reason goes to ``fake.violations``.
- Mentions: ``link_names``, ``parse=full``, a rich-text ``broadcast`` element or
  any ``<!`` in mrkdwn (``<!channel>``, ``<!here>``, ``<!everyone>``,
  ``<!subteam^..>``; ``<!date^..>`` formatting is allowed) is recorded in
  ``fake.violations``; Slack would accept it, so the call succeeds, but the bot
  never pings anyone and a test asserts ``fake.violations == []``.
- Message metadata (``chat.postMessage``): an ``event_type`` of letters, digits
  and underscores and an object ``event_payload``, else ``invalid_metadata_format``;
  ``conversations.history`` returns it only with ``include_all_metadata``, as
  Slack does, pages at most ``history_limit`` messages, and refuses a user id
  as the channel (``conversations.open`` gives the DM's id).
- Triggers: ``views.open`` and ``views.push`` need a trigger id the fake handed
  out (``fake.new_trigger_id()``), used once (``exchanged_trigger_id``) and
  within ``trigger_ttl`` seconds (``expired_trigger_id``).

Scripted trouble: ``fail_next(method, error)``, ``rate_limit_next(method,
retry_after)``, ``server_error_next(method)``, ``latency`` before every answer
and ``limit_per_second`` (429 with Retry-After above it) for the methods in
``limited_methods``, counted in any one second or, with ``limit_bucket``, by a
token bucket that starts empty.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import logging
import math
import re
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from aiohttp import web

log = logging.getLogger("tests.fake_slack")

TEAM_ID = "T0TEAM0001"
TEAM_NAME = "Test Hospital"
TEAM_DOMAIN = "test-hospital"
BOT_USER_ID = "U0BOT00001"
BOT_ID = "B0BOT00001"
APP_ID = "A0APP00001"
BOT_TOKEN = "xoxb-test"

MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
TEXT_OBJECT_CHARS = 3000
FIELD_CHARS = 2000
ID_CHARS = 255
MESSAGE_TEXT_CHARS = 40000
PRIVATE_METADATA_CHARS = 3000
CHOICE_OPTIONS = 10
OPTION_TEXT_CHARS = 75
OPTION_VALUE_CHARS = 150
CHANNEL_NAME_CHARS = 80
VIEW_STACK = 3
TRIGGER_TTL = 3.0

_CHANNEL_NAME = re.compile(r"^[a-z0-9_-]+$")
_PING = re.compile(r"<!(?!date\^)")
_ID_ALPHABET = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"
_JSON_ARGS = ("blocks", "view", "attachments", "metadata")
_VIEW_FIELDS = {
    "type", "title", "blocks", "close", "submit", "private_metadata", "callback_id", "clear_on_close",
    "notify_on_close", "external_id", "submit_disabled", "id", "team_id", "state", "hash", "previous_view_id",
    "root_view_id", "app_id", "app_installed_team_id", "bot_id",
}


class Call(NamedTuple):
    """One Web API call as received: the method and its arguments (token removed)."""

    method: str
    args: dict[str, Any]


@dataclass
class Exchange:
    """One call and what the fake answered."""

    method: str
    args: dict[str, Any]
    status: int
    body: dict[str, Any]
    at: float


@dataclass
class Channel:
    id: str
    name: str
    is_private: bool = False
    is_im: bool = False
    creator: str = BOT_USER_ID
    created: int = field(default_factory=lambda: int(time.time()))
    members: list[str] = field(default_factory=list)
    is_archived: bool = False
    topic: str = ""
    purpose: str = ""
    user: str | None = None  # the other person, for a DM
    assumed: bool = False  # made up on first use (strict_channels off): its members are unknown

    def shape(self, bot_user_id: str = BOT_USER_ID) -> dict[str, Any]:
        """The channel object of conversations.* answers."""
        if self.is_im:
            return {
                "id": self.id,
                "created": self.created,
                "is_im": True,
                "is_org_shared": False,
                "user": self.user,
                "is_user_deleted": False,
                "priority": 0,
            }
        return {
            "id": self.id,
            "name": self.name,
            "name_normalized": self.name,
            "is_channel": not self.is_private,
            "is_group": self.is_private,
            "is_im": False,
            "is_mpim": False,
            "is_private": self.is_private,
            "created": self.created,
            "creator": self.creator,
            "is_archived": self.is_archived,
            "is_general": False,
            "unlinked": 0,
            "is_shared": False,
            "is_ext_shared": False,
            "is_org_shared": False,
            "pending_shared": [],
            "is_pending_ext_shared": False,
            "is_member": bot_user_id in self.members,
            "last_read": "0000000000.000000",
            "topic": {"value": self.topic, "creator": "", "last_set": 0},
            "purpose": {"value": self.purpose, "creator": "", "last_set": 0},
            "previous_names": [],
            "num_members": len(self.members),
        }


@dataclass
class Trigger:
    user: str | None
    view_id: str | None
    issued: float
    expired: bool = False
    used: bool = False


@dataclass
class Token:
    team_id: str
    user_id: str
    bot_id: str | None
    app_id: str
    revoked: bool = False


class SlackError(Exception):
    """An answer of {"ok": false, "error": ...} with optional extra fields."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra


def _missing(argument: str) -> SlackError:
    messages = [f"[ERROR] missing required field: {argument}"]
    return SlackError("invalid_arguments", response_metadata={"messages": messages})


def truthy(value: Any) -> bool:
    """Slack's booleans arrive as true/false (JSON) or "1"/"true" (forms)."""
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


class FakeSlack:
    """The fake Slack Web API; use as ``async with FakeSlack() as fake:``."""

    def __init__(
        self,
        *,
        team_id: str = TEAM_ID,
        team_name: str = TEAM_NAME,
        bot_user_id: str = BOT_USER_ID,
        bot_id: str = BOT_ID,
        app_id: str = APP_ID,
        bot_token: str = BOT_TOKEN,
    ) -> None:
        self.team_id, self.team_name, self.team_domain = team_id, team_name, TEAM_DOMAIN
        self.bot_user_id, self.bot_id, self.app_id, self.bot_token = bot_user_id, bot_id, app_id, bot_token
        self.url = ""

        self.calls: list[Call] = []
        self.exchanges: list[Exchange] = []
        self.violations: list[str] = []

        self.latency = 0.0
        self.limit_per_second: float | None = None
        self.limited_methods: set[str] = {"chat.postMessage"}
        self.limit_bucket = False
        """How `limit_per_second` counts: False, at most that many calls in any one second; True, a token
        bucket as big as one second's worth that starts empty (the benchmark's model, as tests/fake_platform.py)."""
        self.limit_clock: Callable[[], float] = time.monotonic
        """Seconds, for the rate limit only: a test may step it by hand instead of sleeping."""
        self.trigger_ttl = TRIGGER_TTL
        self.strict_channels = False
        """When False, an unknown C/G channel id is taken as an existing public channel the bot is in."""
        self.check_blocks = True
        """When False, views are not checked against slack_sdk.models (bench/slack_bench.py: that work is
        Slack's, on Slack's servers; charged to the load generator's process it slowed only the path that opens a view)."""

        self.channels: dict[str, Channel] = {}
        self.messages: dict[str, list[dict[str, Any]]] = {}
        self.ephemerals: list[dict[str, Any]] = []
        self.responses: list[tuple[str, dict[str, Any]]] = []
        self.views: dict[str, dict[str, Any]] = {}
        self.home_tabs: dict[str, dict[str, Any]] = {}
        self.users: dict[str, dict[str, Any]] = {}
        self.missing_users: set[str] = set()
        self.history_limit = 999
        """The most messages one conversations.history page holds (15 for apps outside the Marketplace)."""
        self.client_id: str | None = None
        self.client_secret: str | None = None

        self._tokens: dict[str, Token] = {}
        self._triggers: dict[str, Trigger] = {}
        self._oauth_codes: dict[str, dict[str, Any]] = {}
        self._ims: dict[str, str] = {}
        self._stacks: dict[str, list[str]] = {}
        self._failures: dict[str, deque[tuple[int, dict[str, Any], dict[str, str]]]] = {}
        self._limited: deque[float] = deque()
        self._bucket = 0.0
        self._refilled: float | None = None
        self._counters: dict[str, itertools.count[int]] = {}
        self._ts_base = int(time.time())
        self._ts_seq = itertools.count(1)
        self._changed = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._handlers: dict[str, Callable[[dict[str, Any], Token | None], dict[str, Any]]] = {
            "api.test": self._api_test,
            "auth.test": self._auth_test,
            "oauth.v2.access": self._oauth_v2_access,
            "views.open": self._views_open,
            "views.push": self._views_push,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
            "conversations.create": self._conversations_create,
            "conversations.invite": self._conversations_invite,
            "conversations.info": self._conversations_info,
            "conversations.members": self._conversations_members,
            "conversations.open": self._conversations_open,
            "conversations.history": self._conversations_history,
            "conversations.setTopic": self._conversations_set_topic,
            "conversations.setPurpose": self._conversations_set_purpose,
            "conversations.archive": self._conversations_archive,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.delete": self._chat_delete,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.getPermalink": self._chat_get_permalink,
            "users.info": self._users_info,
            "users.lookupByEmail": self._users_lookup_by_email,
        }
        self.add_token(bot_token)

    # -- lifecycle --------------------------------------------------------------

    async def start(self) -> FakeSlack:
        app = web.Application(client_max_size=4 * 1024 * 1024)
        app.router.add_route("*", "/api/{method}", self._handle)
        app.router.add_post("/response/{id}", self._handle_response_url)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeSlack:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def api_url(self) -> str:
        """The base URL for slack_sdk and SLACK_API_URL (ends with /api/)."""
        return self.url + "/api/"

    # -- what tests set up ----------------------------------------------------------

    def add_token(
        self, token: str, *, team_id: str | None = None, user_id: str | None = None, bot_id: str | None = None
    ) -> None:
        """Make a token known; unknown xoxb-/xoxp- tokens act as the default bot anyway."""
        bot = token.startswith("xoxb-")
        self._tokens[token] = Token(
            team_id=team_id or self.team_id,
            user_id=user_id or self.bot_user_id,
            bot_id=(bot_id or self.bot_id) if bot else None,
            app_id=self.app_id,
        )

    def revoke(self, token: str) -> None:
        """From now on this token answers ``token_revoked``."""
        self._token(token).revoked = True

    def new_trigger_id(self, user: str | None = None, *, view_id: str | None = None, expired: bool = False) -> str:
        """A trigger id as Slack puts in an interaction payload: works once, for `trigger_ttl` seconds.

        ``view_id`` is the modal the interaction happened in (views.push stacks on it).
        """
        trigger_id = f"{int(time.time())}.{next(self._counter('trigger'))}.{self._id('')[:8].lower()}"
        self._triggers[trigger_id] = Trigger(user=user, view_id=view_id, issued=time.monotonic(), expired=expired)
        return trigger_id

    def expire_trigger(self, trigger_id: str) -> None:
        self._triggers[trigger_id].expired = True

    def add_channel(
        self,
        name: str,
        *,
        id: str | None = None,
        members: Iterable[str] = (),
        is_private: bool = False,
        bot_is_member: bool = True,
        is_archived: bool = False,
    ) -> Channel:
        """A channel that exists before the test (the ward channel where /debrief is typed)."""
        people = list(dict.fromkeys(members))
        if bot_is_member and self.bot_user_id not in people:
            people.append(self.bot_user_id)
        channel = Channel(
            id=id or self._id("G" if is_private else "C"),
            name=name,
            is_private=is_private,
            creator=people[0] if people else "U0CREATOR1",
            members=people,
            is_archived=is_archived,
        )
        self.channels[channel.id] = channel
        return channel

    def add_user(
        self,
        user_id: str,
        *,
        real_name: str | None = None,
        email: str | None = None,
        tz: str = "Europe/London",
        tz_offset: int = 0,
        is_bot: bool = False,
        deleted: bool = False,
        team_id: str | None = None,
    ) -> dict[str, Any]:
        """Give a person a profile; unknown ids get a made-up one unless in `missing_users`."""
        name = real_name or f"Person {user_id}"
        user = {
            "id": user_id,
            "team_id": team_id or self.team_id,
            "name": name.lower().replace(" ", "."),
            "deleted": deleted,
            "real_name": name,
            "tz": tz,
            "tz_label": tz,
            "tz_offset": tz_offset,
            "profile": {
                "real_name": name,
                "real_name_normalized": name,
                "display_name": name.split()[0],
                "display_name_normalized": name.split()[0],
                "email": email or f"{user_id.lower()}@example.org",
                "team": team_id or self.team_id,
            },
            "is_admin": False,
            "is_owner": False,
            "is_bot": is_bot,
            "is_app_user": False,
            "updated": int(time.time()),
        }
        self.users[user_id] = user
        return user

    def new_oauth_code(
        self, *, team_id: str = "T0TEAM0002", team_name: str = "Second Hospital", user_id: str = "U0INSTALL1"
    ) -> str:
        """A code as Slack sends to the OAuth redirect; oauth.v2.access exchanges it once."""
        code = f"code-{next(self._counter('code'))}-{self._id('')}"
        self._oauth_codes[code] = {"team_id": team_id, "team_name": team_name, "user_id": user_id}
        return code

    def fail_next(self, method: str, error: str, times: int = 1, **extra: Any) -> None:
        """The next `times` calls to `method` answer {"ok": false, "error": error, **extra}."""
        queue = self._failures.setdefault(method, deque())
        for _ in range(times):
            queue.append((200, {"ok": False, "error": error, **extra}, {}))

    def rate_limit_next(self, method: str, retry_after: int = 1, times: int = 1) -> None:
        """The next `times` calls to `method` answer HTTP 429 with Retry-After."""
        queue = self._failures.setdefault(method, deque())
        for _ in range(times):
            queue.append((429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(retry_after)}))

    def server_error_next(self, method: str, status: int = 503, times: int = 1) -> None:
        """The next `times` calls to `method` answer an HTTP 5xx (Slack having a bad day)."""
        queue = self._failures.setdefault(method, deque())
        for _ in range(times):
            queue.append((status, {"ok": False, "error": "service_unavailable"}, {}))

    # -- what tests read --------------------------------------------------------------

    def calls_to(self, method: str) -> list[dict[str, Any]]:
        """The arguments of every call to `method`, oldest first."""
        return [call.args for call in self.calls if call.method == method]

    def last(self, method: str) -> dict[str, Any]:
        """The arguments of the latest call to `method` (AssertionError if none)."""
        found = self.calls_to(method)
        if not found:
            raise AssertionError(f"no call to {method}; calls were: {self.methods()}")
        return found[-1]

    def methods(self) -> list[str]:
        """The methods called, in order (handy in assertion messages)."""
        return [call.method for call in self.calls]

    def errors(self, method: str | None = None) -> list[tuple[str, str]]:
        """(method, error) for every call the fake refused."""
        return [
            (ex.method, str(ex.body.get("error")))
            for ex in self.exchanges
            if not ex.body.get("ok", True) and (method is None or ex.method == method)
        ]

    def reset_calls(self) -> None:
        self.calls.clear()
        self.exchanges.clear()

    async def wait_for(
        self,
        method: str,
        count: int = 1,
        *,
        timeout: float = 30.0,
        where: Callable[[dict[str, Any]], bool] | None = None,
    ) -> list[dict[str, Any]]:
        """Wait until `count` calls to `method` (matching `where`) were answered; return their args.

        `timeout` is a safety net for a loaded machine (five test runs on two cores), not a bound on the bot.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            found = [args for args in self.calls_to(method) if where is None or where(args)]
            if len(found) >= count:
                return found
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(
                    f"waited {timeout}s for {count} call(s) to {method}, saw {len(found)}; calls were: {self.methods()}"
                )
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except TimeoutError:
                pass

    def channel_named(self, name: str) -> Channel:
        for channel in self.channels.values():
            if channel.name == name:
                return channel
        raise KeyError(f"no channel named {name!r}; channels: {[c.name for c in self.channels.values()]}")

    def messages_in(self, channel: str) -> list[dict[str, Any]]:
        """The messages the bot posted (as updated since) in a channel, oldest first."""
        return self.messages.get(channel, [])

    def dm_channel(self, user: str) -> str:
        """The D... id of the bot's direct conversation with `user`."""
        if user not in self._ims:
            self._ims[user] = channel_id = self._id("D")
            self.channels[channel_id] = Channel(
                id=channel_id, name=channel_id, is_im=True, members=[self.bot_user_id, user], user=user
            )
        return self._ims[user]

    def dms_to(self, user: str) -> list[dict[str, Any]]:
        """The direct messages the bot sent to `user`, oldest first."""
        return self.messages_in(self._ims[user]) if user in self._ims else []

    def message(self, channel: str, ts: str) -> dict[str, Any]:
        for message in self.messages_in(channel):
            if message["ts"] == ts:
                return message
        raise KeyError(f"no message {ts} in {channel}")

    def last_view(self, callback_id: str | None = None) -> dict[str, Any]:
        """The latest modal opened, pushed or updated (optionally with this callback_id)."""
        for view in reversed(list(self.views.values())):
            if callback_id is None or view.get("callback_id") == callback_id:
                return view
        raise AssertionError(f"no view{' ' + callback_id if callback_id else ''} was opened")

    def user(self, user_id: str) -> dict[str, Any]:
        """The users.info shape of a person (made up on first sight)."""
        if user_id not in self.users:
            self.add_user(user_id, is_bot=user_id == self.bot_user_id)
        return self.users[user_id]

    # -- HTTP --------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        try:
            args, token = await self._read(request)
        except SlackError as exc:
            return self._answer(method, {}, 200, {"ok": False, "error": exc.error, **exc.extra})
        if self.latency:
            await asyncio.sleep(self.latency)

        scripted = self._failures.get(method)
        if scripted:
            status, body, headers = scripted.popleft()
            return self._answer(method, args, status, body, headers)
        if method in self.limited_methods and self.limit_per_second:
            wait = self._limit_wait(self.limit_per_second)
            if wait is not None:
                retry = str(max(1, math.ceil(wait)))  # whole seconds, as Slack sends it
                return self._answer(method, args, 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": retry})

        handler = self._handlers.get(method)
        if handler is None:
            self.violations.append(f"{method}: FakeSlack does not implement this method")
            return self._answer(method, args, 200, {"ok": False, "error": "unknown_method"})
        try:
            caller = None if method == "oauth.v2.access" else self._authenticate(token)
            body = {"ok": True, **handler(args, caller)}
        except SlackError as exc:
            body = {"ok": False, "error": exc.error, **exc.extra}
        if method == "oauth.v2.access" and request.headers.get("Authorization", "").startswith("Basic"):
            args = {**args, "client_id": args.get("client_id", "(basic auth)")}
        return self._answer(method, args, 200, body)

    def _limit_wait(self, rate: float) -> float | None:
        """None if one more limited call may go now, else about how long until one may."""
        now = self.limit_clock()
        if not self.limit_bucket:
            while self._limited and now - self._limited[0] >= 1.0:
                self._limited.popleft()
            if len(self._limited) >= rate:
                return 1.0
            self._limited.append(now)
            return None
        if self._refilled is None:  # the bucket starts empty at the first call
            self._refilled = now
        self._bucket = min(rate, self._bucket + (now - self._refilled) * rate)
        self._refilled = now
        if self._bucket >= 1:
            self._bucket -= 1
            return None
        return (1 - self._bucket) / rate

    async def _handle_response_url(self, request: web.Request) -> web.Response:
        """response_url posts (Bolt's respond()); recorded as calls to "response_url"."""
        body = await request.json()
        method = "response_url"
        self._check_message(method, body, needs_content=not truthy(body.get("delete_original")))
        self.responses.append((request.match_info["id"], body))
        self._record(method, body, 200, {"ok": True})
        return web.Response(text="ok", content_type="text/plain")

    async def _read(self, request: web.Request) -> tuple[dict[str, Any], str | None]:
        args: dict[str, Any] = dict(request.query)
        if request.method == "POST" and request.can_read_body:
            if request.content_type == "application/json":
                try:
                    body = await request.json()
                except ValueError:
                    raise SlackError("invalid_json") from None
                if not isinstance(body, dict):
                    raise SlackError("invalid_json")
                args.update(body)
            elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
                form = await request.post()
                args.update({key: value for key, value in form.items() if isinstance(value, str)})
        header = request.headers.get("Authorization", "")
        token = args.pop("token", None)
        if header.startswith("Bearer "):
            token = header.removeprefix("Bearer ").strip()
        elif header.startswith("Basic "):
            try:
                client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
            except ValueError:
                raise SlackError("invalid_client_id") from None
            args.setdefault("client_id", client_id)
            args.setdefault("client_secret", secret)
        for key in _JSON_ARGS:
            if isinstance(args.get(key), str):
                try:
                    args[key] = json.loads(args[key])
                except ValueError:
                    raise SlackError("invalid_blocks_format" if key == "blocks" else "invalid_arguments") from None
        return args, token

    def _answer(
        self, method: str, args: dict[str, Any], status: int, body: dict[str, Any], headers: Mapping[str, str] = {}
    ) -> web.Response:
        self._record(method, args, status, body)
        return web.json_response(body, status=status, headers=dict(headers))

    def _record(self, method: str, args: dict[str, Any], status: int, body: dict[str, Any]) -> None:
        recorded = {key: value for key, value in args.items() if key != "client_secret"}
        self.calls.append(Call(method, recorded))
        self.exchanges.append(Exchange(method, recorded, status, body, time.monotonic()))
        self._changed.set()

    def _authenticate(self, token: str | None) -> Token:
        if not token:
            raise SlackError("not_authed")
        if not token.startswith(("xoxb-", "xoxp-")):
            raise SlackError("invalid_auth")
        caller = self._token(token)
        if caller.revoked:
            raise SlackError("token_revoked")
        return caller

    def _token(self, token: str) -> Token:
        if token not in self._tokens:
            self.add_token(token)
        return self._tokens[token]

    # -- auth and OAuth ------------------------------------------------------------------

    def _api_test(self, args: dict[str, Any], caller: Token | None) -> dict[str, Any]:
        return {"args": {key: value for key, value in args.items() if isinstance(value, str)}}

    def _auth_test(self, args: dict[str, Any], caller: Token | None) -> dict[str, Any]:
        assert caller is not None
        answer = {
            "url": f"https://{self.team_domain}.slack.com/",
            "team": self.team_name if caller.team_id == self.team_id else f"Team {caller.team_id}",
            "user": "debrief" if caller.bot_id else "installer",
            "team_id": caller.team_id,
            "user_id": caller.user_id,
            "is_enterprise_install": False,
        }
        if caller.bot_id:
            answer["bot_id"] = caller.bot_id
            answer["app_id"] = caller.app_id
        return answer

    def _oauth_v2_access(self, args: dict[str, Any], caller: Token | None) -> dict[str, Any]:
        client_id, secret = args.get("client_id"), args.get("client_secret")
        if not client_id:
            raise SlackError("invalid_client_id")
        if self.client_id is not None and client_id != self.client_id:
            raise SlackError("invalid_client_id")
        if not secret or (self.client_secret is not None and secret != self.client_secret):
            raise SlackError("bad_client_secret")
        if args.get("grant_type") == "refresh_token":
            raise SlackError("invalid_refresh_token")
        code = args.get("code")
        if not code:
            raise SlackError("invalid_arguments")
        install = self._oauth_codes.pop(code, None)
        if install is None:
            raise SlackError("invalid_code")
        team_id = install["team_id"]
        suffix = team_id[-4:].upper()
        bot_user, bot_id = f"U0BOT{suffix}", f"B0BOT{suffix}"
        bot_token = f"xoxb-{team_id}-{self._id('')}"
        user_token = f"xoxp-{team_id}-{self._id('')}"
        self.add_token(bot_token, team_id=team_id, user_id=bot_user, bot_id=bot_id)
        self.add_token(user_token, team_id=team_id, user_id=install["user_id"])
        return {
            "access_token": bot_token,
            "token_type": "bot",
            "scope": "commands,chat:write,groups:write,im:history,im:write,users:read,users:read.email,channels:history",
            "bot_user_id": bot_user,
            "app_id": self.app_id,
            "team": {"name": install["team_name"], "id": team_id},
            "enterprise": None,
            "is_enterprise_install": False,
            "authed_user": {
                "id": install["user_id"],
                "scope": "",
                "access_token": user_token,
                "token_type": "user",
            },
        }

    # -- views ---------------------------------------------------------------------------

    def _exchange_trigger(self, args: dict[str, Any]) -> Trigger:
        trigger_id = args.get("trigger_id") or args.get("interactivity_pointer")
        if not trigger_id:
            raise _missing("trigger_id")
        trigger = self._triggers.get(str(trigger_id))
        if trigger is None:
            raise SlackError("invalid_trigger_id")
        if trigger.used:
            raise SlackError("exchanged_trigger_id")
        if trigger.expired or time.monotonic() - trigger.issued > self.trigger_ttl:
            raise SlackError("expired_trigger_id")
        trigger.used = True
        return trigger

    def _view_arg(self, method: str, args: dict[str, Any], surface: str) -> dict[str, Any]:
        view = args.get("view")
        if not isinstance(view, dict):
            raise _missing("view")
        problems = validate_view(view, surface) if self.check_blocks else []
        if problems:
            self.violations.extend(f"{method}: {problem}" for problem in problems)
            raise SlackError(
                "invalid_arguments", response_metadata={"messages": [f"[ERROR] {problem}" for problem in problems]}
            )
        self._check_pings(method, view.get("blocks") or [], "view.blocks")
        return view

    def _store_view(self, view: dict[str, Any], *, view_id: str | None = None, root: str | None = None,
                    previous: str | None = None, caller: Token | None = None) -> dict[str, Any]:
        view_id = view_id or self._id("V")
        stored = {
            "id": view_id,
            "team_id": caller.team_id if caller else self.team_id,
            "type": view.get("type"),
            "title": view.get("title"),
            "submit": view.get("submit"),
            "close": view.get("close"),
            "blocks": view.get("blocks") or [],
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "external_id": view.get("external_id", ""),
            "state": {"values": {}},
            "hash": f"{int(time.time())}.{self._id('')}",
            "clear_on_close": truthy(view.get("clear_on_close", False)),
            "notify_on_close": truthy(view.get("notify_on_close", False)),
            "previous_view_id": previous,
            "root_view_id": root or view_id,
            "app_id": caller.app_id if caller else self.app_id,
            "app_installed_team_id": caller.team_id if caller else self.team_id,
            "bot_id": (caller.bot_id if caller else None) or self.bot_id,
        }
        self.views.pop(view_id, None)
        self.views[view_id] = stored
        return stored

    def _check_external_id(self, view: dict[str, Any], own_id: str | None = None) -> None:
        external = view.get("external_id")
        if external and any(v.get("external_id") == external and v["id"] != own_id for v in self.views.values()):
            raise SlackError("duplicate_external_id")

    def _views_open(self, args: dict[str, Any], caller: Token | None) -> dict[str, Any]:
        view = self._view_arg("views.open", args, "modal")
        self._check_external_id(view)
        self._exchange_trigger(args)
        stored = self._store_view(view, caller=caller)
        self._stacks[stored["id"]] = [stored["id"]]
        return {"view": stored}

    def _views_push(self, args: dict[str, Any], caller: Token | None) -> dict[str, Any]:
        view = self._view_arg("views.push", args, "modal")
        self._check_external_id(view)
        trigger_id = args.get("trigger_id") or args.get("interactivity_pointer")
        trigger = self._triggers.get(str(trigger_id)) if trigger_id else None
        under = self.views.get(trigger.view_id) if trigger and trigger.view_id else None
        root = under["root_view_id"] if under else None
        stack = self._stacks.get(root, []) if root else []
        if len(stack) >= VIEW_STACK:
            raise SlackError("push_limit_reached")
        self._exchange_trigger(args)
        stored = self._store_view(view, root=root, previous=under["id"] if under else None, caller=caller)
        self._stacks.setdefault(stored["root_view_id"], []).append(stored["id"])
        return {"view": stored}

    def _views_update(self, args: dict[str, Any], caller: Token | None) -> dict[str, Any]:
        view_id, external_id = args.get("view_id"), args.get("external_id")
        if not view_id and not external_id:
            raise _missing("view_id or external_id")
        view = self._view_arg("views.update", args, "modal")
        current = self.views.get(view_id) if view_id else next(
            (v for v in self.views.values() if v.get("external_id") == external_id), None
        )
        if current is None:
            raise SlackError("not_found")
        if args.get("hash") and args["hash"] != current["hash"]:
            raise SlackError("hash_conflict")
        self._check_external_id(view, current["id"])
        stored = self._store_view(
            view,
            view_id=current["id"],
            root=current["root_view_id"],
            previous=current["previous_view_id"],
            caller=caller,
        )
        return {"view": stored}

    def _views_publish(self, args: dict[str, Any], caller: Token | None) -> dict[str, Any]:
        user = args.get("user_id")
        if not user:
            raise _missing("user_id")
        view = self._view_arg("views.publish", args, "home")
        current = self.home_tabs.get(str(user))
        if current and args.get("hash") and args["hash"] != current["hash"]:
            raise SlackError("hash_conflict")
        stored = self._store_view(view, view_id=current["id"] if current else None, caller=caller)
        self.views.pop(stored["id"], None)  # a Home tab is not a modal
        self.home_tabs[str(user)] = stored
        return {"view": stored}

    # -- conversations ---------------------------------------------------------------------

    def _channel(self, channel_id: Any, caller: Token | None = None) -> Channel:
        if not channel_id:
            raise SlackError("channel_not_found")
        channel_id = str(channel_id)
        if channel_id in self.channels:
            channel = self.channels[channel_id]
            if channel.is_private and self.bot_user_id not in channel.members:
                raise SlackError("channel_not_found")
            return channel
        if channel_id[:1] in ("U", "W"):
            return self.channels[self.dm_channel(channel_id)]
        if self.strict_channels or channel_id[:1] not in ("C", "G"):
            raise SlackError("channel_not_found")
        channel = self.add_channel(channel_id.lower(), id=channel_id, is_private=channel_id.startswith("G"))
        channel.assumed = True
        return channel

    def _conversations_create(self, args: dict[str, Any], caller: Token | None) -> dict[str, Any]:
        name = str(args.get("name") or "")
        if not name:
            raise SlackError("invalid_name_required")
        if len(name) > CHANNEL_NAME_CHARS:
            raise SlackError("invalid_name_maxlength")
        if not _CHANNEL_NAME.match(name):
            raise SlackError("invalid_name_specials")
        if not re.search(r"[a-z0-9]", name):
            raise SlackError("invalid_name_punctuation")
        if any(channel.name == name for channel in self.channels.values()):
            raise SlackError("name_taken")
        assert caller is not None
        private = truthy(args.get("is_private", False))
        channel = Channel(
            id=self._id("C"), name=name, is_private=private, creator=caller.user_id, members=[caller.user_id]
        )
        self.channels[channel.id] = channel
        self.messages.setdefault(channel.id, [])
        return {"channel": channel.shape(self.bot_user_id)}

    def _conversations_invite(self, args: dict[str, Any], caller: Token | None) -> dict[str, Any]:
        channel = self._channel(args.get("channel"))
        if channel.is_im:
            raise SlackError("method_not_supported_for_channel_type")
        users = [user.strip() for user in str(args.get("users") or "").split(",") if user.strip()]
        if not users:
            raise SlackError("no_user")
        if channel.is_archived:
            raise SlackError("is_archived")
        if self.bot_user_id not in channel.members:
            raise SlackError("not_in_channel")
        assert caller is not None
        problems = []
        for user in users:
            if user == caller.user_id:
                problems.append({"user": user, "ok": False, "error": "cant_invite_self"})
            elif user in self.missing_users:
                problems.append({"user": user, "ok": False, "error": "user_not_found"})
            elif user in channel.members:
                problems.append({"user": user, "ok": False, "error": "already_in_channel"})
        order = ("cant_invite_self", "user_not_found", "already_in_channel")
        problems.sort(key=lambda problem: order.index(problem["error"]))
        if problems and not truthy(args.get("force", False)):
            raise SlackError(problems[0]["error"], errors=problems)
        refused = {problem["user"] for problem in problems}
        channel.members.extend(user for user in dict.fromkeys(users) if user not in refused)
        answer: dict[str, Any] = {"channel": channel.shape(self.bot_user_id)}
        if problems:
            answer["errors"] = problems
        return answer

    def _conversations_info(self, args: dict[str, Any], caller: Token | None) -> dict[str, Any]:
        return {"channel": self._channel(args.get("channel")).shape(self.bot_user_id)}

    def _conversations_members(self, args: dict[str, Any], caller: Token | None) -> dict[str, Any]:
        channel = self._channel(args.get("channel"))
        limit = int(args.get("limit") or 100)
        start = int(base64.b64decode(str(args["cursor"])).decode().split(":")[1]) if args.get("cursor") else 0
        page = channel.members[start : start + limit]
        more = start + limit < len(channel.members)
        cursor = base64.b64encode(f"offset:{start + limit}".encode()).decode() if more else ""
        return {"members": page, "response_metadata": {"next_cursor": cursor}}

    def _conversations_open(self, args: dict[str, Any], caller: Token | None) -> dict[str, Any]:
        users = [user.strip() for user in str(args.get("users") or "").split(",") if user.strip()]
        if args.get("channel"):
            return {"channel": self._channel(args["channel"]).shape(self.bot_user_id)}
        if len(users) != 1:
            raise SlackError("users_list_not_supplied" if not users else "not_enough_users")
        return {"channel": {"id": self.dm_channel(users[0])}, "already_open": False, "no_op": False}

    def _conversations_history(self, args: dict[str, Any], caller: Token | None) -> dict[str, Any]:
        """Newest first, between `oldest` and `latest`; metadata only with `include_all_metadata`."""
        raw = str(args.get("channel") or "")
        if raw[:1] in ("U", "W"):  # a user id is not a conversation here (conversations.open gives the DM's id)
            raise SlackError("channel_not_found")
        channel = self._channel(raw)
        if not channel.is_im and self.bot_user_id not in channel.members:
            raise SlackError("not_in_channel")
        inclusive = truthy(args.get("inclusive", False))
        oldest = float(args.get("oldest") or 0)
        latest = float(args["latest"]) if args.get("latest") else float("inf")

        def within(ts: float) -> bool:
            if inclusive:
                return oldest <= ts <= latest
            return oldest < ts < latest

        found = [message for message in self.messages.get(channel.id, []) if within(float(message["ts"]))]
        found.sort(key=lambda message: float(message["ts"]), reverse=True)
        limit = max(1, min(int(args.get("limit") or 100), self.history_limit))
        start = int(base64.b64decode(str(args["cursor"])).decode().split(":")[1]) if args.get("cursor") else 0
        page = found[start : start + limit]
        more = start + limit < len(found)
        with_metadata = truthy(args.get("include_all_metadata", False))
        shown = [
            {key: value for key, value in message.items() if key != "metadata" or with_metadata} for message in page
        ]
        cursor = base64.b64encode(f"offset:{start + limit}".encode()).decode() if more else ""
        return {"messages": shown, "has_more": more, "pin_count": 0, "response_metadata": {"next_cursor": cursor}}

    def _conversations_set_topic(self, args: dict[str, Any], caller: Token | None) -> dict[str, Any]:
        channel = self._member_channel(args)
        channel.topic = str(args.get("topic") or "")
        return {"channel": channel.shape(self.bot_user_id)}

    def _conversations_set_purpose(self, args: dict[str, Any], caller: Token | None) -> dict[str, Any]:
        channel = self._member_channel(args)
        channel.purpose = str(args.get("purpose") or "")
        return {"channel": channel.shape(self.bot_user_id), "purpose": channel.purpose}

    def _conversations_archive(self, args: dict[str, Any], caller: Token | None) -> dict[str, Any]:
        channel = self._member_channel(args)
        if channel.is_archived:
            raise SlackError("already_archived")
        channel.is_archived = True
        return {}

    def _member_channel(self, args: dict[str, Any]) -> Channel:
        channel = self._channel(args.get("channel"))
        if self.bot_user_id not in channel.members:
            raise SlackError("not_in_channel")
        return channel

    # -- chat ----------------------------------------------------------------------------------

    def _check_message(self, method: str, args: dict[str, Any], *, needs_content: bool = True) -> None:
        """Content rules shared by postMessage, update, postEphemeral and response_url."""
        text, blocks, attachments = args.get("text"), args.get("blocks"), args.get("attachments")
        if needs_content and not text and not blocks and not attachments:
            raise SlackError("no_text")
        if isinstance(text, str) and len(text) > MESSAGE_TEXT_CHARS:
            raise SlackError("msg_too_long")
        if truthy(args.get("link_names", False)):
            self.violations.append(f"{method}: link_names turns @names in text into mentions")
        if str(args.get("parse") or "").lower() == "full":
            self.violations.append(f"{method}: parse=full turns text into mentions and links")
        if isinstance(text, str) and truthy(args.get("mrkdwn", True)) and _PING.search(text):
            self.violations.append(f"{method}: text contains a mention ('<!'): {text[:80]!r}")
        if blocks is not None:
            if not isinstance(blocks, list):
                raise SlackError("invalid_blocks_format")
            problems = validate_blocks(blocks, "message")
            if problems:
                self.violations.extend(f"{method}: {problem}" for problem in problems)
                raise SlackError("invalid_blocks", response_metadata={"messages": [f"[ERROR] {p}" for p in problems]})
            self._check_pings(method, blocks, "blocks")
        if attachments is not None:
            if not isinstance(attachments, list):
                raise SlackError("invalid_attachments")
            for index, attachment in enumerate(attachments):
                inner = attachment.get("blocks") if isinstance(attachment, dict) else None
                if inner:
                    problems = validate_blocks(inner, "message")
                    if problems:
                        self.violations.extend(f"{method}: attachments[{index}].{p}" for p in problems)
                        raise SlackError("invalid_attachments")
                    self._check_pings(method, inner, f"attachments[{index}].blocks")
                for key in ("text", "pretext", "fallback", "title"):
                    value = attachment.get(key) if isinstance(attachment, dict) else None
                    if isinstance(value, str) and _PING.search(value):
                        self.violations.append(f"{method}: attachments[{index}].{key} contains a mention ('<!')")

    def _check_metadata(self, method: str, metadata: Any) -> None:
        """Message metadata: an event_type of letters, digits and underscores, and an object payload."""
        if metadata is None:
            return
        event_type = metadata.get("event_type") if isinstance(metadata, dict) else None
        payload = metadata.get("event_payload") if isinstance(metadata, dict) else None
        if not isinstance(event_type, str) or not re.fullmatch(r"[A-Za-z0-9_]{1,255}", event_type):
            self.violations.append(f"{method}: metadata.event_type must be letters, digits and underscores")
            raise SlackError("invalid_metadata_format")
        if not isinstance(payload, dict):
            self.violations.append(f"{method}: metadata.event_payload must be an object")
            raise SlackError("invalid_metadata_format")

    def _check_pings(self, method: str, blocks: list[Any], where: str) -> None:
        for path, problem in find_pings(blocks, where):
            self.violations.append(f"{method}: {path}: {problem}")

    def _new_ts(self) -> str:
        seq = next(self._ts_seq)
        return f"{self._ts_base + seq // 1_000_000}.{seq % 1_000_000:06d}"

    def _chat_post_message(self, args: dict[str, Any], caller: Token | None) -> dict[str, Any]:
        assert caller is not None
        channel = self._channel(args.get("channel"))
        if channel.is_im and channel.user in self.missing_users:
            raise SlackError("user_not_found")
        if channel.is_archived:
            raise SlackError("is_archived")
        if not channel.is_im and caller.user_id not in channel.members:
            raise SlackError("not_in_channel")
        self._check_message("chat.postMessage", args)
        self._check_metadata("chat.postMessage", args.get("metadata"))
        ts = self._new_ts()
        message = {
            "type": "message",
            "subtype": "bot_message",
            "ts": ts,
            "channel": channel.id,
            "user": caller.user_id,
            "bot_id": caller.bot_id,
            "app_id": caller.app_id,
            "team": caller.team_id,
            "text": args.get("text", ""),
            "blocks": args.get("blocks") or [],
            "attachments": args.get("attachments") or [],
        }
        if args.get("thread_ts"):
            message["thread_ts"] = str(args["thread_ts"])
        if args.get("metadata"):
            message["metadata"] = args["metadata"]
        self.messages.setdefault(channel.id, []).append(message)
        return {"channel": channel.id, "ts": ts, "message": dict(message)}

    def _chat_update(self, args: dict[str, Any], caller: Token | None) -> dict[str, Any]:
        assert caller is not None
        channel = self._channel(args.get("channel"))
        if not args.get("ts"):
            raise SlackError("message_not_found")
        try:
            message = self.message(channel.id, str(args["ts"]))
        except KeyError:
            raise SlackError("message_not_found") from None
        if message.get("user") != caller.user_id:
            raise SlackError("cant_update_message")
        self._check_message("chat.update", args, needs_content="text" in args or "blocks" in args)
        for key in ("text", "blocks", "attachments", "metadata"):
            if key in args:
                message[key] = args[key]
        message["edited"] = {"user": caller.user_id, "ts": self._new_ts()}
        return {"channel": channel.id, "ts": message["ts"], "text": message["text"], "message": dict(message)}

    def _chat_delete(self, args: dict[str, Any], caller: Token | None) -> dict[str, Any]:
        channel = self._channel(args.get("channel"))
        try:
            message = self.message(channel.id, str(args.get("ts")))
        except KeyError:
            raise SlackError("message_not_found") from None
        self.messages[channel.id].remove(message)
        return {"channel": channel.id, "ts": message["ts"]}

    def _chat_post_ephemeral(self, args: dict[str, Any], caller: Token | None) -> dict[str, Any]:
        channel = self._channel(args.get("channel"))
        user = args.get("user")
        if not user:
            raise SlackError("user_not_found")
        if user in self.missing_users:
            raise SlackError("user_not_found")
        if channel.is_im:
            if channel.user != user:
                raise SlackError("user_not_in_channel")
        elif not channel.assumed and user not in channel.members:
            raise SlackError("user_not_in_channel")
        self._check_message("chat.postEphemeral", args)
        ts = self._new_ts()
        self.ephemerals.append(
            {
                "channel": channel.id,
                "user": user,
                "ts": ts,
                "text": args.get("text", ""),
                "blocks": args.get("blocks") or [],
            }
        )
        return {"message_ts": ts}

    def _chat_get_permalink(self, args: dict[str, Any], caller: Token | None) -> dict[str, Any]:
        channel = self._channel(args.get("channel"))
        ts = str(args.get("message_ts") or "")
        try:
            self.message(channel.id, ts)
        except KeyError:
            raise SlackError("message_not_found") from None
        return {
            "channel": channel.id,
            "permalink": f"https://{self.team_domain}.slack.com/archives/{channel.id}/p{ts.replace('.', '')}",
        }

    # -- users ------------------------------------------------------------------------------------

    def _users_info(self, args: dict[str, Any], caller: Token | None) -> dict[str, Any]:
        user = args.get("user")
        if not user:
            raise _missing("user")
        if user in self.missing_users:
            raise SlackError("user_not_found")
        return {"user": self.user(str(user))}

    def _users_lookup_by_email(self, args: dict[str, Any], caller: Token | None) -> dict[str, Any]:
        email = str(args.get("email") or "").lower()
        for user in self.users.values():
            if user["profile"].get("email", "").lower() == email:
                return {"user": user}
        raise SlackError("users_not_found")

    # -- ids --------------------------------------------------------------------------------------

    def _counter(self, name: str) -> itertools.count[int]:
        return self._counters.setdefault(name, itertools.count(1))

    def _id(self, prefix: str) -> str:
        """Slack-looking ids: a prefix and ten base-32 characters, unique per fake."""
        number = next(self._counter("id")) * 7919 + 1_000_003
        chars = []
        for _ in range(10):
            number, digit = divmod(number, len(_ID_ALPHABET))
            chars.append(_ID_ALPHABET[digit])
        return prefix + "".join(reversed(chars))


# -- Block Kit validation -------------------------------------------------------------------------


def validate_blocks(blocks: list[Any], surface: str, *, count: bool = True) -> list[str]:
    """What Slack would refuse in these blocks; an empty list when they are fine.

    `surface` is "message", "modal" or "home". slack_sdk's models do most of
    the work (every block and element parses and passes its validators on
    `to_dict()`); the limits below are the ones slack_sdk does not check.
    """
    from slack_sdk.errors import SlackObjectFormationError
    from slack_sdk.models.blocks import Block

    problems: list[str] = []
    limit = MESSAGE_BLOCKS if surface == "message" else VIEW_BLOCKS
    if count and len(blocks) > limit:
        problems.append(f"blocks: {len(blocks)} blocks, more than the {limit} a {surface} may have")
    block_ids: set[str] = set()
    for index, raw in enumerate(blocks):
        where = f"blocks[{index}]"
        if not isinstance(raw, dict):
            problems.append(f"{where}: a block must be an object")
            continue
        try:
            parsed = Block.parse(dict(raw))
            if parsed is None:
                problems.append(f"{where}: unknown block type {raw.get('type')!r}")
                continue
            rendered = parsed.to_dict()
        except (SlackObjectFormationError, TypeError, ValueError, AttributeError, KeyError) as exc:
            problems.append(f"{where}: {exc}")
            continue
        problems.extend(_dropped_keys(raw, rendered, where))
        block_id = raw.get("block_id")
        if block_id is not None:
            if block_id in block_ids:
                problems.append(f"{where}: duplicate block_id {block_id!r}")
            block_ids.add(block_id)
        action_ids: set[str] = set()
        for path, node in _walk(raw, where):
            problems.extend(_node_problems(path, node, action_ids))
    return problems


def validate_view(view: dict[str, Any], surface: str) -> list[str]:
    """What Slack would refuse in a view: slack_sdk's View validators plus its blocks."""
    from slack_sdk.errors import SlackObjectFormationError
    from slack_sdk.models.views import View

    problems: list[str] = []
    kind = view.get("type")
    if surface == "home" and kind != "home":
        problems.append(f"view.type: views.publish needs a home view, not {kind!r}")
    if surface == "modal" and kind != "modal":
        problems.append(f"view.type: a modal surface needs type 'modal', not {kind!r}")
    if not isinstance(view.get("blocks"), list):
        problems.append("view.blocks: missing")
        return problems
    metadata = view.get("private_metadata")
    if metadata is not None and (not isinstance(metadata, str) or len(metadata) > PRIVATE_METADATA_CHARS):
        problems.append(f"view.private_metadata: must be a string of at most {PRIVATE_METADATA_CHARS} characters")
    for key in ("callback_id", "external_id"):
        value = view.get(key)
        if value is not None and len(str(value)) > ID_CHARS:
            problems.append(f"view.{key}: longer than {ID_CHARS} characters")
    if kind == "modal":
        if not view.get("title"):
            problems.append("view.title: a modal needs a title")
        has_input = any(isinstance(b, dict) and b.get("type") == "input" for b in view["blocks"])
        if has_input and not view.get("submit"):
            problems.append("view.submit: a modal with input blocks needs a submit button")
    for key in view:
        if key not in _VIEW_FIELDS:
            problems.append(f"view: unknown field {key!r}")
    try:
        View(**view).validate_json()  # title, submit, close, block count, metadata: not recursive
    except (SlackObjectFormationError, TypeError, ValueError, AttributeError, KeyError) as exc:
        problems.append(f"view: {exc}")
    problems.extend(f"view.{problem}" for problem in validate_blocks(view["blocks"], surface, count=False))
    return problems


def find_pings(blocks: list[Any], where: str = "blocks") -> list[tuple[str, str]]:
    """Every place in blocks where Slack would notify people: `<!...>` in mrkdwn, broadcast elements."""
    found = []
    for path, node in _walk(blocks, where):
        if node.get("type") == "mrkdwn" and isinstance(node.get("text"), str) and _PING.search(node["text"]):
            found.append((path, f"mrkdwn contains a mention ('<!'): {node['text'][:80]!r}"))
        if node.get("type") == "broadcast":
            found.append((path, f"rich_text broadcast element (@{node.get('range')})"))
    return found


def _walk(node: Any, path: str) -> Iterable[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from _walk(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, f"{path}[{index}]")


def _node_problems(path: str, node: dict[str, Any], action_ids: set[str]) -> list[str]:
    problems = []
    kind = node.get("type")
    text = node.get("text")
    if kind in ("plain_text", "mrkdwn") and isinstance(text, str):
        limit = FIELD_CHARS if ".fields[" in path else TEXT_OBJECT_CHARS
        if len(text) > limit:
            problems.append(f"{path}: text of {len(text)} characters, more than {limit}")
    for key in ("action_id", "block_id"):
        value = node.get(key)
        if isinstance(value, str) and len(value) > ID_CHARS:
            problems.append(f"{path}.{key}: longer than {ID_CHARS} characters")
    action_id = node.get("action_id")
    if isinstance(action_id, str):
        if action_id in action_ids:
            problems.append(f"{path}: duplicate action_id {action_id!r} in one block")
        action_ids.add(action_id)
    for index, option in enumerate(node.get("options") or [] if isinstance(node.get("options"), list) else []):
        problems.extend(_option_problems(f"{path}.options[{index}]", option))
    if kind in ("radio_buttons", "checkboxes") and len(node.get("options") or []) > CHOICE_OPTIONS:
        problems.append(f"{path}: {kind} may have at most {CHOICE_OPTIONS} options")
    if kind == "plain_text_input":
        for key in ("max_length", "min_length"):
            if key in node and not 0 <= int(node[key]) <= TEXT_OBJECT_CHARS:
                problems.append(f"{path}.{key}: must be between 0 and {TEXT_OBJECT_CHARS}")
    return problems


def _option_problems(path: str, option: Any) -> list[str]:
    """Option objects: slack_sdk keeps a select's options as plain dicts, unchecked."""
    if not isinstance(option, dict):
        return [f"{path}: an option must be an object"]
    problems = []
    for key, limit in (("text", OPTION_TEXT_CHARS), ("description", OPTION_TEXT_CHARS)):
        text = option.get(key)
        if isinstance(text, dict) and len(str(text.get("text", ""))) > limit:
            problems.append(f"{path}.{key}: more than {limit} characters")
    if not isinstance(option.get("text"), dict):
        problems.append(f"{path}.text: an option needs a text object")
    value = option.get("value")
    if not isinstance(value, str) or not value or len(value) > OPTION_VALUE_CHARS:
        problems.append(f"{path}.value: must be a string of 1 to {OPTION_VALUE_CHARS} characters")
    return problems


def _dropped_keys(raw: Any, rendered: Any, path: str) -> list[str]:
    """Keys slack_sdk did not recognise (it drops them); Slack refuses unknown fields too."""
    problems = []
    if isinstance(raw, dict) and isinstance(rendered, dict):
        for key, value in raw.items():
            if value is None:
                continue
            if key not in rendered:
                problems.append(f"{path}: unknown or empty field {key!r}")
            else:
                problems.extend(_dropped_keys(value, rendered[key], f"{path}.{key}"))
    elif isinstance(raw, list) and isinstance(rendered, list) and len(raw) == len(rendered):
        for index, (left, right) in enumerate(zip(raw, rendered, strict=False)):
            problems.extend(_dropped_keys(left, right, f"{path}[{index}]"))
    return problems
