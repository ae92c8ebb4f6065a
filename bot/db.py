"""The database engine: SQLite by default, PostgreSQL through asyncpg at scale.

SQLite gets WAL (readers never wait for the one writer), foreign keys on
(off by default in SQLite) and a busy timeout, set on every new connection.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
import asyncio
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from datetime import UTC, datetime

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.types import DateTime, TypeDecorator



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


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA busy_timeout=5000")  # first: switching to WAL below may have to wait
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str, **kwargs: object) -> AsyncEngine:
    """Create the async engine for a normalised URL (see `Settings.database_url`)."""
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


class Database:
    """The engine and a session factory, shared by the whole process."""

    def __init__(self, url: str, **engine_kwargs: object) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self._sessions = async_sessionmaker(self.engine, class_=AsyncSession, expire_on_commit=False)
        self._sqlite_writer = asyncio.Lock() if url.startswith("sqlite") else None

    def writer(self) -> AbstractAsyncContextManager[object]:
        """Take turns for a hot write on SQLite, which has one writer per file anyway.

        Waiting here costs nothing; waiting inside SQLite means its busy
        handler sleeping in growing steps (that was the slow tail of the
        answer path). PostgreSQL needs no turns.
        """
        return self._sqlite_writer if self._sqlite_writer is not None else nullcontext()

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session whose work commits together or not at all."""
        async with self._sessions() as session:
            async with session.begin():
                yield session

    async def dispose(self) -> None:
        await self.engine.dispose()


def sync_engine_listener(engine: Engine) -> None:
    """Apply the SQLite pragmas to a synchronous engine (used by migrations)."""
    if engine.url.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
