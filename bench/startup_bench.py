"""Start-up time to a healthy server, and its idle memory, against a baseline in the same run.

    python bench/startup_bench.py [--baseline main] [--runs 3] [--postgres postgresql://root@127.0.0.1:5432/bench_ops]

What it does, all on this machine:

1. Unpacks the baseline's code (`git archive BASELINE`, default `main`) into
   a temporary directory, so both sides run from plain source trees with the
   same interpreter and the same installed libraries.
2. Starts a loopback fake of the Slack Web API (`tests/fake_slack.py`), so
   that Slack is switched on as in production; Teams runs in local mode.
3. For each side, each database (a fresh SQLite file in a fresh directory; a
   PostgreSQL database of its own, emptied before every start, never the
   test database) and each of `--runs` rounds: runs `debrief-bot serve` as
   a child process on a free loopback port, polls `/healthz` until it
   answers 200, and reads the child's resident memory (VmRSS) then and again
   after `--idle` seconds without a request.
4. Prints the medians per side and database, and this code's figures as a
   ratio of the baseline's.

The project's aim is an idle RSS of at most 120 MB. The first start on an
empty database includes creating the schema. Both sides run in this
virtualenv: with the test extras installed, mako (Alembic's templates)
also loads pygments, about 7 MB that a production install (`pip install .`,
as in deploy/Dockerfile) does not have. It is a script, not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from fake_slack import FakeSlack  # noqa: E402

HEALTHY_TIMEOUT = 120.0
POLL_SECONDS = 0.05
SECRET = "startup-bench-secret-0123456789abcdef"


@dataclass
class Sample:
    seconds: float
    rss_healthy_kb: int
    rss_idle_kb: int


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


def unpack(ref: str, into: Path) -> Path:
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


async def empty_postgres(url: str) -> None:
    """Create the bench database if needed, then empty it."""
    import asyncpg
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    admin = parsed.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    conn = await asyncpg.connect(admin)
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", parsed.database):
            await conn.execute(f'CREATE DATABASE "{parsed.database}"')
    finally:
        await conn.close()
    conn = await asyncpg.connect(parsed.set(drivername="postgresql").render_as_string(hide_password=False))
    try:
        await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    finally:
        await conn.close()


async def healthy(port: int, process: asyncio.subprocess.Process) -> None:
    import aiohttp

    deadline = time.monotonic() + HEALTHY_TIMEOUT
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            if process.returncode is not None:
                raise RuntimeError(f"the server exited with status {process.returncode} before it was healthy")
            try:
                async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(POLL_SECONDS)
    raise RuntimeError(f"not healthy after {HEALTHY_TIMEOUT:.0f}s")


async def start_once(code: Path, database: str, slack_url: str, idle: float, postgres: str | None) -> Sample:
    with tempfile.TemporaryDirectory(prefix="startup-bench-") as workdir:
        if database == "postgresql":
            assert postgres is not None
            await empty_postgres(postgres)
            database_url = postgres
        else:
            database_url = f"sqlite:///{workdir}/debrief.db"
        port = free_port()
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("SLACK_", "MICROSOFT_", "DEBRIEF_", "TEST_DATABASE"))
        }
        env.update(
            PYTHONPATH=str(code),
            DATABASE_URL=database_url,
            DEBRIEF_SECRET=SECRET,
            HOST="127.0.0.1",
            PORT=str(port),
            SLACK_BOT_TOKEN=FakeSlack().bot_token,
            SLACK_SIGNING_SECRET="startup-bench",
            SLACK_API_URL=slack_url,
            LOG_LEVEL="WARNING",
            XDG_CONFIG_HOME=workdir,
        )
        began = time.perf_counter()
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-c", "import sys; from adapters.cli import main; sys.exit(main(['serve']))",
            cwd=workdir, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        try:
            await healthy(port, process)
            seconds = time.perf_counter() - began
            at_healthy = rss_kb(process.pid)
            await asyncio.sleep(idle)
            at_idle = rss_kb(process.pid)
        except RuntimeError:
            if process.returncode is None:
                process.kill()
            _, stderr = await process.communicate()
            sys.stderr.write(stderr.decode(errors="replace")[-2000:])
            raise
        process.terminate()
        await asyncio.wait_for(process.wait(), 30)
        return Sample(seconds, at_healthy, at_idle)


def median(samples: list[Sample]) -> Sample:
    return Sample(
        statistics.median(s.seconds for s in samples),
        int(statistics.median(s.rss_healthy_kb for s in samples)),
        int(statistics.median(s.rss_idle_kb for s in samples)),
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default="main", help="git ref of the code to compare with (default main)")
    parser.add_argument("--runs", type=int, default=3, help="starts per side and database (default 3)")
    parser.add_argument("--idle", type=float, default=5.0, help="seconds idle before the second reading (default 5)")
    parser.add_argument(
        "--postgres",
        default="postgresql://root@127.0.0.1:5432/bench_ops",
        help="a PostgreSQL database of the bench's own (emptied!); '' to skip PostgreSQL",
    )
    args = parser.parse_args()
    if args.postgres.rstrip("/").endswith("/test"):
        parser.error("--postgres: never the shared test database")

    databases = ["sqlite"] + (["postgresql"] if args.postgres else [])
    async with FakeSlack() as fake:
        with tempfile.TemporaryDirectory(prefix="startup-bench-base-") as base_dir:
            sides = {"this code": ROOT, f"baseline ({args.baseline})": unpack(args.baseline, Path(base_dir))}
            results: dict[tuple[str, str], list[Sample]] = {}
            for database in databases:
                for _ in range(args.runs):
                    for side, code in sides.items():  # interleaved, so both sides see the same machine load
                        sample = await start_once(code, database, fake.url, args.idle, args.postgres or None)
                        results.setdefault((side, database), []).append(sample)
    print(f"debrief-bot serve, Slack (loopback fake) and Teams local mode on; median of {args.runs} starts")
    print(f"{'side':<24} {'database':<11} {'to healthy':>11} {'RSS healthy':>12} {'RSS idle':>10}")
    medians = {key: median(samples) for key, samples in results.items()}
    for (side, database), m in medians.items():
        print(
            f"{side:<24} {database:<11} {m.seconds:>10.2f}s {m.rss_healthy_kb / 1024:>10.1f}MB "
            f"{m.rss_idle_kb / 1024:>8.1f}MB"
        )
    this, base = list(sides)
    for database in databases:
        mine, theirs = medians[(this, database)], medians[(base, database)]
        print(
            f"{database}: time to healthy x{mine.seconds / theirs.seconds:.2f}, "
            f"idle RSS x{mine.rss_idle_kb / theirs.rss_idle_kb:.2f} of the baseline "
            f"({'within' if mine.rss_idle_kb <= 120 * 1024 else 'above'} the 120 MB aim)"
        )


if __name__ == "__main__":
    asyncio.run(main())
