"""Posting into a debrief's conversation and into people's personal chats, from any turn or none.

Everything goes through `CloudAdapter.continue_conversation(reference,
callback, app_id)` with a stored reference, so the same code serves a
dialog's submit turn, a plain message turn and the follow-up dispatcher.

The counter moves only when `claim_count_update` says the batch changed,
and exactly one process wins each change, so nobody watching the
conversation can match a new number to the person who just answered.

A person's personal chat: the stored one if they have talked to the bot
there; else Teams is asked to open it (`create_conversation`, allowed when
the app is installed in a team or chat they are in), and the new chat is
remembered. When Teams refuses, the person cannot be reached (`Unreachable`).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from botbuilder.core import MessageFactory, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity, ChannelAccount, ConversationParameters, ConversationReference

from adapters.teams.cards.cold import with_book_offer
from adapters.teams.cards.common import attachment, without_dialogs
from adapters.teams.cards.script import closing_card, script_card, script_fallback
from adapters.teams.references import Person, References, is_personal, load, with_conversation
from bot import failures
from bot.core import Core
from bot.debriefs import Closed
from bot.models import Debrief
from bot.scripts import DEBRIEF_STAGE

log = logging.getLogger("debrief.teams")

CHANNEL_ID = "msteams"


class Unreachable(Exception):
    """Teams will not open a personal chat with this person (or the bot has never seen them)."""


def status_of(error: BaseException) -> int | None:
    """The HTTP status of a Bot Connector error, if it has one."""
    response = getattr(error, "response", None)
    status = getattr(response, "status_code", None) or getattr(response, "status", None)
    return int(status) if isinstance(status, int) else None


def retry_after(error: BaseException) -> float | None:
    response = getattr(error, "response", None)
    headers = getattr(response, "headers", None) or {}
    return failures.retry_after(headers.get("Retry-After") if hasattr(headers, "get") else None)


def message(card: dict[str, Any], fallback: str) -> Activity:
    activity = MessageFactory.attachment(attachment(card))
    activity.summary = fallback
    return activity


def dialogs_available(app_id: str | None) -> bool:
    """Teams (an app id is set) has dialogs; local mode serves the Agents Playground and the
    Bot Framework Emulator, which have none (a task/fetch button does nothing there)."""
    return bool(app_id)


class Messaging:
    def __init__(self, core: Core, adapter: CloudAdapter, references: References, app_id: str | None) -> None:
        self.core = core
        self.adapter = adapter
        self.references = references
        self.app_id = app_id
        self.dialogs = dialogs_available(app_id)

    def activity(self, card: dict[str, Any], fallback: str) -> Activity:
        """The message for a card, its dialog buttons made plain where there are no dialogs."""
        return message(card if self.dialogs else without_dialogs(card), fallback)

    # -- plumbing -----------------------------------------------------------------------------

    async def run_in(self, reference: ConversationReference, work: Callable[[TurnContext], Awaitable[Any]]) -> Any:
        """Run `work` in a turn on `reference`'s conversation; its result (or error) comes back."""
        result: dict[str, Any] = {}

        async def callback(turn_context: TurnContext) -> None:
            result["value"] = await work(turn_context)

        await self.adapter.continue_conversation(reference, callback, self.app_id)
        return result.get("value")

    async def space_reference(self, debrief: Debrief) -> ConversationReference | None:
        if not debrief.space:
            return None
        row = await self.references.conversation(debrief.space)
        return load(row.reference) if row is not None and row.reference else None

    async def post(self, reference: ConversationReference, card: dict[str, Any], fallback: str) -> str:
        async def send(turn_context: TurnContext) -> str:
            response = await turn_context.send_activity(self.activity(card, fallback))
            return str(response.id) if response is not None and response.id else ""

        return str(await self.run_in(reference, send))

    async def say(self, reference: ConversationReference, text: str) -> None:
        async def send(turn_context: TurnContext) -> None:
            await turn_context.send_activity(MessageFactory.text(text))

        await self.run_in(reference, send)

    async def start_thread(self, seen_in: ConversationReference, channel_id: str, card: dict[str, Any],
                           fallback: str) -> tuple[str, str]:
        """Post `card` as a new conversation (thread) in a team's channel; its conversation id and activity id."""
        tenant = seen_in.conversation.tenant_id if seen_in.conversation else None
        bot = seen_in.bot or ChannelAccount(id=None)
        parameters = ConversationParameters(
            is_group=True,
            bot=ChannelAccount(id=bot.id, name=bot.name),
            tenant_id=tenant,
            channel_data={"channel": {"id": channel_id}, **({"tenant": {"id": tenant}} if tenant else {})},
            activity=self.activity(card, fallback),
        )
        opened: dict[str, str] = {}

        async def created(turn_context: TurnContext) -> None:
            opened["conversation"] = str(turn_context.activity.conversation.id)
            opened["activity"] = str(turn_context.activity.id or "")

        await self.adapter.create_conversation(
            self.app_id, created, parameters, seen_in.channel_id or CHANNEL_ID, seen_in.service_url, None
        )
        return opened["conversation"], opened["activity"]

    async def update(self, reference: ConversationReference, activity_id: str, card: dict[str, Any], fallback: str) -> None:
        async def update(turn_context: TurnContext) -> None:
            activity = self.activity(card, fallback)
            activity.id = activity_id
            activity.conversation = turn_context.activity.conversation
            await turn_context.update_activity(activity)

        await self.run_in(reference, update)

    # -- the debrief's conversation -----------------------------------------------------------

    async def post_in_space(self, debrief: Debrief, card: dict[str, Any], fallback: str) -> str | None:
        reference = await self.space_reference(debrief)
        if reference is None:
            return None
        return await self.post(reference, card, fallback)

    async def redraw_script(self, debrief: Debrief, shown: int | None = None) -> None:
        reference = await self.space_reference(debrief)
        if reference is None or not debrief.script_message:
            return
        script = self.core.debriefs.script(debrief.script_id)
        card = script_card(debrief, script, self.core.settings.debrief_min_group, shown)
        await self.update(reference, debrief.script_message, card, script_fallback(script))

    async def refresh_counter(self, debrief_id: uuid.UUID, stage: str) -> None:
        """After an answer: move the conversation's counter if its batch changed. Never raises."""
        if stage != DEBRIEF_STAGE:
            return
        try:
            shown = await self.core.debriefs.claim_count_update(debrief_id)
            if shown is None:
                return
            debrief = await self.core.debriefs.get(debrief_id)
            await self.redraw_script(debrief, shown)
        except Exception as error:  # noqa: BLE001 - best effort: one log line, never fatal
            log.warning("could not update a debrief's answer counter: %s", type(error).__name__)

    async def post_closing(self, closed: Closed, owners: Mapping[str, str]) -> None:
        debrief = closed.debrief
        script = self.core.debriefs.script(debrief.script_id)
        answers = await self.core.debriefs.answer_count(debrief.id)
        minimum = self.core.settings.debrief_min_group
        aggregate = None
        if answers >= minimum:
            aggregate = await self.core.results.stage_aggregate(debrief, DEBRIEF_STAGE, for_team=True)
        card = closing_card(debrief, script, closed.action_points, owners, answers, minimum, aggregate)
        if debrief.cold_of is None and self.core.cold.scripts():
            card = with_book_offer(card, debrief)  # a hot debrief's lead may book a cold one (`bot.cold`)
        await self.post_in_space(debrief, card, "The debrief is closed")
        await self.redraw_script(debrief)

    # -- personal chats -----------------------------------------------------------------------

    async def personal_chat(self, user: str) -> ConversationReference:
        """The person's one-to-one chat with the bot, opened if need be; `Unreachable` if Teams refuses."""
        row = await self.references.person(user)
        if row is None or not row.reference:
            raise Unreachable("the bot has never seen this person")
        reference = load(row.reference)
        if row.personal:
            return reference
        return await self._open_personal_chat(user, reference, row.tenant, row.name)

    async def _open_personal_chat(self, user: str, seen_in: ConversationReference, tenant: str | None,
                                  name: str | None) -> ConversationReference:
        bot = seen_in.bot or ChannelAccount(id=None)
        parameters = ConversationParameters(
            is_group=False,
            bot=ChannelAccount(id=bot.id, name=bot.name),
            members=[ChannelAccount(id=user)],
            tenant_id=tenant,
            channel_data={"tenant": {"id": tenant}} if tenant else None,
        )
        opened: dict[str, str] = {}

        async def created(turn_context: TurnContext) -> None:
            opened["id"] = str(turn_context.activity.conversation.id)

        try:
            await self.adapter.create_conversation(
                self.app_id, created, parameters, seen_in.channel_id or CHANNEL_ID, seen_in.service_url, None
            )
        except Exception as error:
            if status_of(error) in (400, 403, 404):
                raise Unreachable(f"Teams answered {status_of(error)} to opening a personal chat") from error
            raise
        reference = with_conversation(seen_in, opened["id"], "personal")
        reference.user = ChannelAccount(id=user, name=name)
        await self.references.remember_person(Person(id=user, name=name, tenant=tenant), reference, personal=True)
        return reference

    async def send_private(self, user: str, card: dict[str, Any], fallback: str) -> str:
        """Post a card in someone's personal chat; returns the activity id."""
        return await self.post(await self.personal_chat(user), card, fallback)

    async def reply_privately(
        self, turn_context: TurnContext, card: dict[str, Any], fallback: str, *, sent: str, open_a_chat: str
    ) -> None:
        """Answer with `card` where only the asker sees it: here in their own chat, else in it, saying `sent` here.

        When their chat cannot be opened, `open_a_chat` tells them how to
        open one; the card is never posted in the shared conversation.
        """
        if is_personal(turn_context.activity):
            await turn_context.send_activity(self.activity(card, fallback))
            return
        try:
            await self.send_private(turn_context.activity.from_property.id, card, fallback)
        except Unreachable:
            await turn_context.send_activity(MessageFactory.text(open_a_chat))
            return
        await turn_context.send_activity(MessageFactory.text(sent))
