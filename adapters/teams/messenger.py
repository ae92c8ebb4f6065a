"""The Teams side of the core's port (`bot.port.Messenger`): check-ins, support notices and digests, proactively.

Each message goes to the person's personal chat with the bot through
`CloudAdapter.continue_conversation(reference, callback, app_id)` with the
stored reference (`Messaging.personal_chat`, which asks Teams to open the
chat when the bot has only seen the person in a channel or group chat).

When Teams will not let the bot reach a participant (the app is not
available to them), the follow-up fails permanently, and once per debrief
and stage the lead is told privately and a neutral resources card (naming
nobody) is posted in the debrief's conversation, so support still reaches
everyone who was there.

`find_delivered`: a bot cannot read a chat's history in Teams without
Microsoft Graph, so it cannot look for a message it may already have sent.
It answers None (send again): a check-in whose send timed out, or whose
process died between Teams' answer and the dispatcher marking it sent, may
arrive twice; one that was never delivered is never lost.

Errors: HTTP 429 is `RateLimited` (Retry-After); 5xx, timeouts and
connection errors are transient; other 4xx are permanent.
"""

from __future__ import annotations

import asyncio
import logging

from adapters.teams.cards.actions import closed_point_card, note_card, reminder_card
from adapters.teams.cards.common import card
from adapters.teams.cards.digest import digest_card
from adapters.teams.cards.followup import followup_card, followup_fallback, lead_unreached_card
from adapters.teams.cards.lessons import digest_card as lessons_digest_card
from adapters.teams.cards.support import resources_card, screen_elements, support_notice_card
from adapters.teams.cold import TeamsColdMessages
from adapters.teams.messaging import Unreachable, retry_after, status_of
from adapters.teams.references import load, with_conversation
from adapters.teams.services import PLATFORM, Services
from bot import wording
from bot.actions import closed_heading, reminder_heading
from bot.lessons import LearningDigestContent
from bot.models import ActionStatus
from bot.port import (
    ActionDelivery,
    FollowupDelivery,
    PermanentSendError,
    RateLimited,
    RequesterNotice,
    SupportNotice,
    TransientSendError,
    WeeklyDigest,
)
from bot.support import resources_for_person
from bot.wording import digest_heading, humanise

log = logging.getLogger("debrief.teams")

UNREACHED_INTRO = ("Support is here for everyone who was at this debrief. Some check-ins couldn't be sent "
                   "privately, so here are the contacts for anyone who wants them.")


def classify(error: BaseException) -> Exception:
    """The port's error for a failure to send."""
    status = status_of(error)
    if status == 429:
        return RateLimited(retry_after(error) or 1.0)
    if status is not None and status >= 500:
        return TransientSendError(f"Bot Connector answered {status}", retry_after(error))
    if status is not None:
        return PermanentSendError(f"Bot Connector answered {status}")
    if isinstance(error, (asyncio.TimeoutError, TimeoutError, ConnectionError, OSError)):
        return TransientSendError(type(error).__name__)
    return TransientSendError(type(error).__name__)


class TeamsMessenger(TeamsColdMessages):
    platform = PLATFORM

    def __init__(self, services: Services) -> None:
        self.services = services

    async def send_followup(self, delivery: FollowupDelivery) -> str:
        messaging = self.services.messaging
        try:
            return await messaging.send_private(delivery.user, followup_card(delivery), followup_fallback(delivery))
        except Unreachable as unreachable:
            await self._unreached(delivery)
            raise PermanentSendError(f"no personal chat: {unreachable}") from None
        except Exception as error:  # noqa: BLE001 - any failure to reach the platform becomes a send error the dispatcher retries or gives up on
            raise classify(error) from None

    async def find_delivered(self, delivery: FollowupDelivery) -> str | None:
        return None

    async def user_timezone(self, workspace: str, user: str) -> str | None:
        row = await self.services.references.person(user)
        return row.timezone if row is not None else None

    async def notify_support_request(self, notice: SupportNotice, recipient: str) -> bool:
        references = self.services.references
        person = await references.find(recipient)
        if person is None:
            return False
        requester = await references.person(notice.user)
        card = support_notice_card(
            requester.name if requester is not None else None,
            notice.preferred_time,
            notice.debrief_label,
            notice.recipient_role,
            str(notice.request_id),
            notice.waiting,
        )
        try:
            await self.services.messaging.send_private(person.key, card, "Someone asked to talk")
        except Unreachable as unreachable:
            raise PermanentSendError(f"no personal chat with a supporter: {unreachable}") from None
        except Exception as error:  # noqa: BLE001 - any failure to reach the platform becomes a send error the dispatcher retries or gives up on
            raise classify(error) from None
        return True

    async def tell_requester(self, notice: RequesterNotice) -> str:
        screen = wording.nobody_reached(self.services.core.settings, self.services.core.resources)
        try:
            return await self.services.messaging.send_private(notice.user, card(screen_elements(screen)), screen.heading)
        except Unreachable as unreachable:
            raise PermanentSendError(f"no personal chat with the person who asked: {unreachable}") from None
        except Exception as error:  # noqa: BLE001 - any failure to reach the platform becomes a send error the dispatcher retries or gives up on
            raise classify(error) from None

    async def find_digest(self, digest: WeeklyDigest) -> str | None:
        return None  # a bot cannot read a Teams chat back: a digest whose send timed out may arrive twice

    async def send_digest(self, digest: WeeklyDigest) -> str | None:
        person = await self.services.references.find(digest.recipient)
        if person is None:
            return None  # not someone the bot has met on Teams
        try:
            return await self.services.messaging.send_private(person.key, digest_card(digest), digest_heading(digest))
        except Unreachable as unreachable:
            raise PermanentSendError(f"no personal chat with an officer: {unreachable}") from None
        except Exception as error:  # noqa: BLE001 - any failure to reach the platform becomes a send error the dispatcher retries or gives up on
            raise classify(error) from None

    async def send_action_reminder(self, delivery: ActionDelivery) -> str:
        point = delivery.point
        try:
            return await self.services.messaging.send_private(
                point.owner, reminder_card(point, delivery.debrief), reminder_heading())
        except Unreachable as unreachable:
            raise PermanentSendError(f"no personal chat with an action point's owner: {unreachable}") from None
        except Exception as error:  # noqa: BLE001 - any failure to reach the platform becomes a send error the dispatcher retries or gives up on
            raise classify(error) from None

    async def post_action_note(self, delivery: ActionDelivery) -> str:
        """In the debrief's conversation; if Teams refuses it (a private channel deleted or archived: 403, 404),
        in the conversation the debrief was started in."""
        messaging, references = self.services.messaging, self.services.references
        debrief, point = delivery.debrief, delivery.point
        note, heading = note_card(point), closed_heading(ActionStatus(point.status))
        try:
            posted = await messaging.post_in_space(debrief, note, heading)
        except Exception as error:  # noqa: BLE001 - any failure to reach the platform becomes a send error the dispatcher retries or gives up on
            failed = classify(error)
            if not isinstance(failed, PermanentSendError):
                raise failed from None
            posted = None
            log.info("the debrief's conversation refused the action point's note (%s); "
                     "posting it where the debrief was started", failed.cause)
        if posted is not None:
            await self._redraw_point(delivery)
            return posted
        row = await references.started_in(debrief.team) if debrief.team != debrief.space else None
        if row is None or not row.reference:
            raise PermanentSendError("neither the debrief's conversation nor the one it was started in can be reached")
        try:
            return await messaging.post(load(row.reference), note, heading)
        except Exception as error:  # noqa: BLE001 - any failure to reach the platform becomes a send error the dispatcher retries or gives up on
            raise classify(error) from None

    async def _redraw_point(self, delivery: ActionDelivery) -> None:
        """The point's own card, without its buttons now that it is closed. Never raises: the note is what counts."""
        messaging, point = self.services.messaging, delivery.point
        try:
            reference = await messaging.space_reference(delivery.debrief)
            if reference is None or not point.message_ref:
                return
            names = await self.services.references.names([point.owner])
            label = closed_heading(ActionStatus(point.status))
            await messaging.update(reference, point.message_ref, closed_point_card(point, names.get(point.owner)), label)
        except Exception as error:  # noqa: BLE001 - a deleted message or channel: it keeps its buttons, which say "already closed"
            log.info("could not redraw a closed action point's card: %s", type(error).__name__)

    async def find_action_message(self, delivery: ActionDelivery) -> str | None:
        return None  # a bot cannot read a Teams chat back: a message whose send timed out may arrive twice

    async def find_learning_digest(self, digest: LearningDigestContent) -> str | None:
        return None  # a bot cannot read a Teams channel back: a digest whose send timed out may, rarely, arrive twice

    async def post_learning_digest(self, digest: LearningDigestContent) -> str:
        """A new post in the team channel DEBRIEF_LEARNING_DIGEST names (reached through a known conversation)."""
        references = self.services.references
        row = await references.conversation(digest.destination)
        if row is not None and row.reference:
            reference = load(row.reference)
        else:
            known = await references.any_conversation()
            if known is None or not known.reference:
                raise PermanentSendError("no Teams conversation is known yet to reach the learning digest's channel from")
            reference = with_conversation(load(known.reference), digest.destination, "channel")
        try:
            titles = await references.titles(lesson.team for theme in digest.themes for lesson in theme.lessons if lesson.team)
            return await self.services.messaging.post(reference, lessons_digest_card(digest, titles), digest.heading)
        except Exception as error:  # noqa: BLE001 - any failure to reach the platform becomes a send error the dispatcher retries or gives up on
            raise classify(error) from None

    async def _unreached(self, delivery: FollowupDelivery) -> None:
        """Once per debrief and stage: tell the lead privately, post support for everyone. Never raises."""
        core, references, messaging = self.services.core, self.services.references, self.services.messaging
        try:
            if not await references.first_notice(f"unreached:{delivery.debrief_id}:{delivery.stage}"):
                return
            debrief = await core.debriefs.get(delivery.debrief_id)
            words = _stage_words(delivery.stage)
            shown = resources_for_person(core.resources)
            await messaging.post_in_space(debrief, resources_card(core.resources.title, shown, UNREACHED_INTRO),
                                          "Support resources")
            if debrief.lead != delivery.user:
                try:
                    await messaging.send_private(debrief.lead, lead_unreached_card(words, 1), "A check-in couldn't be delivered")
                except Unreachable:
                    log.info("the lead of a debrief can't be reached privately either")
        except Exception as error:  # noqa: BLE001 - best effort: one log line, never fatal
            log.warning("could not post the notice for an unreachable participant: %s", type(error).__name__)


def _stage_words(stage: str) -> str:
    try:
        return humanise(stage)
    except ValueError:
        return stage
