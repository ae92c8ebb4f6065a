"""The tables, and what each one may and may not hold.

The anonymity model of DESIGN.md is a property of these tables:

* `Answer` rows hold no user id, no time and no sequence number, and have a
  random UUID primary key. Nothing in them points at a participant.
* They are written only in shuffled batches (`bot.pending`): an accepted
  answer waits, sealed with a key derived from DEBRIEF_SECRET, in
  `PendingAnswer`, and moves into `answers` with at least DEBRIEF_MIN_GROUP
  others of its debrief and stage, in random order, in one transaction (or
  with whatever waits when the stage's window ends). Physical order (SQLite
  cell offsets: each new cell goes below the last one in its page, with or
  without ROWID), `xmin`/`ctid` and commit times therefore say at most which
  batch an answer was in. `tests/*/test_*_anonymity_attack.py` attacks this.
* `AnswerReceipt` rows say "somebody answered this stage" as
  HMAC(HMAC(DEBRIEF_SECRET, debrief key), stage || user). Once `DebriefKey`
  is deleted nobody, the database administrator included, can test a person
  against them; before, only with DEBRIEF_SECRET, which is not in the database.

Everything else (participants, action points, support requests, the audit
trail) may name people, because none of it says what anyone answered.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, ForeignKey, Index, LargeBinary, Text, UniqueConstraint
from sqlalchemy import Enum as SAEnum
from sqlmodel import Field, SQLModel

from bot.db import UTCDateTime


def _id() -> uuid.UUID:
    return uuid.uuid4()


def _status(enum: type[StrEnum]) -> SAEnum:
    """A status column that stores the value (`open`), as a plain VARCHAR on every database.

    Not a native PostgreSQL ENUM: adding a status later is then an ordinary
    migration, and the stored words are the ones a reader of the table expects.
    """
    return SAEnum(enum, native_enum=False, length=16, values_callable=lambda members: [m.value for m in members])


def _fk(target: str) -> Column[Any]:
    return Column(ForeignKey(target, ondelete="CASCADE"), nullable=False, index=True)


class DebriefStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class SinceEvent(StrEnum):
    """How long after the event the debrief starts, as the lead picks it: a band, never a time.

    "Time from event to debrief" is what the wellbeing report needs, and hot
    debrief guidance speaks of it in hours. A band is one tap on a phone,
    and unlike an exact event time it cannot be matched against the
    incident log to say which event (and so which patient) a debrief was about.
    """

    UNDER_1H = "under_1h"
    HOURS_1_4 = "1_4h"
    HOURS_4_12 = "4_12h"
    HOURS_12_24 = "12_24h"
    DAYS_1_3 = "1_3d"
    OVER_3D = "over_3d"


class Debrief(SQLModel, table=True):
    """One debrief after one event, owned by one platform workspace."""

    __tablename__ = "debriefs"
    __table_args__ = (
        Index("ix_debriefs_report", "started_at", "team", "tallied", "since_event", "id"),  # the officers' report
    )

    id: uuid.UUID = Field(default_factory=_id, primary_key=True)
    platform: str = Field(max_length=16)
    workspace: str = Field(max_length=64, index=True)
    team: str = Field(max_length=255, description="channel or team where it was started; summaries group by it")
    space: str | None = Field(default=None, max_length=255, description="the private channel or chat it runs in")
    script_message: str | None = Field(default=None, max_length=255, description="platform id of the posted script")
    lead: str = Field(max_length=255)
    script_id: str = Field(max_length=64)
    script_version: int
    label: str | None = Field(default=None, max_length=150)
    since_event: SinceEvent | None = Field(
        default=None, sa_type=_status(SinceEvent), description="how long after the event it started, as a band"
    )
    schedule: str = Field(max_length=64, description="follow-up delays at the start, e.g. 24h,7d")
    started_at: datetime = Field(sa_type=UTCDateTime, index=True)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    key_expires_at: datetime = Field(sa_type=UTCDateTime)
    status: DebriefStatus = Field(default=DebriefStatus.OPEN, sa_type=_status(DebriefStatus))
    shown_count: int = Field(default=0, description="answer count last shown in the channel, in batches")
    request_key: str | None = Field(default=None, max_length=255, unique=True, description="idempotency key")
    tallied: bool = Field(default=False, description="its answer window is over and its `StageTally` rows written")
    audience: str | None = Field(
        default=None, max_length=255,
        description="nations and professions the lead said the team is (`nation:scotland,profession:nurse`), "
        "so that check-ins list the contacts for them first; optional",
    )


class DebriefKey(SQLModel, table=True):
    """The per-debrief secret behind the answer receipts; deleted to make them untestable."""

    __tablename__ = "debrief_keys"

    debrief_id: uuid.UUID = Field(sa_column=Column(ForeignKey("debriefs.id", ondelete="CASCADE"), primary_key=True))
    key: bytes = Field(sa_type=LargeBinary)


class StageTally(SQLModel, table=True):
    """A finished debrief's numbers for one stage, for the officers' report (`bot.wellbeing`).

    Written once by `Tallies.expire_keys`, when the debrief's answer window is
    over and its key gone, so these counts can never change again; the report
    then reads one small row per debrief and stage instead of every
    participant, receipt and answer. Counts only: no user, no time, no order.
    The distress counts follow `bot.results.BANDS` (0-3, 4-6, 7-10).

    The debrief's workspace, team and start are copied in (none of them ever
    changes), so the report reads this table alone, a range of its index,
    instead of joining every debrief of 90 days to it.
    """

    __tablename__ = "stage_tallies"
    __table_args__ = (
        Index(  # the report reads only this index: the time range first, then every column it needs
            "ix_stage_tallies_report", "started_at", "workspace", "team", "stage",
            "invited", "responses", "distress_low", "distress_mid", "distress_high",
        ),
        {"sqlite_with_rowid": False},
    )

    debrief_id: uuid.UUID = Field(sa_column=Column(ForeignKey("debriefs.id", ondelete="CASCADE"), primary_key=True))
    stage: str = Field(max_length=16, primary_key=True)
    workspace: str = Field(max_length=64)
    team: str = Field(max_length=255)
    started_at: datetime = Field(sa_type=UTCDateTime)
    invited: int = Field(description="participants for the debrief stage; follow-ups sent for a follow-up stage")
    responses: int = Field(description="answer receipts")
    distress_low: int
    distress_mid: int
    distress_high: int


class Participant(SQLModel, table=True):
    """A person invited to a debrief. Says nothing about what they answered."""

    __tablename__ = "participants"
    __table_args__ = (UniqueConstraint("debrief_id", "user"),)

    id: uuid.UUID = Field(default_factory=_id, primary_key=True)
    debrief_id: uuid.UUID = Field(sa_column=_fk("debriefs.id"))
    user: str = Field(max_length=255)
    followups_stopped: bool = False
    timezone: str | None = Field(
        default=None, max_length=64, description="IANA zone from the platform, for quiet hours; None: not asked yet"
    )


class Answer(SQLModel, table=True):
    """One anonymous answer to one question. No person, no time, no order."""

    __tablename__ = "answers"
    __table_args__ = (
        Index("ix_answers_debrief_question", "debrief_id", "question", "stage", "number"),  # the officers' report
        {"sqlite_with_rowid": False},
    )

    id: uuid.UUID = Field(default_factory=_id, primary_key=True)
    debrief_id: uuid.UUID = Field(sa_column=_fk("debriefs.id"))
    stage: str = Field(max_length=16)
    question: str = Field(max_length=64)
    number: int | None = None
    choice: str | None = Field(default=None, max_length=64)
    text: str | None = Field(default=None, max_length=3000)
    shared_with_team: bool = False


class AnswerReceipt(SQLModel, table=True):
    """Proof that *someone* answered a stage: HMAC(key, user), nothing else."""

    __tablename__ = "answer_receipts"
    __table_args__ = (
        UniqueConstraint("debrief_id", "stage", "digest"),
        Index("ix_answer_receipts_debrief_stage", "debrief_id", "stage"),  # the officers' report
        {"sqlite_with_rowid": False},
    )

    id: uuid.UUID = Field(default_factory=_id, primary_key=True)
    debrief_id: uuid.UUID = Field(sa_column=_fk("debriefs.id"))
    stage: str = Field(max_length=16)
    digest: str = Field(max_length=64)


class PendingAnswer(SQLModel, table=True):
    """One accepted form, sealed, until its batch is released (`bot.pending`); then deleted.

    `sealed` is nonce || AES-GCM of the form's answer rows, padded to one size
    per form: unreadable without DEBRIEF_SECRET, and its length says nothing.
    No user, no time, no order; the receipt written beside it names no one either.
    """

    __tablename__ = "pending_answers"
    __table_args__ = (Index("ix_pending_answers_debrief_stage", "debrief_id", "stage"),)

    id: uuid.UUID = Field(default_factory=_id, primary_key=True)
    debrief_id: uuid.UUID = Field(sa_column=Column(ForeignKey("debriefs.id", ondelete="CASCADE"), nullable=False))
    stage: str = Field(max_length=16)
    sealed: bytes = Field(sa_type=LargeBinary)


class FollowupStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"
    STOPPED = "stopped"


class Leased(SQLModel):
    """The columns an outbox row is claimed, leased, fenced and marked by (`bot.followups.outbox`)."""

    attempts: int = 0
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    leased_by: str | None = Field(default=None, max_length=64)
    last_error: str | None = Field(default=None, max_length=500)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    message_ref: str | None = Field(default=None, max_length=255)


class Followup(Leased, table=True):
    """The outbox: one row per (debrief, participant, stage), due at a set time.

    Due times count from the start of the debrief, never from an answer, so
    these rows reveal nothing about when anyone answered.
    """

    __tablename__ = "followups"
    __table_args__ = (
        UniqueConstraint("debrief_id", "participant_id", "stage"),
        Index("ix_followups_status_due_at", "status", "due_at"),
    )

    id: uuid.UUID = Field(default_factory=_id, primary_key=True)
    debrief_id: uuid.UUID = Field(sa_column=_fk("debriefs.id"))
    participant_id: uuid.UUID = Field(sa_column=_fk("participants.id"))
    stage: str = Field(max_length=16)
    due_at: datetime = Field(sa_type=UTCDateTime, index=True)
    status: FollowupStatus = Field(default=FollowupStatus.PENDING, sa_type=_status(FollowupStatus), index=True)
    late: bool = Field(default=False, description="sent as the stage's gentler late version")


class ActionStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    DROPPED = "dropped"


class ActionPoint(SQLModel, table=True):
    """A change the team agreed to make, with the person who owns it (PEARLS)."""

    __tablename__ = "action_points"

    id: uuid.UUID = Field(default_factory=_id, primary_key=True)
    debrief_id: uuid.UUID = Field(sa_column=_fk("debriefs.id"))
    text: str = Field(max_length=500)
    owner: str = Field(max_length=255)
    due_on: date | None = None
    status: ActionStatus = Field(default=ActionStatus.OPEN, sa_type=_status(ActionStatus))
    created_by: str = Field(max_length=255)
    created_at: datetime = Field(sa_type=UTCDateTime)
    request_key: str | None = Field(
        default=None, max_length=64, unique=True, description="the form's idempotency key: a resent form adds it once"
    )
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_by: str | None = Field(default=None, max_length=255, description="the owner or the lead who closed it")
    outcome: str | None = Field(
        default=None, max_length=200, description="done: what changed (optional); dropped: why (screened)"
    )
    message_ref: str | None = Field(
        default=None, max_length=255, description="platform id of its message in the debrief's conversation"
    )


class ActionMessage(Leased, table=True):
    """The action points' outbox (`bot.actions`): owners' reminders, and the "you said, we did" note.

    Reminder rows (`kind="reminder"`, `stage` the delay such as `7d`) are
    written with their point, due at the debrief's start plus the delay; the
    note (`kind="closed"`, `stage` empty) in the same transaction that closes
    the point. The unique key makes each exactly one row, so a double tap or
    a retried request cannot make a second note; the lease columns
    (`Leased`) make the dispatcher send each once. Holds no text: the point's
    own row is read when it is sent.
    """

    __tablename__ = "action_messages"
    __table_args__ = (
        UniqueConstraint("action_point_id", "kind", "stage"),
        Index("ix_action_messages_status_due_at", "status", "due_at"),
    )

    id: uuid.UUID = Field(default_factory=_id, primary_key=True)
    action_point_id: uuid.UUID = Field(sa_column=_fk("action_points.id"))
    kind: str = Field(max_length=16)
    stage: str = Field(default="", max_length=16)
    platform: str = Field(max_length=16)
    due_at: datetime = Field(sa_type=UTCDateTime)
    status: FollowupStatus = Field(default=FollowupStatus.PENDING, sa_type=_status(FollowupStatus))


class SupportStatus(StrEnum):
    OPEN = "open"
    CLAIMED = "claimed"
    CLOSED = "closed"


class SupportRequest(SQLModel, table=True):
    """The one identified path: a person asked, by name, to talk to someone."""

    __tablename__ = "support_requests"

    id: uuid.UUID = Field(default_factory=_id, primary_key=True)
    platform: str = Field(max_length=16)
    workspace: str = Field(max_length=64, index=True)
    user: str = Field(max_length=255)
    debrief_id: uuid.UUID | None = Field(
        default=None, sa_column=Column(ForeignKey("debriefs.id", ondelete="SET NULL"), nullable=True)
    )
    preferred_time: str | None = Field(default=None, max_length=200)
    status: SupportStatus = Field(default=SupportStatus.OPEN, sa_type=_status(SupportStatus))
    claimed_by: str | None = Field(default=None, max_length=255)
    created_at: datetime = Field(sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class SupportEscalation(Leased, table=True):
    """A request to talk must not go unanswered: the outbox row that sends it again if nobody takes it on.

    Written with its request, due DEBRIEF_SUPPORT_RESPONSE later, and claimed
    by the dispatcher like a follow-up (the same lease columns, `Leased`), so
    it fires once across replicas. A request taken on by then is skipped.
    """

    __tablename__ = "support_escalations"
    __table_args__ = (Index("ix_support_escalations_status_due_at", "status", "due_at"),)

    id: uuid.UUID = Field(default_factory=_id, primary_key=True)
    request_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("support_requests.id", ondelete="CASCADE"), nullable=False, unique=True)
    )
    platform: str = Field(max_length=16)
    due_at: datetime = Field(sa_type=UTCDateTime)
    status: FollowupStatus = Field(default=FollowupStatus.PENDING, sa_type=_status(FollowupStatus))


class SkippedDebrief(SQLModel, table=True):
    """A lead decided not to hold a debrief, and why (Glasgow's form, kept)."""

    __tablename__ = "skipped_debriefs"

    id: uuid.UUID = Field(default_factory=_id, primary_key=True)
    platform: str = Field(max_length=16)
    workspace: str = Field(max_length=64, index=True)
    team: str = Field(max_length=255)
    lead: str = Field(max_length=255)
    reason: str = Field(max_length=32)
    detail: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(sa_type=UTCDateTime, index=True)


class AuditEvent(SQLModel, table=True):
    """Who did what: started, invited, closed, skipped, claimed. Never who answered what."""

    __tablename__ = "audit_events"

    id: uuid.UUID = Field(default_factory=_id, primary_key=True)
    at: datetime = Field(sa_type=UTCDateTime, index=True)
    actor: str = Field(max_length=255)
    action: str = Field(max_length=64)
    debrief_id: uuid.UUID | None = Field(default=None, index=True)
    detail: str | None = Field(default=None, max_length=500)


class TeamsReference(SQLModel, table=True):
    """Where the Teams bot can reach someone later, for proactive messages (follow-ups, support notices).

    Teams lets a bot message a person only through a conversation it already
    knows, so the adapter keeps botbuilder's serialized ConversationReference:

    * `kind="person"`, `key` = the Teams user id: `personal` says whether
      `reference` is the person's own chat with the bot, or only a
      conversation they were seen in (enough to open that chat later);
      `aad_object_id`, `email` and `name` let officers listed by Azure AD id or
      e-mail be found, and `timezone` (from the Teams client) serves quiet hours.
    * `kind="conversation"`, `key` = the conversation id a debrief runs in.
    * `kind="notice"`, `key` = a one-off notice already posted (so that several
      replicas post it once); `reference` is empty.

    Nothing here says anything about answers.
    """

    __tablename__ = "teams_references"
    __table_args__ = (UniqueConstraint("kind", "key"),)

    id: uuid.UUID = Field(default_factory=_id, primary_key=True)
    kind: str = Field(max_length=16)
    key: str = Field(max_length=255)
    tenant: str | None = Field(default=None, max_length=64)
    aad_object_id: str | None = Field(default=None, max_length=64, index=True)
    email: str | None = Field(default=None, max_length=255, index=True)
    name: str | None = Field(default=None, max_length=255)
    personal: bool = False
    timezone: str | None = Field(default=None, max_length=64)
    reference: str | None = Field(default=None, sa_type=Text)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class WellbeingOfficer(SQLModel, table=True):
    """An officer added by another officer (besides DEBRIEF_WELLBEING_OFFICERS); adds and removals are audited."""

    __tablename__ = "wellbeing_officers"

    id: uuid.UUID = Field(default_factory=_id, primary_key=True)
    identity: str = Field(max_length=255, unique=True, description="platform user id or e-mail, lower case")
    added_by: str = Field(max_length=255)
    added_at: datetime = Field(sa_type=UTCDateTime)


class Digest(Leased, table=True):
    """The weekly digest's outbox: one row per officer, platform, workspace and week.

    The unique key makes enqueueing idempotent across replicas (INSERT .. ON
    CONFLICT DO NOTHING); the lease columns are the follow-ups' (`Leased`),
    so one dispatcher delivers both, once each.
    It holds no figures: the digest is computed from the suppressed report
    when it is sent.
    """

    __tablename__ = "digests"
    __table_args__ = (
        UniqueConstraint("platform", "workspace", "recipient", "week"),
        Index("ix_digests_status_due_at", "status", "due_at"),
    )

    id: uuid.UUID = Field(default_factory=_id, primary_key=True)
    platform: str = Field(max_length=16)
    workspace: str = Field(max_length=64)
    recipient: str = Field(max_length=255, description="an officer's id or e-mail, as configured or added")
    week: date = Field(description="the local date of the week's digest slot")
    due_at: datetime = Field(sa_type=UTCDateTime)
    status: FollowupStatus = Field(default=FollowupStatus.PENDING, sa_type=_status(FollowupStatus))
