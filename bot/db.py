"""The database engine: SQLite by default, PostgreSQL through asyncpg at scale.

SQLite gets WAL (readers never wait for the one writer), foreign keys on
(off by default in SQLite) and a busy timeout, set on every new connection.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

from sqlalchemy import create_engine, event, make_url
from sqlalchemy.engine import Connection, CursorResult, Engine, Result
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.types import DateTime, TypeDecorator

T = TypeVar("T")

log = logging.getLogger("debrief.db")

CHECKPOINT_SECONDS = 1.0
"""How soon after an answer SQLite's write-ahead log is copied into the database file, at most once per this."""
ERASE_SECONDS = 5.0
"""How soon after a release of answers the write-ahead log is emptied (`Database.erase_wal_soon`), at most once per this.

Not sooner: a TRUNCATE checkpoint waits for the disk and holds writers
back, and at one a second it cost a burst of answers a sixth of its
throughput (bench/slack_bench.py). The copies it erases are sealed, and
have waited for their batch far longer than this already.
"""
ERASE_TRIES = 10
"""How many times in a row a TRUNCATE checkpoint is tried again (a second apart) while readers hold old snapshots."""
ERASE_WAIT_MS = 250
"""How long a TRUNCATE checkpoint waits for readers, holding writers back meanwhile, before it gives up for now."""
BUSY_TIMEOUT_MS = 5000
"""How long a connection waits for SQLite's one writer's lock before its write fails (the kind "nothing was saved")."""


class UTCDateTime(TypeDecorator[datetime]):
    """Store naive UTC, hand back aware UTC: the same on SQLite and PostgreSQL."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        return value.replace(tzinfo=UTC) if value is not None else None


def _sqlite_pragmas(dbapi_connection: Any, _record: object) -> None:  # the driver's DB-API connection, untyped
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")  # first: switching to WAL below may have to wait
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    # Deleted rows are overwritten with zeros, not left in free space: the sealed answers
    # `bot.pending` deletes once they are released must be gone from the file.
    cursor.execute("PRAGMA secure_delete=ON")
    # Under WAL, NORMAL cannot corrupt the file; a power cut (not a crash of the bot) may undo
    # the last commits before a checkpoint. SQLite is the single-machine install; PostgreSQL
    # is the durable choice at scale.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str, **kwargs: object) -> AsyncEngine:
    """Create the async engine for a normalised URL (see `Settings.database_url`).

    `hide_parameters`: a statement's error names the statement, never its
    values (a receipt's fingerprint, a person's id, what they typed), so a
    traceback in the log at any LOG_LEVEL carries none of them.
    """
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        engine = create_async_engine(url, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    # No ping before every checkout: it costs a round trip on every request (a
    # third of an answer's time). After a database restart SQLAlchemy sees the
    # first disconnect, throws the whole pool away and reconnects; that one
    # request gets the kind "nothing was saved, try again" message, as any
    # outage does, and loses nothing.
    kwargs.setdefault("pool_recycle", 1800)
    kwargs.setdefault("pool_size", 10)
    return create_async_engine(url, **kwargs)


def rowcount(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE matched.

    `AsyncSession.execute` is typed as returning a `Result`; for these statements it returns
    the `CursorResult` that has the count, so this is the one place that says so.
    """
    return cast(CursorResult[Any], result).rowcount


class Database:
    """The engine and a session factory, shared by the whole process."""

    def __init__(self, url: str, **engine_kwargs: object) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self._sessions = async_sessionmaker(self.engine, class_=AsyncSession, expire_on_commit=False)
        self._sqlite_writer = SQLiteWriter(url) if url.startswith("sqlite") else None
        self._checkpoint: asyncio.Task[None] | None = None
        self._eraser: asyncio.Task[None] | None = None
        self._erase_again = False

    async def write(self, work: Callable[[Connection], T], *, reads_then_one_write: bool = False) -> T:
        """Run `work` as one short transaction: its result once committed, or its exception after a rollback.

        For the hot writes (an answer). `work` is plain synchronous Core code
        on a `Connection`; on PostgreSQL it runs on the async engine
        (`run_sync`), on SQLite see `SQLiteWriter`.

        `reads_then_one_write`: on PostgreSQL `work` only reads, then writes
        with a single statement, which is atomic on its own; it then runs
        without BEGIN and COMMIT (autocommit), two round trips to the server
        instead of five. READ COMMITTED held no lock on what it read anyway,
        so nothing it could rely on changes. SQLite runs it like any other
        write: its BEGIN IMMEDIATE is what keeps the read and the write together.
        """
        if self._sqlite_writer is not None:
            result = await self._sqlite_writer.run(work)
            if self._checkpoint is None:
                self._checkpoint = asyncio.create_task(self._checkpoint_later())
            return result
        if reads_then_one_write:
            async with self.engine.connect() as connection:
                await connection.execution_options(isolation_level="AUTOCOMMIT")
                return await connection.run_sync(work)
        async with self.engine.begin() as connection:
            return await connection.run_sync(work)

    async def _checkpoint_later(self) -> None:
        """Copy the write-ahead log into the database file, here and not inside an answer's COMMIT.

        SQLite's automatic checkpoint runs in whichever COMMIT crosses 1000
        pages, and under synchronous=NORMAL a checkpoint is where the fsyncs
        happen: one answer in a couple of hundred waited 10-40 ms for the
        disk while every answer behind it queued (a third of the writer's
        time under the Slack bench). The writer's connection leaves that to
        this PASSIVE checkpoint, which runs on another connection beside the
        writes without blocking them, once a second while answers keep
        coming. The durability is SQLite's WAL with synchronous=NORMAL either
        way.
        """
        try:
            await asyncio.sleep(CHECKPOINT_SECONDS)
            async with self.engine.connect() as connection:
                await connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
        except Exception as error:  # noqa: BLE001 - the WAL keeps the data; the next answer schedules another try
            log.warning("SQLite checkpoint failed, will try again after the next write: %s", error)
        finally:
            self._checkpoint = None

    def erase_wal_soon(self) -> None:
        """SQLite: a TRUNCATE checkpoint within `ERASE_SECONDS`, so old page images leave the disk.

        After a batch of answers is released (`bot.pending`), earlier WAL
        frames still hold the pages as they were while the answers waited
        (sealed); `secure_delete` zeroes the rows in the database file
        itself. A TRUNCATE checkpoint copies the log into the file, syncs
        it and empties the log; one per `ERASE_SECONDS` at most, after the
        answer's response, because it waits for the disk and holds writers
        back meanwhile. If a reader holds an old snapshot it stops short, and
        the next checkpoint tries again. PostgreSQL: nothing to do here
        (README, "Privacy in plain words", says what VACUUM does and does not erase).
        """
        if not self.is_sqlite:
            return
        if self._eraser is None:
            self._eraser = asyncio.create_task(self._erase_later())
        else:
            self._erase_again = True

    async def _erase_later(self, tries: int = ERASE_TRIES) -> None:
        again = False
        try:
            await asyncio.sleep(ERASE_SECONDS if tries == ERASE_TRIES else max(CHECKPOINT_SECONDS, 0.05))
            if self._checkpoint is not None:  # two checkpoints at once: the second is refused (busy)
                await asyncio.shield(self._checkpoint)
            self._erase_again = False
            async with self.engine.connect() as connection:
                # While a TRUNCATE checkpoint waits for readers it holds new writers back, as long
                # as the busy timeout lets it: a short one here, so an answer behind it waits
                # a fraction of a second, not 5 s; a checkpoint that gives up is tried again.
                await connection.exec_driver_sql(f"PRAGMA busy_timeout={ERASE_WAIT_MS}")
                try:
                    busy = (await connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")).one()[0]
                finally:
                    await connection.exec_driver_sql(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            again = self._erase_again or (bool(busy) and tries > 1)  # a release meanwhile, or a reader in the way
        except Exception as error:  # noqa: BLE001 - the next release tries again
            log.warning("SQLite checkpoint after a release failed: %s", type(error).__name__)
        finally:
            self._eraser = None
        if again:
            self._eraser = asyncio.create_task(self._erase_later(tries - 1 if not self._erase_again else ERASE_TRIES))

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session whose work commits together or not at all."""
        async with self._sessions() as session, session.begin():
            yield session

    async def dispose(self) -> None:
        for task in (self._checkpoint, self._eraser):
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        if self._sqlite_writer is not None:
            await self._sqlite_writer.dispose()
        await self.engine.dispose()


class SQLiteWriter:
    """Hot SQLite writes, one after another, each a whole transaction in one step: here, or in a thread of its own.

    Through aiosqlite every statement is a hop to its thread and back through
    the event loop, and while one answer holds the file's single write lock,
    each of its hops waits behind whatever else the loop is doing: under load
    the lock was held for the loop's latency several times over. Here the
    transaction (BEGIN IMMEDIATE, the statements, COMMIT) runs straight
    through on a synchronous connection, so the lock is held only for
    SQLite's own work. IMMEDIATE takes the write lock before the first read,
    so a read and the writes that depend on it see the same database.

    Where it runs: when the lock is free and no write is waiting, on the
    event loop itself, on a connection that never waits for the lock (an
    answer is a few hundred microseconds of SQLite's work, and under WAL
    with synchronous=NORMAL a commit does not touch the disk; the hop to a
    thread and back cost as much CPU again). When another connection holds
    the lock (the follow-ups' sessions, the CLI, another process), that
    BEGIN fails at once, nothing has been done, and the write goes to the
    thread, where SQLite's busy handler waits and the loop does not. The
    thread's queue is where writes take turns; while it holds any, later
    writes join it, so they stay in order and one connection is never used
    by two threads.
    """

    def __init__(self, url: str) -> None:
        self.engine = _writer_engine(url)  # the thread's: waits for the lock (busy_timeout)
        self._here = _writer_engine(url, wait=False)  # the event loop's: never waits
        self._connection: Connection | None = None  # on `_here`, kept between writes
        self._thread: ThreadPoolExecutor | None = None  # started by the first contended write, ended by `dispose`
        self._queued = 0  # writes handed to the thread and not back yet; counted on the loop only

    async def run(self, work: Callable[[Connection], T]) -> T:
        if not self._queued:
            done = self._try_here(work)
            if done is not _LOCKED:
                return done  # type: ignore[return-value]  # anything but the _LOCKED sentinel is the T of `work`
        if self._thread is None:
            self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-writer")
        self._queued += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._thread, self._transaction, work)
        finally:
            self._queued -= 1

    def _try_here(self, work: Callable[[Connection], T]) -> T | object:
        """`work`'s result, committed; `_LOCKED` (and nothing done) if another connection holds the write lock.

        The loop's connection is kept between writes (it holds nothing between
        them: no transaction, so no snapshot in a checkpoint's way): checking
        it out of the pool and back, with the pool's rollback on return, cost
        a quarter of an answer's database time.
        """
        if self._connection is None or self._connection.invalidated:
            if self._connection is not None:
                self._connection.close()
            self._connection = self._here.connect()
        connection = self._connection
        try:
            transaction = connection.begin()
        except OperationalError as error:
            if getattr(error.orig, "sqlite_errorcode", 0) & 0xFF == sqlite3.SQLITE_BUSY:  # and its extended codes
                return _LOCKED
            raise
        with transaction:
            return work(connection)

    def _transaction(self, work: Callable[[Connection], T]) -> T:
        with self.engine.begin() as connection:
            return work(connection)

    async def dispose(self) -> None:
        """Close both connections (each in the thread that made it) and end the thread; a later write starts them again."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        self._here.dispose()
        thread, self._thread = self._thread, None
        if thread is not None:
            await asyncio.get_running_loop().run_in_executor(thread, self.engine.dispose)
            thread.shutdown()


_LOCKED = object()


def _writer_engine(url: str, *, wait: bool = True) -> Engine:
    """One synchronous connection for `SQLiteWriter`: explicit BEGIN IMMEDIATE, checkpoints left to `Database`."""
    engine = create_engine(make_url(url).set(drivername="sqlite"), pool_size=1, max_overflow=0, hide_parameters=True)
    event.listen(engine, "connect", _sqlite_pragmas)
    if not wait:
        event.listen(engine, "connect", _never_wait)
    event.listen(engine, "connect", _begin_explicitly)
    event.listen(engine, "connect", _no_automatic_checkpoint)
    event.listen(engine, "begin", _begin_immediate)
    return engine


def _never_wait(dbapi_connection: Any, _record: object) -> None:  # the driver's DB-API connection, untyped
    dbapi_connection.execute("PRAGMA busy_timeout=0")  # after `_sqlite_pragmas`' 5000


def _begin_explicitly(dbapi_connection: Any, _record: object) -> None:  # the driver's DB-API connection, untyped
    # SQLAlchemy's documented recipe for choosing the BEGIN: the sqlite3 module emits none itself.
    dbapi_connection.isolation_level = None


def _no_automatic_checkpoint(dbapi_connection: Any, _record: object) -> None:  # the driver's DB-API connection, untyped
    dbapi_connection.execute("PRAGMA wal_autocheckpoint=0")  # see Database._checkpoint_later


def _begin_immediate(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")

