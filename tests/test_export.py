"""`debrief-bot export`: aggregates only, suppressed, never identifiers or free text."""

from __future__ import annotations

import asyncio
import csv
import io
import subprocess
from datetime import timedelta

import pytest
from answering import record
from test_schema import _cli, _cli_env

from bot.clock import FakeClock
from bot.core import Core
from bot.export import FIELDS, parse_since, to_csv
from bot.settings import Settings
from bot.wellbeing import Wellbeing

PEOPLE = [f"UPERSON{n:02d}" for n in range(8)]
LEAD = "ULEADNURSE"
SECRET_TEXT = "I froze when the monitor alarmed"
LABEL = "Bay 4 arrest"


async def seed(core: Core, clock: FakeClock) -> None:
    for team, people in (("C-ED", PEOPLE), ("C-ICU", PEOPLE[:4])):
        debrief = await core.debriefs.start(
            platform="slack", workspace="T1", team=team, lead=LEAD, script_id="stop5", participants=people, label=LABEL
        )
        for n, person in enumerate(people):
            await record(core.debriefs,
                debrief.id, "debrief", person, {"distress": n, "team_note": SECRET_TEXT},
                shared={"team_note"} if n % 2 else set(),
            )
    clock.advance(timedelta(hours=1))


async def test_export_holds_suppressed_aggregates_and_nothing_else(core, clock):
    await seed(core, clock)
    report = await Wellbeing(core.database, 5).report(clock.now())
    text = to_csv(report, 30)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert tuple(rows[0]) == FIELDS
    for needle in (*PEOPLE, LEAD, SECRET_TEXT, LABEL, "froze"):
        assert needle not in text
    assert {row["period"] for row in rows} == {"30d", "w0", "w1", "w2", "w3"}
    by = {(r["figure"], r["period"], r["team"], r["column"]): r for r in rows}
    # ED: 9 people invited (the lead too) and 8 answered; ICU: 5 invited, 4 answered: fewer than 5
    assert by[("responses", "30d", "C-ED", "debrief")]["count"] in ("8", "")
    assert by[("invited", "30d", "C-ED", "debrief")]["count"] == "9"
    icu = by[("responses", "30d", "C-ICU", "debrief")]
    assert icu["count"] == "" and icu["suppressed"] == "yes"
    # and the total minus ED cannot give ICU back
    assert by[("responses", "30d", "all", "debrief")]["suppressed"] == "yes" or \
        by[("responses", "30d", "C-ED", "debrief")]["suppressed"] == "yes"
    for row in rows:
        if row["count"]:
            assert int(row["count"]) == 0 or int(row["count"]) >= 5


def test_since_accepts_the_report_periods_only():
    assert parse_since("30d") == 30 and parse_since("7D") == 7 and parse_since("90") == 90
    with pytest.raises(ValueError, match="--since"):
        parse_since("45d")


def test_export_command(database_url, tmp_path):
    async def prepare():
        from bot.db import Database
        from bot.schema import upgrade

        database = Database(database_url)
        try:
            await upgrade(database)
            settings = Settings.load(database_url=database_url, debrief_secret="s")
            await seed(Core.build(settings, clock=FakeClock(), database=database), FakeClock())
        finally:
            await database.dispose()

    asyncio.run(prepare())
    done = subprocess.run([*_cli(), "export", "--since", "90d", "--format", "csv"], env=_cli_env(database_url),
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(",".join(FIELDS))
    assert "Time from event to debrief" in done.stderr
    assert SECRET_TEXT not in done.stdout and LEAD not in done.stdout
    bad = subprocess.run([*_cli(), "export", "--since", "12d"], env=_cli_env(database_url),
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and bad.stderr.startswith("--since")
