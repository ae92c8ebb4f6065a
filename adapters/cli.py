"""The `debrief-bot` command: serve, db, scripts, and the platform helpers.

Each sub-command is a small function; heavy imports happen inside them so
that `debrief-bot --help`, `scripts check` and a refused setting are fast.
A failure is one line on stderr, never a traceback (except at
LOG_LEVEL=DEBUG): a bad setting or a database that is missing, unreachable
or without schema exits 2, a closed output pipe (`export | head`) 1.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any


def _serve(args: argparse.Namespace) -> int:
    """Check every setting and what it points at before the platform libraries are even imported."""
    from bot.settings import Settings, SettingsError
    from bot.startup import check

    try:
        settings = Settings.load()
        check(settings)
    except SettingsError as exc:
        print(f"debrief-bot: {exc}", file=sys.stderr)
        return 2
    from adapters.server import run

    return run(settings)


def _on_database(work: Callable[[Any, Any], Awaitable[int]], *, needs_schema: bool = True) -> int:
    """Run `work(settings, database)` on DATABASE_URL and close the database after.

    A missing or bad setting, a database that is not there, cannot be
    reached or (with `needs_schema`) has no tables yet: one line on stderr
    and exit status 2, as for `serve`. A SQLite file is never created here
    except by `db upgrade` (`needs_schema=False`).
    """
    import asyncio

    from sqlalchemy.exc import SQLAlchemyError

    from bot.db import Database
    from bot.schema import current_revision
    from bot.settings import Settings, SettingsError
    from bot.startup import check_database_path, database_problem

    try:
        settings = Settings.load()
        check_database_path(settings, must_exist=needs_schema)
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2

    async def run() -> int:
        database = Database(settings.database_url)
        try:
            if needs_schema:
                try:
                    revision = await current_revision(database)
                except (TimeoutError, OSError, SQLAlchemyError) as exc:
                    print(database_problem(exc), file=sys.stderr)
                    return 2
                if revision is None:
                    print("DATABASE_URL: the database has no tables yet; run debrief-bot db upgrade "
                          "(or debrief-bot serve) first", file=sys.stderr)
                    return 2
            return await work(settings, database)
        finally:
            await database.dispose()

    return asyncio.run(run())


def _db_upgrade(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from bot.schema import SchemaTooNew, upgrade

    async def work(settings: Any, database: Any) -> int:
        try:
            revision = await upgrade(database)
        except SchemaTooNew as exc:
            print(exc, file=sys.stderr)
            return 1
        except (OSError, SQLAlchemyError) as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            print(f"DATABASE_URL: cannot upgrade the database: {reason}", file=sys.stderr)
            return 1
        print(f"database at revision {revision} ({'postgresql' if settings.is_postgres else 'sqlite'})")
        return 0

    return _on_database(work, needs_schema=False)


def _db_downgrade(args: argparse.Namespace) -> int:
    from alembic.util import CommandError

    from bot.schema import SchemaTooNew, downgrade

    async def work(settings: Any, database: Any) -> int:
        try:
            revision = await downgrade(database, args.revision)
        except (SchemaTooNew, CommandError) as exc:
            print(f"debrief-bot db downgrade: {exc}", file=sys.stderr)
            return 1
        print(f"database at revision {revision}: now start the release that goes with it")
        return 0

    return _on_database(work)


def _backup(args: argparse.Namespace) -> int:
    from bot.backup import backup_command

    return backup_command(args.directory, args.secret_to)


def _restore(args: argparse.Namespace) -> int:
    from bot.backup import restore_command

    return restore_command(args.directory, args.replace, args.secret_from, args.accept_lost_secret)


def _export(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from bot.export import parse_since, write_csv
    from bot.wellbeing import Wellbeing

    try:  # --format: argparse's choices already refuse anything but csv
        days = parse_since(args.since)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2

    async def work(settings: Any, database: Any) -> int:
        report = await Wellbeing(database, settings.debrief_min_group).report(datetime.now(UTC), args.workspace)
        write_csv(report, days, sys.stdout)
        for note in report.notes:
            print(note, file=sys.stderr)
        return 0

    return _on_database(work)


def _purge(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from bot.retention import purge

    async def work(settings: Any, database: Any) -> int:
        result = await purge(database, datetime.now(UTC), settings.debrief_retention_days, dry_run=args.dry_run)
        print("\n".join(result.lines()))
        return 0

    return _on_database(work)


def _scripts_check(args: argparse.Namespace) -> int:
    from bot.scripts import check_command

    return check_command(args.directory)


def _scripts_show(args: argparse.Namespace) -> int:
    from bot.scripts import show_command

    return show_command(args.script_id)


def _slack_manifest(args: argparse.Namespace) -> int:
    from adapters.slack.manifest import command

    return command(args.url, args.socket_mode)


def _teams_package(args: argparse.Namespace) -> int:
    from adapters.teams.manifest import command

    return command(args.app_id, args.out, args.url, args.name, args.privacy_url, args.terms_url)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="debrief-bot",
        description="Hot debriefs and follow-up care for clinical teams, on Slack and Microsoft Teams.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the bot (all settings from the environment)")
    serve.set_defaults(handler=_serve)

    db = commands.add_parser("db", help="database schema").add_subparsers(dest="db_command", required=True)
    db.add_parser("upgrade", help="bring the database in DATABASE_URL up to date").set_defaults(handler=_db_upgrade)
    down = db.add_parser("downgrade", help="take the schema back to a previous release's revision (see CHANGELOG.md)")
    down.add_argument("revision", help="the revision to go back to, such as 0010")
    down.set_defaults(handler=_db_downgrade)

    backup = commands.add_parser("backup", help="copy the database into a new directory, while the bot runs")
    backup.add_argument("directory", type=Path, help="a new or empty directory")
    backup.add_argument("--secret-to", type=Path, metavar="FILE", help="also write the secret here (not inside DIR)")
    backup.set_defaults(handler=_backup)

    restore = commands.add_parser("restore", help="restore a backup into DATABASE_URL (the bot stopped)")
    restore.add_argument("directory", type=Path, help="a directory made by `debrief-bot backup`")
    restore.add_argument("--secret-from", type=Path, metavar="FILE", help="the secret kept with the backup")
    restore.add_argument("--replace", action="store_true", help="empty a database that already holds tables")
    restore.add_argument("--accept-lost-secret", action="store_true", help="restore although the secret is lost")
    restore.set_defaults(handler=_restore)

    export = commands.add_parser("export", help="the wellbeing report as CSV: aggregates only, suppressed")
    export.add_argument("--since", default="30d", help="7d, 30d or 90d (default 30d)")
    export.add_argument("--format", default="csv", choices=["csv"], help="csv")
    export.add_argument("--workspace", help="one Slack workspace or Teams tenant only")
    export.set_defaults(handler=_export)

    purge = commands.add_parser("purge", help="clear free text older than DEBRIEF_RETENTION_DAYS (default 90)")
    purge.add_argument("--dry-run", action="store_true", help="only say what would go")
    purge.set_defaults(handler=_purge)

    scripts = commands.add_parser("scripts", help="debrief scripts").add_subparsers(dest="scripts_command", required=True)
    check = scripts.add_parser("check", help="validate the shipped scripts, or those in DIR")
    check.add_argument("directory", nargs="?", type=Path, help="a directory laid out like debrief_scripts/")
    check.set_defaults(handler=_scripts_check)
    show = scripts.add_parser("show", help="print a script as a reader would see it")
    show.add_argument("script_id")
    show.set_defaults(handler=_scripts_show)

    slack = commands.add_parser("slack", help="Slack helpers").add_subparsers(dest="slack_command", required=True)
    manifest = slack.add_parser("manifest", help="print the Slack app manifest, filled in for your host")
    manifest.add_argument("--url", metavar="https://HOST", help="the bot's public base address")
    manifest.add_argument("--socket-mode", action="store_true", help="for Socket Mode instead (no public address)")
    manifest.set_defaults(handler=_slack_manifest)

    teams = commands.add_parser("teams", help="Microsoft Teams helpers").add_subparsers(dest="teams_command", required=True)
    package = teams.add_parser("package", help="write the Teams app package (manifest.json and icons, zipped)")
    package.add_argument("--app-id", required=True, metavar="ID", help="the Microsoft App ID of your Azure Bot")
    package.add_argument("--out", required=True, type=Path, metavar="FILE.zip", help="where to write the package")
    package.add_argument("--url", metavar="https://HOST", help="the bot's public base address (for validDomains)")
    package.add_argument("--name", default="Debrief", help="the app's name in Teams (default: Debrief)")
    package.add_argument("--privacy-url", metavar="https://...", help="your privacy notice (default: the bot's /privacy)")
    package.add_argument("--terms-url", metavar="https://...", help="your terms of use (default: the bot's /terms)")
    package.set_defaults(handler=_teams_package)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except BrokenPipeError:  # `debrief-bot export | head -3`: the reader has all it wanted
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so that the interpreter's own flush at exit is quiet too
        print("debrief-bot: output closed before the end (broken pipe)", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        if os.environ.get("LOG_LEVEL", "").strip().upper() == "DEBUG":
            raise
        text = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else ""
        print(f"debrief-bot: {type(exc).__name__}: {text}" if text else f"debrief-bot: {type(exc).__name__}",
              file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
