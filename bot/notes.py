"""The officers' notes view: the free text people wrote for the wellbeing team, read by the wellbeing team.

The answer form promises "Unticked, only the wellbeing team sees it". This
is where they see it. What it shows, and why:

* Only notes not shared with the team (`shared_with_team` false), from
  debriefs of this platform and workspace started in the period and within
  DEBRIEF_RETENTION_DAYS (older text is purged anyway).
* Per team, never beside a name, a time or a stage's order: each team's
  notes are shuffled (a fresh random order every time), with notes that
  contain crisis language (`bot.care`) first, so the one that says "I
  can't go on" is read first.
* Only from a debrief stage that at least DEBRIEF_MIN_GROUP people
  answered, or whose answers have closed: a note from a stage two people
  answered is held back, because the officer could otherwise match it to
  one of the two. How many stages are held back is said, not what they hold.
* Answers are read from the answers table only, i.e. what has been
  released there (`bot.debriefs`); receipts count how many answered.

Reading the notes is audited, as reading the support queue is.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import ColumnElement, func, select
from sqlmodel import col

from bot.care import has_crisis_language
from bot.clock import Clock
from bot.db import Database
from bot.errors import NotAllowed
from bot.models import Answer, AnswerReceipt, AuditEvent, Debrief, DebriefStatus, PendingAnswer
from bot.officers import Officers
from bot.scripts import DEBRIEF_STAGE, Library
from bot.settings import Settings

NOTES_DAYS = 30
PERIODS = {"7d": 7, "30d": 30, "90d": 90}
"""`notes 7d`, `notes 90d`: the periods an officer may ask for (30 days by default)."""


def period_of(word: str | None) -> int:
    """The days for `notes [7d|30d|90d]`; anything else (or nothing) is the default 30."""
    return PERIODS.get((word or "").strip().lower(), NOTES_DAYS)
MAX_NOTES = 200
"""At most this many notes in one view (crisis ones first); the rest wait for the next look."""
NOT_AN_OFFICER = "The notes written for the wellbeing team are for wellbeing officers only."


@dataclass(frozen=True)
class Note:
    text: str
    crisis: bool


@dataclass
class TeamNotes:
    team: str
    notes: list[Note] = field(default_factory=list)


@dataclass
class NotesView:
    """What an officer is shown: per team, crisis first, otherwise in random order."""

    days: int
    min_group: int
    teams: list[TeamNotes] = field(default_factory=list)
    held_back: int = 0
    """Debrief stages with notes not shown yet: answers still waiting for their batch, or fewer than `min_group`."""
    more: int = 0
    """Notes beyond MAX_NOTES, left out of this view."""

    @property
    def crisis(self) -> int:
        return sum(note.crisis for team in self.teams for note in team.notes)

    @property
    def count(self) -> int:
        return sum(len(team.notes) for team in self.teams)


class Notes:
    def __init__(
        self, database: Database, library: Library, settings: Settings, officers: Officers, clock: Clock,
        rng: random.Random | None = None,
    ) -> None:
        self.database = database
        self.library = library
        self.settings = settings
        self.officers = officers
        self.clock = clock
        self.rng = rng or random.SystemRandom()

    async def view(
        self, actor: str, *identities: str, platform: str, workspace: str, days: int = NOTES_DAYS
    ) -> NotesView:
        """The notes for an officer (raises NotAllowed for anyone else, before reading anything)."""
        if not await self.officers.is_officer(actor, *identities):
            raise NotAllowed(NOT_AN_OFFICER)
        now = self.clock.now()
        days = min(days, self.settings.debrief_retention_days)  # older free text is purged anyway
        since = now - timedelta(days=days)
        minimum = self.settings.debrief_min_group
        in_scope: list[ColumnElement[bool]] = [
            col(Debrief.platform) == platform, col(Debrief.workspace) == workspace, col(Debrief.started_at) >= since,
        ]
        answered = (
            select(col(AnswerReceipt.debrief_id), col(AnswerReceipt.stage), func.count().label("answered"))
            .join(Debrief, col(Debrief.id) == col(AnswerReceipt.debrief_id))
            .where(*in_scope)
            .group_by(col(AnswerReceipt.debrief_id), col(AnswerReceipt.stage))
            .subquery()
        )
        rows = (
            select(col(Debrief.id), col(Debrief.team), col(Debrief.status), col(Debrief.key_expires_at),
                   col(Answer.stage), col(Answer.text), func.coalesce(answered.c.answered, 0))
            .join(Debrief, col(Debrief.id) == col(Answer.debrief_id))
            .outerjoin(answered, (answered.c.debrief_id == col(Answer.debrief_id)) & (answered.c.stage == col(Answer.stage)))
            .where(*in_scope, col(Answer.text).is_not(None), col(Answer.text) != "", col(Answer.shared_with_team).is_(False))
        )
        waiting = (  # stages whose forms still wait for their batch (`bot.pending`): their notes come later
            select(func.count()).select_from(
                select(col(PendingAnswer.debrief_id), col(PendingAnswer.stage))
                .join(Debrief, col(Debrief.id) == col(PendingAnswer.debrief_id))
                .where(*in_scope)
                .distinct()
                .subquery()
            )
        )
        async with self.database.session() as session:
            found = (await session.execute(rows)).all()
            stages_waiting = (await session.execute(waiting)).scalar_one()
            session.add(AuditEvent(at=now, actor=actor, action="notes.read", detail=f"{workspace} {days}d"))
        shown = NotesView(days=days, min_group=minimum)
        by_team: dict[str, TeamNotes] = {}
        held: set[tuple[object, str]] = set()
        for debrief_id, team, status, closes, stage, text, count in found:
            closed = closes <= now or (stage == DEBRIEF_STAGE and status == DebriefStatus.CLOSED)
            if count < minimum and not closed:
                held.add((debrief_id, stage))
                continue
            note = Note(text=text, crisis=has_crisis_language(text, self.library.crisis_phrases))
            by_team.setdefault(team, TeamNotes(team)).notes.append(note)
        shown.held_back = len(held) + stages_waiting
        budget = MAX_NOTES
        for team in sorted(by_team.values(), key=lambda group: (-sum(n.crisis for n in group.notes), group.team)):
            self.rng.shuffle(team.notes)
            team.notes.sort(key=lambda note: not note.crisis)  # stable: crisis first, shuffled within
            kept = team.notes[:budget]
            shown.more += len(team.notes) - len(kept)
            budget -= len(kept)
            if kept:
                shown.teams.append(TeamNotes(team.team, kept))
        return shown
