"""Fixtures shared by the whole suite: a database URL and a migrated database.

Without TEST_DATABASE_URL every test that asks for `database_url` gets a
fresh SQLite file under its tmp_path. With TEST_DATABASE_URL (e.g.
postgresql://root@127.0.0.1:5432/test) it gets that database, emptied
first (`DROP SCHEMA public CASCADE`), so point it at a throw-away database.
Two pytest runs against the same TEST_DATABASE_URL take turns: the run
holds a PostgreSQL advisory lock from start to finish. The suite runs on
every core (pytest-xdist, `-n auto` in pyproject.toml); on PostgreSQL each
worker uses a database of its own beside TEST_DATABASE_URL's (`test_gw0`, ...).

`db` is a `bot.db.Database` on that URL, upgraded to the newest migration.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bot.clock import FakeClock
from bot.core import Core
from bot.db import Database
from bot.schema import upgrade
from bot.settings import Settings, normalise_database_url

os.environ.setdefault("DEBRIEF_RESOURCES", "us")
"""Most tests read the US crisis lines; the default (unset: the international set) has tests of its own."""

CONNECT_TIMEOUT = 3.0
RUN_LOCK_TIMEOUT = 900.0
RUN_LOCK_KEY = int.from_bytes(b"dbrftest", "big")


def _test_database_url() -> str | None:
    raw = os.environ.get("TEST_DATABASE_URL", "").strip()
    return normalise_database_url(raw) if raw else None


def _shown(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def _asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def pytest_report_header(config: pytest.Config) -> str:
    url = _test_database_url()
    if url is None:
        return "database: SQLite, a fresh file per test (set TEST_DATABASE_URL=postgresql://... for PostgreSQL)"
    return f"database: {_shown(url)} (from TEST_DATABASE_URL, emptied before each test that uses it)"


class _RunLock:
    """A PostgreSQL advisory lock held, on its own thread and connection, for the whole run."""

    def __init__(self, dsn: str) -> None:
        self._dsn = dsn
        self._settled = threading.Event()  # lock held, or gave up
        self.timed_out = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._main, name="test-database-lock", daemon=True)

    def start(self) -> None:
        self._thread.start()
        self._settled.wait()
        if self.timed_out:
            pytest.exit(f"another test run has held TEST_DATABASE_URL for over {RUN_LOCK_TIMEOUT:.0f}s", returncode=3)

    def stop(self) -> None:
        if self._thread.is_alive() and self._loop is not None and self._stop is not None:
            try:
                self._loop.call_soon_threadsafe(self._stop.set)
            except RuntimeError:  # its loop has just finished
                pass
        self._thread.join(timeout=5)

    def _main(self) -> None:
        try:
            asyncio.run(self._hold())
        except TimeoutError:
            self.timed_out = True
        except Exception:  # noqa: BLE001 - unreachable: the `database_url` fixture reports it, test by test
            pass
        finally:
            self._settled.set()

    async def _hold(self) -> None:
        import asyncpg

        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        conn = await asyncpg.connect(self._dsn, timeout=CONNECT_TIMEOUT)
        try:
            if not await conn.fetchval("SELECT pg_try_advisory_lock($1)", RUN_LOCK_KEY):
                print(
                    "\nwaiting for another test run on TEST_DATABASE_URL to finish...",
                    file=sys.stderr,
                    flush=True,
                )
                await conn.execute("SELECT pg_advisory_lock($1)", RUN_LOCK_KEY, timeout=RUN_LOCK_TIMEOUT)
            self._settled.set()
            await self._stop.wait()
        finally:
            await conn.close()


_run_lock: _RunLock | None = None


def _worker_database(url: str, worker: str) -> str:
    """`url` with the database `<its name>_<worker>`, created on the same server if it is not there.

    With `pytest -n` (pytest-xdist) every worker empties its database before
    each test, so two workers cannot share one: each gets its own, beside
    TEST_DATABASE_URL's, which itself is left as it was.
    """
    import asyncpg

    base = make_url(url)
    mine = base.set(database=f"{base.database}_{worker}")

    async def create() -> None:
        conn = await asyncpg.connect(_asyncpg_dsn(url), timeout=CONNECT_TIMEOUT)
        try:
            if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", mine.database):
                try:
                    await conn.execute(f'CREATE DATABASE "{mine.database}"')
                except asyncpg.DuplicateDatabaseError:  # another run made it meanwhile
                    pass
        finally:
            await conn.close()

    try:
        asyncio.run(create())
    except (TimeoutError, OSError, asyncpg.PostgresError):
        return url  # unreachable: the `database_url` fixture reports it, test by test
    return mine.render_as_string(hide_password=False)


def pytest_configure(config: pytest.Config) -> None:
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    url = _test_database_url()
    if worker and url is not None and url.startswith("postgresql"):
        # Everything that reads TEST_DATABASE_URL (fixtures, subprocesses) sees this worker's database.
        os.environ["TEST_DATABASE_URL"] = _worker_database(url, worker)


def pytest_sessionstart(session: pytest.Session) -> None:
    global _run_lock
    url = _test_database_url()
    if url is not None and url.startswith("postgresql"):
        _run_lock = _RunLock(_asyncpg_dsn(url))
        _run_lock.start()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _run_lock is not None:
        _run_lock.stop()


_unreachable: dict[str, str] = {}


async def _reset_postgres(url: str) -> None:
    """Empty the database; fail or skip (CI or not) if it cannot be reached."""
    import asyncpg

    if url in _unreachable:
        reason = _unreachable[url]
    else:
        try:
            conn = await asyncpg.connect(_asyncpg_dsn(url), timeout=CONNECT_TIMEOUT)
        except (TimeoutError, OSError, asyncpg.PostgresError) as exc:
            reason = _unreachable[url] = f"TEST_DATABASE_URL {_shown(url)} is unreachable: {exc!r}"
        else:
            try:
                await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
            finally:
                await conn.close()
            return
    if _in_ci():
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


@pytest.fixture
async def database_url(tmp_path) -> str:  # type: ignore[no-untyped-def]
    """A URL of an empty database: SQLite under tmp_path, or TEST_DATABASE_URL reset."""
    url = _test_database_url()
    if url is None:
        return f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
    if url.startswith("postgresql"):
        await _reset_postgres(url)
        return url
    raise pytest.UsageError(f"TEST_DATABASE_URL must be a PostgreSQL URL, not {_shown(url)}")


_sqlite_template: list[Path] = []


async def _migrated_sqlite_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite file brought to head by `upgrade`, once per run, for `db` to copy."""
    if not _sqlite_template:
        path = tmp_path_factory.mktemp("schema") / "template.db"
        database = Database(f"sqlite+aiosqlite:///{path}")
        try:
            await upgrade(database)
            async with database.engine.connect() as conn:
                await conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            await database.dispose()
        _sqlite_template.append(path)
    return _sqlite_template[0]


@pytest.fixture
async def db(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Database]:
    """A `Database` on `database_url`, upgraded to the newest migration.

    On SQLite the file starts as a copy of one migrated once per run (about
    30 times faster than migrating each time); `upgrade` then finds it at head.
    """
    if database_url.startswith("sqlite"):
        shutil.copyfile(await _migrated_sqlite_file(tmp_path_factory), make_url(database_url).database)
    database = Database(database_url)
    try:
        await upgrade(database)
        yield database
    finally:
        await database.dispose()


@pytest.fixture(autouse=True)
def _config_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """A test never writes a generated secret into the real user's config directory."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("config")))


@pytest.fixture
def clock() -> FakeClock:
    """Monday 5 January 2026, 14:00 UTC, moved only by the test."""
    return FakeClock()


@pytest.fixture
def core(db: Database, clock: FakeClock) -> Core:
    """The core on `db` with the default settings (check-ins at 24h and 7d) and `clock`.

    Tests that need other settings define their own `core`.
    """
    return Core.build(Settings.load(database_url=db.url, debrief_secret="s"), clock=clock, database=db)
