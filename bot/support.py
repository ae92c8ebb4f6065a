"""Support: the resources a person is shown, and the one identified path.

Resources per profession, kept simple on purpose: the bot does not know a
participant's profession (it never asks, and guessing from a directory
would be wrong and intrusive). So everyone sees every resource that is for
everyone, and the profession-specific ones too, each labelled with whom it
is for ("For doctors and medical students only"). A person skips what is
not for them; nobody has to disclose anything to see the right line.

Support requests: a person chose "I'd like to talk to someone". This is the
only place the bot links a person to the wellbeing team by name, and only
because they asked: `request` stores a `SupportRequest` (audited) and sends
a direct message to each wellbeing officer (DEBRIEF_WELLBEING_OFFICERS and
those added with `/debrief officers add`) and peer supporter
(DEBRIEF_PEER_SUPPORTERS) with the person's id and preferred time. Officers and peer supporters list, claim and close requests; claiming
and closing are audited. Nothing here touches answers.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from bot.clock import Clock, SystemClock
from bot.db import Database
from bot.errors import AlreadyClaimed, InvalidAnswer, NotAllowed, NotFound
from bot.identifiers import screen
from bot.models import AuditEvent, Debrief, Participant, SupportRequest, SupportStatus
from bot.officers import Officers
from bot.port import Messenger, PermanentSendError, ShownResource, SupportNotice, TransientSendError
from bot.scripts import ResourceSet
from bot.settings import Settings

log = logging.getLogger("debrief.support")

PREFERRED_TIME_LENGTH = 200
STORED_TIME_STEP = timedelta(hours=1)
"""A request's stored time (and its audit row's) is the start of its hour, never the minute it was made."""


def stored_time(now: datetime) -> datetime:
    """`now` rounded down to `STORED_TIME_STEP`.

    A request made from the thank-you screen comes moments after its
    author's answer; an exact time beside the other times in the database
    (or a commit time) would help place it, and its author, among the answers.
    Its transaction is its own, never the answer's (DESIGN.md, "Anonymity model").
    """
    step = int(STORED_TIME_STEP.total_seconds())
    return datetime.fromtimestamp(int(now.timestamp()) // step * step, tz=UTC)
NOTIFY_TRIES = 3
NOTIFY_TIMEOUT = 10.0

PROFESSION_NAMES = {
    "doctor": "doctors",
    "physician": "physicians",
    "medical_student": "medical students",
    "nurse": "nurses",
    "nursing_student": "nursing students",
    "midwife": "midwives",
    "paramedic": "paramedics",
    "pharmacist": "pharmacists",
    "physician_assistant": "physician assistants",
    "allied_health": "allied health professionals",
    "healthcare_assistant": "healthcare assistants",
}


def profession_label(professions: Iterable[str]) -> str:
    """`["doctor", "medical_student"]` -> "For doctors and medical students only"."""
    names = [PROFESSION_NAMES.get(slug, slug.replace("_", " ") + "s") for slug in professions]
    if not names:
        return ""
    joined = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return f"For {joined} only"


def resources_for_person(resource_set: ResourceSet, crisis_only: bool = False) -> tuple[ShownResource, ...]:
    """What to show a person whose profession we do not know: everything, labelled.

    Resources for everyone come first, in the file's order, then those for
    some professions, each with its audience. `crisis_only` keeps the crisis
    lines (for the at-once escalation after a high distress rating).
    """
    chosen = [resource for resource in resource_set.resources if resource.crisis or not crisis_only]
    general = [ShownResource(resource) for resource in chosen if not resource.professions]
    specific = [
        ShownResource(resource, profession_label(resource.professions)) for resource in chosen if resource.professions
    ]
    return tuple(general + specific)


@dataclass(frozen=True)
class SupportRequested:
    """What came of a request: stored always; `notified` people were told by direct message."""

    request: SupportRequest
    notified: int

    @property
    def reached_someone(self) -> bool:
        return self.notified > 0


@dataclass(frozen=True)
class Queued:
    """A request in the wellbeing team's queue, with the label of the debrief it came from."""

    request: SupportRequest
    label: str | None


@dataclass(frozen=True)
class ClosedRequest:
    """What `close` did: `newly_closed` is False when someone had already closed it."""

    request: SupportRequest
    newly_closed: bool

    @property
    def note(self) -> str | None:
        """The kind line for a late tap on "Done", shown above the redrawn queue; None when this tap closed it."""
        return None if self.newly_closed else "That request was already marked done."


class Support:
    """Support requests, for one database and one set of messengers."""

    def __init__(
        self,
        database: Database,
        settings: Settings,
        officers: Officers,
        messengers: Mapping[str, Messenger] | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.database = database
        self.settings = settings
        self.officers = officers
        self.messengers: dict[str, Messenger] = dict(messengers or {})
        self.clock = clock or SystemClock()

    async def available(self) -> bool:
        """Whether anyone would receive a request (else adapters hide the button).

        The configured lists answer in memory; only when both are empty, one
        query for officers added with `/debrief officers` (who stay officers
        when the configured ones are later taken off the list).
        """
        if self.settings.debrief_wellbeing_officers or self.settings.debrief_peer_supporters:
            return True
        return await self.officers.any_added()

    async def is_supporter(self, *identities: str | None) -> bool:
        """A wellbeing officer (configured or added) or a peer supporter, by any of their ids or e-mail addresses.

        The configured lists are checked in memory; only then one query for added officers.
        """
        peers = {person.lower() for person in self.settings.debrief_peer_supporters}
        if any(identity and identity.lower() in peers for identity in identities):
            return True
        return await self.officers.is_officer(*identities)

    async def request(
        self,
        *,
        platform: str,
        workspace: str,
        user: str,
        debrief_id: uuid.UUID | None = None,
        preferred_time: str | None = None,
    ) -> SupportRequested:
        """The person asked to talk to someone: store it, audit it, tell the wellbeing team.

        The request is stored before anyone is told, so a platform outage
        never loses it: it stays in `open_requests` until someone claims it.
        """
        preferred_time = (preferred_time or "").strip() or None
        if preferred_time and len(preferred_time) > PREFERRED_TIME_LENGTH:
            raise InvalidAnswer({"preferred_time": f"Please keep this under {PREFERRED_TIME_LENGTH} characters."})
        screen({"preferred_time": preferred_time})
        now = stored_time(self.clock.now())
        label = None
        async with self.database.session() as session:
            if debrief_id is not None:
                debrief = await session.get(Debrief, debrief_id)
                if debrief is None:
                    raise NotFound()
                member = await session.execute(
                    select(Participant.id).where(Participant.debrief_id == debrief_id, Participant.user == user)
                )
                if member.first() is None and user != debrief.lead:
                    raise NotAllowed("You're not part of this debrief.")
                label = debrief.label
            request = SupportRequest(
                platform=platform,
                workspace=workspace,
                user=user,
                debrief_id=debrief_id,
                preferred_time=preferred_time,
                created_at=now,
            )
            session.add(request)
            await session.flush()
            session.add(
                AuditEvent(at=now, actor=user, action="support.requested", debrief_id=debrief_id, detail=str(request.id))
            )
        notified = await self._notify(request, label)
        return SupportRequested(request=request, notified=notified)

    async def _notify(self, request: SupportRequest, label: str | None) -> int:
        messenger = self.messengers.get(request.platform)
        if messenger is None:
            log.error("support request %s: no messenger for platform %s; it waits in the open list",
                      request.id, request.platform)
            return 0
        officers = [*self.settings.debrief_wellbeing_officers, *await self.officers.added()]
        recipients = [(person, "wellbeing officer") for person in officers]
        recipients += [(person, "peer supporter") for person in self.settings.debrief_peer_supporters]
        notified = 0
        for recipient, role in _unique_pairs(recipients):
            notice = SupportNotice(
                request_id=request.id,
                platform=request.platform,
                workspace=request.workspace,
                user=request.user,
                preferred_time=request.preferred_time,
                debrief_label=label,
                recipient_role=role,
            )
            if await self._notify_one(messenger, notice, recipient):
                notified += 1
        if not notified:
            log.error("support request %s reached nobody; it waits in the open list", request.id)
        return notified

    async def _notify_one(self, messenger: Messenger, notice: SupportNotice, recipient: str) -> bool:
        for attempt in range(1, NOTIFY_TRIES + 1):
            try:
                return await asyncio.wait_for(messenger.notify_support_request(notice, recipient), NOTIFY_TIMEOUT)
            except PermanentSendError as exc:
                log.warning("support request %s: a %s could not be told: %s",
                            notice.request_id, notice.recipient_role, exc.cause)
                return False
            except (TransientSendError, asyncio.TimeoutError, OSError) as exc:
                cause = getattr(exc, "cause", None) or type(exc).__name__
                if attempt == NOTIFY_TRIES:
                    log.warning("support request %s: a %s could not be told after %d tries: %s",
                                notice.request_id, notice.recipient_role, attempt, cause)
                    return False
                wait = getattr(exc, "retry_after", None) or 0.5 * attempt
                await asyncio.sleep(min(wait, 5.0))
        return False  # pragma: no cover

    async def open_requests(self, actor: str, *identities: str) -> list[SupportRequest]:
        """Open and claimed requests, oldest first, on every platform; for officers and peer supporters only."""
        return [queued.request for queued in await self.queue(actor, *identities)]

    async def queue(
        self, actor: str, *identities: str, platform: str | None = None, workspace: str | None = None
    ) -> list[Queued]:
        """Open and claimed requests (of one platform and workspace when given), oldest first, with their labels.

        Reading the queue shows who asked, so it is audited like every other
        step of the one identified path.
        """
        await self._require_supporter(actor, *identities)
        where = [SupportRequest.status.in_([SupportStatus.OPEN, SupportStatus.CLAIMED])]
        if platform is not None:
            where.append(SupportRequest.platform == platform)
        if workspace is not None:
            where.append(SupportRequest.workspace == workspace)
        async with self.database.session() as session:
            rows = await session.execute(
                select(SupportRequest, Debrief.label)
                .outerjoin(Debrief, Debrief.id == SupportRequest.debrief_id)
                .where(*where)
                .order_by(SupportRequest.created_at)
            )
            queued = [Queued(request, label) for request, label in rows]
            session.add(AuditEvent(at=self.clock.now(), actor=actor, action="support.listed", detail=str(len(queued))))
            return queued

    async def claim(self, request_id: uuid.UUID, actor: str, *identities: str) -> SupportRequest:
        """Take a request on; exactly one person wins. Claiming one's own claim again is harmless."""
        await self._require_supporter(actor, *identities)
        now = self.clock.now()
        async with self.database.session() as session:
            result = await session.execute(
                update(SupportRequest)
                .where(SupportRequest.id == request_id, SupportRequest.status == SupportStatus.OPEN)
                .values(status=SupportStatus.CLAIMED, claimed_by=actor)
                .execution_options(synchronize_session=False)
            )
            request = await session.get(SupportRequest, request_id, populate_existing=True)
            if request is None:
                raise NotFound("I couldn't find that support request.")
            if not result.rowcount:
                if request.status == SupportStatus.CLAIMED and request.claimed_by == actor:
                    return request
                raise AlreadyClaimed(_taken_message(request))
            session.add(AuditEvent(at=now, actor=actor, action="support.claimed", debrief_id=request.debrief_id,
                                   detail=str(request_id)))
            return request

    async def close(self, request_id: uuid.UUID, actor: str, *identities: str) -> ClosedRequest:
        """Mark a request done. Anyone on the wellbeing team may close it; closing twice is harmless."""
        await self._require_supporter(actor, *identities)
        now = self.clock.now()
        async with self.database.session() as session:
            request = await session.get(SupportRequest, request_id)
            if request is None:
                raise NotFound("I couldn't find that support request.")
            newly_closed = request.status != SupportStatus.CLOSED
            if newly_closed:
                request.status = SupportStatus.CLOSED
                request.closed_at = now
                request.claimed_by = request.claimed_by or actor
                session.add(request)
                session.add(AuditEvent(at=now, actor=actor, action="support.closed", debrief_id=request.debrief_id,
                                       detail=str(request_id)))
            return ClosedRequest(request, newly_closed)

    async def _require_supporter(self, actor: str, *identities: str) -> None:
        if not await self.is_supporter(actor, *identities):
            raise NotAllowed("Only the wellbeing team can see support requests.")


def _unique_pairs(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Each person once, in order, with their first role (an officer listed twice is told once)."""
    seen: set[str] = set()
    unique = []
    for person, role in pairs:
        if person.lower() not in seen:
            seen.add(person.lower())
            unique.append((person, role))
    return unique


def _taken_message(request: SupportRequest) -> str:
    if request.status == SupportStatus.CLOSED:
        return "This request has already been closed."
    return "Someone else on the wellbeing team has already taken this request on."
