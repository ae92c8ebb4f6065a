"""The migrations build exactly the tables of bot/models.py, and start-up handles every schema state."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData, event, inspect, text
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import bot.models  # noqa: F401
from bot import schema
from bot.db import Database
from bot.schema import SchemaTooNew, current_revision, ensure_schema, head_revision, upgrade
from bot.settings import Settings

SLACK_TABLES = {"slack_installations", "slack_bots", "slack_oauth_states"}
WITHOUT_ROWID = {"answers", "answer_receipts", "stage_tallies"}

T = TypeVar("T")


def _table_names(conn: Connection) -> set[str]:
    return set(inspect(conn).get_table_names())


async def _sync(database: Database, work: Callable[[Connection], T]) -> T:
    async with database.engine.connect() as conn:
        return await conn.run_sync(work)


async def test_upgrade_from_empty_creates_every_table(database_url: str) -> None:
    database = Database(database_url)
    try:
        assert await current_revision(database) is None
        assert await _sync(database, _table_names) == set()

        assert await upgrade(database) == head_revision()

        assert await current_revision(database) == head_revision()
        expected = set(SQLModel.metadata.tables) | SLACK_TABLES | {"alembic_version"}
        assert await _sync(database, _table_names) == expected
    finally:
        await database.dispose()


def _differences(conn: Connection) -> list[object]:
    combined = MetaData()  # our tables and Slack's, as one
    for metadata in schema.target_metadata():
        for table in metadata.tables.values():
            table.to_metadata(combined)
    context = MigrationContext.configure(conn, opts={"compare_type": True})
    return list(compare_metadata(context, combined))


async def test_migrations_agree_with_the_models(db: Database) -> None:
    assert await _sync(db, _differences) == []


def _foreign_keys(conn: Connection) -> set[tuple[object, ...]]:
    inspector = inspect(conn)
    return {
        (table, tuple(fk["constrained_columns"]), fk["referred_table"], (fk.get("options") or {}).get("ondelete"))
        for table in SQLModel.metadata.tables
        for fk in inspector.get_foreign_keys(table)
    }


def _unique_constraints(conn: Connection) -> set[tuple[str, tuple[str, ...]]]:
    inspector = inspect(conn)
    return {
        (table, tuple(unique["column_names"]))
        for table in SQLModel.metadata.tables
        for unique in inspector.get_unique_constraints(table)
    }


async def test_foreign_keys_and_unique_constraints_are_those_of_the_models(db: Database) -> None:
    """compare_metadata does not look at ON DELETE; check it, and the unique constraints, here."""
    expected_fks = {
        (table.name, tuple(fk.parent.name for fk in constraint.elements), constraint.referred_table.name, constraint.ondelete)
        for table in SQLModel.metadata.tables.values()
        for constraint in table.foreign_key_constraints
    }
    expected_uniques = {
        (table.name, tuple(column.name for column in constraint.columns))
        for table in SQLModel.metadata.tables.values()
        for constraint in table.constraints
        if constraint.__class__.__name__ == "UniqueConstraint"
    } | {
        (table.name, (column.name,))
        for table in SQLModel.metadata.tables.values()
        for column in table.columns
        if column.unique
    }
    assert any(ondelete == "SET NULL" for *_, ondelete in expected_fks)
    assert await _sync(db, _foreign_keys) == expected_fks
    assert await _sync(db, _unique_constraints) == expected_uniques


def _statements(database: Database) -> list[str]:
    seen: list[str] = []

    @event.listens_for(database.engine.sync_engine, "before_cursor_execute")
    def _record(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        seen.append(statement.strip().split()[0].upper())

    return seen


async def test_ensure_schema_upgrades_once_then_does_nothing(database_url: str) -> None:
    database = Database(database_url)
    try:
        assert await ensure_schema(database) == head_revision()
        statements = _statements(database)
        assert await ensure_schema(database) == head_revision()
        assert await ensure_schema(database) == head_revision()
        assert statements, "ensure_schema should at least read the revision"
        assert not {"CREATE", "ALTER", "DROP", "INSERT", "UPDATE", "DELETE"} & set(statements)
        assert await current_revision(database) == head_revision()
    finally:
        await database.dispose()


async def test_a_newer_schema_is_refused_and_left_alone(db: Database) -> None:
    async with db.engine.begin() as conn:
        await conn.execute(text("UPDATE alembic_version SET version_num = '0042_from_the_future'"))

    with pytest.raises(SchemaTooNew) as refused:
        await ensure_schema(db)
    message = str(refused.value)
    assert "'0042_from_the_future'" in message
    assert "upgrade the bot" in message
    assert "\n" not in message

    with pytest.raises(SchemaTooNew):
        await upgrade(db)
    assert await current_revision(db) == "0042_from_the_future"


async def test_upgrades_in_one_process_take_turns(database_url: str) -> None:
    databases = [Database(database_url) for _ in range(4)]
    try:
        revisions = await asyncio.gather(*(ensure_schema(database) for database in databases))
        assert revisions == [head_revision()] * 4
        assert await current_revision(databases[0]) == head_revision()
    finally:
        for database in databases:
            await database.dispose()


_REPLICA = """
import asyncio, sys, time
from pathlib import Path
from bot.db import Database
from bot.schema import ensure_schema

url, ready, go = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])

async def main():
    database = Database(url)
    try:
        await (await database.engine.connect()).close()  # a pooled connection, so all start at once
        ready.touch()
        while not go.exists():
            await asyncio.sleep(0.002)
        print(await ensure_schema(database))
    finally:
        await database.dispose()

asyncio.run(main())
"""


def test_replicas_starting_together_upgrade_once(database_url: str, tmp_path: Path) -> None:
    """Processes released at once on an empty database take turns (PostgreSQL advisory lock, SQLite BEGIN IMMEDIATE)."""
    go = tmp_path / "go"
    replicas = [
        (
            tmp_path / f"ready{number}",
            subprocess.Popen(
                [sys.executable, "-c", _REPLICA, database_url, str(tmp_path / f"ready{number}"), str(go)],
                env=_cli_env(database_url),
                cwd=tmp_path,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            ),
        )
        for number in range(4)
    ]
    deadline = time.monotonic() + 60
    while not all(ready.exists() for ready, _ in replicas):
        assert time.monotonic() < deadline and all(replica.poll() is None for _, replica in replicas)
        time.sleep(0.01)
    go.touch()
    for _, replica in replicas:
        stdout, stderr = replica.communicate(timeout=120)
        assert replica.returncode == 0, stderr
        assert stdout == f"{head_revision()}\n"


async def test_downgrade_to_nothing_and_back(db: Database) -> None:
    def downgrade(conn: Connection) -> None:
        config = schema.alembic_config()
        config.attributes["connection"] = conn
        command.downgrade(config, "base")

    await schema.in_migration_transaction(db, downgrade)
    assert await _sync(db, _table_names) == {"alembic_version"}
    assert await current_revision(db) is None
    if not db.is_sqlite:
        async with db.engine.connect() as conn:
            enums = (await conn.execute(text("SELECT typname FROM pg_type WHERE typtype = 'e'"))).scalars().all()
        assert enums == []

    assert await upgrade(db) == head_revision()
    assert await _sync(db, _differences) == []


async def test_sqlite_answers_are_without_rowid_with_foreign_keys_and_wal(db: Database) -> None:
    if not db.is_sqlite:
        pytest.skip("SQLite only")
    async with db.engine.connect() as conn:
        rows = (await conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'table'"))).all()
    sql = {name: statement.upper() for name, statement in rows}
    for table in WITHOUT_ROWID:
        assert sql[table].rstrip().endswith("WITHOUT ROWID"), table
    assert all("WITHOUT ROWID" not in sql[table] for table in set(sql) - WITHOUT_ROWID)

    # every pooled connection, the one the migration used included
    async with db.engine.connect() as first, db.engine.connect() as second:
        for conn in (first, second):
            assert (await conn.exec_driver_sql("PRAGMA foreign_keys")).scalar() == 1
            assert (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar() == "wal"


async def test_sqlite_migrations_run_with_foreign_keys_off(db: Database) -> None:
    """Batch mode recreates a table; with foreign keys on, dropping `debriefs` would delete every answer."""
    if not db.is_sqlite:
        pytest.skip("SQLite only: PostgreSQL alters tables in place")
    async with db.engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO debriefs (id, platform, workspace, team, lead, script_id, script_version, schedule, "
                "started_at, key_expires_at, status, shown_count) VALUES ('d1', 'slack', 'T1', 'C1', 'U1', "
                "'hot', 1, '24h', '2024-01-01', '2024-02-01', 'OPEN', 0)"
            )
        )
        await conn.execute(
            text(
                "INSERT INTO answers (id, debrief_id, stage, question, shared_with_team) "
                "VALUES ('a1', 'd1', 'hot', 'q1', 0)"
            )
        )

    def recreate_debriefs(conn: Connection) -> None:
        context = MigrationContext.configure(conn, opts={"render_as_batch": True})
        with Operations.context(context), Operations(context).batch_alter_table("debriefs", recreate="always"):
            pass

    await schema.in_migration_transaction(db, recreate_debriefs)
    async with db.engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM answers"))).scalar() == 1
        assert (await conn.exec_driver_sql("PRAGMA foreign_keys")).scalar() == 1


async def test_slack_stores_work_without_create_tables(db: Database) -> None:
    from slack_sdk.oauth.installation_store import Installation
    from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
    from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore

    installations = AsyncSQLAlchemyInstallationStore(client_id="111.222", engine=db.engine)
    await installations.async_save(
        Installation(
            app_id="A1",
            team_id="T1",
            user_id="U1",
            bot_token="xoxb-1",
            bot_id="B1",
            bot_user_id="UB1",
            installed_at=datetime.now(UTC).timestamp(),
        )
    )
    found = await installations.async_find_installation(enterprise_id=None, team_id="T1")
    assert found is not None and found.bot_token == "xoxb-1"
    bot = await installations.async_find_bot(enterprise_id=None, team_id="T1")
    assert bot is not None and bot.bot_user_id == "UB1"

    states = AsyncSQLAlchemyOAuthStateStore(expiration_seconds=60, engine=db.engine)
    state = await states.async_issue()
    assert await states.async_consume(state) is True
    assert await states.async_consume(state) is False


def test_slack_tables_are_those_migration_0001_creates() -> None:
    """0001 builds these with slack_sdk's builders. If this fails after a slack_sdk
    upgrade, write the old definitions into 0001 and add the change as a new revision."""
    columns = {name: list(table.columns.keys()) for name, table in schema.slack_metadata().tables.items()}
    assert columns == {
        "slack_installations": [
            "id", "client_id", "app_id", "enterprise_id", "enterprise_name", "enterprise_url", "team_id",
            "team_name", "bot_token", "bot_id", "bot_user_id", "bot_scopes", "bot_refresh_token",
            "bot_token_expires_at", "user_id", "user_token", "user_scopes", "user_refresh_token",
            "user_token_expires_at", "incoming_webhook_url", "incoming_webhook_channel",
            "incoming_webhook_channel_id", "incoming_webhook_configuration_url", "is_enterprise_install",
            "token_type", "installed_at",
        ],
        "slack_bots": [
            "id", "client_id", "app_id", "enterprise_id", "enterprise_name", "team_id", "team_name", "bot_token",
            "bot_id", "bot_user_id", "bot_scopes", "bot_refresh_token", "bot_token_expires_at",
            "is_enterprise_install", "installed_at",
        ],
        "slack_oauth_states": ["id", "state", "expire_at"],
    }  # fmt: skip


def _cli_env(database_url: str) -> dict[str, str]:
    settings = {name.upper() for name in Settings.model_fields}
    env = {key: value for key, value in os.environ.items() if key.upper() not in settings}
    env["DATABASE_URL"] = database_url
    env["DEBRIEF_SECRET"] = "test-secret-for-the-db-upgrade-command"
    return env


def _cli() -> list[str]:
    script = Path(sys.executable).with_name("debrief-bot")
    if script.exists():
        return [str(script)]
    found = shutil.which("debrief-bot")
    return [found] if found else [sys.executable, "-m", "bot.cli"]


def test_db_upgrade_command(database_url: str, tmp_path: Path) -> None:
    kind = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    for _ in range(2):  # the second run finds nothing to do
        done = subprocess.run(
            [*_cli(), "db", "upgrade"],
            env=_cli_env(database_url),
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout == f"database at revision {head_revision()} ({kind})\n"


def test_db_upgrade_command_reports_bad_settings(tmp_path: Path) -> None:
    done = subprocess.run(
        [*_cli(), "db", "upgrade"],
        env=_cli_env("mysql://nowhere/db"),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith("DATABASE_URL: ") and done.stderr.count("\n") == 1


async def test_tallies_written_before_0009_get_their_debriefs_team_and_start(db: Database) -> None:
    def to(revision: str) -> Callable[[Connection], None]:
        def move(conn: Connection) -> None:
            config = schema.alembic_config()
            config.attributes["connection"] = conn
            (command.upgrade if revision == "head" else command.downgrade)(config, revision)

        return move

    await schema.in_migration_transaction(db, to("0008"))
    async with db.engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO debriefs (id, platform, workspace, team, lead, script_id, script_version, schedule, "
                "started_at, key_expires_at, status, shown_count, tallied) VALUES ('6f9c1a52-0d1e-4c55-9a70-"
                "3d2b8e0c7a11', 'slack', 'T1', 'C-ICU', 'U1', 'stop5', 1, '24h,7d', '2026-09-01 08:30:00', "
                "'2026-09-11 08:30:00', 'CLOSED', 0, TRUE)"
            )
        )
        await conn.execute(
            text(
                "INSERT INTO stage_tallies (debrief_id, stage, invited, responses, distress_low, distress_mid, "
                "distress_high) VALUES ('6f9c1a52-0d1e-4c55-9a70-3d2b8e0c7a11', 'debrief', 4, 3, 1, 1, 1)"
            )
        )
    await schema.in_migration_transaction(db, to("head"))
    async with db.engine.connect() as conn:
        row = (await conn.execute(text("SELECT workspace, team, started_at, invited FROM stage_tallies"))).one()
    assert (row.workspace, row.team, str(row.started_at)[:19], row.invited) == ("T1", "C-ICU", "2026-09-01 08:30:00", 4)
    assert await _sync(db, _differences) == []
