"""Background jobs that cannot die silently: restarted with backoff, every end logged, state visible.

The follow-up dispatcher is meant to run until the process stops. If its
task ends anyway (a bug, an error nobody foresaw), check-ins would stop
while the server looks healthy. `supervise` restarts it after a delay that
doubles up to a ceiling, logs each end in one line, and keeps `Job.up`
false while it is down, so that `/healthz` can answer 503 and an
orchestrator can restart the process if the job keeps failing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

log = logging.getLogger("debrief.supervisor")

FIRST_DELAY = 1.0
MAX_DELAY = 60.0
HEALTHY_AFTER = 300.0
"""A run this long resets the delay: a job that fails once a day is not backed off for an hour."""


@dataclass
class Job:
    """A named background job and whether it is running now."""

    name: str
    run: Callable[[], Awaitable[None]]
    up: bool = False
    ends: int = 0
    """How many times it ended and was restarted."""


async def supervise(job: Job, *, first_delay: float = FIRST_DELAY, max_delay: float = MAX_DELAY) -> None:
    """Run `job` until cancelled, restarting it whenever it ends."""
    loop = asyncio.get_running_loop()
    delay = first_delay
    while True:
        started = loop.time()
        job.up = True
        try:
            await job.run()
            how = "stopped by itself"
        except asyncio.CancelledError:
            job.up = False
            raise
        except Exception as error:
            how = f"failed ({_cause(error)})"
            log.debug("%s failed", job.name, exc_info=True)  # the traceback, at LOG_LEVEL=DEBUG only
        job.up = False
        job.ends += 1
        if loop.time() - started >= HEALTHY_AFTER:
            delay = first_delay
        log.error("%s %s; restarting in %.1fs (health check answers 503 until then)", job.name, how, delay)
        await asyncio.sleep(delay)
        delay = min(delay * 2, max_delay)


def _cause(error: BaseException) -> str:
    """Its type and first line: SQLAlchemy puts statements and parameters on the later lines."""
    text = str(error).strip().splitlines()[0][:200] if str(error).strip() else ""
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
