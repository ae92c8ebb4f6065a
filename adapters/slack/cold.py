"""Cold debriefs on Slack: the booking and cancelling modals, the invitation, the reminders and the post.

Times: the booking modal's `datetimepicker` shows and returns the time in
the lead's own Slack time zone (Slack sends back a Unix timestamp), and
every message shows it with Slack's `<!date^...>` token, which each reader's
client renders in *their* time zone. So nobody converts a zone by hand.

Messages the dispatcher sends (`bot.cold.ColdMessenger`, mixed into
`SlackMessenger`): a reminder is a DM with message metadata
`{"event_type": "debrief_cold", "event_payload": {"cold_id": ...}}`; the
script posted at the booked time carries the same in the debrief's channel.
Before sending again after an attempt that may have reached Slack, the
DM's or the channel's history is read for it (as for check-ins), from a
little before the message was due.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    DateTimePickerElement,
    InputBlock,
    Option,
    PlainTextInputElement,
    RadioButtonsElement,
    StaticSelectElement,
)
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.ids import VALUE
from adapters.slack.metadata import DebriefRef
from adapters.slack.render.common import Blocks, context, header, notice, plain, section, to_dicts, view
from adapters.slack.render.script import as_blocks, script_message
from adapters.slack.text import escape
from bot import cold
from bot.cold import ColdPost, ColdReminder
from bot.core import Core
from bot.debriefs import ACTION_LENGTH, SKIP_REASON_LABELS
from bot.models import Debrief
from bot.port import PermanentSendError, SendError
from bot.scripts import Script


class _Messenger(Protocol):
    """What the mixin uses of `SlackMessenger`: its per-workspace client, error mapping and DM search."""

    core: Core

    async def _client(self, workspace: str) -> AsyncWebClient: ...

    def _failed(self, workspace: str, error: BaseException) -> SendError: ...

    async def _find_in_dm(
        self, client: AsyncWebClient, workspace: str, user: str, oldest: str | None, metadata: dict[str, Any]
    ) -> str | None: ...

COLD_EVENT = "debrief_cold"
"""The message metadata `event_type` of a cold debrief's reminder or posted script; its payload holds the row id."""
HISTORY_MARGIN = timedelta(hours=1)


class ColdAction(StrEnum):
    """Buttons: book (on a hot debrief's closing summary), cancel (on the invitation)."""

    BOOK = "cold.book"
    CANCEL = "cold.cancel"


class ColdCallback(StrEnum):
    BOOK = "cold.book"
    CANCEL = "cold.cancel"


class ColdBlock(StrEnum):
    WHEN = "cold.when"
    SCRIPT = "cold.script"
    REASON = "cold.reason"
    DETAIL = "cold.detail"


def when(moment: datetime) -> str:
    """The time as Slack shows it to each reader, in their own zone; UTC words where a client cannot."""
    fallback = moment.strftime("%a %d %b %Y, %H:%M UTC")
    return f"<!date^{int(moment.timestamp())}^{{date_long_pretty}} at {{time}}|{fallback}>"


# --- blocks ---------------------------------------------------------------------------------------


def book_offer(debrief: Debrief) -> Blocks:
    """Added to a hot debrief's closing summary: the offer, and the button (the core lets only the lead book)."""
    button = ButtonElement(text=plain(cold.BOOK_BUTTON, 75), action_id=ColdAction.BOOK,
                           value=DebriefRef(debrief=debrief.id).dump())
    return [section(escape(cold.BOOK_OFFER)), ActionsBlock(elements=[button])]


def book_modal(hot: Debrief, scripts: Sequence[Script], initial: datetime, problem: str | None = None) -> dict:
    options = [Option(value=script.id, text=plain(f"{script.title} (about {script.minutes} min)", 75))
               for script in scripts]
    blocks: list[Block] = [
        section("A cold debrief is a longer, facilitated look at the case, days to about two weeks after it, "
                "in the debrief's channel. Everyone from the debrief is invited and reminded."),
        InputBlock(block_id=ColdBlock.WHEN, label=plain(cold.WHEN_LABEL),
                   hint=plain("In your own time zone."),
                   element=DateTimePickerElement(action_id=VALUE, initial_date_time=int(initial.timestamp()))),
        InputBlock(block_id=ColdBlock.SCRIPT, label=plain(cold.SCRIPT_LABEL),
                   element=StaticSelectElement(action_id=VALUE, options=options, initial_option=options[0])),
    ]
    if problem:
        blocks.insert(0, section(f"⚠️ {escape(problem)}"))
    return view(title="Book a cold debrief", blocks=blocks, callback_id=ColdCallback.BOOK, submit="Book",
                close="Cancel", private_metadata=DebriefRef(debrief=hot.id).dump())


def cancel_modal(cold_debrief: Debrief) -> dict:
    reasons = [Option(value=reason.value, text=plain(label, 75)) for reason, label in SKIP_REASON_LABELS.items()]
    blocks: list[Block] = [
        section("Cancelling is recorded with the reason, as a skipped debrief is. Everyone invited is told here, "
                "and no more reminders go out."),
        InputBlock(block_id=ColdBlock.REASON, label=plain("Why?"),
                   element=RadioButtonsElement(action_id=VALUE, options=reasons)),
        InputBlock(block_id=ColdBlock.DETAIL, label=plain("Anything to add? (optional)"), optional=True,
                   hint=plain("No patient details, please."),
                   element=PlainTextInputElement(action_id=VALUE, multiline=True, max_length=ACTION_LENGTH)),
    ]
    return view(title="Cancel the cold debrief", blocks=blocks, callback_id=ColdCallback.CANCEL, submit="Cancel it",
                close="Keep it", private_metadata=DebriefRef(debrief=cold_debrief.id).dump())


def invitation(cold_debrief: Debrief, script: Script, reminders: list[tuple[str, timedelta]], people: int) -> Blocks:
    button = ButtonElement(text=plain(cold.CANCEL_BUTTON, 75), action_id=ColdAction.CANCEL,
                           value=DebriefRef(debrief=cold_debrief.id).dump())
    text = cold.invitation_text(script, when(cold.aware(cold_debrief.started_at)), reminders, people)
    return [header(cold.INVITATION_HEADING), section(escape_but_date(text)),
            context("Times show in your own time zone. Only the lead can cancel."), ActionsBlock(elements=[button])]


def cancelled(starts_at: datetime, reason: str) -> Blocks:
    return [header(cold.CANCELLED_HEADING), section(escape_but_date(cold.cancelled_text(when(starts_at), reason)))]


def reminder_blocks(reminder: ColdReminder) -> Blocks:
    return [section(f"*{cold.REMINDER_HEADING}*\n" + escape_but_date(reminder.text(when(reminder.starts_at))))]


def escape_but_date(text: str) -> str:
    """Escape bot text for mrkdwn, keeping the `<!date^...>` tokens it carries (script titles may hold `&`)."""
    parts = text.split("<!date^")
    out = escape(parts[0])
    for part in parts[1:]:
        token, _, rest = part.partition(">")
        out += f"<!date^{token}>" + escape(rest)
    return out


def already_booked(booked: Debrief) -> str:
    return escape_but_date(cold.already_booked_text(when(cold.aware(booked.started_at))))


def done(text: str) -> dict:
    return notice("Cold debrief", text)


def metadata(message_id: object) -> dict[str, Any]:
    return {"event_type": COLD_EVENT, "event_payload": {"cold_id": str(message_id)}}


# --- the messenger's side -------------------------------------------------------------------------


class SlackColdMessages:
    """`bot.cold.ColdMessenger` for `SlackMessenger` (its client, token and error handling)."""

    async def send_cold_reminder(self: _Messenger, reminder: ColdReminder) -> str:
        client = await self._client(reminder.workspace)
        try:
            response = await client.chat_postMessage(
                channel=reminder.user, text=cold.REMINDER_HEADING, blocks=to_dicts(reminder_blocks(reminder)),
                metadata=metadata(reminder.message_id), unfurl_links=False, unfurl_media=False,
            )
        except Exception as error:  # noqa: BLE001 - any failure to reach the platform becomes a send error the dispatcher retries or gives up on
            raise self._failed(reminder.workspace, error) from None
        return f"{response.get('channel') or reminder.user}:{response.get('ts') or ''}"

    async def find_cold_reminder(self: _Messenger, reminder: ColdReminder) -> str | None:
        client = await self._client(reminder.workspace)
        oldest = f"{(reminder.starts_at - reminder.offset - HISTORY_MARGIN).timestamp():.6f}"
        return await self._find_in_dm(client, reminder.workspace, reminder.user, oldest, metadata(reminder.message_id))

    async def post_cold_script(self: _Messenger, post: ColdPost) -> str:
        debrief = post.debrief
        if not debrief.space:
            raise PermanentSendError("the debrief has no channel to post the cold debrief in")
        client = await self._client(debrief.workspace)
        blocks = as_blocks(script_message(debrief, post.script, self.core.settings.debrief_min_group, shown=0))
        try:
            response = await client.chat_postMessage(
                channel=debrief.space, text=cold.posted_text(post.script), blocks=blocks,
                metadata=metadata(post.message_id), unfurl_links=False, unfurl_media=False,
            )
        except Exception as error:  # noqa: BLE001 - any failure to reach the platform becomes a send error the dispatcher retries or gives up on
            raise self._failed(debrief.workspace, error) from None
        return str(response.get("ts") or "")

    async def find_cold_script(self: _Messenger, post: ColdPost) -> str | None:
        debrief = post.debrief
        if not debrief.space:
            return None
        client = await self._client(debrief.workspace)
        oldest = f"{(cold.aware(debrief.started_at) - HISTORY_MARGIN).timestamp():.6f}"
        wanted = metadata(post.message_id)
        try:
            page = await client.conversations_history(channel=debrief.space, include_all_metadata=True,
                                                      oldest=oldest, limit=15)
        except Exception as error:  # noqa: BLE001 - cannot tell: the dispatcher waits rather than post twice
            raise self._failed(debrief.workspace, error) from None
        for message in page.get("messages") or []:
            found = message.get("metadata") or {}
            if found.get("event_type") == wanted["event_type"] and found.get("event_payload") == wanted["event_payload"]:
                return str(message.get("ts"))
        return None


def value_of(view_state: dict[str, Any], block_id: str) -> dict[str, Any]:
    """The state of an input block's one element (as Slack sends it back)."""
    block = ((view_state.get("state") or {}).get("values") or {}).get(block_id) or {}
    return dict(block.get(VALUE) or next(iter(block.values()), {}) or {})
