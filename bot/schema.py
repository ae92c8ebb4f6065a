"""Bring the database schema up to date with the Alembic migrations.

`serve` calls `ensure_schema` at start-up; `debrief-bot db upgrade` calls
`upgrade`. Both run the migrations of the installed `migrations`
package, configured here (there is no alembic.ini), on one connection and
inside one transaction:

* PostgreSQL: under a transaction-scoped advisory lock, so several replicas
  starting at once upgrade one after the other (the later ones find the
  work done). DDL is transactional, so a failed upgrade leaves nothing.
* SQLite: in a `BEGIN IMMEDIATE` transaction (one writer at a time) with
  foreign keys off, as SQLite asks for schema changes: Alembic's batch mode
  recreates tables, and dropping a parent table with foreign keys on would
  cascade-delete its children. `PRAGMA foreign_key_check` runs before the
  commit, and foreign keys are back on before the connection is reused.

Within one process upgrades also take turns (Alembic's `op` and `context`
are module globals). A database whose revision this code does not know was
upgraded by a newer release; it is left alone and `SchemaTooNew` says so.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import TypeVar

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection

from bot.db import Database

T = TypeVar("T")

# pg_advisory_xact_lock key: the bytes of "debrief" as one bigint.
ADVISORY_LOCK_KEY = int.from_bytes(b"debrief", "big")


# Alembic keeps the running migration in module globals (`alembic.op`,
# `alembic.context`): two upgrades interleaved on one event loop would
# trample each other, so within a process they take turns.
_turns: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = weakref.WeakKeyDictionary()


def _turn() -> asyncio.Lock:
    loop = asyncio.get_running_loop()
    if loop not in _turns:
        _turns[loop] = asyncio.Lock()
    return _turns[loop]


class SchemaTooNew(RuntimeError):
    """The database was migrated by a newer release than this one."""


def migrations_directory() -> Path:
    import migrations

    return Path(migrations.__file__).resolve().parent


def alembic_config(url: str | None = None) -> Config:
    """An Alembic config for the installed migrations, with no alembic.ini.

    With a URL, Alembic's own commands (`command.revision(config,
    autogenerate=True, ...)`, `command.history`) can open the database.
    """
    config = Config()
    config.set_main_option("script_location", str(migrations_directory()))
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


@cache
def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str:
    """The newest revision this code knows."""
    return ",".join(sorted(_script().get_heads()))


def slack_metadata() -> MetaData:
    """The Slack OAuth tables, as slack_sdk's SQLAlchemy stores define them."""
    from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
    from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

    metadata = MetaData()
    SQLAlchemyInstallationStore.build_installations_table(
        metadata, SQLAlchemyInstallationStore.default_installations_table_name
    )
    SQLAlchemyInstallationStore.build_bots_table(metadata, SQLAlchemyInstallationStore.default_bots_table_name)
    SQLAlchemyOAuthStateStore.build_oauth_states_table(metadata, SQLAlchemyOAuthStateStore.default_table_name)
    return metadata


def target_metadata() -> list[MetaData]:
    """What the migrations must produce: our tables and the Slack OAuth ones."""
    from sqlmodel import SQLModel

    import bot.models  # noqa: F401  (registers the tables)

    return [SQLModel.metadata, slack_metadata()]


async def in_migration_transaction(database: Database, work: Callable[[Connection], T]) -> T:
    """Run `work(connection)` in one locked transaction fit for schema changes."""
    async with _turn():
        return await _in_migration_transaction(database, work)


async def _in_migration_transaction(database: Database, work: Callable[[Connection], T]) -> T:
    dialect = database.engine.dialect.name
    async with database.engine.connect() as conn:
        if dialect == "sqlite":
            # PRAGMA foreign_keys is a no-op inside a transaction: switch it outside.
            await conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            await conn.commit()
            try:
                await conn.exec_driver_sql("BEGIN IMMEDIATE")
                result = await conn.run_sync(work)
                broken = (await conn.exec_driver_sql("PRAGMA foreign_key_check")).all()
                if broken:
                    raise RuntimeError(f"migration left rows with dangling foreign keys: {broken[:5]}")
                await conn.commit()
            except BaseException:
                await conn.rollback()
                raise
            finally:
                await conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                await conn.commit()
            return result
        async with conn.begin():
            if dialect == "postgresql":
                await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
            return await conn.run_sync(work)


def _stamped(connection: Connection) -> tuple[str, ...]:
    return MigrationContext.configure(connection).get_current_heads()


def _check_known(found: tuple[str, ...]) -> None:
    script = _script()
    for revision in found:
        try:
            known = script.get_revision(revision) is not None
        except CommandError:
            known = False
        if not known:
            raise SchemaTooNew(
                f"database schema is at revision {revision!r}, which this release of debrief-bot does not know "
                f"(its newest is {head_revision()!r}): a newer release has upgraded this database, "
                "so upgrade the bot to that release"
            )


def _upgrade_sync(connection: Connection) -> str:
    found = _stamped(connection)
    _check_known(found)
    if set(found) != set(_script().get_heads()):
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "heads")
    return head_revision()


async def current_revision(database: Database) -> str | None:
    """The revision the database is stamped with, or None if it has none."""
    async with database.engine.connect() as conn:
        return await conn.run_sync(lambda sync: MigrationContext.configure(sync).get_current_revision())


async def upgrade(database: Database) -> str:
    """Bring the database to the newest revision; return that revision.

    Raises `SchemaTooNew` if the database is at a revision this code does not know.
    """
    return await in_migration_transaction(database, _upgrade_sync)


async def ensure_schema(database: Database) -> str:
    """For start-up: upgrade an empty or older database, refuse a newer one.

    A database already at the newest revision costs a read of its revision, no database lock.
    """
    # within a process, even the first connection (it may switch the file to WAL) waits
    async with _turn(), database.engine.connect() as conn:
        found = await conn.run_sync(_stamped)
    _check_known(found)
    if set(found) == set(_script().get_heads()):
        return head_revision()
    return await upgrade(database)
