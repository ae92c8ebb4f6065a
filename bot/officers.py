"""Wellbeing officers: DEBRIEF_WELLBEING_OFFICERS plus those an officer added.

Only an officer may add or remove one, and every change is audited. An
officer listed in the environment cannot be removed here (change the
environment instead), so nobody can lock the configured officers out.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from sqlalchemy import delete, select
from sqlmodel import col

from bot.clock import Clock
from bot.db import Database, rowcount
from bot.errors import NotAllowed
from bot.models import AuditEvent, WellbeingOfficer
from bot.settings import Settings


class Role(StrEnum):
    """Who may use a command, button or form: each adapter declares one per input, where it registers it.

    The check itself is `Support.allows`, one for both adapters.
    """

    ANYONE = "anyone"
    """Whoever can reach it; the core still refuses what is not theirs (a debrief they are not in)."""
    SUPPORTER = "supporter"
    """A wellbeing officer or a peer supporter (DEBRIEF_PEER_SUPPORTERS)."""
    OFFICER = "officer"
    """A wellbeing officer: DEBRIEF_WELLBEING_OFFICERS, or added by an officer."""


def _normal(identity: str) -> str:
    return identity.strip().lower()


class Officers:
    def __init__(self, database: Database, settings: Settings, clock: Clock) -> None:
        self.database = database
        self.settings = settings
        self.clock = clock

    def configured(self, *identities: str | None) -> bool:
        listed = {_normal(officer) for officer in self.settings.debrief_wellbeing_officers}
        return any(identity and _normal(identity) in listed for identity in identities)

    async def is_officer(self, *identities: str | None) -> bool:
        if self.configured(*identities):
            return True
        wanted = [_normal(identity) for identity in identities if identity]
        if not wanted:
            return False
        async with self.database.session() as session:
            found = await session.execute(select(col(WellbeingOfficer.id)).where(col(WellbeingOfficer.identity).in_(wanted)).limit(1))
            return found.first() is not None

    async def any_email(self) -> bool:
        """Whether an officer is listed by e-mail (then adapters look e-mail addresses up)."""
        if any("@" in officer for officer in self.settings.debrief_wellbeing_officers):
            return True
        async with self.database.session() as session:
            found = await session.execute(
                select(col(WellbeingOfficer.id)).where(col(WellbeingOfficer.identity).contains("@")).limit(1)
            )
            return found.first() is not None

    async def any_added(self) -> bool:
        async with self.database.session() as session:
            return (await session.execute(select(col(WellbeingOfficer.id)).limit(1))).first() is not None

    async def added(self) -> list[str]:
        async with self.database.session() as session:
            return list((await session.execute(select(col(WellbeingOfficer.identity)).order_by(col(WellbeingOfficer.identity)))).scalars())

    async def add(self, actor_identities: Iterable[str | None], actor: str, identity: str) -> bool:
        """Add an officer; False if already one. Raises NotAllowed unless `actor` is an officer."""
        if not await self.is_officer(*actor_identities):
            raise NotAllowed("only a wellbeing officer can add one")
        identity = _normal(identity)
        if await self.is_officer(identity):
            return False
        now = self.clock.now()
        async with self.database.session() as session:
            session.add(WellbeingOfficer(identity=identity, added_by=actor, added_at=now))
            session.add(AuditEvent(at=now, actor=actor, action="officer.added", detail=identity))
            await session.commit()
        return True

    async def remove(self, actor_identities: Iterable[str | None], actor: str, identity: str) -> bool:
        """Remove an added officer; False if not one. Configured officers stay (NotAllowed)."""
        if not await self.is_officer(*actor_identities):
            raise NotAllowed("only a wellbeing officer can remove one")
        identity = _normal(identity)
        if self.configured(identity):
            raise NotAllowed("this officer is listed in DEBRIEF_WELLBEING_OFFICERS; change it there")
        now = self.clock.now()
        async with self.database.session() as session:
            gone = await session.execute(delete(WellbeingOfficer).where(col(WellbeingOfficer.identity) == identity))
            if not rowcount(gone):
                return False
            session.add(AuditEvent(at=now, actor=actor, action="officer.removed", detail=identity))
            await session.commit()
        return True
