"""Alembic environment of the debrief bot, configured without alembic.ini.

`bot.schema` runs the migrations on a connection it has already opened
(inside one transaction, under a PostgreSQL advisory lock or an SQLite
write lock) and hands it over in ``config.attributes["connection"]``.
Run any other way (e.g. `alembic.command.revision(..., autogenerate=True)`
with `bot.schema.alembic_config(url)`), this file opens the database in
``sqlalchemy.url`` (or DATABASE_URL) itself, the same way.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from bot import schema

config = context.config
target_metadata = schema.target_metadata()


def _is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _url() -> str:
    url = config.get_main_option("sqlalchemy.url")
    if url:
        return url
    from bot.settings import Settings

    return Settings.load().database_url


async def _run_standalone(url: str) -> None:
    from bot.db import Database

    database = Database(url)
    try:
        await schema.in_migration_transaction(database, _run)
    finally:
        await database.dispose()


def run_migrations_offline() -> None:
    url = _url()
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        render_as_batch=_is_sqlite(url),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
    else:
        asyncio.run(_run_standalone(_url()))


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
