"""A failure in one log line, and whether it is an outage: the same for the core and both adapters.

The line names what failed and why, never what a person typed and never a
statement's parameters: SQLAlchemy prints a statement's SQL and parameters
(answer text included) with the error, and some drivers put a parameter's
value in their own message (asyncpg: `invalid input for query argument $1:
'...'`). So a database error keeps its driver's message only when it is about
the connection (no statement data in it), and otherwise only the error's
kind and code. A platform's errors are told by the adapter, which knows them
(`adapters.*.errors.cause`), and then by this.
"""

from __future__ import annotations

import math
import traceback

from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, SQLAlchemyError, StatementError

from bot.errors import DebriefError
from bot.port import SendError


def is_outage(error: BaseException) -> bool:
    """The database or the network is down, rather than a bug or a refusal."""
    return isinstance(error, (DBAPIError, ConnectionError, OSError, TimeoutError))


def _first_line(text: str, limit: int = 200) -> str:
    text = text.strip()
    return text.splitlines()[0][:limit] if text else ""


def _code(driver: BaseException) -> str | None:
    """The driver's error code (PostgreSQL's SQLSTATE, SQLite's error name), which never holds data."""
    for source in (driver, driver.__cause__):
        for name in ("sqlstate", "pgcode", "sqlite_errorname"):
            code = getattr(source, name, None)
            if isinstance(code, str) and code:
                return code
    return None


def _place(error: BaseException) -> str:
    frames = traceback.extract_tb(error.__traceback__)
    return f" at {frames[-1].filename.rsplit('/', 2)[-1]}:{frames[-1].lineno}" if frames else ""


def cause(error: BaseException) -> str:
    """The failure in one line, without SQL parameters or anything a person typed."""
    if isinstance(error, DBAPIError) and error.orig is not None:
        driver = error.orig
        if isinstance(error, (OperationalError, InterfaceError)):  # the connection, a lock, a timeout
            return f"{type(error).__name__} ({type(driver).__name__}: {_first_line(str(driver))})"
        code = _code(driver)
        return f"{type(error).__name__} ({type(driver).__name__}{f' {code}' if code else ''})"
    if isinstance(error, StatementError):  # a value that did not fit its column: the message may quote it
        orig = error.orig
        return f"{type(error).__name__} ({type(orig).__name__})" if orig is not None else type(error).__name__
    if isinstance(error, SQLAlchemyError):  # the engine's or the ORM's own state: no statement data
        text = _first_line(str(error))
        return f"{type(error).__name__}: {text}" if text else type(error).__name__
    if isinstance(error, ValidationError):
        return f"ValidationError: {error.error_count()} problem(s) in {error.title}"
    if isinstance(error, SendError):  # written for the logs, person-free
        return f"{type(error).__name__}: {_first_line(error.cause)}"
    if isinstance(error, DebriefError):  # written for the person, so it holds nothing of theirs
        return f"{type(error).__name__}: {_first_line(error.message)}"
    if isinstance(error, OSError) and (text := _first_line(str(error))):  # the system's words: an address, a path
        return f"{type(error).__name__}: {text}{_place(error)}"
    return f"{type(error).__name__}{_place(error)}"  # its message may quote what someone typed


def retry_after(value: object) -> float | None:
    """A Retry-After header's seconds (never negative), or None when absent or not a number."""
    if value is None:
        return None
    try:
        seconds = float(str(value))
    except ValueError:
        return None
    return max(seconds, 0.0) if math.isfinite(seconds) else None
