"""The anonymity attack on shared lessons: 16 people write one at the 7-day check-in, in random order; nothing links.

`tests/attack.py` runs every channel (SQLite cells and WAL frames, PostgreSQL
`xmin` and `ctid`, every time- or sequence-like column, every log line at
DEBUG) against the order people wrote their lessons in. Lessons travel
sealed with the check-in's other answers and land in `shared_lessons` in
shuffled batches, so no channel may do better than chance within a batch:
neither while they wait, nor once released, nor after an officer has
reviewed them (the review's own writes are in the queue's random order).
"""

from __future__ import annotations

import random
import secrets

import pytest
from answering import record
from attack import LogCapture, Truth, attack, report, snapshot

from bot.clock import FakeClock
from bot.core import Core
from bot.models import SharedLesson
from bot.settings import Settings

LEAD = "ULEADNURSE"
PEOPLE = [f"UWARD{n:05d}" for n in range(15)]
OFFICER = "UOFFICER01"
MIN_GROUP = 5


@pytest.fixture
def core(db, clock: FakeClock) -> Core:
    settings = Settings.load(database_url=db.url, debrief_secret="deployment-secret", debrief_min_group=MIN_GROUP,
                             debrief_wellbeing_officers=OFFICER, log_level="DEBUG")
    return Core.build(settings, clock=clock, database=db)


async def test_no_channel_links_a_shared_lesson_to_its_author(core: Core, db) -> None:  # type: ignore[no-untyped-def]
    with LogCapture() as logs:
        debrief = await core.debriefs.start(platform="slack", workspace="T1", team="CWARD00001", lead=LEAD,
                                            script_id="stop5", participants=PEOPLE)
        everyone = [LEAD, *PEOPLE]
        random.shuffle(everyone)
        truth = Truth(min_group=MIN_GROUP)
        shots = []
        for n, person in enumerate(everyone):
            marker = "kiwi" + "".join(secrets.choice("abcdefghjk") for _ in range(8))  # no digits: never a postcode
            await record(core.debriefs, debrief.id, "7d", person,
                         {"distress": random.randint(0, 6), "lesson": f"Check the trolley before handover {marker}"},
                         {"lesson"})
            truth.add(person, marker)
            if n == 7:
                shots.append(await snapshot(db))  # some released, some waiting
        await core.debriefs.release(debrief.id, "7d", everything=True)  # the window's end: the last one
        shots.append(await snapshot(db))
        queue = await core.lessons.queue(OFFICER, platform="slack", workspace="T1")
        assert queue.count == len(everyone)
        for lesson in queue.lessons:
            await core.lessons.review(lesson.id, OFFICER, decision="approve", theme="handover", text=lesson.text)
        shots.append(await snapshot(db))
    assert len(shots[-1].tables[SharedLesson.__tablename__]) == len(everyone)
    findings = attack(shots, truth, {}, logs.lines, [])
    text = report(findings, f"shared lessons, {'SQLite' if db.is_sqlite else 'PostgreSQL'}")
    print("\n" + text)
    assert all(finding.p_value >= 1e-4 for finding in findings), text
    assert not any(marker in line for marker in truth.markers for line in logs.lines if "lesson" in line.lower()
                   and any(person in line for person in everyone))
