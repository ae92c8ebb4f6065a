"""Follow-up dispatch under a platform rate limit, with a process killed mid-run.

    python bench/followups_bench.py [--followups 10000] [--rate 100]

What it does, all on this machine:

1. Empties a PostgreSQL database of its own (default `followups_bench` on
   127.0.0.1, created if missing; never the test database) and migrates it.
2. Starts debriefs that began 25 hours ago, so that `--followups` 24-hour
   follow-ups are due at once (100 people per debrief, the most allowed).
3. Runs a loopback platform (`tests/fake_platform.py`) that answers in
   `--latency` (20 ms) and enforces `--rate` messages per second (100) with
   a token bucket that starts empty: beyond it, HTTP 429 with Retry-After.
4. Runs two dispatcher processes (`tests/dispatcher_worker.py`: the real
   Core and Dispatcher, a generic HTTP messenger). When `--kill-at` of the
   follow-ups have been delivered, one is killed with SIGKILL; it is
   restarted `--restart-after` seconds later (a supervisor's job), or
   not with `--no-restart`.
5. Waits until every row is marked sent (or `--timeout`), and prints the
   achieved rate as a fraction of the enforced limit, and the lost and
   duplicate counts, checked on the platform's side and in the database.

With `--platform slack` the platform is the fake Slack Web API
(`tests/fake_slack.py`: the same latency and the same token bucket for
`chat.postMessage`, 429 with Retry-After beyond; `--slack-limit window`
counts at most `--rate` calls in any one second instead)
and the processes send through the real `SlackMessenger` and slack_sdk
client: Block Kit check-ins with message metadata, and after the kill
`conversations.history` to find what the killed process had sent.

Goal: at least 0.9 of the limit, 0 lost, 0 duplicates. It is a script, not
a test, and its request loops are bounded in count and time.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from fake_platform import Delivery, FakePlatform, serve  # noqa: E402
from fake_slack import FakeSlack  # noqa: E402
from sqlalchemy import func, select  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bot.clock import FakeClock  # noqa: E402
from bot.core import Core  # noqa: E402
from bot.db import Database  # noqa: E402
from bot.models import Followup, FollowupStatus  # noqa: E402
from bot.schema import upgrade  # noqa: E402
from bot.settings import Settings, normalise_database_url  # noqa: E402

WORKER = ROOT / "tests" / "dispatcher_worker.py"
PEOPLE = 100
SECRET = "followups-bench"


async def fresh_database(url: str) -> None:
    """Create the bench database if needed, then empty it."""
    import asyncpg

    parsed = make_url(url)
    admin = parsed.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    conn = await asyncpg.connect(admin)
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", parsed.database)
        if not exists:
            await conn.execute(f'CREATE DATABASE "{parsed.database}"')
    finally:
        await conn.close()
    conn = await asyncpg.connect(parsed.set(drivername="postgresql").render_as_string(hide_password=False))
    try:
        await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    finally:
        await conn.close()


async def create_followups(database: Database, count: int, platform: str = "loopback", workspace: str = "T1") -> Core:
    clock = FakeClock(datetime.now(UTC) - timedelta(hours=25))
    settings = Settings.load(database_url=database.url, debrief_secret=SECRET, debrief_followups="24h")
    core = Core.build(settings, clock=clock, database=database)
    limit = asyncio.Semaphore(8)

    async def one(number: int, people: int) -> None:
        async with limit:
            await core.debriefs.start(
                platform=platform,
                workspace=workspace,
                team=f"C{number}",
                lead=f"U{number:04}-LEAD",  # Slack user ids start with U
                script_id="stop5",
                participants=[f"U{number:04}-{person:03}" for person in range(people - 1)],
            )

    sizes = [PEOPLE] * (count // PEOPLE) + ([count % PEOPLE] if count % PEOPLE else [])
    await asyncio.gather(*(one(number, size) for number, size in enumerate(sizes)))
    return core


async def spawn(
    name: str, url: str, database_url: str, args: argparse.Namespace, started: dict[str, asyncio.subprocess.Process]
) -> asyncio.subprocess.Process:
    env = dict(
        os.environ,
        DATABASE_URL=database_url,
        DEBRIEF_SECRET=SECRET,
        DEBRIEF_QUIET_HOURS="00:00-00:00",
        SLACK_BOT_TOKEN="",
        SLACK_CLIENT_ID="",
    )
    if args.platform == "slack":  # `url` is the fake Slack Web API
        env.update(SLACK_BOT_TOKEN=FakeSlack().bot_token, SLACK_SIGNING_SECRET="bench", SLACK_API_URL=url)
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(WORKER), "--platform-url", url, "--worker-id", name, "--platform", args.platform,
        "--lease", str(args.lease), "--concurrency", str(args.concurrency), "--log-level", args.worker_log_level,
        stdout=asyncio.subprocess.PIPE, env=env,
    )  # fmt: skip
    started[name] = process
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), 30)
    if line.strip() != b"ready":
        raise RuntimeError(f"dispatcher {name} did not start")
    return process


async def sent_rows(core: Core) -> int:
    async with core.database.session() as session:
        result = await session.execute(
            select(func.count()).select_from(Followup).where(Followup.status == FollowupStatus.SENT)
        )
        return int(result.scalar_one())


class SlackLedger:
    """The check-ins FakeSlack received, counted like FakePlatform counts its deliveries."""

    def __init__(self, fake: FakeSlack) -> None:
        self.fake = fake
        self.deliveries: list[Delivery] = []
        self.counts: Counter[str] = Counter()
        self.rejected = 0
        self.checked_queries = 0
        self.found_queries = 0
        self._read = 0

    def refresh(self) -> None:
        exchanges = self.fake.exchanges
        for exchange in exchanges[self._read :]:
            if exchange.method == "conversations.history":
                self.checked_queries += 1
            elif exchange.method != "chat.postMessage":
                continue
            elif exchange.status == 429:
                self.rejected += 1
            elif exchange.body.get("ok") and exchange.args.get("metadata"):
                followup = str(exchange.args["metadata"]["event_payload"]["followup_id"])
                self.counts[followup] += 1
                self.deliveries.append(Delivery(followup, exchange.args["channel"], "24h", False, "", exchange.at, ""))
        self._read = len(exchanges)

    def duplicates(self) -> int:
        return sum(count - 1 for count in self.counts.values() if count > 1)


async def sent_by_worker(core: Core) -> dict[str, int]:
    async with core.database.session() as session:
        rows = await session.execute(
            select(Followup.leased_by, func.count()).where(Followup.status == FollowupStatus.SENT).group_by(Followup.leased_by)
        )
        return {str(worker): int(count) for worker, count in rows.all()}


async def other_rows(core: Core) -> dict[str, int]:
    async with core.database.session() as session:
        rows = await session.execute(
            select(Followup.status, func.count()).where(Followup.status != FollowupStatus.SENT).group_by(Followup.status)
        )
        return {str(status.value): int(count) for status, count in rows.all()}


async def main(args: argparse.Namespace) -> int:
    url = normalise_database_url(args.database_url)
    print(f"database: {make_url(url).render_as_string(hide_password=True)}", flush=True)
    await fresh_database(url)
    database = Database(url)
    await upgrade(database)
    began = time.monotonic()
    fake: FakeSlack | None = None
    if args.platform == "slack":
        fake = await FakeSlack().start()
        fake.latency, fake.limit_per_second = args.latency, args.rate
        fake.limit_bucket = args.slack_limit == "bucket"
        platform: FakePlatform | SlackLedger = SlackLedger(fake)
        platform_url = fake.api_url
        core = await create_followups(database, args.followups, "slack", fake.team_id)
    else:
        platform = FakePlatform(latency=args.latency, rate_limit=args.rate)
        runner, platform_url = await serve(platform)
        core = await create_followups(database, args.followups)
    print(f"{args.followups} follow-ups due at once on {args.platform} "
          f"(set up in {time.monotonic() - began:.1f}s)", flush=True)
    processes: dict[str, asyncio.subprocess.Process] = {}
    killed_at: float | None = None
    restarted = False
    try:
        await asyncio.gather(
            spawn("A", platform_url, url, args, processes), spawn("B", platform_url, url, args, processes)
        )
        started = time.monotonic()
        deadline = started + args.timeout
        while time.monotonic() < deadline:
            await asyncio.sleep(0.2)
            if isinstance(platform, SlackLedger):
                platform.refresh()
            delivered = len(platform.counts)
            if killed_at is None and delivered >= args.kill_at * args.followups:
                processes["A"].send_signal(signal.SIGKILL)
                await processes["A"].wait()
                killed_at = time.monotonic()
                print(f"SIGKILL dispatcher A after {delivered} deliveries ({killed_at - started:.1f}s)", flush=True)
            if (
                killed_at is not None
                and not restarted
                and not args.no_restart
                and time.monotonic() - killed_at >= args.restart_after
            ):
                await spawn("A2", platform_url, url, args, processes)
                restarted = True
                print(f"restarted it as A2 ({time.monotonic() - started:.1f}s)", flush=True)
            if delivered >= args.followups and await sent_rows(core) >= args.followups:
                break
        finished = time.monotonic()
    finally:
        for process in processes.values():
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
        for process in processes.values():
            try:
                await asyncio.wait_for(process.wait(), 10)
            except TimeoutError:
                process.kill()
        if fake is not None:
            await fake.stop()
        else:
            await runner.cleanup()

    sent = await sent_rows(core)
    unsent = await other_rows(core)
    by_worker: dict[str, int] = {}
    if isinstance(platform, SlackLedger):
        platform.refresh()
        by_worker = await sent_by_worker(core)  # Slack does not know which process sent what; the rows do
    else:
        for delivery in platform.deliveries:
            by_worker[delivery.worker] = by_worker.get(delivery.worker, 0) + 1
    await database.dispose()

    times = sorted(delivery.at for delivery in platform.deliveries)
    span = times[-1] - times[0] if len(times) > 1 else float("nan")
    unique = len(platform.counts)
    rate = (unique - 1) / span if span else float("nan")
    lost = args.followups - unique
    duplicates = platform.duplicates()

    print()
    print(f"delivered:        {unique} of {args.followups} follow-ups in {span:.1f}s (first to last message)")
    print(f"by process:       {', '.join(f'{name} {count}' for name, count in sorted(by_worker.items()))}")
    print(f"achieved rate:    {rate:.1f} msg/s against a limit of {args.rate:g} msg/s")
    print(f"rate / limit:     {rate / args.rate:.3f}   (goal >= 0.9)")
    print(f"429 answers:      {platform.rejected} ({platform.rejected / max(unique, 1):.2f} per message)")
    if isinstance(platform, SlackLedger):
        print(f"after the kill:   {platform.checked_queries} conversations.history reads to find orphaned sends")
    else:
        print(f"after the kill:   {platform.found_queries} orphaned sends found on the platform and not re-sent "
              f"({platform.checked_queries} checks)")
    print(f"lost:             {lost} (platform)   {args.followups - sent} (rows not marked sent: {unsent or 'none'})")
    print(f"duplicates:       {duplicates}")
    print(f"wall time:        {finished - started:.1f}s")
    ok = rate / args.rate >= 0.9 and lost == 0 and duplicates == 0 and sent == args.followups
    print("RESULT:", "ok" if ok else "BELOW GOAL")
    return 0 if ok else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--followups", type=int, default=10_000)
    parser.add_argument("--platform", choices=["loopback", "slack"], default="loopback",
                        help="slack: the fake Slack Web API and the real SlackMessenger")
    parser.add_argument("--slack-limit", choices=["bucket", "window"], default="bucket",
                        help="how the fake Slack counts --rate: a token bucket starting empty (as the loopback "
                             "platform), or at most --rate calls in any one second")
    parser.add_argument("--rate", type=float, default=100.0, help="messages per second the platform allows")
    parser.add_argument("--latency", type=float, default=0.02, help="seconds the platform takes to answer")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", "postgresql+asyncpg://root@127.0.0.1:5432/followups_bench"),
    )
    parser.add_argument("--concurrency", type=int, default=16, help="sends in flight per process")
    parser.add_argument("--lease", type=float, default=15.0)
    parser.add_argument("--kill-at", type=float, default=0.4, help="fraction delivered when one process is killed")
    parser.add_argument("--restart-after", type=float, default=3.0)
    parser.add_argument("--no-restart", action="store_true")
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--worker-log-level", default="ERROR")
    sys.exit(asyncio.run(main(parser.parse_args())))
