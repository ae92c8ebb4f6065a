"""The outbox tables' side of dispatching: claims, leases and fenced writes.

`bot.followups.dispatcher` explains the protocol and why it loses nothing
and sends nothing twice; this module holds the SQL it rests on. Two tables
share it: `followups` (check-ins), `digests` (the officers' weekly
digest), `support_escalations` (a request to talk nobody took on in time),
`action_messages` (action points' reminders and "you said, we did" notes) and
`learning_digests` (the monthly digest of shared lessons). They have the same lease columns; `Outbox` is written once against
`self.model`, and each subclass says only how a row's platform is found and
what is loaded with a claimed row.

* `claim`: PostgreSQL `SELECT id ... FOR UPDATE SKIP LOCKED` over due rows,
  then `UPDATE ... SET status='sending', lease_until, leased_by,
  attempts=attempts+1` on those ids, in one transaction. SQLite (one writer):
  a single conditional `UPDATE ... WHERE id IN (SELECT ...) RETURNING`.
  Due rows are pending ones whose `due_at` has come, and `sending` ones whose
  lease has expired (their process died).
* `(leased_by, attempts)` is a claim's fencing token: `renew` and `write`
  touch a row only while it still carries this claim's token, so a process
  that lost its lease can never overwrite the one that took the row over.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any, ClassVar

from sqlalchemy import Integer, Select, and_, bindparam, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import BindParameter
from sqlmodel import col

from bot.clock import Clock
from bot.db import Database, rowcount
from bot.models import (
    ActionMessage,
    ActionPoint,
    Debrief,
    Digest,
    Followup,
    FollowupStatus,
    LearningDigest,
    Participant,
    SupportEscalation,
)

log = logging.getLogger("debrief.followups")

PLATFORMS: BindParameter[str] = bindparam("platforms", expanding=True)
"""The platforms a claim is for (`Outbox.on_platforms`): bound when the claim runs."""


def default_worker_id() -> str:
    """Host, process and a random suffix: unique per dispatcher, readable in `leased_by`."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass(frozen=True)
class _ClaimStatements:
    sqlite: Any  # one conditional UPDATE ... WHERE id IN (SELECT ...) RETURNING
    locking_pick: Any  # PostgreSQL: SELECT id ... FOR UPDATE SKIP LOCKED
    by_ids: Any  # PostgreSQL: then UPDATE those ids ... RETURNING


@dataclass
class Claim:
    """One row a process holds: its fencing token and how long the lease runs."""

    id: uuid.UUID
    attempts: int
    lease_until: datetime
    lost: bool = False
    sending: bool = False
    outbox: Outbox | None = field(default=None, repr=False, compare=False)
    """The table the row is in: renewals and writes go there."""


class Outbox(ABC):
    """Claims, lease renewals and fenced updates for one worker, on one outbox table.

    A subclass names the table (`model`) and how its rows are narrowed to
    platforms (`on_platforms`): `FollowupOutbox`, `DigestOutbox`.
    """

    model: ClassVar[Any]
    """The table's model: `Followup` or `Digest` (the same lease columns)."""

    def __init__(self, database: Database, clock: Clock, worker_id: str, lease: timedelta) -> None:
        self.database = database
        self.clock = clock
        self.worker_id = worker_id
        self.lease = lease
        self.margin = lease / 3
        """A send starts only while more than this is left of the lease."""

    @abstractmethod
    def on_platforms(self, query: Select[Any]) -> Select[Any]:
        """`query` over this table, narrowed to rows of the platforms bound as `PLATFORMS`."""

    @abstractmethod
    async def load(self, claims: Sequence[Claim]) -> list[Any]:
        """Each claimed row, first, with what its job needs; rows deleted meanwhile are left out."""

    @cached_property
    def _claiming(self) -> _ClaimStatements:
        """The claim's statements, built once per outbox (`claim_in_turn` says why): building them afresh cost three times running them.

        Every value is bound at execution (`claim_in`), so SQLAlchemy compiles
        each statement once per process too.
        """
        model = self.model
        due = or_(
            and_(model.status == FollowupStatus.PENDING, model.due_at <= bindparam("now")),
            and_(model.status == FollowupStatus.SENDING, model.lease_until < bindparam("now")),
        )
        pick = self.on_platforms(select(model.id)).where(due).order_by(model.due_at).limit(bindparam("limit", type_=Integer))
        claim = update(model).values(
            status=FollowupStatus.SENDING,
            lease_until=bindparam("until"),
            leased_by=bindparam("worker"),
            attempts=model.attempts + 1,
        )
        returned = (model.id, model.attempts)
        return _ClaimStatements(
            sqlite=claim.where(model.id.in_(pick), due).returning(*returned),
            locking_pick=pick.with_for_update(skip_locked=True, of=model),
            by_ids=claim.where(model.id.in_(bindparam("ids", expanding=True))).returning(*returned),
        )

    def claim_in(self, connection: Connection, limit: int, platforms: Sequence[str]) -> list[Claim]:
        """Claim up to `limit` due rows on `platforms`, oldest due first, in the caller's transaction."""
        if limit <= 0 or not platforms:
            return []
        now = self.clock.now()
        until = now + self.lease
        statements = self._claiming
        values = {"now": now, "limit": limit, "platforms": list(platforms), "until": until, "worker": self.worker_id}
        if connection.dialect.name == "sqlite":
            rows = list(connection.execute(statements.sqlite, values))
        else:
            ids = list(connection.execute(statements.locking_pick, values).scalars())
            rows = list(connection.execute(statements.by_ids, {**values, "ids": ids})) if ids else []
        return [Claim(id=row.id, attempts=row.attempts, lease_until=until, outbox=self) for row in rows]

    async def claim(self, limit: int, platforms: Sequence[str]) -> list[Claim]:
        """`claim_in` as a transaction of its own (one outbox alone; the dispatcher claims them all with `claim_in_turn`)."""
        return await self.database.write(lambda connection: self.claim_in(connection, limit, platforms))

    async def renew(self, claims: Sequence[Claim]) -> list[Claim]:
        """Extend the leases of `claims`; return those this worker no longer holds."""
        if not claims:
            return []
        until = self.clock.now() + self.lease
        model = self.model
        async with self.database.session() as session:
            rows = await session.execute(
                update(model)
                .where(
                    model.id.in_([claim.id for claim in claims]),
                    model.status == FollowupStatus.SENDING,
                    model.leased_by == self.worker_id,
                )
                .values(lease_until=until)
                .returning(model.id, model.attempts),
                execution_options={"synchronize_session": False},
            )
            renewed = {row.id: row.attempts for row in rows}
        lost = []
        for claim in claims:
            if renewed.get(claim.id) == claim.attempts:
                claim.lease_until = until
            else:
                lost.append(claim)
        return lost

    def holds(self, claim: Claim) -> bool:
        """Whether this worker may still start a send for the row."""
        return not claim.lost and self.clock.now() < claim.lease_until - self.margin

    def fenced(self, claim: Claim):
        model = self.model
        return and_(
            model.id == claim.id,
            model.status == FollowupStatus.SENDING,
            model.leased_by == self.worker_id,
            model.attempts == claim.attempts,
        )

    async def write(self, claim: Claim, **values: object) -> bool:
        """One fenced update of a held row, retried briefly through database hiccups."""
        for attempt in range(3):
            try:
                async with self.database.session() as session:
                    result = await session.execute(
                        update(self.model).where(self.fenced(claim)).values(**values),
                        execution_options={"synchronize_session": False},
                    )
                    return bool(rowcount(result))
            except Exception as exc:  # noqa: BLE001 - retried twice, then the lease expiry recovers the row
                if attempt == 2:
                    log.warning(
                        "%s %s: cannot record its state (%s); its lease will expire and "
                        "another attempt will check the platform first",
                        self.model.__tablename__.removesuffix("s"),
                        claim.id,
                        type(exc).__name__,
                    )
                    return False
                await asyncio.sleep(0.2 * (attempt + 1))
        return False  # pragma: no cover


async def claim_in_turn(
    database: Database, outboxes: Sequence[Outbox], limit: int, platforms: Sequence[str]
) -> list[list[Claim]]:
    """Claims from each outbox in turn (the first first), up to `limit` in all, in one transaction.

    Through `Database.write`, synchronously: every process's dispatcher
    does this every second, nearly always finding nothing, and through an
    async session per outbox the empty claims cost 36 ms of CPU a second on
    SQLite (hops to aiosqlite's thread and back, statements built anew),
    which a busy bot's answers paid for; now about 3 ms.
    """

    def claiming(connection: Connection) -> list[list[Claim]]:
        claimed: list[list[Claim]] = []
        left = limit
        for outbox in outboxes:
            claimed.append(outbox.claim_in(connection, left, platforms))
            left -= len(claimed[-1])
        return claimed

    return await database.write(claiming)


class FollowupOutbox(Outbox):
    """Check-ins: a row's platform is its debrief's."""

    model = Followup

    def on_platforms(self, query: Select[Any]) -> Select[Any]:
        return query.join(Debrief, col(Debrief.id) == col(Followup.debrief_id)).where(col(Debrief.platform).in_(PLATFORMS))

    async def load(self, claims: Sequence[Claim]) -> list[tuple[Claim, Followup, Participant, Debrief]]:
        """Each claimed row with its participant and debrief (rows deleted meanwhile are left out)."""
        by_id = {claim.id: claim for claim in claims}
        async with self.database.session() as session:
            rows = await session.execute(
                select(Followup, Participant, Debrief)
                .join(Participant, col(Participant.id) == col(Followup.participant_id))
                .join(Debrief, col(Debrief.id) == col(Followup.debrief_id))
                .where(col(Followup.id).in_(list(by_id)))
            )
            return [(by_id[followup.id], followup, participant, debrief) for followup, participant, debrief in rows]


class DigestOutbox(Outbox):
    """The officers' weekly digests: a row names its platform."""

    model = Digest

    def on_platforms(self, query: Select[Any]) -> Select[Any]:
        return query.where(col(Digest.platform).in_(PLATFORMS))

    async def load(self, claims: Sequence[Claim]) -> list[tuple[Claim, Digest]]:
        by_id = {claim.id: claim for claim in claims}
        async with self.database.session() as session:
            rows = await session.execute(select(Digest).where(col(Digest.id).in_(list(by_id))))
            return [(by_id[digest.id], digest) for digest in rows.scalars()]


class EscalationOutbox(Outbox):
    """Requests to talk nobody took on in time (`bot.support.Support.escalate`): a row names its platform."""

    model = SupportEscalation

    def on_platforms(self, query: Select[Any]) -> Select[Any]:
        return query.where(col(SupportEscalation.platform).in_(PLATFORMS))

    async def load(self, claims: Sequence[Claim]) -> list[tuple[Claim, SupportEscalation]]:
        by_id = {claim.id: claim for claim in claims}
        async with self.database.session() as session:
            rows = await session.execute(select(SupportEscalation).where(col(SupportEscalation.id).in_(list(by_id))))
            return [(by_id[row.id], row) for row in rows.scalars()]


class ActionOutbox(Outbox):
    """Action points' reminders and "you said, we did" notes (`bot.actions`): a row names its platform."""

    model = ActionMessage

    def on_platforms(self, query: Select[Any]) -> Select[Any]:
        return query.where(col(ActionMessage.platform).in_(PLATFORMS))

    async def load(self, claims: Sequence[Claim]) -> list[tuple[Claim, ActionMessage, ActionPoint, Debrief]]:
        """Each claimed row with its point and debrief (rows deleted meanwhile are left out)."""
        by_id = {claim.id: claim for claim in claims}
        async with self.database.session() as session:
            rows = await session.execute(
                select(ActionMessage, ActionPoint, Debrief)
                .join(ActionPoint, col(ActionPoint.id) == col(ActionMessage.action_point_id))
                .join(Debrief, col(Debrief.id) == col(ActionPoint.debrief_id))
                .where(col(ActionMessage.id).in_(list(by_id)))
            )
            return [(by_id[message.id], message, point, debrief) for message, point, debrief in rows]


class LearningDigestOutbox(Outbox):
    """The monthly learning digest (`bot.lessons`): a row names its platform and destination."""

    model = LearningDigest

    def on_platforms(self, query: Select[Any]) -> Select[Any]:
        return query.where(col(LearningDigest.platform).in_(PLATFORMS))

    async def load(self, claims: Sequence[Claim]) -> list[tuple[Claim, LearningDigest]]:
        by_id = {claim.id: claim for claim in claims}
        async with self.database.session() as session:
            rows = await session.execute(select(LearningDigest).where(col(LearningDigest.id).in_(list(by_id))))
            return [(by_id[row.id], row) for row in rows.scalars()]
