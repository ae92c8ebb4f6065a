"""Hold the lock an answer's write needs, from a connection of the test's own, to make that write slow.

SQLite: BEGIN IMMEDIATE (the one writer's lock; the bot's writer waits for
its busy timeout, 5 s, then fails). PostgreSQL: an EXCLUSIVE lock on the
receipts table, which every answer writes (or the table named); `break_waiter` ends the waiting
session so that its write fails the way an outage makes it fail.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.engine import make_url


class Lock:
    """The lock an answer's write waits for, held by a connection of the test's own."""

    def __init__(self, url: str, table: str = "answer_receipts") -> None:
        self.url, self.table = url, table
        self._sqlite: sqlite3.Connection | None = None
        self._pg = None

    async def take(self) -> None:
        if self.url.startswith("sqlite"):
            # In a thread: the bot's own write may still hold the lock for a moment, and it
            # needs the event loop to finish; waiting for the lock on the loop would deadlock.
            self._sqlite = await asyncio.to_thread(self._take_sqlite, make_url(self.url).database)
            return
        import asyncpg

        self._pg = await asyncpg.connect(make_url(self.url).set(drivername="postgresql").render_as_string(hide_password=False))
        await self._pg.execute(f"BEGIN; LOCK TABLE {self.table} IN EXCLUSIVE MODE")

    @staticmethod
    def _take_sqlite(path: str | None) -> sqlite3.Connection:
        connection = sqlite3.connect(path or "", isolation_level=None, check_same_thread=False, timeout=60)
        connection.execute("BEGIN IMMEDIATE")
        return connection

    async def break_waiter(self) -> None:
        """Make the waiting write fail: SQLite gives up after its busy timeout; on PostgreSQL end its session."""
        if self._pg is None:
            return  # SQLite: the writer's busy_timeout (5 s) runs out while the lock is held
        while not await self._pg.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid() AND datname = current_database()"
        ):
            await asyncio.sleep(0.05)
        await self._pg.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid() AND datname = current_database()"
        )

    async def release(self) -> None:
        if self._sqlite is not None:
            self._sqlite.execute("ROLLBACK")
            self._sqlite.close()
            self._sqlite = None
        if self._pg is not None:
            await self._pg.execute("ROLLBACK")
            await self._pg.close()
            self._pg = None


@asynccontextmanager
async def held(url: str, table: str = "answer_receipts") -> AsyncIterator[Lock]:
    """The lock an answer needs (on PostgreSQL `table`'s; on SQLite the one writer's, whatever the table)."""
    lock = Lock(url, table)
    await lock.take()
    try:
        yield lock
    finally:
        await lock.release()
