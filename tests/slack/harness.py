"""Drive the real bot server the way Slack does: signed HTTP requests over loopback.

`running_app(settings, fake)` starts `adapters.server.create_app` on
127.0.0.1 (a free port) and yields a `SlackApp`: the server, its core, the
`FakeSlack` it talks to, and `slack`, a `SlackClient` that sends what Slack
sends to `/slack/events`:

    reply = await slack.command("/debrief", "", user_id="ULEAD")
    modal = fake.last_view()
    reply = await slack.submit(modal, {"participants": ["U1", "U2"]}, user_id="ULEAD")
    await slack.click(fake.messages_in(channel)[-1], "answer", user_id="U1")
    await slack.event({"type": "app_home_opened", "user": "U1", "tab": "home"})

Every request is signed with Slack's v0 scheme (HMAC-SHA256 of
`v0:<timestamp>:<body>` with the signing secret); `slack.forged()` and
`slack.expired()` return clients whose requests carry a wrong signature or a
timestamp older than five minutes. Every interaction gets a fresh trigger id
registered with the fake (single use, expires after `fake.trigger_ttl`).
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer
from fake_slack import FakeSlack  # tests/ is on sys.path (pytest puts the root conftest's folder there)
from request_work import RequestWork
from slack_sdk.signature import SignatureVerifier

from adapters.server import CORE, create_app
from bot.clock import Clock
from bot.core import Core
from bot.settings import Settings, revealed

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BOT_TOKEN = "xoxb-test"
DEBRIEF_SECRET = "test-secret"
OFFICER = "UOFFICER"
EVENTS_PATH = "/slack/events"
MAX_AGE = 60 * 5
LEGACY_TOKEN = "verification-token-unused"

_sequence = itertools.count(1)


def make_settings(fake: FakeSlack, database_url: str, **overrides: Any) -> Settings:
    """Settings for one workspace whose Web API is `fake`; keyword overrides win."""
    values: dict[str, Any] = {
        "slack_bot_token": BOT_TOKEN,
        "slack_signing_secret": SIGNING_SECRET,
        "slack_api_url": fake.api_url,
        "database_url": database_url,
        "debrief_secret": DEBRIEF_SECRET,
        "debrief_wellbeing_officers": OFFICER,
        "host": "127.0.0.1",
        "debrief_digest": "off",  # the weekly digest only where a test turns it on
    }
    values.update(overrides)
    return Settings.load(**values)


@dataclass
class Reply:
    """What the bot answered over HTTP, read in full."""

    status: int
    headers: Mapping[str, str]
    text: str
    elapsed: float
    """Seconds from sending the request to the end of the answer (Slack allows 3)."""

    def json(self) -> Any:
        return json.loads(self.text) if self.text else None

    def __repr__(self) -> str:
        return f"Reply(status={self.status}, elapsed={self.elapsed:.3f}s, text={self.text[:200]!r})"


class SlackClient:
    """Sends Slack's requests (commands, interactivity, events), signed, to the running server."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        fake: FakeSlack,
        *,
        signing_secret: str = SIGNING_SECRET,
        path: str = EVENTS_PATH,
        signing: str = "valid",
    ) -> None:
        self.session = session
        self.base_url = base_url.rstrip("/")
        self.fake = fake
        self.signing_secret = signing_secret
        self.path = path
        self.signing = signing

    # -- variants -------------------------------------------------------------------

    def forged(self) -> SlackClient:
        """A client whose requests are signed with the wrong secret (the bot must answer 401)."""
        return self._variant("forged")

    def expired(self) -> SlackClient:
        """A client whose requests carry a valid signature for a timestamp 6 minutes old (a replay)."""
        return self._variant("expired")

    def unsigned(self) -> SlackClient:
        """A client that sends no signature headers at all."""
        return self._variant("unsigned")

    def _variant(self, signing: str) -> SlackClient:
        return SlackClient(
            self.session, self.base_url, self.fake, signing_secret=self.signing_secret, path=self.path, signing=signing
        )

    # -- signing and sending --------------------------------------------------------

    def signed_headers(self, body: str, timestamp: int | None = None) -> dict[str, str]:
        """X-Slack-Request-Timestamp and X-Slack-Signature for `body`, as this client signs."""
        if self.signing == "unsigned":
            return {}
        now = int(time.time()) if timestamp is None else timestamp
        if self.signing == "expired":
            now -= MAX_AGE + 60
        secret = "not-the-signing-secret" if self.signing == "forged" else self.signing_secret
        signature = SignatureVerifier(secret).generate_signature(timestamp=str(now), body=body)
        assert signature is not None
        return {"X-Slack-Request-Timestamp": str(now), "X-Slack-Signature": signature}

    async def post(
        self, body: str, content_type: str, *, headers: Mapping[str, str] | None = None, path: str | None = None
    ) -> Reply:
        """POST a raw body, signed as this client signs; the building block of the rest."""
        all_headers = {"Content-Type": content_type, "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)"}
        all_headers.update(self.signed_headers(body))
        all_headers.update(headers or {})
        started = time.perf_counter()
        url = self.base_url + (path or self.path)
        async with self.session.post(url, data=body.encode(), headers=all_headers) as res:
            text = await res.text()
        return Reply(res.status, dict(res.headers), text, time.perf_counter() - started)

    async def post_form(self, fields: Mapping[str, Any], **kwargs: Any) -> Reply:
        body = urlencode({key: value for key, value in fields.items() if value is not None})
        return await self.post(body, "application/x-www-form-urlencoded", **kwargs)

    async def post_payload(self, payload: Mapping[str, Any], **kwargs: Any) -> Reply:
        """Interactivity: a form with one field, `payload`, holding JSON."""
        return await self.post_form({"payload": json.dumps(payload)}, **kwargs)

    # -- slash commands ------------------------------------------------------------------

    async def command(
        self,
        command: str = "/debrief",
        text: str = "",
        *,
        user_id: str = "ULEAD",
        channel_id: str = "CWARD0001",
        channel_name: str = "ward-7",
        trigger_id: str | None = None,
        team_id: str | None = None,
    ) -> Reply:
        """A slash command as Slack posts it (form-encoded), with a fresh trigger id."""
        fields = {
            "token": LEGACY_TOKEN,
            "team_id": team_id or self.fake.team_id,
            "team_domain": self.fake.team_domain,
            "channel_id": channel_id,
            "channel_name": channel_name,
            "user_id": user_id,
            "user_name": user_id.lower(),
            "command": command,
            "text": text,
            "api_app_id": self.fake.app_id,
            "is_enterprise_install": "false",
            "response_url": self._response_url(),
            "trigger_id": trigger_id or self.fake.new_trigger_id(user_id),
        }
        return await self.post_form(fields)

    # -- interactivity -------------------------------------------------------------------

    async def block_action(
        self,
        action_id: str,
        value: Any = None,
        *,
        user_id: str,
        block_id: str | None = None,
        message: Mapping[str, Any] | None = None,
        view: Mapping[str, Any] | None = None,
        channel_id: str | None = None,
        action: Mapping[str, Any] | None = None,
        trigger_id: str | None = None,
        team_id: str | None = None,
    ) -> Reply:
        """A click (or selection) on an element with `action_id`.

        With `message` (a message from `fake.messages_in(...)`) or `view` (from
        `fake.views` / `fake.last_view()` / `fake.home_tabs`) the element is
        looked up there: its block_id, type and value come from what the bot
        rendered, so a test clicks what a person would see. `value` picks an
        option of a select or radio element, or overrides a button's value.
        `action` adds or replaces fields of the action object.
        """
        surface = view if view is not None else message
        element, found_block = _find_element(surface.get("blocks") or [], action_id) if surface else (None, None)
        if surface is not None and element is None:
            raise AssertionError(f"no element with action_id {action_id!r} in the {'view' if view else 'message'}")
        act: dict[str, Any] = {
            "action_id": action_id,
            "block_id": block_id or found_block or "block",
            "type": (element or {}).get("type", "button"),
            "action_ts": f"{time.time():.6f}",
        }
        act.update(_action_value(element, value))
        if element and element.get("text"):
            act["text"] = element["text"]
        act.update(action or {})
        team = team_id or self.fake.team_id
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": self._user(user_id, team),
            "api_app_id": self.fake.app_id,
            "token": LEGACY_TOKEN,
            "trigger_id": trigger_id or self.fake.new_trigger_id(user_id, view_id=(view or {}).get("id")),
            "team": {"id": team, "domain": self.fake.team_domain},
            "enterprise": None,
            "is_enterprise_install": False,
            "state": {"values": {}},
            "actions": [act],
        }
        if view is not None:
            payload["container"] = {"type": "view", "view_id": view.get("id")}
            payload["view"] = {**view, "state": view.get("state") or {"values": {}}}
        else:
            channel = channel_id or (message or {}).get("channel") or "CWARD0001"
            known = self.fake.channels.get(channel)
            payload["channel"] = {"id": channel, "name": known.name if known else "channel"}
            payload["response_url"] = self._response_url()
            if message is not None:
                payload["container"] = {
                    "type": "message",
                    "message_ts": message.get("ts"),
                    "channel_id": channel,
                    "is_ephemeral": False,
                }
                payload["message"] = dict(message)
            else:
                payload["container"] = {
                    "type": "message",
                    "message_ts": "0.0",
                    "channel_id": channel,
                    "is_ephemeral": True,
                }
        return await self.post_payload(payload)

    async def click(self, surface: Mapping[str, Any], action_id: str, *, user_id: str, value: Any = None) -> Reply:
        """Click an element of a message or view the bot rendered (see `block_action`)."""
        if "ts" in surface:
            return await self.block_action(action_id, value, user_id=user_id, message=surface)
        return await self.block_action(action_id, value, user_id=user_id, view=surface)

    async def view_submission(
        self,
        callback_id: str | None,
        state_values: Mapping[str, Any],
        private_metadata: str | None = None,
        *,
        user_id: str,
        view_id: str | None = None,
        view: Mapping[str, Any] | None = None,
        trigger_id: str | None = None,
        team_id: str | None = None,
    ) -> Reply:
        """A modal submitted with `state_values` ({block_id: {action_id: {"type": ..., ...}}}).

        The view is the one the fake holds under `view_id` (or `view`), so its
        id, hash, blocks and title are what the bot opened; `callback_id` and
        `private_metadata`, when given, override it.
        """
        base = dict(view) if view is not None else dict(self.fake.views.get(view_id or "", {}))
        team = team_id or self.fake.team_id
        vid = base.get("id") or view_id or f"V{next(_sequence):010d}"
        full = {
            "id": vid,
            "team_id": team,
            "type": "modal",
            "blocks": [],
            "private_metadata": "",
            "callback_id": "",
            "title": {"type": "plain_text", "text": "Debrief"},
            "close": None,
            "submit": {"type": "plain_text", "text": "Submit"},
            "clear_on_close": False,
            "notify_on_close": False,
            "previous_view_id": None,
            "root_view_id": vid,
            "external_id": "",
            "app_id": self.fake.app_id,
            "app_installed_team_id": team,
            "bot_id": self.fake.bot_id,
            "hash": f"{int(time.time())}.submitted",
            **base,
        }
        if callback_id is not None:
            full["callback_id"] = callback_id
        if private_metadata is not None:
            full["private_metadata"] = private_metadata
        full["state"] = {"values": dict(state_values)}
        payload = {
            "type": "view_submission",
            "team": {"id": team, "domain": self.fake.team_domain},
            "user": self._user(user_id, team),
            "api_app_id": self.fake.app_id,
            "token": LEGACY_TOKEN,
            "trigger_id": trigger_id or self.fake.new_trigger_id(user_id, view_id=vid),
            "view": full,
            "response_urls": [],
            "is_enterprise_install": False,
            "enterprise": None,
        }
        return await self.post_payload(payload)

    async def submit(self, view: Mapping[str, Any], answers: Mapping[str, Any], *, user_id: str) -> Reply:
        """Fill in a modal the bot opened (`fake.last_view()`) and submit it.

        `answers` maps block ids of input blocks to values: a string for text,
        number, date, time or a single choice (the option's value), a list for
        multi-selects and checkboxes. Like Slack's client, it refuses to submit
        with a required input empty.
        """
        return await self.view_submission(None, state_values(view, answers), user_id=user_id, view=view)

    async def view_closed(self, view: Mapping[str, Any], *, user_id: str, is_cleared: bool = False) -> Reply:
        """The person closed a modal opened with notify_on_close."""
        team = self.fake.team_id
        payload = {
            "type": "view_closed",
            "team": {"id": team, "domain": self.fake.team_domain},
            "user": self._user(user_id, team),
            "api_app_id": self.fake.app_id,
            "token": LEGACY_TOKEN,
            "view": {**view, "state": view.get("state") or {"values": {}}},
            "is_cleared": is_cleared,
            "is_enterprise_install": False,
            "enterprise": None,
        }
        return await self.post_payload(payload)

    # -- events ----------------------------------------------------------------------------

    async def event(
        self,
        event: Mapping[str, Any],
        *,
        retry_num: int | None = None,
        retry_reason: str = "http_timeout",
        event_id: str | None = None,
        team_id: str | None = None,
    ) -> Reply:
        """An Events API callback (JSON). Pass the same `event_id` with `retry_num` to replay it as Slack's retry."""
        team = team_id or self.fake.team_id
        body = {
            "token": LEGACY_TOKEN,
            "team_id": team,
            "api_app_id": self.fake.app_id,
            "event": {"event_ts": f"{time.time():.6f}", **event},
            "type": "event_callback",
            "event_id": event_id or f"Ev{next(_sequence):010d}",
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": team,
                    "user_id": self.fake.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
        }
        headers = {}
        if retry_num is not None:
            headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": retry_reason}
        return await self.post(json.dumps(body), "application/json", headers=headers)

    async def url_verification(self, challenge: str = "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P") -> Reply:
        return await self.post(
            json.dumps({"token": LEGACY_TOKEN, "challenge": challenge, "type": "url_verification"}), "application/json"
        )

    # -- helpers -----------------------------------------------------------------------------

    def _user(self, user_id: str, team: str) -> dict[str, str]:
        return {"id": user_id, "username": user_id.lower(), "name": user_id.lower(), "team_id": team}

    def _response_url(self) -> str:
        return f"{self.fake.url}/response/{next(_sequence)}"


# -- modal state ----------------------------------------------------------------------------------

_TEXT_ELEMENTS = {"plain_text_input", "number_input", "email_text_input", "url_text_input", "rich_text_input"}
_SINGLE_CHOICE = {"static_select", "radio_buttons", "external_select"}
_MULTI_CHOICE = {"multi_static_select", "checkboxes", "multi_external_select"}
_PICKERS = {
    "users_select": "selected_user",
    "multi_users_select": "selected_users",
    "conversations_select": "selected_conversation",
    "multi_conversations_select": "selected_conversations",
    "channels_select": "selected_channel",
    "multi_channels_select": "selected_channels",
    "datepicker": "selected_date",
    "timepicker": "selected_time",
    "datetimepicker": "selected_date_time",
}


def state_values(view: Mapping[str, Any], answers: Mapping[str, Any]) -> dict[str, Any]:
    """The `view.state.values` Slack would send for these answers to the view's input blocks."""
    values: dict[str, Any] = {}
    unknown = set(answers)
    for block in view.get("blocks") or []:
        element = block.get("element") if block.get("type") == "input" else None
        if element is None:
            continue
        block_id, action_id = block.get("block_id"), element.get("action_id")
        if not block_id or not action_id:
            raise AssertionError(f"input block without block_id/action_id: {block}")
        unknown.discard(block_id)
        answer = answers.get(block_id)
        empty = answer is None or answer == "" or answer == []
        if empty and not block.get("optional", False):
            raise AssertionError(f"Slack would not submit: required input {block_id!r} is empty")
        values[block_id] = {action_id: _element_state(element, None if empty else answer)}
    if unknown:
        raise AssertionError(f"the view has no input blocks {sorted(unknown)}")
    return values


def _element_state(element: Mapping[str, Any], answer: Any) -> dict[str, Any]:
    kind = element.get("type")
    state: dict[str, Any] = {"type": kind}
    if kind in _TEXT_ELEMENTS:
        state["value"] = None if answer is None else str(answer)
    elif kind in _SINGLE_CHOICE:
        state["selected_option"] = None if answer is None else _option(element, answer)
    elif kind in _MULTI_CHOICE:
        state["selected_options"] = [] if answer is None else [_option(element, item) for item in answer]
    elif kind in _PICKERS:
        state[_PICKERS[kind]] = answer if answer is not None else ([] if kind.startswith("multi_") else None)
    else:
        raise AssertionError(f"the harness does not know how Slack reports a {kind!r} element")
    return state


def _options(element: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options.extend(group.get("options") or [])
    return options


def _option(element: Mapping[str, Any], value: Any) -> Mapping[str, Any]:
    for option in _options(element):
        if option.get("value") == str(value):
            return option
    shown = [option.get("value") for option in _options(element)]
    raise AssertionError(f"{element.get('action_id')!r} has no option {value!r}; it offers {shown}")


def _find_element(blocks: list[Mapping[str, Any]], action_id: str) -> tuple[Mapping[str, Any] | None, str | None]:
    for block in blocks:
        candidates = [block.get("accessory"), block.get("element"), *(block.get("elements") or [])]
        for element in candidates:
            if isinstance(element, Mapping) and element.get("action_id") == action_id:
                return element, block.get("block_id")
    return None, None


def _action_value(element: Mapping[str, Any] | None, value: Any) -> dict[str, Any]:
    kind = (element or {}).get("type", "button")
    if kind in _SINGLE_CHOICE and element is not None:
        return {"selected_option": _option(element, value)} if value is not None else {}
    if kind in _MULTI_CHOICE and element is not None:
        return {"selected_options": [_option(element, item) for item in (value or [])]}
    if kind in _PICKERS:
        return {_PICKERS[kind]: value}
    chosen = value if value is not None else (element or {}).get("value")
    return {"value": chosen} if chosen is not None else {}


# -- the running server -----------------------------------------------------------------------------


@dataclass
class SlackApp:
    """The bot's real aiohttp server, running, and the tools to talk to it."""

    app: web.Application
    server: TestServer
    url: str
    slack: SlackClient
    fake: FakeSlack
    settings: Settings
    session: aiohttp.ClientSession
    work: RequestWork = field(default_factory=RequestWork)

    @property
    def core(self) -> Core:
        return self.app[CORE]

    async def idle(self) -> None:
        """Wait until the work the bot started for the requests answered so far is done (tests/request_work.py)."""
        await self.work.idle()

    async def get(self, path: str) -> Reply:
        started = time.perf_counter()
        async with self.session.get(self.url + path) as res:
            text = await res.text()
        return Reply(res.status, dict(res.headers), text, time.perf_counter() - started)


@asynccontextmanager
async def running_app(settings: Settings, fake: FakeSlack, *, clock: Clock | None = None) -> AsyncIterator[SlackApp]:
    """Start `create_app(settings, housekeeping=False)` on 127.0.0.1 and stop it afterwards."""
    app = create_app(settings, clock=clock, housekeeping=False)
    work = RequestWork()
    work.install(app)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    url = str(server.make_url("")).rstrip("/")
    session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
    try:
        yield SlackApp(
            app=app,
            server=server,
            url=url,
            slack=SlackClient(session, url, fake, signing_secret=revealed(settings.slack_signing_secret) or SIGNING_SECRET),
            fake=fake,
            settings=settings,
            session=session,
            work=work,
        )
    finally:
        await session.close()
        await server.close()
        work.uninstall()
