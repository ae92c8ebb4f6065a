"""The wellbeing report on a large database: 100,000 debriefs, 1,000,000 answers.

    python bench/summary_bench.py [--database sqlite|postgresql|both] [--runs 15] [--live-runs 5] [--reuse]

Seeds, on SQLite (a file under /tmp) and on PostgreSQL (a database of its
own, default `summary_bench` on 127.0.0.1, created if missing; never the
test database):

* 100,000 debriefs over the last 365 days in 40 teams, 4 people each
  (400,000 participants), about a quarter of them in the report's 90 days;
* 1,000,000 answers (debrief stage and 24h/7d check-ins; a third of them the
  0-10 distress rating) and 300,000 receipts; 20,000 action points,
  5,000 skipped debriefs, 2,000 support requests;
* each debrief's answer window as the bot sets it (24h,7d: answers close
  10 days after the start) and its key, as in a running deployment.

Then the real `Debriefs.expire_keys` runs at the bench's "now" over the
seeded data (tallies cleared first, so it is the code as it is): the keys
of closed windows go and those debriefs get their `StageTally` rows; the
last 10 days stay live. It prints how many debriefs of the report's window
are tallied and how many live.

Bulk insert: COPY through asyncpg on PostgreSQL, executemany on SQLite.
`--reuse` keeps the database of an earlier run when it holds as many
debriefs and answers (the schema is still upgraded). Then times
`Wellbeing.report` (every figure for 7, 30 and 90 days, overall and per
team, suppressed; computed afresh every time, after one warm-up report for
connections and statement caches) `--runs` times and prints the median, the
95th percentile, the number of SQL statements per report (counted with a
`before_cursor_execute` event), this process's CPU time per report, and the
load average: on a busy machine wall times grow with the load, CPU time much
less. Goals: at most 200 ms on PostgreSQL and 500 ms on SQLite. The same
figures for the report counted entirely live (`--live-runs` times, taking
turns with the other) are the baseline, and the two reports must be
identical (`Report.rows()`, teams, stages), or the bench stops. A script,
not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import delete, event, func, insert, select, update

from bot.clock import FakeClock
from bot.db import Database
from bot.debriefs import LAST_STAGE_WINDOW, Debriefs
from bot.models import (
    ActionPoint,
    Answer,
    AnswerReceipt,
    Debrief,
    DebriefKey,
    Participant,
    SkippedDebrief,
    StageTally,
    SupportRequest,
)
from bot.schema import upgrade
from bot.scripts import Library
from bot.settings import Settings
from bot.wellbeing import PERIODS, Wellbeing

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
TEAMS = [f"C-TEAM{n:02d}" for n in range(40)]
STAGES = ("debrief", "24h", "7d")
ANSWER_WINDOW = timedelta(days=7) + LAST_STAGE_WINDOW
"""24h,7d: the last stage's answers close 3 days after it is due, as `Debriefs.start` sets it."""


def naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def rows(debriefs: int, answers: int, rng: random.Random) -> dict[str, tuple[list[str], list[tuple]]]:
    """Every table's columns and rows (naive UTC times, as UTCDateTime stores them)."""
    d_rows, k_rows, p_rows, r_rows, a_rows, ap_rows, s_rows, sr_rows = [], [], [], [], [], [], [], []
    ids = []
    receipts_per_debrief = 3
    answers_per_receipt = answers // (debriefs * receipts_per_debrief)
    extra = answers - debriefs * receipts_per_debrief * answers_per_receipt
    for n in range(debriefs):
        did = uuid.uuid4()
        ids.append(did)
        started = naive(NOW - timedelta(seconds=rng.randrange(365 * 86400)))
        team = TEAMS[n % len(TEAMS)]
        d_rows.append((did, "slack", "T1", team, f"U{n}", "stop5", 1, "24h,7d", started, started + ANSWER_WINDOW,
                       "closed", 0))
        k_rows.append((did, rng.randbytes(32)))
        for p in range(4):
            p_rows.append((uuid.uuid4(), did, f"U{n}-{p}", False))
        for r in range(receipts_per_debrief):
            stage = STAGES[r % 3]
            r_rows.append((uuid.uuid4(), did, stage, uuid.uuid4().hex))
            count = answers_per_receipt + (1 if extra > 0 else 0)
            extra -= 1 if extra > 0 else 0
            for q in range(count):
                if q == 0:
                    a_rows.append((uuid.uuid4(), did, stage, "distress", rng.randint(0, 10), None, None, False))
                else:
                    a_rows.append((uuid.uuid4(), did, stage, f"q{q}", None, "reacting", None, False))
    for _ in range(20_000):
        ap_rows.append((uuid.uuid4(), rng.choice(ids), "a change", "UOWNER", rng.choice(["open", "done"]), "ULEAD",
                        naive(NOW - timedelta(days=rng.randrange(365)))))
    for _ in range(5_000):
        s_rows.append((uuid.uuid4(), "slack", "T1", rng.choice(TEAMS), "ULEAD", rng.choice(["not_needed", "no_time", "other"]),
                       naive(NOW - timedelta(seconds=rng.randrange(365 * 86400)))))
    for n in range(2_000):
        sr_rows.append((uuid.uuid4(), "slack", "T1", f"U{n}", rng.choice(ids), rng.choice(["open", "claimed", "closed"]),
                        naive(NOW - timedelta(seconds=rng.randrange(365 * 86400)))))
    return {
        "debriefs": (["id", "platform", "workspace", "team", "lead", "script_id", "script_version", "schedule",
                      "started_at", "key_expires_at", "status", "shown_count"], d_rows),
        "debrief_keys": (["debrief_id", "key"], k_rows),
        "participants": (["id", "debrief_id", "user", "followups_stopped"], p_rows),
        "answer_receipts": (["id", "debrief_id", "stage", "digest"], r_rows),
        "answers": (["id", "debrief_id", "stage", "question", "number", "choice", "text", "shared_with_team"], a_rows),
        "action_points": (["id", "debrief_id", "text", "owner", "status", "created_by", "created_at"], ap_rows),
        "skipped_debriefs": (["id", "platform", "workspace", "team", "lead", "reason", "created_at"], s_rows),
        "support_requests": (["id", "platform", "workspace", "user", "debrief_id", "status", "created_at"], sr_rows),
    }


TABLES = {
    "debriefs": Debrief, "debrief_keys": DebriefKey, "participants": Participant, "answer_receipts": AnswerReceipt,
    "answers": Answer,
    "action_points": ActionPoint, "skipped_debriefs": SkippedDebrief, "support_requests": SupportRequest,
}


async def seed(database: Database, data: dict) -> None:
    if database.is_sqlite:
        async with database.engine.begin() as conn:
            for name, (columns, values) in data.items():
                table = TABLES[name].__table__
                # executemany through the driver, with SQLAlchemy's own bind processing (UUIDs as hex)
                await conn.execute(insert(table), [dict(zip(columns, _sqlite(row), strict=True)) for row in values])
            await conn.exec_driver_sql("ANALYZE")
        return
    async with database.engine.connect() as conn:
        raw = (await conn.get_raw_connection()).driver_connection
        for name, (columns, values) in data.items():
            await raw.copy_records_to_table(name, records=values, columns=columns)
        # what autovacuum does soon after a load: statistics, and the visibility map for index-only scans
        await raw.execute("VACUUM ANALYZE")


def _sqlite(row: tuple) -> tuple:
    return tuple(v.replace(tzinfo=UTC) if isinstance(v, datetime) else v for v in row)


async def prepare_postgres(url: str) -> None:
    import asyncpg
    from sqlalchemy.engine import make_url

    name = make_url(url).database
    admin = make_url(url).set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def seeded_already(url: str, data: dict) -> bool:
    """Whether `url` holds a seeding of the same size (`--reuse`): seeding takes minutes."""
    database = Database(url)
    try:
        async with database.engine.connect() as conn:
            for name in ("debriefs", "answers"):
                if (await conn.execute(select(func.count()).select_from(TABLES[name]))).scalar() != len(data[name][1]):
                    return False
            # an earlier seeding without answer windows (every key expired at the start) is seeded afresh
            windowless = select(func.count()).where(Debrief.key_expires_at == Debrief.started_at)
            return (await conn.execute(windowless)).scalar() == 0
    except Exception:  # noqa: BLE001 - no database, no table: seed it
        return False
    finally:
        await database.dispose()


@dataclass
class Figures:
    median: float
    p95: float
    cpu: float
    """CPU seconds of this process per report (on SQLite that includes the queries)."""
    statements: int

    @classmethod
    def of(cls, samples: list[tuple[float, float, int]]) -> Figures:
        """From (wall, CPU, statements) per report."""
        times = [wall for wall, _, _ in samples]
        p95 = statistics.quantiles(times, n=20, method="inclusive")[-1] if len(times) > 1 else times[0]
        return cls(statistics.median(times), p95, statistics.mean(c for _, c, _ in samples), samples[0][2])

    def line(self) -> str:
        return (
            f"median {self.median * 1000:5.0f} ms  p95 {self.p95 * 1000:5.0f} ms  SQL statements per report: "
            f"{self.statements}  CPU in this process {self.cpu * 1000:.0f} ms/report"
        )


@dataclass
class Outcome:
    report: Figures
    live: Figures
    """The same report counted entirely live: the baseline."""
    seeded: float | None
    expiry: float
    tallied: int
    untallied: int
    """Debriefs of the report's window with their tallies, and counted live."""


async def expire(database: Database) -> float:
    """The real key expiry at NOW over the seeded data, tallies cleared first; seconds it took.

    Then what autovacuum does soon after (statistics, the visibility map for
    index-only scans): a deployment tallies a few debriefs at a time, not
    90,000 at once.
    """
    async with database.session() as session:
        await session.execute(delete(StageTally))
        await session.execute(update(Debrief).where(Debrief.tallied.is_(True)).values(tallied=False))
    settings = Settings.load(database_url=database.url, debrief_secret="bench", debrief_followups="24h,7d")
    debriefs = Debriefs(database, Library.load(settings.debrief_scripts_dir), settings, FakeClock(NOW))
    started = time.perf_counter()
    await debriefs.expire_keys()
    took = time.perf_counter() - started
    async with database.engine.connect() as conn:
        if database.is_sqlite:
            await conn.exec_driver_sql("ANALYZE")
            await conn.commit()
        else:
            raw = (await conn.get_raw_connection()).driver_connection
            await raw.execute("VACUUM ANALYZE")
    return took


async def bench(url: str, data: dict, runs: int, live_runs: int, reuse: bool) -> Outcome:
    seeded: float | None = None
    fresh = not (reuse and await seeded_already(url, data))
    if fresh:
        if url.startswith("postgresql"):
            await prepare_postgres(url)
        else:
            Path(url.split("///", 1)[1]).unlink(missing_ok=True)
    database = Database(url)
    try:
        await upgrade(database)
        if fresh:
            started = time.perf_counter()
            await seed(database, data)
            seeded = time.perf_counter() - started
        expiry = await expire(database)
        window = [Debrief.started_at >= NOW - timedelta(days=max(PERIODS)), Debrief.started_at < NOW]
        async with database.session() as session:
            split = dict((await session.execute(
                select(Debrief.tallied, func.count()).where(*window).group_by(Debrief.tallied)
            )).all())
        statements = [0]

        def count(*_args: object) -> None:
            statements[0] += 1

        event.listen(database.engine.sync_engine, "before_cursor_execute", count)
        wellbeing = Wellbeing(database, 5)

        async def timed(tallies: bool) -> tuple[float, float, int]:
            statements[0] = 0
            cpu, started = time.process_time(), time.perf_counter()
            await wellbeing._report(NOW, None, tallies=tallies)
            return time.perf_counter() - started, time.process_time() - cpu, statements[0]

        # warm: connections, statement caches; each report is computed afresh every time
        report, live = await wellbeing.report(NOW), await wellbeing._report(NOW, None, tallies=False)
        if (report.rows(), report.teams, report.stages) != (live.rows(), live.teams, live.stages):
            raise SystemExit(f"{url}: the report from tallies differs from the one counted live")
        assert report.figures["debriefs held"].get("90d") is not None
        ours, baseline = [], []
        for n in range(runs):  # taking turns: a change of load weighs on both
            ours.append(await timed(True))
            if n < live_runs:
                baseline.append(await timed(False))
        return Outcome(Figures.of(ours), Figures.of(baseline), seeded, expiry, split.get(True, 0), split.get(False, 0))
    finally:
        await database.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--postgres", default="postgresql+asyncpg://root@127.0.0.1:5432/summary_bench")
    parser.add_argument("--sqlite", default="sqlite+aiosqlite:////tmp/summary_bench.db")
    parser.add_argument("--debriefs", type=int, default=100_000)
    parser.add_argument("--answers", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--live-runs", type=int, default=5, help="reports counted entirely live, the baseline")
    parser.add_argument("--reuse", action="store_true", help="keep a database seeded earlier with as many rows")
    args = parser.parse_args()
    if args.postgres.rsplit("/", 1)[-1] == "test":
        parser.error("--postgres: not the test database")
    data = rows(args.debriefs, args.answers, random.Random(6))
    print(f"seeded rows: {', '.join(f'{name} {len(values):,}' for name, (_, values) in data.items())}")
    goals = {"sqlite": (args.sqlite, 0.5), "postgresql": (args.postgres, 0.2)}
    kinds = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    ok = True
    for kind in kinds:
        url, goal = goals[kind]
        outcome = asyncio.run(bench(url, data, args.runs, args.live_runs, args.reuse))
        met = outcome.report.median <= goal
        ok &= met
        seeded = "reused" if outcome.seeded is None else f"seeded in {outcome.seeded:.0f} s"
        print(
            f"{kind:10} {outcome.tallied:,} debriefs of the 90 days tallied, {outcome.untallied:,} live "
            f"(key expiry and tallies over the whole database: {outcome.expiry:.1f} s; {seeded}); "
            f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
        )
        print(f"{kind:10} report      {outcome.report.line()}  ({args.runs} runs)  "
              f"goal {goal * 1000:.0f} ms {'met' if met else 'MISSED'}")
        print(f"{kind:10} all live    {outcome.live.line()}  ({args.live_runs} runs)  "
              f"ratio {outcome.report.median / outcome.live.median:.2f}x; output identical")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
