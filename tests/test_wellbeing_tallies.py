"""The report from `StageTally` rows (debriefs whose answers closed) is the report counted live."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from answering import record
from sqlalchemy import delete, func, select, update

from bot.models import Debrief, DebriefKey, Followup, FollowupStatus, StageTally
from bot.tallies import TALLY_GRACE
from bot.wellbeing import Wellbeing

MIN = 3
PEOPLE = [f"U{n}" for n in range(6)]


async def _debrief(core, clock, team, n, workspace="T1"):
    """A debrief with answers at the debrief stage and a day later, and its 24h follow-ups sent."""
    people = PEOPLE[: 3 + n % 4]
    debrief = await core.debriefs.start(
        platform="slack", workspace=workspace, team=team, lead="ULEAD", script_id="stop5", participants=people
    )
    for k, person in enumerate(people[1:]):
        await record(core.debriefs, debrief.id, "debrief", person, {"distress": (n + 3 * k) % 11})
    async with core.database.session() as session:
        await session.execute(
            update(Followup).where(Followup.debrief_id == debrief.id, Followup.stage == "24h")
            .values(status=FollowupStatus.SENT)
        )
        await session.execute(
            update(Followup).where(Followup.debrief_id == debrief.id, Followup.stage == "7d")
            .values(status=FollowupStatus.SKIPPED)
        )
        await session.commit()
    clock.advance(timedelta(days=1, hours=1))
    for k, person in enumerate(people[: 2 + n % 3]):
        await record(core.debriefs, debrief.id, "24h", person, {"distress": (2 * n + k) % 11})
    return debrief


async def _count(core, model, *where) -> int:
    async with core.database.session() as session:
        return (await session.execute(select(func.count()).select_from(model).where(*where))).scalar_one()


async def test_tallied_and_live_debriefs_give_the_live_report(core, clock):
    debriefs = []
    expired = 0
    for n in range(24):
        workspace = "T2" if n % 5 == 4 else "T1"  # each workspace's report counts its own tallies only
        debriefs.append(await _debrief(core, clock, ("C-ED", "C-ICU", "C-THEATRE")[n % 3], n, workspace))
        clock.advance(timedelta(days=2))
        await core.debriefs.release_due()  # the dispatcher's part: batches whose window is over
        keys = await _count(core, DebriefKey)
        due = await _count(core, DebriefKey, DebriefKey.debrief_id.in_(
            select(Debrief.id).where(Debrief.key_expires_at <= clock.now())
        ))
        assert await core.tallies.expire_keys() == due  # it says how many keys went, and those are the ones that went
        assert await _count(core, DebriefKey) == keys - due
        expired += due
    assert expired > 0  # keys did expire along the way, not only at the end
    # the last one waits for its 7d follow-up: answers closed, key gone, not tallied yet
    async with core.database.session() as session:
        await session.execute(
            update(Followup).where(Followup.debrief_id == debriefs[-1].id).values(status=FollowupStatus.PENDING)
        )
        await session.commit()
    clock.advance(timedelta(days=10) + TALLY_GRACE)
    await core.debriefs.release_due()
    await core.tallies.expire_keys()
    late = await _debrief(core, clock, "C-ED", 99)  # recent: still open
    clock.advance(timedelta(hours=1))

    tallied = await _count(core, Debrief, Debrief.tallied.is_(True))
    assert 0 < tallied < len(debriefs) + 1
    assert await _count(core, Debrief, Debrief.tallied.is_(True), Debrief.id.in_([debriefs[-1].id, late.id])) == 0
    assert await _count(core, DebriefKey, DebriefKey.debrief_id == debriefs[-1].id) == 0
    assert await _count(core, StageTally) > 0

    wellbeing = Wellbeing(core.database, MIN)
    shown = 0
    for until in (clock.now(), clock.now() - timedelta(days=9), clock.now() + timedelta(days=40)):
        for workspace in (None, "T1", "T2", "T3"):
            report = await wellbeing.report(until, workspace)
            live = await wellbeing._report(until, workspace, tallies=False)
            assert (report.teams, report.stages, list(report.figures)) == (live.teams, live.stages, list(live.figures))
            assert report.rows() == live.rows()
            shown += sum(1 for *_, value in report.rows() if value)
    assert shown > 100  # the comparison is about real figures, not empty tables


async def test_a_tally_is_written_once_by_replicas_expiring_at_once(core, clock):
    debrief = await _debrief(core, clock, "C-ED", 4)
    clock.advance(timedelta(days=10) + TALLY_GRACE)
    await core.debriefs.release_due()  # the dispatcher's part: what waited is released before anything is tallied
    results = await asyncio.gather(*(core.tallies.expire_keys() for _ in range(3)))
    assert sorted(results) == [0, 0, 1]
    stages = await _count(core, StageTally, StageTally.debrief_id == debrief.id)
    assert stages == 2  # debrief and 24h
    assert await core.tallies.expire_keys() == 0
    assert await _count(core, StageTally) == stages
    async with core.database.session() as session:
        await session.execute(delete(Debrief).where(Debrief.id == debrief.id))
        await session.commit()
    assert await _count(core, StageTally) == 0  # they go with their debrief
