"""Action points to closure: done, dropped or handed on; owners reminded; "you said, we did".

STOP5's changes came from tracking the points a debrief agreed, and staff
keep debriefing when they see what came of what they said. So a point is
followed until it is closed:

* **Who may change it**: its owner or the debrief's lead, nobody else
  (`may_change`, the one check both adapters rely on; their listeners are
  registered for anyone and the core refuses what is not theirs, as for
  closing a debrief).
* **Done** (with an optional one line: what changed) or **dropped** (with
  a reason): one conditional UPDATE from `open`, so of two taps at once
  exactly one closes it; the same transaction writes the point's one
  "you said, we did" row in the outbox (`ActionMessage`, unique per point)
  and stops its pending reminders. The line is screened for patient
  identifiers like any other free text, before anything is stored.
* **Handed on**: a new owner; the reminders then go to them (they are
  addressed when sent, not when written).
* **Reminders**: one outbox row per DEBRIEF_ACTION_REMINDERS delay, written
  with the point, due at the debrief's start plus the delay; the dispatcher
  sends each once, in the owner's waking hours, and skips it if the point
  was closed meanwhile.

Nothing here touches answers: action points name their owner by design,
and never say what anyone answered.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from bot.clock import Clock
from bot.db import Database, rowcount
from bot.errors import InvalidAnswer, NoLongerOpen, NotAllowed, NotFound
from bot.identifiers import screen
from bot.models import ActionMessage, ActionPoint, ActionStatus, AuditEvent, Debrief, FollowupStatus
from bot.settings import Settings, schedule_stages
from bot.wording import day

REMINDER = "reminder"
"""`ActionMessage.kind` of an owner's reminder; its `stage` is the delay (`7d`)."""
CLOSED = "closed"
"""`ActionMessage.kind` of the "you said, we did" note; one per point."""
OUTCOME_LENGTH = 200
MAX_LISTED = 50

ONLY_OWNER_OR_LEAD = "Only the person who owns this action point, or whoever led the debrief, can change it."
ALREADY_CLOSED = "This action point is already closed. Thank you for following it up."
NOT_FOUND = "I couldn't find that action point. It may have been removed."


@dataclass(frozen=True)
class Point:
    """An action point with its debrief, as lists and forms show it."""

    point: ActionPoint
    debrief: Debrief

    @property
    def id(self) -> uuid.UUID:
        return self.point.id


@dataclass(frozen=True)
class Closing:
    """What closing did: `newly` is False when it was closed already (a double tap, a retry)."""

    point: ActionPoint
    debrief: Debrief
    newly: bool


def reminder_rows(point: ActionPoint, debrief: Debrief, schedule: str) -> list[ActionMessage]:
    """The owner's reminders for a new point: one per delay, due at the debrief's start plus the delay."""
    return [
        ActionMessage(action_point_id=point.id, kind=REMINDER, stage=stage, platform=debrief.platform,
                      due_at=debrief.started_at + delay)
        for stage, delay in schedule_stages(schedule)
    ]


def may_change(point: ActionPoint, debrief: Debrief, actor: str) -> None:
    """The owner or the debrief's lead, nobody else: raises `NotAllowed` otherwise."""
    if actor not in (point.owner, debrief.lead):
        raise NotAllowed(ONLY_OWNER_OR_LEAD)


class Actions:
    """The action-point services, bound to one database and clock."""

    def __init__(self, database: Database, settings: Settings, clock: Clock) -> None:
        self.database = database
        self.settings = settings
        self.clock = clock

    async def get(self, point_id: uuid.UUID) -> Point:
        async with self.database.session() as session:
            point = await session.get(ActionPoint, point_id)
            debrief = await session.get(Debrief, point.debrief_id) if point is not None else None
        if point is None or debrief is None:
            raise NotFound(NOT_FOUND)
        return Point(point, debrief)

    async def for_change(self, point_id: uuid.UUID, actor: str) -> Point:
        """The point, when `actor` may change it and it is still open (a form is about to open)."""
        found = await self.get(point_id)
        may_change(found.point, found.debrief, actor)
        if found.point.status != ActionStatus.OPEN:
            raise NoLongerOpen(ALREADY_CLOSED)
        return found

    async def remember_message(self, point_id: uuid.UUID, ref: str | None) -> None:
        """Where the point was posted, so that its message can be redrawn without buttons once it closes."""
        if not ref:
            return
        async with self.database.session() as session:
            await session.execute(
                update(ActionPoint).where(col(ActionPoint.id) == point_id).values(message_ref=ref[:255]),
                execution_options={"synchronize_session": False},
            )

    async def mine(self, platform: str, workspace: str, user: str) -> list[Point]:
        """The open points a person owns, and those of the debriefs they led, newest debrief first (all of
        them: `listed` says how many are shown)."""
        async with self.database.session() as session:
            rows = await session.execute(
                select(ActionPoint, Debrief)
                .join(Debrief, col(Debrief.id) == col(ActionPoint.debrief_id))
                .where(
                    col(Debrief.platform) == platform,
                    col(Debrief.workspace) == workspace,
                    col(ActionPoint.status) == ActionStatus.OPEN,
                    or_(col(ActionPoint.owner) == user, col(Debrief.lead) == user),
                )
                .order_by(col(Debrief.started_at).desc(), col(ActionPoint.created_at))
            )
            return [Point(point, debrief) for point, debrief in rows]

    async def close(self, point_id: uuid.UUID, actor: str, status: ActionStatus | str, line: str | None) -> Closing:
        """Mark a point done (`line`: what changed, optional) or dropped (`line`: why, required).

        Exactly once: of two taps at once one closes it (`newly=True`) and
        writes its "you said, we did" row; the other gets `newly=False`.
        """
        try:
            status = ActionStatus(status)
        except ValueError:
            raise InvalidAnswer({"status": "Please pick done or dropped."}) from None
        if status == ActionStatus.OPEN:
            raise InvalidAnswer({"status": "Please pick done or dropped."})
        line = " ".join((line or "").split()) or None
        if status == ActionStatus.DROPPED and not line:
            raise InvalidAnswer({"outcome": "Please say in a few words why it was dropped."})
        if line and len(line) > OUTCOME_LENGTH:
            raise InvalidAnswer({"outcome": f"Please keep it under {OUTCOME_LENGTH} characters."})
        screen({"outcome": line})
        now = self.clock.now()
        try:
            async with self.database.session() as session:
                point = await session.get(ActionPoint, point_id)
                debrief = await session.get(Debrief, point.debrief_id) if point is not None else None
                if point is None or debrief is None:
                    raise NotFound(NOT_FOUND)
                may_change(point, debrief, actor)
                closed = await session.execute(
                    update(ActionPoint)
                    .where(col(ActionPoint.id) == point_id, col(ActionPoint.status) == ActionStatus.OPEN)
                    .values(status=status, closed_at=now, closed_by=actor, outcome=line),
                    execution_options={"synchronize_session": False},
                )
                newly = bool(rowcount(closed))
                if newly:
                    session.add(ActionMessage(action_point_id=point_id, kind=CLOSED, stage="",
                                              platform=debrief.platform, due_at=now))
                    await session.execute(
                        update(ActionMessage)
                        .where(col(ActionMessage.action_point_id) == point_id, col(ActionMessage.kind) == REMINDER,
                               col(ActionMessage.status) == FollowupStatus.PENDING)
                        .values(status=FollowupStatus.STOPPED, last_error="stopped: the point was closed"),
                        execution_options={"synchronize_session": False},
                    )
                    session.add(AuditEvent(at=now, actor=actor, action=f"action_point.{status.value}",
                                           debrief_id=debrief.id, detail=None))
        except IntegrityError:  # its twin wrote the note a moment ago: closed once, by the other tap
            newly = False
        found = await self.get(point_id)
        return Closing(found.point, found.debrief, newly)

    async def hand_on(self, point_id: uuid.UUID, actor: str, owner: str) -> Point:
        """Give the point to someone else; its reminders then go to them."""
        owner = (owner or "").strip()
        if not owner:
            raise InvalidAnswer({"owner": "Please choose who takes it on."})
        now = self.clock.now()
        async with self.database.session() as session:
            point = await session.get(ActionPoint, point_id)
            debrief = await session.get(Debrief, point.debrief_id) if point is not None else None
            if point is None or debrief is None:
                raise NotFound(NOT_FOUND)
            may_change(point, debrief, actor)
            if point.status != ActionStatus.OPEN:
                raise NoLongerOpen(ALREADY_CLOSED)
            if owner != point.owner:
                point.owner = owner
                session.add(point)
                session.add(AuditEvent(at=now, actor=actor, action="action_point.handed_on", debrief_id=debrief.id,
                                       detail=None))
        return await self.get(point_id)


# --- words both platforms show -------------------------------------------------------------------


def due_words(point: ActionPoint) -> str:
    return f"due {day(point.due_on)}" if point.due_on else "no due date"


def reminder_heading() -> str:
    return "A reminder about your action point"


def reminder_intro(debrief: Debrief) -> str:
    when = day(debrief.started_at.date())
    return (f"At the debrief on {when} the team agreed a change and you took it on. "
            "When it's done, or no longer needed, one tap below lets the team know. Thank you for following it up.")


def closed_label(status: ActionStatus) -> str:
    """What a closed point's own message says instead of its buttons."""
    return "\u2705 Done" if status == ActionStatus.DONE else "Dropped"


def closed_heading(status: ActionStatus) -> str:
    return "You said, we did" if status == ActionStatus.DONE else "An action point was dropped"


def closed_lines(point: ActionPoint) -> tuple[str, str | None]:
    """(what was said, what happened): the second is the one line written when it closed, or None."""
    if point.status == ActionStatus.DONE:
        return "You said:", (f"We did: {point.outcome}" if point.outcome else "We did it: this is now done.")
    return "You said:", f"It was dropped: {point.outcome or 'no reason given'}"


CLOSED_FOOTER = "Thank you for speaking up at the debrief. This is what it is for."
DONE_LABEL = "Done"
DROP_LABEL = "Drop"
HAND_ON_LABEL = "Hand on"
OUTCOME_DONE_LABEL = "What changed? (optional, one line)"
OUTCOME_DROP_LABEL = "Why is it being dropped?"
OUTCOME_HINT = "The team sees this. No patient details, please."
HAND_ON_OWNER_LABEL = "Who takes it on?"
HANDED_ON = "\u2705 Handed on. Its reminders go to them from now on."
NONE_OPEN = "No open action points for you. Points you own, and those of debriefs you led, appear here."


def closed_reply(closing: Closing) -> str:
    """What the person who tapped is told."""
    if not closing.newly:
        return ALREADY_CLOSED
    if closing.point.status == ActionStatus.DONE:
        return "\u2705 Marked done. I've told the team what changed."
    return "Dropped. I've told the team why."


def listed(points: Sequence[Point]) -> tuple[list[Point], int]:
    """The points to show and how many more there are."""
    return list(points[:MAX_LISTED]), max(len(points) - MAX_LISTED, 0)
