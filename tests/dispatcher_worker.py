"""One dispatcher process against the loopback platform, for the crash test and the benchmark.

    python tests/dispatcher_worker.py --platform-url http://127.0.0.1:PORT --worker-id A

Everything else comes from the environment like `serve` (DATABASE_URL,
DEBRIEF_SECRET...). It builds the real Core and Dispatcher with an
`HttpMessenger` for the platform `loopback` (or, with `--platform slack`,
the real `SlackMessenger` to SLACK_API_URL), prints "ready" once running,
and runs until SIGTERM (clean stop) or SIGKILL (the point of the tests).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import aiohttp
from fake_platform import HttpMessenger
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.messenger import SlackMessenger
from bot.core import Core
from bot.followups import Dispatcher
from bot.port import Messenger
from bot.settings import Settings


async def main(args: argparse.Namespace) -> None:
    settings = Settings.load()
    core = Core.build(settings)
    messenger: Messenger
    if args.platform == "slack":  # the real Slack messenger, to SLACK_API_URL, with one kept-alive session as in serve
        client = AsyncWebClient(base_url=settings.slack_api_url or "", session=aiohttp.ClientSession())
        messenger, close = SlackMessenger(core, base_client=client), client.session.close
    else:
        http = HttpMessenger(args.platform_url, worker=args.worker_id)
        messenger, close = http, http.close
    dispatcher = Dispatcher(
        core,
        {messenger.platform: messenger},
        worker_id=args.worker_id,
        lease=timedelta(seconds=args.lease),
        concurrency=args.concurrency,
        batch=args.batch,
        poll_interval=args.poll,
    )
    task = asyncio.create_task(dispatcher.run_forever())
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, task.cancel)
    watchdog = asyncio.create_task(_exit_with_parent(os.getppid(), task))
    print("ready", flush=True)
    try:
        await task
    except asyncio.CancelledError:
        pass
    finally:
        watchdog.cancel()
        await close()
        await core.database.dispose()


async def _exit_with_parent(parent: int, task: asyncio.Task[None]) -> None:
    """Stop when the test or benchmark that started this process has gone, so none is left behind."""
    while os.getppid() == parent:
        await asyncio.sleep(0.5)
    task.cancel()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--platform-url", required=True)
    parser.add_argument("--platform", choices=["loopback", "slack"], default="loopback")
    parser.add_argument("--worker-id", required=True)
    parser.add_argument("--lease", type=float, default=15.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--poll", type=float, default=0.2)
    parser.add_argument("--log-level", default="WARNING")
    arguments = parser.parse_args()
    logging.basicConfig(level=arguments.log_level, format=f"[{arguments.worker_id}] %(levelname)s %(message)s")
    asyncio.run(main(arguments))
