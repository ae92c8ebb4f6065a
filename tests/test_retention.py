"""Retention: free text older than DEBRIEF_RETENTION_DAYS goes; counts stay; dry run changes nothing."""

from __future__ import annotations

from datetime import timedelta

from answering import record
from sqlalchemy import select

from bot.models import ActionPoint, Answer, AuditEvent, Debrief, SkippedDebrief
from bot.retention import PURGED, purge
from bot.wellbeing import Wellbeing

PEOPLE = [f"U{n}" for n in range(6)]


async def _debrief(core, note):
    debrief = await core.debriefs.start(platform="slack", workspace="T1", team="C1", lead="UL", script_id="stop5",
                                        participants=PEOPLE, label=f"label {note}")
    for n, person in enumerate(PEOPLE):
        await record(core.debriefs, debrief.id, "debrief", person, {"distress": n, "team_note": note})
    await core.debriefs.release(debrief.id, "debrief", everything=True)  # as when the stage's window ends
    point = await core.debriefs.add_action_point(debrief.id, text=f"fix {note}", owner="UL", due_on=None, actor="UL")
    await core.actions.close(point.id, "UL", "done", f"fixed {note}")  # its one closing line is free text too
    return debrief


async def test_old_free_text_goes_and_new_stays(core, clock):
    old = await _debrief(core, "old words")
    await core.debriefs.skip(platform="slack", workspace="T1", team="C1", lead="UL", reason="other", detail="old skip")
    clock.advance(timedelta(days=100))
    new = await _debrief(core, "new words")
    clock.advance(timedelta(hours=1))
    before = await Wellbeing(core.database, 5).report(clock.now())

    dry = await purge(core.database, clock.now(), 90, dry_run=True)
    assert dry.counts == {"answer texts": 6, "event labels": 1, "action point texts": 1, "action point outcomes": 1,
                          "skip details": 1, "support preferred times": 0}
    assert any("would clear 6 answer texts" in line for line in dry.lines())
    async with core.database.session() as session:
        assert (await session.execute(select(Answer.text).where(Answer.debrief_id == old.id, Answer.text.is_not(None)))).all()

    done = await purge(core.database, clock.now(), 90, dry_run=False)
    assert done.counts == dry.counts
    async with core.database.session() as session:
        texts = {(row.debrief_id, row.text) for row in (await session.execute(select(Answer.debrief_id, Answer.text))).all()}
        labels = dict((await session.execute(select(Debrief.id, Debrief.label))).all())
        actions = dict((await session.execute(select(ActionPoint.debrief_id, ActionPoint.text))).all())
        outcomes = dict((await session.execute(select(ActionPoint.debrief_id, ActionPoint.outcome))).all())
        skip = (await session.execute(select(SkippedDebrief.detail))).scalar_one()
        audit = (await session.execute(select(AuditEvent).where(AuditEvent.action == "retention.purged"))).scalar_one()
    assert (old.id, "old words") not in texts and (new.id, "new words") in texts
    assert labels[old.id] is None and labels[new.id] == "label new words"
    assert actions[old.id] == PURGED and actions[new.id] == "fix new words"
    assert outcomes[old.id] is None and outcomes[new.id] == "fixed new words"
    assert skip is None and "answer texts: 6" in audit.detail
    # the numbers do not change
    after = await Wellbeing(core.database, 5).report(clock.now())
    assert after.rows() == before.rows()
    # and a second purge finds nothing
    again = await purge(core.database, clock.now(), 90, dry_run=True)
    assert set(again.counts.values()) == {0}


def test_purge_dry_run_command(database_url, tmp_path):
    import asyncio
    import subprocess

    from test_schema import _cli, _cli_env

    from bot.db import Database
    from bot.schema import upgrade

    async def prepare():
        database = Database(database_url)
        try:
            await upgrade(database)
        finally:
            await database.dispose()

    asyncio.run(prepare())
    env = {**_cli_env(database_url), "DEBRIEF_RETENTION_DAYS": "30"}
    done = subprocess.run([*_cli(), "purge", "--dry-run"], env=env, cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert "would clear 0 answer texts" in done.stdout
