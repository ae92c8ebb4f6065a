"""The debrief services: start, invite, answer, act, close, skip.

Adapters call these with platform-neutral ids (`workspace`, `user`, `space`)
and render what comes back. Every method is one transaction: it stores all
of its rows or none, so a failure never leaves half a debrief behind.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Insert, Integer, bindparam, case, delete, func, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot import pending
from bot.anonymity import FormTokens, batched_count, new_debrief_key, receipt_digest
from bot.care import Signal, signal
from bot.clock import Clock, SystemClock
from bot.db import Database, rowcount
from bot.errors import AlreadyAdded, AlreadyAnswered, InvalidAnswer, NoLongerOpen, NotAllowed, NotFound
from bot.identifiers import screen
from bot.lessons import lesson_row
from bot.metrics import DEBRIEFS_STARTED
from bot.models import (
    ActionPoint,
    AnswerReceipt,
    AuditEvent,
    Debrief,
    DebriefKey,
    DebriefStatus,
    Followup,
    FollowupStatus,
    Participant,
    PendingAnswer,
    SinceEvent,
    SkippedDebrief,
)
from bot.scripts import DEBRIEF_STAGE, ChoiceQuestion, Library, Question, ScaleQuestion, Script, TextQuestion
from bot.settings import Settings, schedule_stages
from bot.support import AUDIENCE_TAG

log = logging.getLogger("debrief.answers")

MAX_PARTICIPANTS = 100
LABEL_LENGTH = 150
ACTION_LENGTH = 500
LAST_STAGE_WINDOW = timedelta(days=3)
"""How long the last follow-up stage stays open for answers, at most."""


_answering_debrief = bindparam("debrief", type_=Debrief.__table__.c.id.type)  # type: ignore[attr-defined]  # SQLModel does not declare the __table__ SQLAlchemy maps
_ANSWERING = (
    select(
        col(Debrief.script_id),
        col(Debrief.schedule),
        col(Debrief.status),
        col(Debrief.key_expires_at),
        col(DebriefKey.key),
    )
    .outerjoin(DebriefKey, col(DebriefKey.debrief_id) == Debrief.id)
    .where(col(Debrief.id) == _answering_debrief)
)
"""What an answer needs to know, in one read by the debrief's id (never by the person's); built once."""


def _due_releases() -> Any:
    """Each stage with sealed answers due for release, and whether its window is over (`Debriefs.release_due`); built once."""
    over = (col(Debrief.key_expires_at) <= bindparam("now")) | (
        (col(PendingAnswer.stage) == DEBRIEF_STAGE) & (col(Debrief.status) != DebriefStatus.OPEN)
    )
    window_over = func.max(case((over, 1), else_=0))
    return (
        select(col(PendingAnswer.debrief_id), col(PendingAnswer.stage), window_over)
        .join(Debrief, col(Debrief.id) == col(PendingAnswer.debrief_id))
        .group_by(col(PendingAnswer.debrief_id), col(PendingAnswer.stage))
        .having((window_over == 1) | (func.count() >= bindparam("min_group", type_=Integer)))
    )


_DUE = _due_releases()
_NEW_RECEIPT = insert(AnswerReceipt.__table__)  # type: ignore[attr-defined]  # SQLModel does not declare the __table__ SQLAlchemy maps
_pending = PendingAnswer.__table__.c  # type: ignore[attr-defined]  # SQLModel does not declare the __table__ SQLAlchemy maps
_PENDING_COLUMNS = ("id", "debrief_id", "stage", "sealed")


def _waiting() -> Any:
    """How many forms of the debrief and stage wait: `RETURNING`'s scalar subquery, on the sealed row's own values."""
    return select(func.count()).select_from(PendingAnswer).where(
        _pending.debrief_id == bindparam("p_debrief_id", type_=_pending.debrief_id.type),
        _pending.stage == bindparam("p_stage"),
    ).scalar_subquery()


@functools.cache
def _receipt_and_pending(postgresql: bool) -> Insert:
    """The sealed form's INSERT, `RETURNING` how many forms of its stage wait; built once.

    PostgreSQL: `WITH receipt AS (INSERT ..) INSERT INTO pending_answers ..`,
    one statement, whose count is read before its own row. SQLite (no
    INSERT in a WITH): the sealed row alone, after the receipt's INSERT; its
    count sees its own row. Bind parameters throughout, so SQLAlchemy
    compiles each once.
    """
    row = {name: bindparam(f"p_{name}", type_=_pending[name].type) for name in _PENDING_COLUMNS}
    if not postgresql:
        return insert(PendingAnswer.__table__).values(row).returning(_waiting())  # type: ignore[attr-defined]  # SQLModel does not declare the __table__ SQLAlchemy maps
    receipt_first = insert(AnswerReceipt.__table__).values(  # type: ignore[attr-defined]  # SQLModel does not declare the __table__ SQLAlchemy maps
        {name: bindparam(f"r_{name}") for name in ("id", "debrief_id", "stage", "digest")}
    )
    values = select(*(parameter.label(name) for name, parameter in row.items()))
    return (
        insert(PendingAnswer.__table__)  # type: ignore[attr-defined]  # SQLModel does not declare the __table__ SQLAlchemy maps
        .from_select(list(_PENDING_COLUMNS), values)
        .add_cte(receipt_first.cte("receipt"))
        .returning(_waiting())
    )


def _store(connection: Connection, receipt: dict[str, object], sealed: dict[str, object]) -> int:
    """The receipt and the sealed form, all or nothing; returns how many forms of the stage now wait.

    A second receipt raises IntegrityError and stores nothing. On PostgreSQL
    one statement, atomic without a transaction around it
    (`Database.write(reads_then_one_write=True)`); its count may miss a form
    committed at the same moment (the dispatcher's `release_due` catches
    up). On SQLite the two INSERTs run in the writer's transaction.
    """
    params = {f"p_{name}": value for name, value in sealed.items()}
    if connection.dialect.name == "postgresql":
        params.update((f"r_{name}", value) for name, value in receipt.items())
        return int(connection.execute(_receipt_and_pending(True), params).scalar_one()) + 1
    connection.execute(_NEW_RECEIPT, receipt)
    return int(connection.execute(_receipt_and_pending(False), params).scalar_one())


class SkipReason(StrEnum):
    """Why a lead decided not to hold a debrief (kept, as Glasgow keeps its form)."""

    NOT_NEEDED = "not_needed"
    NO_TIME = "no_time"
    TEAM_DISPERSED = "team_dispersed"
    HELD_ELSEWHERE = "held_elsewhere"
    OTHER = "other"


SKIP_REASON_LABELS = {
    SkipReason.NOT_NEEDED: "Not needed this time",
    SkipReason.NO_TIME: "No time on shift",
    SkipReason.TEAM_DISPERSED: "The team has already dispersed",
    SkipReason.HELD_ELSEWHERE: "Held in person or elsewhere",
    SkipReason.OTHER: "Another reason",
}


SINCE_EVENT_LABELS = {
    SinceEvent.UNDER_1H: "Less than an hour ago",
    SinceEvent.HOURS_1_4: "1 to 4 hours ago",
    SinceEvent.HOURS_4_12: "4 to 12 hours ago",
    SinceEvent.HOURS_12_24: "12 to 24 hours ago",
    SinceEvent.DAYS_1_3: "1 to 3 days ago",
    SinceEvent.OVER_3D: "More than 3 days ago",
}


@dataclass(frozen=True)
class Recorded:
    """What happened to an anonymous answer: stored, and what to show its writer now (`bot.care`)."""

    signal: Signal = Signal.NONE

    @property
    def escalate(self) -> bool:
        """Crisis lines at once: a rating at or above the threshold, a self-harm answer, crisis words."""
        return self.signal is Signal.CRISIS

    @property
    def support(self) -> bool:
        """Support contacts and the offer to talk: a positive PHQ-2 or GAD-2."""
        return self.signal is Signal.SUPPORT


@dataclass
class _Releasing:
    """A stage's release loop in this process: done when it ends; `again` when an answer asked meanwhile."""

    done: asyncio.Future[None]
    again: bool = False


@dataclass(frozen=True)
class AnswerForm:
    """An answer form that may open: its questions, and the token its submission must carry."""

    debrief: Debrief
    questions: list[Question]
    intro: str | None
    token: str


@dataclass(frozen=True)
class Closed:
    debrief: Debrief
    action_points: list[ActionPoint]
    newly_closed: bool


class Debriefs:
    """The core services, bound to one database, script library and clock."""

    def __init__(
        self,
        database: Database,
        library: Library,
        settings: Settings,
        clock: Clock | None = None,
        deployment_secret: bytes | None = None,
    ) -> None:
        self.database = database
        self.library = library
        self.settings = settings
        self.clock = clock or SystemClock()
        self._secret = deployment_secret or settings.receipt_secret()
        self._sealing = pending.sealing_key(self._secret)
        self.forms = FormTokens(self._secret)
        self._releasing: dict[tuple[uuid.UUID, str], _Releasing] = {}
        """Stages being released by this process (`_release_batches`)."""

    # -- starting -----------------------------------------------------------

    async def start(
        self,
        *,
        platform: str,
        workspace: str,
        team: str,
        lead: str,
        script_id: str,
        participants: Iterable[str],
        label: str | None = None,
        since_event: str | None = None,
        request_key: str | None = None,
        audience: Iterable[str] = (),
    ) -> Debrief:
        """Start a debrief and schedule its follow-ups; idempotent on `request_key`.

        `audience`: nations and professions the lead said the team is
        (`nation:scotland`, `profession:nurse`), for the order of support
        contacts in check-ins (`bot.support.resources_for_person`).

        A retried request (Slack's X-Slack-Retry-Num, a double tap) carries the
        same key and gets the debrief the first one created. `since_event`
        is a `SinceEvent` value, or None when the lead left it blank.
        """
        people = _unique([lead, *participants])
        label = self.check_setup(label, len(people), since_event)
        script = self.script(script_id)
        if script.kind != "hot":  # a cold script is booked from a hot debrief's close (`bot.cold`)
            raise InvalidAnswer({"script": "That script is for a cold debrief: book it when you close a debrief."})
        if request_key and (existing := await self.find_by_request(request_key)):
            return existing
        now = self.clock.now()
        stages = schedule_stages(script.schedule or self.settings.debrief_followups)
        debrief = Debrief(
            platform=platform,
            workspace=workspace,
            team=team,
            lead=lead,
            script_id=script.id,
            script_version=script.version,
            label=label,
            since_event=_since_event(since_event),
            schedule=",".join(name for name, _ in stages),
            started_at=now,
            key_expires_at=now + _answer_window([delay for _, delay in stages]),
            request_key=request_key,
            audience=_audience(audience),
        )
        try:
            async with self.database.session() as session:
                session.add(debrief)
                await session.flush()
                session.add(DebriefKey(debrief_id=debrief.id, key=new_debrief_key()))
                await self._invite(session, debrief, people)
                _audit(session, now, lead, "debrief.started", debrief.id, f"{script.id}, {len(people)} people")
        except IntegrityError:
            if request_key and (existing := await self.find_by_request(request_key)):
                return existing
            raise
        DEBRIEFS_STARTED.labels(platform).inc()
        return debrief

    def check_setup(self, label: str | None, people: int, since_event: str | None = None) -> str | None:
        """The checks a set-up form gets before anything is stored; returns the tidied label.

        Adapters call this first, because a form must be answered at once
        (Slack's 3 seconds) with its errors on the right field; `start` calls
        it again, so nothing unchecked is ever stored.
        """
        label = (label or "").strip() or None
        if label and len(label) > LABEL_LENGTH:
            raise InvalidAnswer({"label": f"Please keep the label under {LABEL_LENGTH} characters."})
        if people > MAX_PARTICIPANTS:
            raise InvalidAnswer({"participants": f"A debrief can have at most {MAX_PARTICIPANTS} people."})
        _since_event(since_event)
        screen({"label": label})
        return label

    async def find_by_request(self, request_key: str) -> Debrief | None:
        async with self.database.session() as session:
            return (await session.execute(select(Debrief).where(col(Debrief.request_key) == request_key))).scalar_one_or_none()

    async def set_space(self, debrief_id: uuid.UUID, space: str, script_message: str | None = None) -> Debrief:
        """Remember where the debrief runs, once the adapter has made the space."""
        async with self.database.session() as session:
            debrief = await _get(session, debrief_id)
            debrief.space = space
            if script_message:
                debrief.script_message = script_message
            session.add(debrief)
        return debrief

    async def _invite(self, session: AsyncSession, debrief: Debrief, users: list[str]) -> None:
        stages = schedule_stages(debrief.schedule)
        for user in users:
            participant = Participant(debrief_id=debrief.id, user=user)
            session.add(participant)
            await session.flush()
            for stage, delay in stages:
                session.add(
                    Followup(
                        debrief_id=debrief.id,
                        participant_id=participant.id,
                        stage=stage,
                        due_at=debrief.started_at + delay,
                    )
                )

    # -- reading ------------------------------------------------------------

    def script(self, script_id: str) -> Script:
        try:
            return self.library.script(script_id)
        except KeyError:
            raise NotFound(f"There is no script called {script_id!r}.") from None

    async def get(self, debrief_id: uuid.UUID) -> Debrief:
        async with self.database.session() as session:
            return await _get(session, debrief_id)

    async def participants(self, debrief_id: uuid.UUID) -> list[Participant]:
        async with self.database.session() as session:
            rows = await session.execute(select(Participant).where(col(Participant.debrief_id) == debrief_id))
            return list(rows.scalars())

    async def open_debriefs_for(
        self, platform: str, workspace: str, user: str, status: DebriefStatus = DebriefStatus.OPEN
    ) -> list[Debrief]:
        """The debriefs a person takes part in (for App Home): open ones latest first, or with
        `status=BOOKED` the cold debriefs they are invited to that have not started, soonest first."""
        started = col(Debrief.started_at)
        async with self.database.session() as session:
            rows = await session.execute(
                select(Debrief)
                .join(Participant, col(Participant.debrief_id) == col(Debrief.id))
                .where(
                    col(Debrief.platform) == platform,
                    col(Debrief.workspace) == workspace,
                    col(Debrief.status) == status,
                    col(Participant.user) == user,
                )
                .order_by(started if status == DebriefStatus.BOOKED else started.desc())
            )
            return list(rows.scalars())

    async def action_points(self, debrief_id: uuid.UUID) -> list[ActionPoint]:
        async with self.database.session() as session:
            rows = await session.execute(
                select(ActionPoint).where(col(ActionPoint.debrief_id) == debrief_id).order_by(col(ActionPoint.created_at))
            )
            return list(rows.scalars())

    async def answer_count(self, debrief_id: uuid.UUID, stage: str = DEBRIEF_STAGE) -> int:
        """How many people answered a stage (from receipts, which count but do not name)."""
        async with self.database.session() as session:
            return await _receipt_count(session, debrief_id, stage)

    async def has_answered(self, debrief_id: uuid.UUID, stage: str, user: str) -> bool:
        """Whether `user` answered; only the person themselves may be told this."""
        async with self.database.session() as session:
            key = await session.get(DebriefKey, debrief_id)
            if key is None:
                return False
            digest = receipt_digest(self._secret, key.key, stage, user)
            row = await session.execute(
                select(col(AnswerReceipt.id)).where(
                    col(AnswerReceipt.debrief_id) == debrief_id, col(AnswerReceipt.stage) == stage, col(AnswerReceipt.digest) == digest
                )
            )
            return row.first() is not None

    async def claim_count_update(self, debrief_id: uuid.UUID) -> int | None:
        """The batched counter to show now, or None when the shown one is still right.

        Exactly one caller wins each change (a conditional UPDATE), so
        concurrent answers never post the same update twice; and the counter
        only ever moves up, so a caller holding a stale count (SQLite reads
        outside the write lock) cannot move it back.
        """
        async with self.database.session() as session:
            count = await _receipt_count(session, debrief_id, DEBRIEF_STAGE)
            shown = batched_count(count, self.settings.debrief_min_group) or 0
            result = await session.execute(
                update(Debrief)
                .where(col(Debrief.id) == debrief_id, col(Debrief.shown_count) < shown)
                .values(shown_count=shown)
            )
            return shown if rowcount(result) else None

    # -- answering ----------------------------------------------------------

    async def open_form(self, debrief_id: uuid.UUID, stage: str, user: str) -> AnswerForm:
        """Check that `user` may answer `stage` now, and hand out the form with its token.

        Raises `AlreadyAnswered`, `NoLongerOpen` or `NotAllowed`. This is the
        only place the answer path looks a person up (membership, receipt):
        when the form opens, not when it is sent, so that nothing written
        with the answer sits beside a query naming its author.
        """
        async with self.database.session() as session:
            debrief = await _get(session, debrief_id)
            key = await session.get(DebriefKey, debrief_id)
            if stage == DEBRIEF_STAGE and debrief.status != DebriefStatus.OPEN:
                raise NoLongerOpen()
            if key is None or self.clock.now() >= debrief.key_expires_at:
                raise NoLongerOpen()
            if not await _is_member(session, debrief_id, user):
                raise NotAllowed("Only the people invited to this debrief can answer it. Ask the lead if you were there.")
            digest = receipt_digest(self._secret, key.key, stage, user)
            answered = await session.execute(
                select(col(AnswerReceipt.id)).where(
                    col(AnswerReceipt.debrief_id) == debrief_id, col(AnswerReceipt.stage) == stage,
                    col(AnswerReceipt.digest) == digest,
                )
            )
            if answered.first() is not None:
                raise AlreadyAnswered()
        questions, intro = self.stage_form(debrief.script_id, debrief.schedule, stage)
        return AnswerForm(debrief, questions, intro, self.forms.issue(debrief_id, stage, user))

    async def record_answer(
        self,
        debrief_id: uuid.UUID,
        stage: str,
        user: str,
        values: Mapping[str, object],
        shared: Iterable[str] = (),
        *,
        token: str | None,
    ) -> Recorded:
        """Accept one person's anonymous answers to one stage, once; they are released later, in a batch.

        `values` maps question ids to answers; `shared` names the text
        questions whose author chose "share with the team"; `token` is the
        one `open_form` gave the form (it stands for the membership check).
        One transaction stores the receipt and the sealed form
        (`bot.pending`), nothing else; then, in a transaction of its own,
        the stage's waiting forms are released if there are enough of them.
        """
        # The hot path of the product (every answer, often many at once): one read by
        # the debrief's id, then the receipt and the sealed form stored together
        # (`_store`), as one synchronous piece of work that the database runs in a
        # single step (see `Database.write`). The unique receipt is what refuses a
        # second answer, so a double tap racing itself still stores exactly one.
        if not self.forms.check(token, debrief_id, stage, user):
            raise NotAllowed("That form is out of date. Please close it and tap Answer again.")
        shared_ids = set(shared)

        def answering(connection: Connection) -> tuple[Recorded, int]:
            found = connection.execute(_ANSWERING, {"debrief": debrief_id}).one_or_none()
            if found is None:
                raise NotFound()
            questions, _ = self.stage_form(found.script_id, found.schedule, stage)
            if stage == DEBRIEF_STAGE and found.status != DebriefStatus.OPEN:
                raise NoLongerOpen()
            if found.key is None or self.clock.now() >= found.key_expires_at:
                raise NoLongerOpen()
            answers = self._validate(questions, values, shared_ids)
            told = signal(questions, values, self.settings.debrief_distress_threshold, self.library.crisis_phrases)
            digest = receipt_digest(self._secret, found.key, stage, user)
            receipt = {"id": uuid.uuid4(), "debrief_id": debrief_id, "stage": stage, "digest": digest}
            sealed = pending.seal(
                self._sealing, answers, pending.sealed_size(questions), pending.context_of(debrief_id, stage)
            )
            form = {"id": uuid.uuid4(), "debrief_id": debrief_id, "stage": stage, "sealed": sealed}
            try:
                waiting = _store(connection, receipt, form)
            except IntegrityError:
                raise AlreadyAnswered() from None
            return Recorded(told), waiting

        recorded, waiting = await self.database.write(answering, reads_then_one_write=True)
        if waiting >= self.settings.debrief_min_group:
            await self._release_batches(debrief_id, stage)
        return recorded

    async def _release_batches(self, debrief_id: uuid.UUID, stage: str) -> None:
        """Release whole batches until fewer than DEBRIEF_MIN_GROUP wait; one such loop per stage in this process.

        An answer that completes a batch while another release of its stage
        is running leaves the batch to that one, which goes round once more,
        and waits for it: under a burst of answers the batches grow instead
        of queueing up one release per DEBRIEF_MIN_GROUP answers, and every
        answer that completed a batch returns once its batch is out (so the
        live counter its thank-you redraws counts it).
        """
        key = (debrief_id, stage)
        running = self._releasing.get(key)
        if running is not None:
            running.again = True
            await asyncio.shield(running.done)
            return
        running = self._releasing[key] = _Releasing(asyncio.get_running_loop().create_future())
        try:
            while True:
                await self.release(debrief_id, stage)
                if not running.again:
                    break
                running.again = False  # asked meanwhile: what came since may make a batch
        finally:
            del self._releasing[key]
            running.done.set_result(None)

    async def release(self, debrief_id: uuid.UUID, stage: str, *, everything: bool = False) -> int:
        """Release the stage's waiting forms as one shuffled batch: at least DEBRIEF_MIN_GROUP, or `everything`.

        Returns how many forms moved. Never raises for a database hiccup:
        what waits stays sealed and the dispatcher's `release_due` tries again.
        """
        at_least = 1 if everything else self.settings.debrief_min_group
        try:
            moved = await self.database.write(
                lambda connection: pending.release(
                    connection, self._sealing, debrief_id, stage, at_least, today=self.clock.now().date()
                )
            )
        except pending.TooFew:  # another process took some of them: what is left waits for more
            return 0
        except Exception as error:  # noqa: BLE001 - kept sealed; released by the next pass
            log.warning("could not release a batch of answers (%s); will try again", type(error).__name__)
            return 0
        if moved:
            self.database.erase_wal_soon()
        return moved

    async def release_due(self) -> int:
        """Release every batch that is due: DEBRIEF_MIN_GROUP forms waiting, or the stage's window over.

        A stage's window is over when the debrief's answers close
        (`key_expires_at`), and for the debrief stage itself when it is
        closed. The dispatcher runs this in every process; `release` makes
        each form move once however many run it.
        """
        # Once a second in every process, nearly always finding nothing: one synchronous read
        # (`Database.write`), not an async session (on SQLite a dozen hops to aiosqlite's thread).
        values = {"now": self.clock.now(), "min_group": self.settings.debrief_min_group}
        due = await self.database.write(lambda connection: connection.execute(_DUE, values).all())
        moved = 0
        for debrief_id, stage, ended in due:
            moved += await self.release(debrief_id, stage, everything=bool(ended))
        return moved

    def stage_form(self, script_id: str, schedule: str, stage: str) -> tuple[list[Question], str | None]:
        """What a stage asks, and the check-in's message (None at the debrief itself).

        A check-in's questions are found the way the dispatcher found its
        message (by delay, then by position), so the form always matches what
        the person was sent, whatever the schedule.
        """
        script = self.script(script_id)
        if stage == DEBRIEF_STAGE:
            return list(script.questions), None
        from bot.followups.content import stage_content  # here: bot.followups imports this module

        try:
            content, _ = stage_content(self.library, script.id, schedule, stage)
        except (KeyError, ValueError):
            raise NotFound("That check-in doesn't exist any more.") from None
        return list(content.questions), content.message

    def _validate(
        self, questions: list[Question], values: Mapping[str, object], shared: set[str]
    ) -> list[dict[str, object]]:
        """Check every value against its question; the rows to insert."""
        problems: dict[str, str] = {}
        answers: list[dict[str, object]] = []
        known = {question.id for question in questions}
        for unknown in sorted(set(values) - known):
            problems[unknown] = "This question isn't part of the form."
        texts: dict[str, str] = {}
        for question in questions:
            value = values.get(question.id)
            if value is None or value == "":
                if not question.optional:
                    problems[question.id] = "Please answer this one."
                continue
            if isinstance(question, ScaleQuestion):
                number = _as_int(value)
                if number is None or not 0 <= number <= 10:
                    problems[question.id] = "Please pick a number from 0 to 10."
                    continue
                answers.append(_answer_row(question.id, number=number))
            elif isinstance(question, ChoiceQuestion):
                options = {option.value for option in question.options}
                if value not in options:
                    problems[question.id] = "Please pick one of the options."
                    continue
                answers.append(_answer_row(question.id, choice=str(value)))
            elif isinstance(question, TextQuestion):
                text = str(value).strip()
                if len(text) > question.max_length:
                    problems[question.id] = f"Please keep this under {question.max_length} characters."
                    continue
                texts[question.id] = text
                if question.visibility == "lesson" and question.id in shared:  # consent: the review queue, not answers
                    answers.append(lesson_row(question.id, text))
                    continue
                share = question.visibility == "ask" and question.id in shared
                answers.append(_answer_row(question.id, text=text, shared_with_team=share))
        if problems:
            raise InvalidAnswer(problems)
        screen(texts, labels={question.id: question.label for question in questions})  # "in 'What went well', ..."
        return answers

    # -- action points, closing, skipping ------------------------------------

    async def add_action_point(
        self,
        debrief_id: uuid.UUID,
        *,
        text: str,
        owner: str,
        due_on: date | None,
        actor: str,
        request_key: str | None = None,
    ) -> ActionPoint:
        """Record a change the team agreed, with the person who owns it.

        `request_key` names the form (Slack's view id, the key in a Teams
        dialog's button): the same form sent again raises `AlreadyAdded`,
        also when both arrive at once (the unique key refuses the second).
        """
        text = text.strip()
        problems = {}
        if not text:
            problems["text"] = "Please say what should change."
        elif len(text) > ACTION_LENGTH:
            problems["text"] = f"Please keep it under {ACTION_LENGTH} characters."
        if not owner:
            problems["owner"] = "Please choose who owns this."
        if due_on and due_on < self.clock.now().date():
            problems["due_on"] = "The due date is in the past."
        if problems:
            raise InvalidAnswer(problems)
        screen({"text": text})
        try:
            async with self.database.session() as session:
                debrief = await _get(session, debrief_id)
                if debrief.status != DebriefStatus.OPEN:
                    raise NoLongerOpen("This debrief has closed, so it can't take new action points.")
                await self._require_member(session, debrief, actor)
                if request_key and (await session.execute(
                    select(col(ActionPoint.id)).where(col(ActionPoint.request_key) == request_key)
                )).first():
                    raise AlreadyAdded()
                now = self.clock.now()
                point = ActionPoint(
                    debrief_id=debrief_id, text=text, owner=owner, due_on=due_on, created_by=actor, created_at=now,
                    request_key=request_key,
                )
                session.add(point)
                await session.flush()
                from bot.actions import reminder_rows  # here: bot.actions needs bot.wording, which imports this module

                session.add_all(reminder_rows(point, debrief, self.settings.debrief_action_reminders))  # until closed
                _audit(session, now, actor, "action_point.added", debrief_id, None)
        except IntegrityError:
            if request_key:  # the same form, added a moment ago by its twin
                raise AlreadyAdded() from None
            raise
        return point

    async def close(self, debrief_id: uuid.UUID, actor: str) -> Closed:
        """Close the debrief; its key goes as soon as the last follow-up stage is over.

        Closing twice is harmless and reports `newly_closed=False`.
        """
        async with self.database.session() as session:
            debrief = await _get(session, debrief_id)
            await self._require_member(session, debrief, actor)
            now = self.clock.now()
            newly_closed = debrief.status == DebriefStatus.OPEN
            if newly_closed:
                debrief.status = DebriefStatus.CLOSED
                debrief.closed_at = now
                if not debrief.schedule:
                    debrief.key_expires_at = now
                session.add(debrief)
                _audit(session, now, actor, "debrief.closed", debrief_id, None)
            if now >= debrief.key_expires_at:
                await session.execute(delete(DebriefKey).where(col(DebriefKey.debrief_id) == debrief_id))
            points = await session.execute(
                select(ActionPoint).where(col(ActionPoint.debrief_id) == debrief_id).order_by(col(ActionPoint.created_at))
            )
            closed = Closed(debrief=debrief, action_points=list(points.scalars()), newly_closed=newly_closed)
        await self.release(debrief_id, DEBRIEF_STAGE, everything=True)  # its window is over: whatever waits
        return closed

    async def skip(
        self,
        *,
        platform: str,
        workspace: str,
        team: str,
        lead: str,
        reason: SkipReason | str,
        detail: str | None = None,
    ) -> SkippedDebrief:
        """Record that no debrief was held, and why."""
        try:
            reason = SkipReason(reason)
        except ValueError:
            raise InvalidAnswer({"reason": "Please pick one of the reasons."}) from None
        detail = (detail or "").strip() or None
        if detail and len(detail) > ACTION_LENGTH:
            raise InvalidAnswer({"detail": f"Please keep it under {ACTION_LENGTH} characters."})
        screen({"detail": detail})
        now = self.clock.now()
        record = SkippedDebrief(
            platform=platform, workspace=workspace, team=team, lead=lead, reason=reason, detail=detail, created_at=now
        )
        async with self.database.session() as session:
            session.add(record)
            _audit(session, now, lead, "debrief.skipped", None, reason.value)
        return record

    async def stop_followups(self, debrief_id: uuid.UUID, user: str) -> int:
        """One tap: no more follow-ups for this person in this debrief."""
        async with self.database.session() as session:
            participant = (
                await session.execute(
                    select(Participant).where(col(Participant.debrief_id) == debrief_id, col(Participant.user) == user)
                )
            ).scalar_one_or_none()
            if participant is None:
                raise NotAllowed("You're not part of this debrief.")
            participant.followups_stopped = True
            session.add(participant)
            result = await session.execute(
                update(Followup)
                .where(col(Followup.participant_id) == participant.id, col(Followup.status) == FollowupStatus.PENDING)
                .values(status=FollowupStatus.STOPPED)
            )
            return rowcount(result) or 0

    async def _require_member(self, session: AsyncSession, debrief: Debrief, user: str) -> None:
        if user != debrief.lead and not await _is_member(session, debrief.id, user):
            raise NotAllowed("Only the people in this debrief can do that.")


def _answer_row(
    question: str, *, number: int | None = None, choice: str | None = None, text: str | None = None,
    shared_with_team: bool = False,
) -> dict[str, object]:
    """One `answers` row: the question and its value, nothing about who or when."""
    return {"question": question, "number": number, "choice": choice, "text": text, "shared_with_team": shared_with_team}


def _since_event(value: str | None) -> SinceEvent | None:
    if not value:
        return None
    try:
        return SinceEvent(value)
    except ValueError:
        raise InvalidAnswer({"since_event": "Please pick one of the choices."}) from None


def _audience(tags: Iterable[str]) -> str | None:
    """The set-up's "who is this for" tags, checked (the form offers only the resource file's own)."""
    chosen = list(dict.fromkeys(tag.strip() for tag in tags if tag and tag.strip()))
    if len(chosen) > 20 or any(not AUDIENCE_TAG.match(tag) for tag in chosen):
        raise InvalidAnswer({"audience": "Please pick from the list."})
    joined = ",".join(chosen)
    if len(joined) > 255:
        raise InvalidAnswer({"audience": "Please pick fewer."})
    return joined or None


def _unique(users: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(user for user in users if user))


def _as_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _answer_window(delays: list[timedelta]) -> timedelta:
    """How long receipts stay testable: until the last stage has had time to be answered."""
    if not delays:
        return LAST_STAGE_WINDOW
    return delays[-1] + min(delays[-1], LAST_STAGE_WINDOW)


async def _get(session: AsyncSession, debrief_id: uuid.UUID) -> Debrief:
    debrief = await session.get(Debrief, debrief_id)
    if debrief is None:
        raise NotFound()
    return debrief


async def _is_member(session: AsyncSession, debrief_id: uuid.UUID, user: str) -> bool:
    row = await session.execute(
        select(col(Participant.id)).where(col(Participant.debrief_id) == debrief_id, col(Participant.user) == user)
    )
    return row.first() is not None


async def _receipt_count(session: AsyncSession, debrief_id: uuid.UUID, stage: str) -> int:
    result = await session.execute(
        select(func.count()).select_from(AnswerReceipt).where(
            col(AnswerReceipt.debrief_id) == debrief_id, col(AnswerReceipt.stage) == stage
        )
    )
    return int(result.scalar_one())


def _audit(
    session: AsyncSession, at: datetime, actor: str, action: str, debrief_id: uuid.UUID | None, detail: str | None
) -> None:
    session.add(AuditEvent(at=at, actor=actor, action=action, debrief_id=debrief_id, detail=detail))

