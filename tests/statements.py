"""Every statement the bot sends the database, with its parameters, as a live administrator would see them.

`log_statement=all` on PostgreSQL, or a trace on SQLite: what
`tests/test_pending.py` and the answer-path tests read to check that a
submission names no one and writes nothing beside its receipt and sealed form.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from bot.db import Database


@contextmanager
def recorded(database: Database) -> Iterator[list[str]]:
    """The statements (`SQL parameters`) run on any of the database's engines inside the block."""
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        statements.append(f"{statement} {parameters!r}")

    engines = [database.engine.sync_engine]
    if database._sqlite_writer is not None:
        engines += [database._sqlite_writer.engine, database._sqlite_writer._here]
    for engine in engines:
        event.listen(engine, "before_cursor_execute", seen)
    try:
        yield statements
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", seen)


def writes(statements: list[str]) -> list[str]:
    """The statements that change something (what a transaction holds)."""
    return [s for s in statements if s.lstrip().split(None, 1)[0].upper() in ("INSERT", "UPDATE", "DELETE", "WITH", "REPLACE")]
