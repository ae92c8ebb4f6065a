"""The Slack side of the core's port (`bot.port.Messenger`): check-ins, support notices and digests by direct message.

Sending
-------
A check-in is one `chat.postMessage` with the person's user id as the
channel: Slack delivers it to the bot's DM with them (no
`conversations.open` round trip). It carries message metadata
`{"event_type": "debrief_followup", "event_payload": {"followup_id": ...}}`:
the follow-up's idempotency key, stored by Slack with the message.

Finding a message sent before (`find_delivered`)
-----------------------------------------------
The dispatcher asks this only before sending a row again after an attempt
that may have reached Slack (a timeout, a process killed between Slack's
answer and the row being marked sent). The DM's id comes from
`conversations.open` (idempotent: it returns the existing DM), then
`conversations.history` with `include_all_metadata` (without it Slack
leaves metadata out) from shortly before the debrief started, looking for
the metadata with this follow-up's id. An officer's weekly digest carries
`{"event_type": "debrief_digest", "event_payload": {"digest_id": ...}}` and
is looked for the same way (`find_digest`), from shortly before its week
ended. Reading a DM's history needs the `im:history` scope: that is the
only reason the app asks for it.

Slack limits `conversations.history` hard for apps distributed outside the
Marketplace (1 request a minute, at most 15 messages a page, since 2025):
so pages are 15 messages, and only from the debrief's start (a DM whose
messages tab is read-only holds little but the bot's own check-ins). A 429
is a transient error with Retry-After, and the dispatcher waits rather than
risk a second message.

Errors (`classify`)
-------------------
HTTP 429 / `ratelimited`: `RateLimited(Retry-After)`, the request was not
processed. 5xx, Slack's own `internal_error`/`fatal_error`/`service_unavailable`,
timeouts and connection errors: transient. The person or the app gone for
good (`user_not_found`, `account_inactive`, `user_disabled`,
`channel_not_found`, `cannot_dm_bot`, `invalid_auth`, `token_revoked`, an
uninstalled app), or a message Slack refuses as malformed: permanent.

The client here has no retry handlers, unlike the listeners' client: a
429 must reach the dispatcher (which holds the row's lease and pauses every
send) instead of sleeping inside, and a connection error on
`chat.postMessage` may come after Slack stored the message, so it must not
be blindly re-posted; the dispatcher's next attempt asks `find_delivered` first.

Tokens: one workspace, SLACK_BOT_TOKEN. Many workspaces, the bot token of
the debrief's workspace from the installation store, cached for a few
minutes and dropped when Slack says it is no longer valid.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from datetime import UTC, timedelta
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.ids import ACTION_EVENT, DIGEST_EVENT, FOLLOWUP_EVENT
from adapters.slack.render.actions import closed_point_blocks, note_blocks, reminder_blocks
from adapters.slack.render.checkin import (
    checkin_blocks,
    checkin_text,
    screen_blocks,
    support_notice_blocks,
    support_notice_text,
)
from adapters.slack.render.common import Blocks, to_dicts
from adapters.slack.render.digest import digest_blocks
from bot import failures, wording
from bot.actions import closed_heading, closed_label, reminder_heading
from bot.core import Core
from bot.models import ActionStatus
from bot.port import (
    ActionDelivery,
    FollowupDelivery,
    PermanentSendError,
    RateLimited,
    RequesterNotice,
    SendError,
    SupportNotice,
    TransientSendError,
    WeeklyDigest,
)
from bot.settings import revealed
from bot.wording import digest_heading

log = logging.getLogger("debrief.slack.messenger")

PLATFORM = "slack"
API_TIMEOUT_SECONDS = 10
TOKEN_SECONDS = 300.0
HISTORY_PAGE = 15
"""Slack's most for apps outside the Marketplace; enough for a DM that holds little but check-ins."""
HISTORY_PAGES = 20
HISTORY_MARGIN = timedelta(hours=1)
"""How long before the debrief's start the history is read from (clocks and time zones disagree a little)."""

PERMANENT = frozenset(
    {
        # the person cannot be reached
        "user_not_found", "users_not_found", "account_inactive", "user_disabled", "channel_not_found",
        "cannot_dm_bot", "is_archived", "user_not_visible", "restricted_action",
        # the app is gone from the workspace, or its token is
        "invalid_auth", "not_authed", "token_revoked", "token_expired", "team_access_not_granted",
        "app_uninstalled", "no_installation", "org_login_required", "ekm_access_denied", "no_permission",
        "not_allowed_token_type",
        # the message itself is refused: sending it again cannot help
        "invalid_blocks", "invalid_blocks_format", "invalid_metadata_format", "invalid_metadata_schema",
        "metadata_too_large", "msg_too_long", "no_text", "too_many_attachments", "invalid_arguments",
    }
)  # fmt: skip
TOKEN_GONE = frozenset({"invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive"})
SLACK_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")


def slack_error(error: SlackApiError) -> str:
    data = error.response.data if isinstance(error.response.data, dict) else {}
    return str(data.get("error") or "")


def retry_after(error: SlackApiError) -> float | None:
    headers = error.response.headers or {}
    return failures.retry_after(headers.get("Retry-After") or headers.get("retry-after"))


def classify(error: BaseException) -> SendError:
    """The port's error for a failed Web API call: a short, person-free cause for the logs."""
    if isinstance(error, SendError):
        return error
    if isinstance(error, SlackApiError):
        status = error.response.status_code
        code = slack_error(error)
        method = str(getattr(error.response, "api_url", "")).rsplit("/", 1)[-1] or "Web API"
        if status == 429 or code == "ratelimited":
            return RateLimited(retry_after(error) or 1.0, f"Slack {method} rate limited")
        if status >= 500:
            return TransientSendError(f"Slack {method} answered HTTP {status}", retry_after(error))
        if code in PERMANENT:
            return PermanentSendError(f"Slack {method} answered {code}")
        return TransientSendError(f"Slack {method} answered {code or f'HTTP {status}'}", retry_after(error))
    if isinstance(error, (asyncio.TimeoutError, TimeoutError, aiohttp.ClientError, ConnectionError, OSError)):
        return TransientSendError(f"no answer from Slack ({type(error).__name__})")
    return TransientSendError(type(error).__name__)


def followup_metadata(delivery: FollowupDelivery) -> dict[str, Any]:
    return {"event_type": FOLLOWUP_EVENT, "event_payload": {"followup_id": str(delivery.followup_id)}}


def digest_metadata(digest: WeeklyDigest) -> dict[str, Any]:
    return {"event_type": DIGEST_EVENT, "event_payload": {"digest_id": str(digest.digest_id)}}


def action_metadata(delivery: ActionDelivery) -> dict[str, Any]:
    return {"event_type": ACTION_EVENT, "event_payload": {"message_id": str(delivery.message_id)}}


ARCHIVED = frozenset({"is_archived", "channel_not_found", "not_in_channel"})
"""Errors that mean the debrief's channel is gone for the bot: the note goes where the debrief was started."""


def carries(message: dict[str, Any], metadata: dict[str, Any]) -> bool:
    """Whether `message` has this metadata (as `followup_metadata` or `digest_metadata` made it)."""
    found = message.get("metadata") or {}
    return found.get("event_type") == metadata["event_type"] and found.get("event_payload") == metadata["event_payload"]


def _ref(channel: str, ts: str) -> str:
    return f"{channel}:{ts}"


class SlackMessenger:
    """Check-ins and support notices on Slack, for the follow-up dispatcher and `bot.support`."""

    platform = PLATFORM

    def __init__(
        self,
        core: Core,
        *,
        installation_store: AsyncInstallationStore | None = None,
        base_client: AsyncWebClient | None = None,
    ) -> None:
        """`base_client` is the Bolt app's client: its base URL, and its kept-alive HTTP session once the server runs."""
        self.core = core
        self.settings = core.settings
        self.installation_store = installation_store
        self.base_client = base_client
        self._tokens: dict[str, tuple[str, float]] = {}

    # -- the port ---------------------------------------------------------------------------------

    async def send_followup(self, delivery: FollowupDelivery) -> str:
        client = await self._client(delivery.workspace)
        try:
            response = await client.chat_postMessage(
                channel=delivery.user,
                text=checkin_text(delivery),
                blocks=to_dicts(checkin_blocks(delivery)),
                metadata=followup_metadata(delivery),
                unfurl_links=False,
                unfurl_media=False,
            )
        except Exception as error:  # noqa: BLE001 - any failure to reach the platform becomes a send error the dispatcher retries or gives up on
            raise self._failed(delivery.workspace, error) from None
        return _ref(str(response.get("channel") or delivery.user), str(response.get("ts") or ""))

    async def find_delivered(self, delivery: FollowupDelivery) -> str | None:
        client = await self._client(delivery.workspace)
        oldest = await self._oldest(delivery.debrief_id)
        return await self._find_in_dm(client, delivery.workspace, delivery.user, oldest, followup_metadata(delivery))

    async def find_digest(self, digest: WeeklyDigest) -> str | None:
        """The digest in the officer's DM, by its metadata, from shortly before its week ended."""
        client = await self._client(digest.workspace)
        try:
            user = await self._slack_user(client, digest.recipient)
        except Exception as error:  # noqa: BLE001 - any failure to reach the platform becomes a send error the dispatcher retries or gives up on
            raise self._failed(digest.workspace, error) from None
        if user is None:
            return None  # not someone on this Slack: nothing was sent
        oldest = f"{(digest.until - HISTORY_MARGIN).timestamp():.6f}"
        return await self._find_in_dm(client, digest.workspace, user, oldest, digest_metadata(digest))

    async def _find_in_dm(
        self, client: AsyncWebClient, workspace: str, user: str, oldest: str | None, metadata: dict[str, Any]
    ) -> str | None:
        """The reference of the bot's message in its DM with `user` that carries `metadata`, if Slack has it."""
        try:
            opened = await client.conversations_open(users=user)
            channel = str((opened.get("channel") or {}).get("id") or "")
            if not channel:
                raise TransientSendError("Slack conversations.open gave no channel")
            cursor = None
            for _ in range(HISTORY_PAGES):
                page = await client.conversations_history(
                    channel=channel, include_all_metadata=True, oldest=oldest, limit=HISTORY_PAGE, cursor=cursor
                )
                for message in page.get("messages") or []:
                    if carries(message, metadata):
                        return _ref(channel, str(message.get("ts")))
                cursor = ((page.get("response_metadata") or {}).get("next_cursor")) or None
                if not page.get("has_more") or not cursor:
                    return None
        except Exception as error:  # noqa: BLE001 - any failure to reach the platform becomes a send error the dispatcher retries or gives up on
            raise self._failed(workspace, error) from None
        log.warning("a DM has more than %d messages since the search's start; the message is sent again "
                    "without looking further", HISTORY_PAGE * HISTORY_PAGES)
        return None

    async def user_timezone(self, workspace: str, user: str) -> str | None:
        client = await self._client(workspace)
        try:
            info = await client.users_info(user=user)
        except Exception as error:  # noqa: BLE001 - any failure to reach the platform becomes a send error the dispatcher retries or gives up on
            raise self._failed(workspace, error) from None
        tz = (info.get("user") or {}).get("tz")
        return str(tz) if tz else None

    async def notify_support_request(self, notice: SupportNotice, recipient: str) -> bool:
        sent = await self._dm_listed(notice.workspace, recipient, support_notice_text(), support_notice_blocks(notice))
        return sent is not None

    async def tell_requester(self, notice: RequesterNotice) -> str:
        screen = wording.nobody_reached(self.settings, self.core.resources)
        client = await self._client(notice.workspace)
        try:
            response = await client.chat_postMessage(
                channel=notice.user, text=screen.heading, blocks=to_dicts(screen_blocks(screen)),
                unfurl_links=False, unfurl_media=False,
            )
        except Exception as error:  # noqa: BLE001 - any failure to reach the platform becomes a send error the dispatcher retries or gives up on
            raise self._failed(notice.workspace, error) from None
        return _ref(str(response.get("channel") or notice.user), str(response.get("ts") or ""))

    async def send_digest(self, digest: WeeklyDigest) -> str | None:
        return await self._dm_listed(digest.workspace, digest.recipient, digest_heading(digest), digest_blocks(digest),
                                     metadata=digest_metadata(digest))

    async def send_action_reminder(self, delivery: ActionDelivery) -> str:
        client = await self._client(delivery.workspace)
        point = delivery.point
        try:
            response = await client.chat_postMessage(
                channel=point.owner, text=reminder_heading(), blocks=to_dicts(reminder_blocks(point, delivery.debrief)),
                metadata=action_metadata(delivery), unfurl_links=False, unfurl_media=False,
            )
        except Exception as error:  # noqa: BLE001 - any failure to reach the platform becomes a send error the dispatcher retries or gives up on
            raise self._failed(delivery.workspace, error) from None
        return _ref(str(response.get("channel") or point.owner), str(response.get("ts") or ""))

    async def post_action_note(self, delivery: ActionDelivery) -> str:
        """In the debrief's channel; if Slack says it is archived or gone, in the channel it was started from."""
        client = await self._client(delivery.workspace)
        debrief = delivery.debrief
        places = list(dict.fromkeys(place for place in (debrief.space, debrief.team) if place))
        heading = closed_heading(ActionStatus(delivery.point.status))
        blocks = to_dicts(note_blocks(delivery.point))
        for index, channel in enumerate(places):
            try:
                response = await client.chat_postMessage(
                    channel=channel, text=heading, blocks=blocks, metadata=action_metadata(delivery),
                    unfurl_links=False, unfurl_media=False,
                )
            except SlackApiError as error:
                if slack_error(error) in ARCHIVED and index + 1 < len(places):
                    log.info("the debrief's channel is %s; posting the action point's note where it was started",
                             slack_error(error))
                    continue
                raise self._failed(delivery.workspace, error) from None
            except Exception as error:  # noqa: BLE001 - any failure to reach the platform becomes a send error the dispatcher retries or gives up on
                raise self._failed(delivery.workspace, error) from None
            await self._redraw_point(client, delivery)
            return _ref(str(response.get("channel") or channel), str(response.get("ts") or ""))
        raise PermanentSendError("the debrief has no channel to post in")

    async def _redraw_point(self, client: AsyncWebClient, delivery: ActionDelivery) -> None:
        """The point's own message, without its buttons now that it is closed. Never raises: the note is what counts."""
        channel, _, ts = (delivery.point.message_ref or "").partition(":")
        if not (channel and ts):
            return
        try:
            label = f"Action point: {closed_label(ActionStatus(delivery.point.status))}"
            await client.chat_update(channel=channel, ts=ts, text=label,
                                     blocks=to_dicts(closed_point_blocks(delivery.point)))
        except Exception as error:  # noqa: BLE001 - an archived channel, a deleted message: it keeps its buttons, which say "already closed"
            log.info("could not redraw a closed action point's message: %s", classify(error).cause)

    async def find_action_message(self, delivery: ActionDelivery) -> str | None:
        """A reminder in the owner's DM (from the debrief's start), a note in either channel (from when the
        point closed: one page of history each, as Slack limits it), by its metadata."""
        client = await self._client(delivery.workspace)
        metadata = action_metadata(delivery)
        if delivery.kind != "closed":
            oldest = await self._oldest(delivery.debrief.id)
            return await self._find_in_dm(client, delivery.workspace, delivery.point.owner, oldest, metadata)
        closed = delivery.point.closed_at or delivery.debrief.started_at  # the note is posted after it closed
        closed = closed if closed.tzinfo else closed.replace(tzinfo=UTC)
        oldest = f"{(closed - HISTORY_MARGIN).timestamp():.6f}"
        for channel in dict.fromkeys(place for place in (delivery.debrief.space, delivery.debrief.team) if place):
            try:
                page = await client.conversations_history(channel=channel, include_all_metadata=True, oldest=oldest,
                                                          limit=HISTORY_PAGE)
            except SlackApiError as error:
                if slack_error(error) in ARCHIVED:
                    continue
                raise self._failed(delivery.workspace, error) from None
            except Exception as error:  # noqa: BLE001 - any failure to reach the platform becomes a send error the dispatcher retries or gives up on
                raise self._failed(delivery.workspace, error) from None
            for message in page.get("messages") or []:
                if carries(message, metadata):
                    return _ref(channel, str(message.get("ts")))
        return None

    # -- helpers ----------------------------------------------------------------------------------

    async def _dm_listed(
        self, workspace: str, recipient: str, text: str, blocks: Blocks, metadata: dict[str, Any] | None = None
    ) -> str | None:
        """A DM to someone on a wellbeing list (by id or e-mail); None when they are not someone on this Slack."""
        client = await self._client(workspace)
        try:
            user = await self._slack_user(client, recipient)
            if user is None:
                return None
            response = await client.chat_postMessage(
                channel=user, text=text, blocks=to_dicts(blocks), unfurl_links=False, unfurl_media=False,
                metadata=metadata or None,  # slack_sdk leaves out a None
            )
        except SlackApiError as error:
            if slack_error(error) in ("user_not_found", "users_not_found"):
                return None  # an id of another workspace, or someone no longer here
            raise self._failed(workspace, error) from None
        except Exception as error:  # noqa: BLE001 - any failure to reach the platform becomes a send error the dispatcher retries or gives up on
            raise self._failed(workspace, error) from None
        return _ref(str(response.get("channel") or user), str(response.get("ts") or ""))

    async def _slack_user(self, client: AsyncWebClient, recipient: str) -> str | None:
        """A Slack user id for an officer listed by id or e-mail; None for ids of other platforms."""
        recipient = recipient.strip()
        if "@" in recipient:
            found = await client.users_lookupByEmail(email=recipient)
            return str((found.get("user") or {}).get("id") or "") or None
        user = recipient.upper()  # officers added with `/debrief officers add` are stored in lower case
        return user if SLACK_ID.match(user) else None

    async def _oldest(self, debrief_id: uuid.UUID) -> str | None:
        """Slack's `oldest` for the history search: shortly before the debrief started."""
        try:
            debrief = await self.core.debriefs.get(debrief_id)
        except Exception as error:  # noqa: BLE001 - without it the search reads further back; never a reason to fail
            log.info("could not read a debrief's start for the history search: %s", type(error).__name__)
            return None
        started = debrief.started_at if debrief.started_at.tzinfo else debrief.started_at.replace(tzinfo=UTC)
        return f"{(started - HISTORY_MARGIN).timestamp():.6f}"

    async def _client(self, workspace: str) -> AsyncWebClient:
        base = self.base_client
        kwargs: dict[str, Any] = {}
        if base is not None:
            kwargs = {"base_url": base.base_url, "session": base.session}
        elif self.settings.slack_api_url:
            kwargs = {"base_url": self.settings.slack_api_url}
        return AsyncWebClient(
            token=await self._token(workspace),
            timeout=API_TIMEOUT_SECONDS,
            retry_handlers=[],
            logger=logging.getLogger("debrief.slack.api"),
            **kwargs,
        )

    async def _token(self, workspace: str) -> str:
        if self.installation_store is None:
            if not self.settings.slack_bot_token:
                raise PermanentSendError("SLACK_BOT_TOKEN is not set")
            return revealed(self.settings.slack_bot_token)
        cached = self._tokens.get(workspace)
        if cached is not None and cached[1] > time.monotonic():
            return cached[0]
        store = self.installation_store
        try:
            bot = await store.async_find_bot(enterprise_id=None, team_id=workspace)
            if bot is None:  # an Enterprise Grid org-wide install: the debrief's workspace is the org
                bot = await store.async_find_bot(enterprise_id=workspace, team_id=None, is_enterprise_install=True)
        except Exception as error:  # noqa: BLE001 - any failure to reach the platform becomes a send error the dispatcher retries or gives up on
            raise TransientSendError(f"cannot read the Slack installation ({type(error).__name__})") from None
        if bot is None or not bot.bot_token:
            raise PermanentSendError("the app is not installed in this Slack workspace (uninstalled?)")
        self._tokens[workspace] = (bot.bot_token, time.monotonic() + TOKEN_SECONDS)
        return bot.bot_token

    def _failed(self, workspace: str, error: BaseException) -> SendError:
        if isinstance(error, SlackApiError) and slack_error(error) in TOKEN_GONE:
            self._tokens.pop(workspace, None)
        return classify(error)
