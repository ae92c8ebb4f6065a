"""Support: the resources a person is shown, and the one identified path.

Resources per nation and profession, kept simple on purpose: the bot does
not know a participant's profession (it never asks, and guessing from a
directory would be wrong and intrusive). So everyone sees every resource,
each tagged one labelled with whom it is for ("In England, for doctors and
dentists only"). The lead may say in the set-up who the team is (optional,
one tap): contacts for them are then listed first. A person skips what is
not for them; nobody has to disclose anything to see the right line.

Support requests: a person chose "I'd like to talk to someone". This is the
only place the bot links a person to the wellbeing team by name, and only
because they asked: `request` stores a `SupportRequest` (audited) and sends
a direct message to each wellbeing officer (DEBRIEF_WELLBEING_OFFICERS and
those added with `/debrief officers add`) and peer supporter
(DEBRIEF_PEER_SUPPORTERS) with the person's id and preferred time. Officers
and peer supporters list, claim and close requests; claiming and closing are
audited. A request nobody has taken on within DEBRIEF_SUPPORT_RESPONSE is
sent again to all of them and to DEBRIEF_SUPPORT_ONCALL (`escalate`, run
once by the dispatcher from the `support_escalations` outbox); when nobody
at all could be told, the person is, and the operator sees a metric and a
log line. Nothing here touches answers.
"""
from __future__ import annotations

import asyncio
import logging
import re
import uuid
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, func, select, update
from sqlmodel import col

from bot.clock import Clock, SystemClock
from bot.db import Database, rowcount
from bot.errors import AlreadyClaimed, InvalidAnswer, NotAllowed, NotFound
from bot.identifiers import OWN_CONTACT, screen
from bot.metrics import SUPPORT_ESCALATED, SUPPORT_UNREACHED
from bot.models import AuditEvent, Debrief, Participant, SupportEscalation, SupportRequest, SupportStatus
from bot.officers import Officers, Role
from bot.port import (
    Messenger,
    PermanentSendError,
    RequesterNotice,
    ShownResource,
    SupportNotice,
    TransientSendError,
)
from bot.scripts import Resource, ResourceSet
from bot.settings import Settings

log = logging.getLogger("debrief.support")

ONLY_THE_TEAM = "Only the wellbeing team can see support requests."
"""The refusal of a request's buttons (take it on, done) to anyone else."""

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
    "dentist": "dentists",
    "nurse": "nurses",
    "nursing_student": "nursing students",
    "midwife": "midwives",
    "paramedic": "paramedics",
    "pharmacist": "pharmacists",
    "physician_assistant": "physician assistants",
    "allied_health": "allied health professionals",
    "healthcare_assistant": "healthcare assistants",
}


ESCALATION_STEP = timedelta(minutes=15)


def escalation_due(asked: datetime, response: timedelta) -> datetime:
    """When a request nobody took on is sent again: `response` after it, rounded up to a step.

    The step (a quarter of the response time, at most 15 minutes) keeps the
    escalation row from holding the second the person asked; the request's
    own time is coarse too (DESIGN.md, anonymity model).
    """
    step = min(ESCALATION_STEP, response / 4)
    due = asked + response
    epoch = datetime(2000, 1, 1, tzinfo=due.tzinfo)
    steps = -(-(due - epoch) // step)  # ceiling division of timedeltas
    return epoch + steps * step


def humanise_duration(delta: timedelta) -> str:
    """`4 hours`, `30 minutes`, `2 seconds`: a DEBRIEF_SUPPORT_RESPONSE as a person reads it."""
    seconds = int(delta.total_seconds())
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute"), (1, "second")):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return f"{seconds} seconds"


def profession_label(professions: Iterable[str]) -> str:
    """`["doctor", "medical_student"]` -> "For doctors and medical students only"."""
    names = [PROFESSION_NAMES.get(slug, slug.replace("_", " ") + "s") for slug in professions]
    if not names:
        return ""
    joined = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return f"For {joined} only"


def audience_label(resource: Resource) -> str | None:
    """Whom a resource is for, from its `nations:` and `professions:` tags; None when it is for everyone.

    `In England only`, `For doctors and dentists only`, `In England, for doctors and dentists only`.
    """
    nations = " and ".join(nation.replace("_", " ").title() for nation in resource.nations)
    professions = profession_label(resource.professions)
    if nations and professions:
        return f"In {nations}, {professions[0].lower()}{professions[1:]}"
    if nations:
        return f"In {nations} only"
    return professions or None


def _applies(resource: Resource, audience: Collection[str]) -> bool:
    """A tagged resource whose every kind of tag (nation, profession) the debrief's set-up names."""
    if not (resource.nations or resource.professions):
        return False
    nations = not resource.nations or any(f"nation:{nation}" in audience for nation in resource.nations)
    professions = not resource.professions or any(f"profession:{p}" in audience for p in resource.professions)
    return nations and professions


def resources_for_person(
    resource_set: ResourceSet, crisis_only: bool = False, audience: Collection[str] = ()
) -> tuple[ShownResource, ...]:
    """What to show a person whose profession and nation we do not know: everything, labelled.

    Resources the debrief's set-up says apply (`audience`: `nation:scotland`,
    `profession:nurse`, chosen by the lead, optional) come first; then those
    for everyone, in the file's order; then the rest, each with whom it is
    for. `crisis_only` keeps the crisis lines (for the at-once escalation
    after a high distress rating).
    """
    chosen = [resource for resource in resource_set.resources if resource.crisis or not crisis_only]
    first = [ShownResource(r, audience_label(r)) for r in chosen if _applies(r, audience)]
    general = [ShownResource(resource) for resource in chosen if audience_label(resource) is None]
    specific = [ShownResource(r, audience_label(r)) for r in chosen if audience_label(r) and not _applies(r, audience)]
    return tuple(first + general + specific)


AUDIENCE_TAG = re.compile(r"^(nation|profession):[a-z0-9_]{1,40}$")


def audience_choices(resource_set: ResourceSet) -> list[tuple[str, str]]:
    """(value, label) for the set-up form's optional "who is this for": the tags the contacts carry."""
    nations = sorted({nation for resource in resource_set.resources for nation in resource.nations})
    professions = sorted({slug for resource in resource_set.resources for slug in resource.professions})
    return [
        *((f"nation:{nation}", f"In {nation.replace('_', ' ').title()}") for nation in nations),
        *((f"profession:{slug}", PROFESSION_NAMES.get(slug, slug.replace("_", " ") + "s").capitalize())
          for slug in professions),
    ]


def startup_notes(resource_set: ResourceSet, region_set: bool) -> list[str]:
    """What start-up tells the operator about the support resources in use."""
    notes = []
    if not region_set:
        notes.append(
            "Support resources: DEBRIEF_RESOURCES is not set, so people see the international set "
            '("your local emergency number" and an international helpline directory). '
            "Set it to uk, us or your own file to show local crisis lines."
        )
    else:
        notes.append(f"Support resources: {resource_set.title} ({resource_set.region}).")
    if resource_set.placeholders:
        notes.append(
            "Support contacts still to fill in (shown as 'not set up yet'): "
            + ", ".join(resource_set.placeholders)
            + ". Put your own in a resource file (DEBRIEF_RESOURCES or DEBRIEF_SCRIPTS_DIR)."
        )
    return notes


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

    async def allows(self, role: Role, *identities: str | None) -> bool:
        """Whether a person, by any of their ids or e-mail addresses, has `role`: the one access check.

        Both adapters call it from the role each input declares where it is
        registered (Slack: listener middleware; Teams: a handler decorator).
        """
        if role is Role.ANYONE:
            return True
        if role is Role.SUPPORTER:
            return await self.is_supporter(*identities)
        return await self.officers.is_officer(*identities)

    async def lists_emails(self) -> bool:
        """Whether an officer or a peer supporter is listed by e-mail (then adapters look people's e-mail up)."""
        if any("@" in person for person in self.settings.debrief_peer_supporters):
            return True
        return await self.officers.any_email()

    async def is_supporter(self, *identities: str | None) -> bool:
        """A wellbeing officer (configured or added), a peer supporter or the on-call contact, by any id or e-mail.

        The configured lists are checked in memory; only then one query for added officers.
        """
        peers = {person.lower() for person in self.settings.debrief_peer_supporters}
        if self.settings.oncall_contact:  # told of requests nobody took on, so may take them on
            peers.add(self.settings.oncall_contact.lower())
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
        screen({"preferred_time": preferred_time}, allow=OWN_CONTACT)  # their own number or e-mail is fine
        now = stored_time(self.clock.now())
        label = None
        async with self.database.session() as session:
            if debrief_id is not None:
                debrief = await session.get(Debrief, debrief_id)
                if debrief is None:
                    raise NotFound()
                member = await session.execute(
                    select(col(Participant.id)).where(col(Participant.debrief_id) == debrief_id, col(Participant.user) == user)
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
            session.add(SupportEscalation(request_id=request.id, platform=platform,
                                          due_at=escalation_due(now, self.settings.support_response)))
        notified = await self._notify(request, label)
        if not notified:
            SUPPORT_UNREACHED.labels(platform, "requested").inc()
        return SupportRequested(request=request, notified=notified)

    async def escalate(self, request_id: uuid.UUID) -> int | None:
        """A request nobody took on within DEBRIEF_SUPPORT_RESPONSE: tell everyone again, and the on-call contact.

        Returns how many people were told, or None when the request was taken
        on or closed meanwhile (nothing to do). When nobody could be told, the
        person is (`Messenger.tell_requester`), and the operator sees a metric
        and a log line. The dispatcher calls this once per request.
        """
        async with self.database.session() as session:
            request = await session.get(SupportRequest, request_id)
            if request is None or request.status != SupportStatus.OPEN:
                return None
            debrief = await session.get(Debrief, request.debrief_id) if request.debrief_id else None
            label = debrief.label if debrief else None
            session.add(AuditEvent(at=self.clock.now(), actor="debrief-bot", action="support.escalated",
                                   debrief_id=request.debrief_id, detail=str(request.id)))
        SUPPORT_ESCALATED.labels(request.platform).inc()
        waiting = humanise_duration(self.settings.support_response)
        extra = [(self.settings.oncall_contact, "member of the on-call team")] if self.settings.oncall_contact else []
        notified = await self._notify(request, label, waiting=waiting, extra=extra)
        if notified:
            return notified
        SUPPORT_UNREACHED.labels(request.platform, "escalated").inc()
        log.error("support request %s: nobody took it on within %s and nobody could be told again; "
                  "telling the person", request.id, waiting)
        messenger = self.messengers.get(request.platform)
        if messenger is not None:
            await messenger.tell_requester(RequesterNotice(request.id, request.platform, request.workspace, request.user))
        return 0

    async def _notify(
        self, request: SupportRequest, label: str | None, *, waiting: str | None = None,
        extra: Iterable[tuple[str, str]] = (),
    ) -> int:
        messenger = self.messengers.get(request.platform)
        if messenger is None:
            log.error("support request %s: no messenger for platform %s; it waits in the open list",
                      request.id, request.platform)
            return 0
        officers = [*self.settings.debrief_wellbeing_officers, *await self.officers.added()]
        recipients = [(person, "wellbeing officer") for person in officers]
        recipients += [(person, "peer supporter") for person in self.settings.debrief_peer_supporters]
        recipients += list(extra)
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
                waiting=waiting,
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
            except (TimeoutError, TransientSendError, OSError) as exc:
                cause = getattr(exc, "cause", None) or type(exc).__name__
                if attempt == NOTIFY_TRIES:
                    log.warning("support request %s: a %s could not be told after %d tries: %s",
                                notice.request_id, notice.recipient_role, attempt, cause)
                    return False
                wait = getattr(exc, "retry_after", None) or 0.5 * attempt
                await asyncio.sleep(min(wait, 5.0))
        return False  # pragma: no cover

    async def waiting(self, platform: str | None, workspace: str) -> int:
        """How many requests to talk nobody has taken on yet: the true count, for the officers' digest and views."""
        where: list[ColumnElement[bool]] = [
            col(SupportRequest.workspace) == workspace, col(SupportRequest.status) == SupportStatus.OPEN,
        ]
        if platform is not None:
            where.append(col(SupportRequest.platform) == platform)
        async with self.database.session() as session:
            found = await session.execute(select(func.count()).select_from(SupportRequest).where(*where))
            return int(found.scalar_one())

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
        where: list[ColumnElement[bool]] = [col(SupportRequest.status).in_([SupportStatus.OPEN, SupportStatus.CLAIMED])]
        if platform is not None:
            where.append(col(SupportRequest.platform) == platform)
        if workspace is not None:
            where.append(col(SupportRequest.workspace) == workspace)
        async with self.database.session() as session:
            rows = await session.execute(
                select(SupportRequest, col(Debrief.label))
                .outerjoin(Debrief, col(Debrief.id) == col(SupportRequest.debrief_id))
                .where(*where)
                .order_by(col(SupportRequest.created_at))
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
                .where(col(SupportRequest.id) == request_id, col(SupportRequest.status) == SupportStatus.OPEN)
                .values(status=SupportStatus.CLAIMED, claimed_by=actor)
                .execution_options(synchronize_session=False)
            )
            request = await session.get(SupportRequest, request_id, populate_existing=True)
            if request is None:
                raise NotFound("I couldn't find that support request.")
            if not rowcount(result):
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
            raise NotAllowed(ONLY_THE_TEAM)


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
