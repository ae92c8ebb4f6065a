"""Shared lessons, without names: written at a check-in, read by a wellbeing officer, sent out monthly.

The path a lesson takes, and what keeps it from its author:

1. **Asked.** A text question with `visibility: lesson` (the shipped 7-day
   check-in has one; any script or stage may include it, a cold debrief's
   end as well) comes with a separate consent tick, unticked by default
   (`CONSENT`). Unticked, the lesson is an ordinary note for the wellbeing
   team. The form says plainly that the bot cannot tell its author what
   became of it, and that the monthly digest is where they will see it
   (`FORM_NOTE`): anonymous means nobody knows whose it was.
2. **Screened and sealed** like every other free text: `Debriefs._validate`
   screens it for patient identifiers (the same kind refusal), and the
   consented lesson travels inside the sealed pending form (`lesson_row`),
   so nothing is written beside it at submission.
3. **Released in a batch**: `bot.pending.release` moves it, in the same
   shuffled transaction as the stage's other answers, into `shared_lessons`
   (`release_lessons`) with a random id, the debrief's team, and the day of
   the batch, nothing finer. Order, `xmin` and commit time say no more than
   the batch; no log line carries its text or its id.
4. **Reviewed** by a wellbeing officer (`Lessons.review`): approve with a
   theme from `THEMES`, perhaps edited to take out details that could
   identify a patient or a person (the edited text is screened again), or
   decline (the row is deleted at once). Each decision is audited as the
   officer's, with the lesson's id; nothing about the author exists to audit.
5. **Sent out** in the monthly learning digest (`Lessons.digest`,
   DEBRIEF_LEARNING_DIGEST) through its own outbox, grouped by theme, with a
   team's name only when at least DEBRIEF_MIN_GROUP debriefs of that team
   started in the month.

Retention (docs/data-inventory.md): a declined lesson is deleted when it is
declined; one released but never reviewed is deleted DEBRIEF_RETENTION_DAYS
after its batch; an approved one DEBRIEF_RETENTION_DAYS after its review
(`bot.retention.purge`).
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Protocol, runtime_checkable
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlmodel import col

from bot.care import has_crisis_language
from bot.clock import Clock
from bot.db import Database, rowcount
from bot.errors import DebriefError, InvalidAnswer, NotAllowed
from bot.identifiers import screen
from bot.models import AuditEvent, Debrief, FollowupStatus, LearningDigest, LessonStatus, SharedLesson
from bot.officers import Officers
from bot.scripts import CrisisPhrases
from bot.settings import Settings

LESSON_KEY = "lesson_shared"
"""Marks a consented lesson inside a sealed form; `bot.pending.release` routes such rows here."""

THEMES: dict[str, str] = {
    "communication": "Communication",
    "equipment": "Equipment and environment",
    "staffing": "Staffing and workload",
    "handover": "Handover",
    "escalation": "Escalation and getting help",
    "teamwork": "Teamwork",
    "wellbeing": "Looking after each other",
    "other": "Other",
}
"""The fixed themes an officer picks from when approving; the digest groups by them, in this order."""

LESSON_LENGTH = 600
SHOWN = 20
"""Lessons listed in one look at the queue; the rest are counted."""

CRISIS_NOTE = ("This lesson uses crisis language. Its writer was shown the crisis lines at once; you cannot tell "
               "who wrote it. Decline it if it is a cry for help rather than a lesson.")
CONSENT = "Share it without my name, after a wellbeing officer has read it"
CONSENT_HINT = "Unticked, only the wellbeing team reads it. Either way, never with your name."
FORM_NOTE = (
    "Because a lesson is anonymous, I can't tell you what became of it: nobody knows it was yours. "
    "If it is shared, you'll see it in the monthly learning digest."
)
NOT_AN_OFFICER = "The lessons waiting to be shared are for wellbeing officers to review."
ALREADY_REVIEWED = "Someone on the wellbeing team has already reviewed that lesson."
QUEUE_EMPTY = "No lessons are waiting for review."
QUEUE_NOTE = (
    "Written at check-ins by people who agreed to share them without their names. Approve with a theme, "
    "edit out anything that could identify a patient or a person, or decline (it is deleted)."
)
DECISIONS = {"approve": "Approve and share", "decline": "Decline (delete it)"}
DIGEST_TITLE = "Lessons from our teams"
DIGEST_NOTE = (
    "Lessons people chose to pass on after a hard event, without their names, read first by a wellbeing officer. "
    "A team is named only where enough of its debriefs took place to keep everyone anonymous."
)
TEXT, THEME, DECISION = "text", "theme", "decision"
"""The review form's fields: what core errors name (`InvalidAnswer.problems`) and both adapters read back."""


class AlreadyReviewed(DebriefError):
    message = ALREADY_REVIEWED


# --- the answer path (inside `bot.pending`'s transaction) ------------------------------


def lesson_row(question: str, text: str) -> dict[str, object]:
    """A consented lesson as a sealed form carries it: like an answer row, marked for the review queue."""
    return {"question": question, "number": None, "choice": None, "text": text, "shared_with_team": False,
            LESSON_KEY: True}


def is_lesson(row: dict[str, object]) -> bool:
    return bool(row.get(LESSON_KEY))


def release_lessons(connection: Connection, debrief_id: uuid.UUID, texts: Sequence[str], today: date) -> None:
    """Insert the batch's consented lessons, already shuffled, with the debrief's team and the batch's day.

    Runs in the release's transaction: the lessons go in with the batch's
    answers or not at all, and their sealed forms are deleted with them.
    """
    found = connection.execute(
        select(col(Debrief.platform), col(Debrief.workspace), col(Debrief.team)).where(col(Debrief.id) == debrief_id)
    ).one_or_none()
    if found is None or not texts:
        return
    connection.execute(insert(SharedLesson.__table__), [  # type: ignore[attr-defined]  # SQLModel does not declare the __table__ SQLAlchemy maps
        {"id": uuid.uuid4(), "debrief_id": debrief_id, "platform": found.platform, "workspace": found.workspace,
         "team": found.team, "text": text, "status": LessonStatus.WAITING.value, "released_on": today,
         "theme": None, "edited": False, "reviewed_at": None}
        for text in texts
    ])


# --- review ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Waiting:
    """A lesson waiting for review: its text and id only (never its team's debrief, time or order)."""

    id: uuid.UUID
    text: str
    crisis: bool = False
    """It holds crisis language (`bot.care`): shown first and marked; its writer was shown the crisis lines."""


@dataclass(frozen=True)
class Queue:
    lessons: list[Waiting]
    count: int


@dataclass(frozen=True)
class Reviewed:
    lesson_id: uuid.UUID
    approved: bool
    theme: str | None


# --- the monthly digest -------------------------------------------------------------------


@dataclass(frozen=True)
class Lesson:
    text: str
    team: str | None
    """The team (`Debrief.team`, which each adapter names its own way), or None when fewer than DEBRIEF_MIN_GROUP of its debriefs started in the month."""


@dataclass(frozen=True)
class Theme:
    label: str
    lessons: tuple[Lesson, ...]


@dataclass(frozen=True)
class LearningDigestContent:
    """One month's approved lessons for one destination; what both adapters render."""

    digest_id: uuid.UUID
    platform: str
    destination: str
    month: date
    themes: tuple[Theme, ...]

    @property
    def heading(self) -> str:
        return f"{DIGEST_TITLE}: {self.month:%B %Y}"

    @property
    def count(self) -> int:
        return sum(len(theme.lessons) for theme in self.themes)


@runtime_checkable
class LearningPoster(Protocol):
    """What a messenger implements to post the monthly learning digest (`bot.port.Messenger` besides)."""

    platform: str

    async def post_learning_digest(self, digest: LearningDigestContent) -> str:
        """Post it to `digest.destination`; return the message reference. Raise the port's send errors."""
        ...

    async def find_learning_digest(self, digest: LearningDigestContent) -> str | None:
        """Its reference if the platform already has it (after an attempt that may have reached it), else None."""
        ...


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def latest_month_slot(now: datetime, tz: ZoneInfo, at: time = time(9, 0)) -> tuple[datetime, date]:
    """(the latest 1st-of-the-month slot not after `now`, in UTC; the month before it, whose lessons it carries)."""
    local = now.astimezone(tz)
    first = local.date().replace(day=1)
    slot = datetime.combine(first, at, tzinfo=tz)
    if slot > local:
        first = month_start(first - timedelta(days=1))
        slot = datetime.combine(first, at, tzinfo=tz)
    carried = month_start(first - timedelta(days=1))
    return slot.astimezone(ZoneInfo("UTC")), carried


class Lessons:
    """The review queue and the monthly digest's content; officers only, every decision audited."""

    def __init__(
        self, database: Database, settings: Settings, officers: Officers, clock: Clock, crisis_phrases: CrisisPhrases
    ) -> None:
        self.database = database
        self.crisis_phrases = crisis_phrases
        self.settings = settings
        self.officers = officers
        self.clock = clock
        self._shuffle = random.SystemRandom().shuffle

    async def _officer(self, identities: Sequence[str | None]) -> None:
        if not await self.officers.is_officer(*identities):
            raise NotAllowed(NOT_AN_OFFICER)

    async def queue(self, officer: str, *identities: str | None, platform: str, workspace: str) -> Queue:
        """The lessons of this workspace waiting for review, in a fresh random order, crisis language first; audited."""
        await self._officer([officer, *identities])
        where = (col(SharedLesson.status) == LessonStatus.WAITING, col(SharedLesson.platform) == platform,
                 col(SharedLesson.workspace) == workspace)
        async with self.database.session() as session:
            count = int((await session.execute(select(func.count()).select_from(SharedLesson).where(*where))).scalar_one())
            rows = list((await session.execute(select(col(SharedLesson.id), col(SharedLesson.text)).where(*where))).all())
            session.add(AuditEvent(at=self.clock.now(), actor=officer, action="lessons.viewed", detail=f"{count} waiting"))
        self._shuffle(rows)
        waiting = [Waiting(row.id, row.text, has_crisis_language(row.text, self.crisis_phrases)) for row in rows]
        waiting.sort(key=lambda lesson: not lesson.crisis)  # stable: still random within each
        return Queue(waiting[:SHOWN], count)

    async def get(self, lesson_id: uuid.UUID, officer: str, *identities: str | None) -> Waiting:
        """One waiting lesson, to open the review form; `AlreadyReviewed` when it is no longer waiting."""
        await self._officer([officer, *identities])
        async with self.database.session() as session:
            row = await session.get(SharedLesson, lesson_id)
        if row is None or row.status != LessonStatus.WAITING:
            raise AlreadyReviewed()
        return Waiting(row.id, row.text)

    async def review(
        self, lesson_id: uuid.UUID, officer: str, *identities: str | None, decision: str, theme: str | None, text: str | None
    ) -> Reviewed:
        """Approve (with a theme, the text perhaps edited and screened again) or decline (deleted); audited.

        Raises `InvalidAnswer` naming the field to fix, `IdentifierFound` for
        edited text that still looks like it names a patient (nothing saved),
        `AlreadyReviewed` when another officer got there first.
        """
        await self._officer([officer, *identities])
        now = self.clock.now()
        if decision not in DECISIONS:
            raise InvalidAnswer({DECISION: "Please pick approve or decline."})
        if decision == "decline":
            async with self.database.session() as session:
                gone = await session.execute(delete(SharedLesson).where(
                    col(SharedLesson.id) == lesson_id, col(SharedLesson.status) == LessonStatus.WAITING))
                if not rowcount(gone):
                    raise AlreadyReviewed()
                session.add(AuditEvent(at=now, actor=officer, action="lesson.declined", detail=f"lesson {lesson_id}"))
            return Reviewed(lesson_id, approved=False, theme=None)
        problems = {}
        if theme not in THEMES:
            problems[THEME] = "Please pick a theme."
        cleaned = " ".join((text or "").split())
        if not cleaned:
            problems[TEXT] = "Please keep some text, or decline the lesson."
        elif len(cleaned) > LESSON_LENGTH:
            problems[TEXT] = f"Please keep this under {LESSON_LENGTH} characters."
        if problems:
            raise InvalidAnswer(problems)
        screen({TEXT: cleaned}, labels={TEXT: "Lesson"})
        async with self.database.session() as session:
            row = await session.get(SharedLesson, lesson_id)
            if row is None or row.status != LessonStatus.WAITING:
                raise AlreadyReviewed()
            edited = cleaned != " ".join(row.text.split())
            done = await session.execute(
                update(SharedLesson)
                .where(col(SharedLesson.id) == lesson_id, col(SharedLesson.status) == LessonStatus.WAITING)
                .values(status=LessonStatus.APPROVED, theme=theme, text=cleaned, edited=edited, reviewed_at=now),
                execution_options={"synchronize_session": False},
            )
            if not rowcount(done):
                raise AlreadyReviewed()
            detail = f"lesson {lesson_id}, theme {theme}" + (", edited" if edited else "")
            session.add(AuditEvent(at=now, actor=officer, action="lesson.approved", detail=detail))
        return Reviewed(lesson_id, approved=True, theme=theme)

    # -- the monthly digest -------------------------------------------------------------

    async def digest(self, row: LearningDigest) -> LearningDigestContent:
        """The month's approved lessons, by theme, each team named only with DEBRIEF_MIN_GROUP debriefs in the month."""
        tz = ZoneInfo(self.settings.debrief_timezone)
        since = datetime.combine(row.month, time(0), tzinfo=tz)
        until = datetime.combine(next_month(row.month), time(0), tzinfo=tz)
        async with self.database.session() as session:
            lessons = list((await session.execute(
                select(col(SharedLesson.text), col(SharedLesson.theme), col(SharedLesson.team),
                       col(SharedLesson.platform), col(SharedLesson.workspace))
                .where(col(SharedLesson.status) == LessonStatus.APPROVED, col(SharedLesson.reviewed_at) >= since,
                       col(SharedLesson.reviewed_at) < until)
            )).all())
            held = {
                (found.platform, found.workspace, found.team): found.n
                for found in (await session.execute(
                    select(col(Debrief.platform), col(Debrief.workspace), col(Debrief.team), func.count().label("n"))
                    .where(col(Debrief.started_at) >= since, col(Debrief.started_at) < until)
                    .group_by(col(Debrief.platform), col(Debrief.workspace), col(Debrief.team))
                )).all()
            }
        self._shuffle(lessons)  # no order to read anything from
        minimum = self.settings.debrief_min_group
        themes = []
        for theme, label in THEMES.items():
            shown = tuple(
                Lesson(lesson.text, lesson.team if held.get((lesson.platform, lesson.workspace, lesson.team), 0) >= minimum
                       and lesson.platform == row.platform else None)
                for lesson in lessons if lesson.theme == theme
            )
            if shown:
                themes.append(Theme(label, shown))
        return LearningDigestContent(row.id, row.platform, row.destination, row.month, tuple(themes))

    async def enqueue(self, slot: datetime, month: date, platforms: Sequence[str]) -> None:
        """One row per configured destination on `platforms` for `month`; idempotent across replicas."""
        rows = [
            dict(id=uuid.uuid4(), platform=platform, destination=destination, month=month, due_at=slot,
                 status=FollowupStatus.PENDING, attempts=0)
            for platform, destination in self.settings.learning_digest if platform in platforms
        ]  # fmt: skip
        if not rows:
            return
        async with self.database.session() as session:
            insert_ = sqlite_insert if self.database.is_sqlite else pg_insert
            await session.execute(
                insert_(LearningDigest).values(rows).on_conflict_do_nothing(
                    index_elements=["platform", "destination", "month"]
                )
            )
