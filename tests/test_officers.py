"""Wellbeing officers: configured ones, added ones, and who may change the list (audited)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.clock import FakeClock
from bot.core import Core
from bot.errors import NotAllowed
from bot.models import AuditEvent
from bot.settings import Settings


@pytest.fixture
def core(db) -> Core:
    settings = Settings.load(database_url=db.url, debrief_secret="s", debrief_wellbeing_officers="UOLIVE,olive@trust.nhs.uk")
    return Core.build(settings, clock=FakeClock(), database=db)


async def test_an_officer_adds_and_removes_another_and_both_are_audited(core):
    assert not await core.officers.is_officer("UNEW")
    assert await core.officers.add(["UOLIVE"], "UOLIVE", "UNEW")
    assert await core.officers.is_officer("UNEW") and await core.officers.is_officer("unew")
    assert not await core.officers.add(["UOLIVE"], "UOLIVE", "UNEW")
    # an added officer may add and remove in turn
    assert await core.officers.add(["UNEW"], "UNEW", "UTHIRD")
    assert await core.officers.remove(["UNEW"], "UNEW", "UTHIRD")
    assert not await core.officers.is_officer("UTHIRD")
    async with core.database.session() as session:
        events = (await session.execute(select(AuditEvent.actor, AuditEvent.action, AuditEvent.detail))).all()
    assert sorted(events) == sorted(
        [("UOLIVE", "officer.added", "unew"), ("UNEW", "officer.added", "uthird"), ("UNEW", "officer.removed", "uthird")]
    )


async def test_a_non_officer_can_change_nothing(core):
    with pytest.raises(NotAllowed):
        await core.officers.add(["UNURSE"], "UNURSE", "UNURSE")
    with pytest.raises(NotAllowed):
        await core.officers.remove(["UNURSE"], "UNURSE", "UOLIVE")
    assert not await core.officers.is_officer("UNURSE")
    assert await core.officers.added() == []


async def test_configured_officers_cannot_be_removed_here(core):
    await core.officers.add(["UOLIVE"], "UOLIVE", "UNEW")
    with pytest.raises(NotAllowed):
        await core.officers.remove(["UNEW"], "UNEW", "UOLIVE")
    assert await core.officers.is_officer("UOLIVE")
    assert await core.officers.is_officer(None, "Olive@Trust.nhs.uk")
