"""The officers' notes view (`bot.notes`), attacked as the lead or an officer would try to read it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from answering import record

from bot.clock import FakeClock
from bot.core import Core
from bot.errors import NotAllowed
from bot.models import AuditEvent
from bot.settings import Settings

OFFICER, LEAD = "UOFFICER", "ULEAD"
PEOPLE = ["UA", "UB", "UC", "UD"]


@pytest.fixture
def core(db, clock: FakeClock) -> Core:
    settings = Settings.load(database_url=db.url, debrief_secret="s", debrief_wellbeing_officers=OFFICER,
                             debrief_min_group=3, debrief_retention_days=30)
    return Core.build(settings, clock=clock, database=db)


async def debrief(core: Core, workspace: str = "T1", team: str = "CWARD"):  # type: ignore[no-untyped-def]
    return await core.debriefs.start(platform="slack", workspace=workspace, team=team, lead=LEAD, script_id="stop5",
                                     participants=PEOPLE)


async def note(core: Core, debrief_id, user: str, text: str, share: bool = False) -> None:  # type: ignore[no-untyped-def]
    await record(core.debriefs, debrief_id, "debrief", user, {"distress": 2, "team_note": text},
                                      shared={"team_note"} if share else ())


async def test_only_officers_read_notes_and_reading_is_audited(core: Core) -> None:
    with pytest.raises(NotAllowed):
        await core.notes.view(LEAD, platform="slack", workspace="T1")
    await core.notes.view(OFFICER, platform="slack", workspace="T1")
    async with core.database.session() as session:
        audited = [(row.actor, row.action) for row in (await session.execute(AuditEvent.__table__.select())).all()]
    assert audited == [(OFFICER, "notes.read")]  # the refused look read nothing and wrote nothing


async def test_a_small_stage_is_held_back_until_enough_answer_or_it_closes(core: Core, clock: FakeClock) -> None:
    first = await debrief(core)
    await note(core, first.id, "UA", "only one so far")
    await note(core, first.id, "UB", "for the team", share=True)
    held = await core.notes.view(OFFICER, platform="slack", workspace="T1")
    assert held.count == 0 and held.held_back == 1
    await core.debriefs.close(first.id, LEAD)  # the debrief's own answers have closed: nobody else can answer
    shown = await core.notes.view(OFFICER, platform="slack", workspace="T1")
    assert [n.text for team in shown.teams for n in team.notes] == ["only one so far"]  # shared text is not here
    assert shown.held_back == 0


async def test_notes_are_per_workspace_within_retention_crisis_first_and_shuffled(core: Core, clock: FakeClock) -> None:
    ward = await debrief(core)
    for number, person in enumerate(PEOPLE[:3]):
        await note(core, ward.id, person, f"note {number}")
    await note(core, ward.id, PEOPLE[3], "I can't go on like this")
    await core.debriefs.close(ward.id, LEAD)  # its window is over: whatever waited for a batch is released
    elsewhere = await debrief(core, workspace="T2")
    for person in PEOPLE:
        await note(core, elsewhere.id, person, "another hospital")
    orders = set()
    for _ in range(12):
        shown = await core.notes.view(OFFICER, platform="slack", workspace="T1")
        texts = [n.text for team in shown.teams for n in team.notes]
        assert texts[0] == "I can't go on like this" and shown.crisis == 1 and "another hospital" not in texts
        orders.add(tuple(texts[1:]))
    assert len(orders) > 1  # a fresh random order each time: not the order they were written
    clock.advance(timedelta(days=31))  # beyond DEBRIEF_RETENTION_DAYS, even when 90 days are asked for
    assert (await core.notes.view(OFFICER, platform="slack", workspace="T1", days=90)).count == 0
