"""Cold debriefs: booked at the close of a hot debrief, reminded, posted on time, cancelled with a reason.

A hot debrief is five minutes on the day; a case it could not settle gets a
longer, facilitated, systems-focused cold debrief days to about two weeks
later (CLINICAL.md). The lead books it from the hot debrief's closing
summary: a date and time (each platform's picker, in the lead's own time
zone) and a cold script (`kind: cold` in `debrief_scripts/`).

What a booking is
-----------------
A new `Debrief` row, `cold_of` the hot one, in the hot debrief's space, with
the hot debrief's participants, and `status = booked` until its time. Being
a debrief of its own, its answers take the hot debrief's path unchanged
(form token, receipt, sealed pending answer, shuffled batches, results,
tallies): nothing about anonymity is new here. While `booked`, no form
opens (`Debriefs.open_form` wants an open debrief for the debrief stage).
`started_at` is the booked time, so the officers' report counts it as a
debrief held in the week it is held; a cancelled booking is deleted and kept
as a skipped debrief instead (`skipped_debriefs.cold_of`), with its reason.

Its outbox (`cold_messages`, claimed by the dispatcher like a follow-up)
holds one reminder per invitee and offset (DEBRIEF_COLD_REMINDERS, default
`1d,1h` before the meeting; an offset already past at booking is left out),
and the `post` row: the script posted in the space at the booked time, which
opens the debrief. The invitation and the cancellation are posted in the
space by the adapter at the moment the lead books or cancels (everyone
invited is in it, and it is where the meeting's script will appear).

Quiet hours (`decide_reminder`)
-------------------------------
The last reminder (an hour before) is *not* held by quiet hours: the person
agreed to a meeting at that hour, so the hour before it is a time they
expect to be working, and holding it would deliver it after the meeting
(a 22:00 debrief for a night team) or too late to matter. Earlier reminders
(the day before) wait for the end of quiet hours, and are skipped when that
would carry them past the next reminder. Every reminder is skipped once the
next one (or the meeting) is due, so nobody gets two at once or one too late.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any, Protocol, runtime_checkable
from zoneinfo import ZoneInfo

from sqlalchemy import Select, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from bot.anonymity import new_debrief_key
from bot.clock import Clock, SystemClock
from bot.db import Database, rowcount
from bot.debriefs import ACTION_LENGTH, LAST_STAGE_WINDOW, SKIP_REASON_LABELS, SkipReason
from bot.errors import DebriefError, InvalidAnswer, NoLongerOpen, NotAllowed, NotFound
from bot.followups.outbox import PLATFORMS, Claim, Outbox
from bot.followups.schedule import Action, Decision, quiet_until
from bot.identifiers import screen
from bot.models import (
    AuditEvent,
    ColdMessage,
    Debrief,
    DebriefKey,
    DebriefStatus,
    Participant,
    SkippedDebrief,
)
from bot.scripts import Library, Script
from bot.settings import Settings, parse_duration
from bot.support import humanise_duration

POST = "post"
"""The `cold_messages.stage` of the script posted in the space at the booked time."""
MAX_AHEAD = timedelta(days=60)
"""A cold debrief is days to about two weeks after the event; two months is room enough."""


class AlreadyBooked(DebriefError):
    message = "A cold debrief is already booked for this case. Cancel it first to book another time."


class NotACold(DebriefError):
    message = "That debrief can't be booked or cancelled as a cold debrief."


# --- wording both platforms show -----------------------------------------------------------------

INVITATION_HEADING = "Cold debrief booked"
CANCELLED_HEADING = "Cold debrief cancelled"
REMINDER_HEADING = "Cold debrief reminder"
BOOK_BUTTON = "Book a cold debrief"
CANCEL_BUTTON = "Cancel the cold debrief"
BOOK_OFFER = ("If this case needs more time, book a longer, facilitated cold debrief in about a week "
              "(only the lead can book it).")
WHEN_LABEL = "When"
SCRIPT_LABEL = "Script"
ONLY_LEAD = "Only the person who led this debrief can book or cancel its cold debrief."
STARTED = "This cold debrief has already started, so it can't be cancelled. Close it instead."


def already_booked_text(when: str) -> str:
    return f"A cold debrief is already booked for {when}. To change the time, cancel it from its invitation first."


def offset_words(offset: timedelta) -> str:
    """`1d` -> `in 1 day`, `1h` -> `in 1 hour`: what a reminder says about the meeting."""
    return "in " + humanise_duration(offset)


def invitation_text(script: Script, when: str, reminders: list[tuple[str, timedelta]], people: int) -> str:
    """The invitation posted in the space at booking; `when` is the platform's own rendering of the time."""
    reminded = (" Each of you gets a private reminder " + " and ".join(humanise_duration(o) for _, o in reminders)
                + " before.") if reminders else ""
    return (f"{script.title}, {when}, here in this conversation, for about {script.minutes} minutes, "
            f"with the {people} people from the debrief. It is a longer, facilitated look at the case, "
            f"focused on how the system worked, not on people. Nobody has to talk about their feelings; "
            f"the questions at the end are private and anonymous, as before.{reminded}")


def reminder_text(script: Script, when: str, offset: timedelta) -> str:
    """One invitee's reminder (a direct message); names nobody else and says nothing of answers."""
    return (f"A reminder: the cold debrief about the case you were part of is {offset_words(offset)} ({when}), "
            f"in the debrief's conversation, for about {script.minutes} minutes ({script.title}). "
            "You don't need to prepare anything. Support is there whether or not you can come.")


def cancelled_text(when: str, reason: str) -> str:
    return (f"The cold debrief booked for {when} is cancelled. Reason: {reason}. No more reminders will come. "
            "Support is still here whenever you want it.")


def posted_text(script: Script) -> str:
    """The notification text when the script is posted at the booked time (bot words only)."""
    return f"Cold debrief starting now: {script.title}"


# --- what the core hands a messenger -------------------------------------------------------------


@dataclass(frozen=True)
class ColdReminder:
    """One reminder to one invitee, by direct message. `message_id` is its idempotency key (store it with it)."""

    message_id: uuid.UUID
    debrief_id: uuid.UUID
    platform: str
    workspace: str
    user: str
    starts_at: datetime
    offset: timedelta
    script: Script

    def text(self, when: str) -> str:
        return reminder_text(self.script, when, self.offset)


@dataclass(frozen=True)
class ColdPost:
    """The cold debrief's script, to post in its space now; the debrief is open from this moment."""

    message_id: uuid.UUID
    debrief: Debrief
    script: Script


@runtime_checkable
class ColdMessenger(Protocol):
    """What an adapter's messenger adds for cold debriefs (the dispatcher sends through it)."""

    platform: str

    async def send_cold_reminder(self, reminder: ColdReminder) -> str:
        """DM the reminder to `reminder.user`; return the message reference. Raise as `send_followup` does."""
        ...

    async def find_cold_reminder(self, reminder: ColdReminder) -> str | None:
        """The reminder's reference if the platform already has it (asked before a re-send), else None."""
        ...

    async def post_cold_script(self, post: ColdPost) -> str:
        """Post the script with its buttons in `post.debrief.space`; return the platform's message id."""
        ...

    async def find_cold_script(self, post: ColdPost) -> str | None:
        """The posted script's message id if the platform already has it, else None."""
        ...


# --- deciding a reminder -------------------------------------------------------------------------


def decide_reminder(
    *, starts_at: datetime, offset: timedelta, offsets: list[timedelta], now: datetime, tz: ZoneInfo,
    quiet: tuple[time, time],
) -> Decision:
    """SEND, SKIP or WAIT for one reminder at `now` (see the module docstring for why)."""
    if now >= starts_at:
        return Decision(Action.SKIP, "skipped: the cold debrief has started")
    closer = [other for other in offsets if other < offset]
    next_at = starts_at - max(closer) if closer else starts_at
    if now >= next_at:
        return Decision(Action.SKIP, "skipped: the next reminder is already due")
    if not closer:
        return Decision(Action.SEND)  # the last one: not held by quiet hours
    until = quiet_until(now, tz, quiet)
    if until is not None and until > now:
        if until >= next_at:
            return Decision(Action.SKIP, "skipped: quiet hours last past the next reminder")
        return Decision(Action.WAIT, "quiet hours", until)
    return Decision(Action.SEND)


# --- the service ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Booked:
    """A booking, and whether this request made it (False: the same form sent again; post nothing twice)."""

    debrief: Debrief
    new: bool


@dataclass(frozen=True)
class Cancelled:
    hot: Debrief
    starts_at: datetime
    space: str | None
    reason: SkipReason
    record: SkippedDebrief


def aware(moment: datetime) -> datetime:
    """A stored time as an aware UTC datetime (SQLite hands naive ones back)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class ColdDebriefs:
    """Booking, cancelling and opening cold debriefs (`Core.cold`)."""

    def __init__(self, database: Database, library: Library, settings: Settings, clock: Clock | None = None) -> None:
        self.database = database
        self.library = library
        self.settings = settings
        self.clock = clock or SystemClock()

    def scripts(self) -> list[Script]:
        """The scripts offered at booking: `kind: cold`, shortest first."""
        return sorted(self.library.of_kind("cold"), key=lambda script: (script.minutes, script.title))

    def script(self, script_id: str) -> Script:
        script = self.library.scripts.get(script_id)
        if script is None or script.kind != "cold":
            raise InvalidAnswer({"script": "Please pick one of the cold-debrief scripts."})
        return script

    def check_time(self, starts_at: datetime) -> datetime:
        """The booked time, checked: in the future and within MAX_AHEAD; adapters call it to put errors on the field."""
        starts_at = aware(starts_at).astimezone(UTC)
        now = self.clock.now()
        if starts_at <= now:
            raise InvalidAnswer({"when": "Please pick a time in the future."})
        if starts_at > now + MAX_AHEAD:
            raise InvalidAnswer({"when": "Please pick a time within the next two months."})
        return starts_at

    async def booked_for(self, hot_id: uuid.UUID) -> Debrief | None:
        """The cold debrief booked (not yet started) for a hot debrief, if any."""
        async with self.database.session() as session:
            rows = await session.execute(
                select(Debrief).where(col(Debrief.cold_of) == hot_id, col(Debrief.status) == DebriefStatus.BOOKED)
            )
            return rows.scalars().first()

    async def book(
        self, hot_id: uuid.UUID, *, lead: str, starts_at: datetime, script_id: str, request_key: str | None = None,
    ) -> Booked:
        """Book a cold debrief for `hot_id`: its row, key, participants, reminders and post, in one transaction.

        Only the hot debrief's lead may book; one booking at a time per hot
        debrief (`AlreadyBooked`); idempotent on `request_key` (the same form
        sent twice books once, and the second is told `new=False`, so the
        invitation is posted once).
        """
        script = self.script(script_id)
        starts_at = self.check_time(starts_at)
        if request_key:
            async with self.database.session() as session:
                found = (await session.execute(
                    select(Debrief).where(col(Debrief.request_key) == request_key)
                )).scalar_one_or_none()
            if found is not None:
                return Booked(found, new=False)
        now = self.clock.now()
        try:
            async with self.database.session() as session:
                hot = await session.get(Debrief, hot_id)
                if hot is None:
                    raise NotFound()
                if hot.cold_of is not None:
                    raise NotACold("This is already a cold debrief. Book the next one from the first debrief.")
                if lead != hot.lead:
                    raise NotAllowed(ONLY_LEAD)
                if (await session.execute(select(col(Debrief.id)).where(
                    col(Debrief.cold_of) == hot_id, col(Debrief.status) == DebriefStatus.BOOKED
                ))).first() is not None:
                    raise AlreadyBooked()
                people = list((await session.execute(
                    select(Participant).where(col(Participant.debrief_id) == hot_id)
                )).scalars())
                cold = Debrief(
                    platform=hot.platform, workspace=hot.workspace, team=hot.team, space=hot.space, lead=hot.lead,
                    script_id=script.id, script_version=script.version, label=hot.label, schedule="",
                    started_at=starts_at, key_expires_at=starts_at + LAST_STAGE_WINDOW, status=DebriefStatus.BOOKED,
                    request_key=request_key, audience=hot.audience, cold_of=hot.id,
                )
                session.add(cold)
                await session.flush()
                session.add(DebriefKey(debrief_id=cold.id, key=new_debrief_key()))
                reminders = self.settings.cold_reminders
                for person in people:
                    invitee = Participant(debrief_id=cold.id, user=person.user, timezone=person.timezone)
                    session.add(invitee)
                    await session.flush()
                    for name, offset in reminders:
                        if starts_at - offset > now:  # a reminder already past at booking is left out
                            session.add(ColdMessage(debrief_id=cold.id, participant_id=invitee.id, stage=name,
                                                    due_at=starts_at - offset))
                session.add(ColdMessage(debrief_id=cold.id, participant_id=None, stage=POST, due_at=starts_at))
                session.add(AuditEvent(at=now, actor=lead, action="cold.booked", debrief_id=cold.id,
                                       detail=f"{script.id}, for {starts_at.isoformat(timespec='minutes')}, "
                                              f"{len(people)} people, after {hot.id}"))
        except IntegrityError:
            if request_key:
                async with self.database.session() as session:
                    found = (await session.execute(
                        select(Debrief).where(col(Debrief.request_key) == request_key)
                    )).scalar_one_or_none()
                if found is not None:
                    return Booked(found, new=False)
            raise
        return Booked(cold, new=True)

    async def cancel(
        self, cold_id: uuid.UUID, *, actor: str, reason: SkipReason | str, detail: str | None = None,
    ) -> Cancelled:
        """Cancel a booked cold debrief: recorded as skipped with its reason; its reminders and post go with it.

        Only the lead may cancel, and only before its time (after that it is
        an open debrief: close it instead). One transaction: the skipped
        record and the audit row are written and the booking (with its
        outbox rows, key and invitees) deleted, so a reminder not yet sent is
        never sent.
        """
        reason, detail = self.check_cancel(reason, detail)
        now = self.clock.now()
        async with self.database.session() as session:
            cold = await session.get(Debrief, cold_id)
            if cold is None:
                raise NoLongerOpen("This cold debrief has already been cancelled.")
            if cold.cold_of is None:
                raise NotACold()
            if actor != cold.lead:
                raise NotAllowed(ONLY_LEAD)
            if cold.status != DebriefStatus.BOOKED:
                raise NoLongerOpen(STARTED)
            hot = await session.get(Debrief, cold.cold_of)
            assert hot is not None  # cold_of cascades: the hot one outlives its cold ones
            gone = await session.execute(
                delete(Debrief).where(col(Debrief.id) == cold_id, col(Debrief.status) == DebriefStatus.BOOKED)
            )
            if not rowcount(gone):  # it opened at this very moment (the dispatcher's post won)
                raise NoLongerOpen("This cold debrief has just started, so it can't be cancelled. Close it instead.")
            record = SkippedDebrief(platform=cold.platform, workspace=cold.workspace, team=cold.team, lead=actor,
                                    reason=reason, detail=detail, created_at=now, cold_of=hot.id)
            session.add(record)
            session.add(AuditEvent(at=now, actor=actor, action="cold.cancelled", debrief_id=cold_id,
                                   detail=reason.value))
            return Cancelled(hot=hot, starts_at=aware(cold.started_at), space=cold.space, reason=reason, record=record)

    def check_cancel(self, reason: SkipReason | str, detail: str | None) -> tuple[SkipReason, str | None]:
        """A cancellation's reason and detail, checked (the detail screened for patient identifiers).

        Adapters call it first, so that errors land on the form's fields; `cancel` calls it again.
        """
        try:
            reason = SkipReason(reason)
        except ValueError:
            raise InvalidAnswer({"reason": "Please pick one of the reasons."}) from None
        detail = (detail or "").strip() or None
        if detail and len(detail) > ACTION_LENGTH:
            raise InvalidAnswer({"detail": f"Please keep it under {ACTION_LENGTH} characters."})
        screen({"detail": detail})
        return reason, detail

    async def open_now(self, cold_id: uuid.UUID) -> Debrief | None:
        """The booked time has come: open the debrief for answers. None if it was cancelled meanwhile.

        Conditional on `booked`, so it races a cancellation safely: one of the two wins.
        """
        async with self.database.session() as session:
            await session.execute(
                update(Debrief).where(col(Debrief.id) == cold_id, col(Debrief.status) == DebriefStatus.BOOKED)
                .values(status=DebriefStatus.OPEN),
                execution_options={"synchronize_session": False},
            )
            return await session.get(Debrief, cold_id)

    async def posted(self, cold_id: uuid.UUID, message: str) -> None:
        """Remember the posted script's message, so the counter and the close redraw it."""
        async with self.database.session() as session:
            await session.execute(
                update(Debrief).where(col(Debrief.id) == cold_id).values(script_message=message[:255]),
                execution_options={"synchronize_session": False},
            )

    async def messages(self, cold_id: uuid.UUID) -> list[ColdMessage]:
        """The booking's outbox rows (for tests and the lead's view)."""
        async with self.database.session() as session:
            rows = await session.execute(select(ColdMessage).where(col(ColdMessage.debrief_id) == cold_id))
            return list(rows.scalars())

    def reminder(self, message: ColdMessage, participant: Participant, debrief: Debrief) -> ColdReminder:
        return ColdReminder(
            message_id=message.id, debrief_id=debrief.id, platform=debrief.platform, workspace=debrief.workspace,
            user=participant.user, starts_at=aware(debrief.started_at), offset=parse_duration(message.stage),
            script=self.library.script(debrief.script_id),
        )

    def offsets(self, message: ColdMessage) -> list[timedelta]:
        """The reminder offsets in force (DEBRIEF_COLD_REMINDERS), with the row's own if the setting changed since."""
        offsets = {offset for _, offset in self.settings.cold_reminders}
        return sorted(offsets | {parse_duration(message.stage)}, reverse=True)


def reason_label(reason: SkipReason) -> str:
    return SKIP_REASON_LABELS[reason]


# --- the outbox ----------------------------------------------------------------------------------


class ColdOutbox(Outbox):
    """Cold debriefs' reminders and posts (`cold_messages`): a row's platform is its debrief's."""

    model = ColdMessage

    def on_platforms(self, query: Select[Any]) -> Select[Any]:
        return query.join(Debrief, col(Debrief.id) == col(ColdMessage.debrief_id)).where(
            col(Debrief.platform).in_(PLATFORMS)
        )

    async def load(self, claims: Sequence[Claim]) -> list[tuple[Claim, ColdMessage, Participant | None, Debrief]]:
        """Each claimed row with its invitee (None for the post) and debrief; rows cancelled meanwhile are left out."""
        by_id = {claim.id: claim for claim in claims}
        async with self.database.session() as session:
            rows = await session.execute(
                select(ColdMessage, Participant, Debrief)
                .outerjoin(Participant, col(Participant.id) == col(ColdMessage.participant_id))
                .join(Debrief, col(Debrief.id) == col(ColdMessage.debrief_id))
                .where(col(ColdMessage.id).in_(list(by_id)))
            )
            return [(by_id[message.id], message, participant, debrief) for message, participant, debrief in rows]
