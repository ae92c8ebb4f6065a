"""Logging for `serve`: LOG_LEVEL is the project's own loggers; dependencies speak only of problems.

At DEBUG, aiosqlite and `sqlalchemy.engine` write every statement with its
values (a person's id when their form opens, a receipt's fingerprint), the
Slack and Teams clients write whole requests and responses, and aiohttp's
access log the time of every request. Any of these beside the next one
ties an answer to a person (DESIGN.md, "Anonymity model"). So whatever
LOG_LEVEL says, the dependencies below log at WARNING or above, and Bolt's
line about a refused request (which prints the whole body: the person's id
and what they typed) keeps only its cause. `tests/*/test_*_anonymity_attack.py`
reads every record at DEBUG.
"""

from __future__ import annotations

import logging
import traceback
from typing import Any

from bot.failures import cause

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

QUIET = (
    "aiosqlite", "sqlalchemy", "asyncpg", "aiohttp", "asyncio", "slack_bolt", "slack_sdk",
    "debrief.slack.api", "botbuilder", "botframework", "msrest", "msal", "azure", "urllib3", "jwt",
    "matplotlib", "PIL",
)
"""Loggers (and their children) kept at WARNING at least: they log statements, bodies or request times."""

BOLT = "debrief.slack.bolt"
"""The logger Bolt is given (`adapters.slack.app`); its middlewares copy its level and filters."""

REFUSED = "Invalid request signature detected"


class CauseOnly(logging.Filter):
    """Keeps the cause of a Bolt log line and drops what it quotes of the request (ids, answers, signatures)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if message.startswith(REFUSED):
            message = ("refused a Slack request: its signature or timestamp is wrong "
                       "(check SLACK_SIGNING_SECRET, and that this server's clock is right)")
        else:
            cut = min((i for i in (message.find("("), message.find("{"), message.find("\n")) if i >= 0), default=-1)
            message = (message[:cut] if cut >= 0 else message).rstrip(" :")
        record.msg, record.args, record.exc_text = message, (), None
        if record.exc_info and record.levelno < logging.ERROR:
            record.exc_info = None
        return True


class Formatter(logging.Formatter):
    """`serve`'s format; a traceback keeps its frames, and each exception in it only its one-line cause.

    An exception's message can quote what the failing code held: PostgreSQL's
    `DETAIL: Key (debrief_id, stage, digest)=(...)` names a receipt's
    fingerprint, a `KeyError` or `ValueError` what someone typed. Each is
    written as `bot.failures.cause` puts it (the driver's error class, a
    lock or a timeout, never the values), so an unexpected error logged for
    the operator (the dispatcher's, the supervisor's at DEBUG) carries where
    it happened and what kind it was, and nothing of a person.
    """

    def formatException(self, ei: Any) -> str:
        error = ei[1]
        chain: list[BaseException] = []
        while error is not None and error not in chain:
            chain.append(error)
            error = error.__cause__ or (None if error.__suppress_context__ else error.__context__)
        parts = [
            "Traceback (most recent call last):\n" + "".join(traceback.format_tb(error.__traceback__))
            + f"{type(error).__module__}.{type(error).__qualname__}: {cause(error)}"
            for error in reversed(chain)
        ]
        return "\n\nwhich led to:\n\n".join(parts)


def configure(level: str, handler: logging.Handler | None = None) -> None:
    """Set up the root handler at `level` (LOG_LEVEL) and hold the dependencies' loggers back."""
    number = logging.getLevelName(level.upper())
    if not isinstance(number, int):
        number = logging.INFO
    if handler is None:
        handler = logging.StreamHandler()
    handler.setFormatter(Formatter(FORMAT))
    root = logging.getLogger()
    root.setLevel(number)
    root.addHandler(handler)
    for name in QUIET:
        logging.getLogger(name).setLevel(max(number, logging.WARNING))
    bolt = logging.getLogger(BOLT)
    bolt.setLevel(max(number, logging.INFO))  # INFO: the refused-request line, cut down to its cause
    if not any(isinstance(existing, CauseOnly) for existing in bolt.filters):
        bolt.addFilter(CauseOnly())
