"""Slack request throughput: our server against a bare Bolt app, side by side, in one run.

    python bench/slack_bench.py [--requests N] [--concurrency C] [--rounds R] [--paths ack answer]
                                [--database-url URL] [--profile FILE]

Two paths, each measured from sending a signed request over loopback to
the end of the HTTP answer:

- ack: `/debrief` (slash command). Ours acks and opens the set-up modal.
- answer: the submission of the anonymous-answer modal. Ours stores the
  receipt and the sealed answer (one transaction; `bot.pending`) before it
  acks, and every DEBRIEF_MIN_GROUP-th answer of a debrief also releases a
  shuffled batch; each request is a different participant carrying the
  token their form opened with, so every one of them is a real first answer.

The bare app is a Bolt AsyncApp on aiohttp whose command and view listeners
only `ack()`: the floor that Bolt, signing and aiohttp set. Each path's
requests are sent in --rounds slices, bare and ours taking turns (bare first
in odd rounds, ours first in even ones), so that a change in the machine's
load during the run (two cores, shared) weighs on both apps alike. Each app runs in
its own process (the machine has two cores: one serves, one sends), both
against one FakeSlack (tests/fake_slack.py) in the load generator's process.
The database is a fresh SQLite file unless --database-url or
TEST_DATABASE_URL names a PostgreSQL one (it must be a database the bench
may write to; nothing is dropped).

Besides req/s and latency, each app's process reports its CPU time over
the measured rounds (and the second after them, for the modals and counters
ours finishes after acking). On two cores the load generator can be the
limit, and then both apps show the same req/s whatever they cost; CPU per
request is what the server itself spends, so its ratio (bare/ours) is the
capacity one app has against the other on the same machine.

Goals, printed, not asserted: ack path >= 0.8x bare, answer path >= 0.5x bare
in throughput (ours/bare), as the issue sets them; the CPU ratio is printed
beside them, without a verdict. Every path and app is bounded by --requests
and --max-seconds; --profile FILE writes cProfile stats of our server.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import multiprocessing
import os
import re
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for extra in (ROOT, ROOT / "tests", ROOT / "tests" / "slack"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

import aiohttp  # noqa: E402
from fake_slack import FakeSlack  # noqa: E402
from harness import BOT_TOKEN, SIGNING_SECRET, Reply, SlackClient, make_settings, state_values  # noqa: E402

GOALS = {"ack": 0.8, "answer": 0.5}
PEOPLE_PER_DEBRIEF = 100
WARMUP = 30


# -- the bench's one tie to the adapter's ids ------------------------------------------------------


def answer_view(core: Any, debrief: Any) -> dict[str, Any]:
    """The anonymous-answer modal exactly as the Slack adapter renders it for `debrief`.

    Its callback_id, block ids and private_metadata are the adapter's; the
    bench fills it in with `harness.state_values` like a person would, and
    `signed_for` gives each person the copy carrying their form's token.
    """
    from adapters.slack.metadata import DebriefRef
    from adapters.slack.render.forms import answer_modal
    from bot.scripts import DEBRIEF_STAGE

    questions = core.library.questions(core.debriefs.script(debrief.script_id), DEBRIEF_STAGE)
    return answer_modal(DebriefRef(debrief=debrief.id, stage=DEBRIEF_STAGE), questions)


def fill_in(view: dict[str, Any]) -> dict[str, Any]:
    """Answers to every question of a modal: the first option of each choice, a short text, no ticks."""
    answers: dict[str, Any] = {}
    for block in view["blocks"]:
        element = block.get("element") if block.get("type") == "input" else None
        if not element:
            continue
        if element.get("options") and element["type"] not in ("checkboxes", "multi_static_select"):
            answers[block["block_id"]] = element["options"][0]["value"]
        elif element["type"] == "plain_text_input":
            answers[block["block_id"]] = "Handover went well; the team pulled together."
    return answers


def signed_for(core: Any, debrief: Any, user: str, filled: dict[str, Any]) -> dict[str, Any]:
    """`user`'s own copy of the filled-in modal: its private_metadata carries the token the form opened with.

    The token is what `Debriefs.open_form` hands out when the form opens
    (membership checked then, not on the answer path being measured).
    """
    from adapters.slack.metadata import DebriefRef
    from bot.scripts import DEBRIEF_STAGE

    token = core.debriefs.forms.issue(debrief.id, DEBRIEF_STAGE, user)
    return {**filled, "private_metadata": DebriefRef(debrief=debrief.id, stage=DEBRIEF_STAGE, token=token).dump()}


# -- the apps, each in its own process ------------------------------------------------------------------


def _serve(kind: str, api_url: str, database_url: str, pipe: Any, callback_id: str, profile: str | None) -> None:
    """Child process: run one app on 127.0.0.1 (free port), send the port, stop when told."""
    logging.basicConfig(level=logging.ERROR)
    if not profile:
        asyncio.run(_serve_async(kind, api_url, database_url, pipe, callback_id))
        return
    import cProfile

    profiler = cProfile.Profile()
    profiler.enable()
    try:
        asyncio.run(_serve_async(kind, api_url, database_url, pipe, callback_id))
    finally:
        profiler.disable()
        profiler.dump_stats(profile)


async def _serve_async(kind: str, api_url: str, database_url: str, pipe: Any, callback_id: str) -> None:
    from aiohttp import web

    if kind == "bare":
        app = _bare_app(api_url, callback_id)
    else:
        from adapters.server import create_app

        where = SimpleNamespace(api_url=api_url)  # all make_settings reads from a FakeSlack
        settings = make_settings(where, database_url, log_level="ERROR")  # type: ignore[arg-type]
        app = create_app(settings, housekeeping=False)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    pipe.send(runner.addresses[0][1])
    loop = asyncio.get_running_loop()
    while await loop.run_in_executor(None, pipe.recv) == "cpu":
        pipe.send(time.process_time())
    await runner.cleanup()  # told "stop"


def _bare_app(api_url: str, callback_id: str) -> Any:
    from aiohttp import web
    from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
    from slack_bolt.async_app import AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient

    bolt = AsyncApp(
        signing_secret=SIGNING_SECRET,
        client=AsyncWebClient(token=BOT_TOKEN, base_url=api_url),
        logger=logging.getLogger("bench.bare"),
    )

    @bolt.command("/debrief")
    async def command(ack: Callable[[], Awaitable[None]]) -> None:
        await ack()

    @bolt.view(callback_id)
    async def submitted(ack: Callable[[], Awaitable[None]]) -> None:
        await ack()

    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    app = web.Application()
    app.router.add_post("/slack/events", events)
    return app


class Server:
    """One app in a child process."""

    def __init__(
        self, kind: str, api_url: str, database_url: str, callback_id: str, profile: str | None = None
    ) -> None:
        context = multiprocessing.get_context("spawn")
        self._pipe, child = context.Pipe()
        self.process = context.Process(
            target=_serve,
            args=(kind, api_url, database_url, child, callback_id, profile),
            name=f"bench-{kind}",
            daemon=True,
        )
        self.kind = kind
        self.url = ""

    async def start(self, timeout: float = 60.0) -> None:
        self.process.start()
        loop = asyncio.get_running_loop()
        ready = await loop.run_in_executor(None, self._pipe.poll, timeout)
        if not ready:
            self.process.terminate()
            raise RuntimeError(f"the {self.kind} app did not start within {timeout:.0f}s")
        self.url = f"http://127.0.0.1:{self._pipe.recv()}"

    async def cpu(self) -> float:
        """The app process's CPU seconds so far (user and system, every thread)."""
        self._pipe.send("cpu")
        return await asyncio.get_running_loop().run_in_executor(None, self._pipe.recv)

    async def stop(self) -> None:
        if self.process.is_alive():
            self._pipe.send("stop")
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(None, self.process.join, 30)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(5)


# -- load ------------------------------------------------------------------------------------------------


@dataclass
class Result:
    path: str
    app: str
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    """The app process's CPU time over the measured rounds and what it finished after them."""
    first_error: str = ""

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms(self) -> float:
        """Server CPU per measured request: what the app costs, whichever side limits req/s."""
        return self.cpu_seconds * 1000 / len(self.latencies) if self.latencies else float("nan")

    def percentile(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def load(
    send: Callable[[int], Awaitable[Reply]],
    ok: Callable[[Reply], bool],
    count: int,
    concurrency: int,
    max_seconds: float,
    result: Result,
    offset: int = 0,
) -> Result:
    """Send `count` requests from `concurrency` workers, stopping early after `max_seconds`; add to `result`."""
    counter = iter(range(count))
    started = time.perf_counter()
    deadline = started + max_seconds

    async def worker() -> None:
        for index in counter:
            if time.perf_counter() > deadline:
                return
            reply = await send(offset + index)
            if ok(reply):
                result.latencies.append(reply.elapsed)
            else:
                result.errors += 1
                result.first_error = result.first_error or repr(reply)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    result.seconds += time.perf_counter() - started
    return result


def _acked(reply: Reply) -> bool:
    return reply.status == 200


def _answered(reply: Reply) -> bool:
    if reply.status != 200:
        return False
    body = reply.json() if reply.text.startswith("{") else None
    return not (body and body.get("response_action") == "errors")


# -- the run ---------------------------------------------------------------------------------------------------


@dataclass
class Answers:
    """Who answers which modal: one (user, filled-in modal) per person, over several debriefs."""

    people: list[tuple[str, dict[str, Any]]]
    debriefs: list[Any]


async def prepare_answers(database_url: str, fake: FakeSlack, count: int) -> Answers:
    """Debriefs with enough participants that each answer comes from a different person.

    Each debrief has a private channel and a script message in the fake, so
    the answer counter's chat.update after the ack is real work too.
    """
    from slack_sdk.web.async_client import AsyncWebClient

    from bot.core import Core
    from bot.schema import ensure_schema

    core = Core.build(make_settings(fake, database_url, log_level="ERROR"))
    await ensure_schema(core.database)
    client = AsyncWebClient(token=BOT_TOKEN, base_url=fake.api_url)
    answers = Answers([], [])
    run = f"{int(time.time()) % 100000:05d}"
    try:
        for number in range(-(-count // PEOPLE_PER_DEBRIEF)):
            users = [f"UB{run}{number:03d}{person:03d}" for person in range(PEOPLE_PER_DEBRIEF)]
            debrief = await core.debriefs.start(
                platform="slack",
                workspace=fake.team_id,
                team="CWARD00001",
                lead=users[0],
                script_id="stop5",
                participants=users[1:],
            )
            created = await client.conversations_create(name=f"debrief-bench-{run}-{number}", is_private=True)
            channel = created["channel"]["id"]
            script = await client.chat_postMessage(channel=channel, text="Debrief script")
            await core.debriefs.set_space(debrief.id, channel, script["ts"])
            view = answer_view(core, debrief)
            filled = {**view, "id": f"VBENCH{number:05d}", "state": {"values": state_values(view, fill_in(view))}}
            answers.people.extend((user, signed_for(core, debrief, user, filled)) for user in users)
            answers.debriefs.append(debrief.id)
    finally:
        await core.database.dispose()
    answers.people = answers.people[:count]
    return answers


async def stored_answers(database_url: str, fake: FakeSlack, debriefs: list[Any]) -> int:
    """How many people's answers our server stored (receipts count people, not names)."""
    from bot.core import Core

    core = Core.build(make_settings(fake, database_url, log_level="ERROR"))
    try:
        return sum([await core.debriefs.answer_count(debrief) for debrief in debriefs])
    finally:
        await core.database.dispose()


async def run(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="slack-bench-") as workdir:
        from bot.settings import normalise_database_url

        given = args.database_url or os.environ.get("TEST_DATABASE_URL", "").strip()
        database_url = normalise_database_url(given or f"sqlite:///{workdir}/bench.db")
        shown = database_url.split("@")[-1] if "@" in database_url else database_url
        print(
            f"Slack bench: {args.requests} requests per path and app in {args.rounds} rounds, concurrency "
            f"{args.concurrency}, at most {args.max_seconds:.0f}s each; database {shown}"
        )
        async with FakeSlack() as fake:
            fake.check_blocks = False  # Slack's own checks run on Slack's servers, not in this load generator
            fake.trigger_ttl = 30.0  # throughput, not Slack's 3-second trigger window, is measured here
            results, answers = await measure(args, fake, database_url)
            stored = await stored_answers(database_url, fake, answers.debriefs)
            report(results, fake, stored)
    if args.profile:
        import pstats

        print(f"\nour server's profile (all phases, by own time) from {args.profile}:")
        pstats.Stats(args.profile).sort_stats("tottime").print_stats(15)
    return 0


async def measure(args: argparse.Namespace, fake: FakeSlack, database_url: str) -> tuple[list[Result], Answers]:
    """Warm up, then load each path on the bare app and on ours, taking turns in rounds."""
    results: list[Result] = []
    ours = Server("ours", fake.api_url, database_url, "", profile=args.profile)
    await ours.start()
    try:
        answers = await prepare_answers(database_url, fake, WARMUP + args.requests)
        bare = Server("bare", fake.api_url, database_url, answers.people[0][1]["callback_id"])
        await bare.start()
        try:
            connector = aiohttp.TCPConnector(limit=args.concurrency * 2)
            timeout = aiohttp.ClientTimeout(total=30)
            async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
                for path in args.paths:
                    apps = [(Result(path, name), server) for name, server in (("bare", bare), ("ours", ours))]
                    ok = _acked if path == "ack" else _answered
                    senders = {}
                    for measured, server in apps:
                        slack = SlackClient(session, server.url, fake)
                        send = _command_sender(slack) if path == "ack" else _answer_sender(slack, answers.people)
                        await load(send, ok, WARMUP, args.concurrency, args.max_seconds, Result(path, "warm-up"))
                        senders[measured.app] = send
                    done = 0
                    cpu_before = {measured.app: await server.cpu() for measured, server in apps}
                    for round_ in range(args.rounds):
                        count = min(-(-args.requests // args.rounds), args.requests - done)
                        for measured, _ in apps if round_ % 2 == 0 else apps[::-1]:
                            seconds = args.max_seconds / args.rounds
                            await load(senders[measured.app], ok, count, args.concurrency, seconds, measured, WARMUP + done)
                        done += count
                    await asyncio.sleep(1.0)  # let ours finish the modals and counters it started after acking
                    for measured, server in apps:
                        measured.cpu_seconds = await server.cpu() - cpu_before[measured.app]
                    results.extend(measured for measured, _ in apps)
        finally:
            await bare.stop()
    finally:
        await ours.stop()
    return results, answers


def _command_sender(slack: SlackClient) -> Callable[[int], Awaitable[Reply]]:
    async def send(index: int) -> Reply:
        return await slack.command("/debrief", "", user_id=f"ULEAD{index:06d}", channel_id="CWARD00001")

    return send


def _answer_sender(slack: SlackClient, people: list[tuple[str, dict[str, Any]]]) -> Callable[[int], Awaitable[Reply]]:
    async def send(index: int) -> Reply:
        user, view = people[index]
        return await slack.view_submission(None, view["state"]["values"], user_id=user, view=view)

    return send


def report(results: list[Result], fake: FakeSlack, stored: int) -> None:
    print()
    print(f"{'path':<8}{'app':<6}{'done':>7}{'errors':>8}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'CPU ms/req':>12}")
    for result in results:
        print(
            f"{result.path:<8}{result.app:<6}{len(result.latencies):>7}{result.errors:>8}"
            f"{result.rps:>10.1f}{result.percentile(0.5):>10.2f}{result.percentile(0.99):>10.2f}{result.cpu_ms:>12.2f}"
        )
    print()
    by_key = {(result.path, result.app): result for result in results}
    for path, goal in ((path, goal) for path, goal in GOALS.items() if (path, "bare") in by_key):
        bare, ours = by_key[(path, "bare")], by_key[(path, "ours")]
        ratio = ours.rps / bare.rps if bare.rps else float("nan")
        p50 = ours.percentile(0.5) / bare.percentile(0.5) if bare.latencies else float("nan")
        capacity = bare.cpu_ms / ours.cpu_ms if ours.cpu_ms else float("nan")
        verdict = "meets" if ratio >= goal else "below"
        print(
            f"{path:<8}ours/bare throughput {ratio:.2f}x ({verdict} the {goal}x goal); p50 {p50:.2f}x bare's; "
            f"server CPU per request bare/ours {capacity:.2f}x"
        )
    for result in results:
        if result.first_error:
            print(f"first error ({result.path}, {result.app}): {result.first_error}")
    opened = len(fake.calls_to("views.open"))
    refused = fake.errors("views.open")
    print(
        f"FakeSlack: {opened} views.open ({len(refused)} refused), {len(fake.calls_to('chat.update'))} chat.update, "
        f"{len(fake.violations)} violations"
    )
    for violation in fake.violations[:5]:
        print(f"  violation: {violation}")
    answered = [r for r in results if (r.path, r.app) == ("answer", "ours")]
    if answered:
        sent = WARMUP + len(answered[0].latencies)
        print(f"Answers stored by ours: {stored} of {sent} accepted (warm-up included)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=1000, help="measured requests per path and app (default 1000)")
    parser.add_argument("--concurrency", type=int, default=10, help="requests in flight at once (default 10)")
    parser.add_argument(
        "--rounds", type=int, default=10, help="slices in which bare and ours take turns on each path (default 10)"
    )
    parser.add_argument(
        "--max-seconds", type=float, default=60.0, help="stop a path's load on one app after this long (default 60)"
    )
    parser.add_argument(
        "--database-url", help="PostgreSQL or SQLite URL (default: TEST_DATABASE_URL, else a temporary SQLite file)"
    )
    parser.add_argument(
        "--paths", nargs="+", choices=list(GOALS), default=list(GOALS), help="which paths to load (default both)"
    )
    parser.add_argument("--profile", metavar="FILE", help="profile our server with cProfile; write the stats to FILE")
    parser.add_argument(
        "--beside", metavar="DIR", type=Path,
        help="also run DIR's bench/slack_bench.py (another checkout, e.g. an older commit, with its own .venv), "
             "taking turns with this one, and print both figures side by side",
    )
    parser.add_argument("--beside-runs", type=int, default=3, help="runs of each checkout with --beside (default 3)")
    parser.add_argument(
        "--beside-database-url", metavar="URL",
        help="with --beside: the database of DIR's runs (its schema is its own; default a temporary SQLite file)",
    )
    args = parser.parse_args(argv)
    if args.requests < 1 or args.concurrency < 1 or not 1 <= args.rounds <= args.requests:
        parser.error("--requests and --concurrency must be at least 1, --rounds from 1 to --requests")
    if args.beside is not None:
        if (args.database_url or os.environ.get("TEST_DATABASE_URL")) and not args.beside_database_url:
            parser.error("--beside with PostgreSQL needs --beside-database-url: each checkout has its own schema")
        return beside(args, sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.ERROR)
    return asyncio.run(run(args))


RATIO = re.compile(r"^(\w+)\s+ours/bare throughput ([\d.]+)x.*bare/ours ([\d.]+)x")


def beside(args: argparse.Namespace, argv: list[str]) -> int:
    """Run this checkout's bench and DIR's in turns (this one first, then DIR's, then the other way round...).

    Each run measures its server against its own bare Bolt app side by side
    (`measure`), so its ratio already discounts the machine's load at that
    moment; taking turns spreads any drift of the load over both checkouts.
    Each run's whole output is printed, then one table: every run's ratio
    per checkout and their medians.
    """
    import statistics
    import subprocess

    def without(args_: list[str], prefix: str) -> list[str]:
        """`args_` without the options starting with `prefix`, and their values."""
        kept: list[str] = []
        skip = False
        for arg in args_:
            if skip:
                skip = False
            elif arg.startswith(prefix):
                skip = "=" not in arg
            else:
                kept.append(arg)
        return kept

    own = without(argv, "--beside")
    trees = {"this": ROOT, str(args.beside): args.beside.resolve()}
    figures: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for run_number in range(args.beside_runs):
        order = list(trees.items()) if run_number % 2 == 0 else list(trees.items())[::-1]
        for name, tree in order:
            python = tree / ".venv" / "bin" / "python"
            command = [str(python if python.exists() else sys.executable), str(tree / "bench" / "slack_bench.py"), *own]
            if name != "this" and args.beside_database_url:
                command = [*without(command, "--database-url"), "--database-url", args.beside_database_url]
            env = dict(os.environ)
            if name != "this":
                env.pop("TEST_DATABASE_URL", None)
            print(f"\n== run {run_number + 1}, {name} ({tree})", flush=True)
            done = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True, check=False)
            print(done.stdout + done.stderr[-2000:], flush=True)
            for line in done.stdout.splitlines():
                if match := RATIO.match(line):
                    figures.setdefault((match[1], name), []).append((float(match[2]), float(match[3])))
    print(f"\nours/bare throughput (server CPU per request bare/ours), {args.beside_runs} runs each, in turns:")
    for path in dict.fromkeys(path for path, _ in figures):
        for name in trees:
            runs = figures.get((path, name), [])
            listed = ", ".join(f"{ratio:.2f}x ({cpu:.2f}x)" for ratio, cpu in runs)
            median = statistics.median(ratio for ratio, _ in runs) if runs else float("nan")
            print(f"{path:<8}{name:<24} median {median:.2f}x   runs: {listed}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
