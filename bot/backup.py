"""`debrief-bot backup DIR` and `debrief-bot restore DIR`: the database, and a check that the secret goes with it.

What a backup holds:

* SQLite: `debrief.db`, a consistent copy taken with SQLite's online backup
  API (`sqlite3.Connection.backup`) while the bot keeps running, its
  write-ahead log folded in, so it is one self-contained file.
* PostgreSQL: `debrief.pgdump`, `pg_dump --format=custom` (the password goes
  to pg_dump in PGPASSWORD, never on its command line).
* `backup.json`: the backend, the schema revision, when it was taken, and a
  salted scrypt fingerprint of the receipt secret, so that `restore` can
  tell whether the secret it finds is the one the data need.

What it does not hold: the secret itself (DEBRIEF_SECRET, or the file the
bot generated for a single SQLite install). The secret is what stops a
database administrator with a copy of the database from testing a person
against the answer receipts, so it must be kept *with* every backup (the
data need it) but *apart* from the database copy: `--secret-to FILE` writes
it to a file of its own, anywhere but inside DIR. Losing it means: a
receipt can no longer be checked, so the people of a debrief still open
could answer a stage twice; answers accepted but not yet released into the
answers table could not be read; and every signed chart or export link
stops working (new ones are signed with the new secret).

`restore` refuses to start without the matching secret (unless told that
it is lost) and into a database that already holds tables (unless told to
replace them), so a mistyped DATABASE_URL cannot overwrite a live install.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import secrets
import shutil
import sqlite3
import sys
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError

from bot.settings import Settings, revealed

MANIFEST = "backup.json"
SQLITE_FILE = "debrief.db"
POSTGRES_FILE = "debrief.pgdump"
FORMAT = 1


class BackupError(Exception):
    """What went wrong, as the one line the operator needs."""


@dataclass(frozen=True)
class Manifest:
    backend: str
    revision: str | None
    taken_at: str
    secret_salt: str
    secret_fingerprint: str

    @classmethod
    def read(cls, directory: Path) -> Manifest:
        try:
            data = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
            if data.get("format") != FORMAT:
                raise BackupError(f"{directory / MANIFEST}: format {data.get('format')!r}; this release reads {FORMAT}")
            return cls(**{name: data[name] for name in cls.__dataclass_fields__})
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise BackupError(f"{directory}: not a debrief-bot backup ({MANIFEST}: {exc})") from None

    def write(self, directory: Path) -> None:
        content = {"format": FORMAT, **self.__dict__, "secret": "not included: keep it apart from this directory"}
        (directory / MANIFEST).write_text(json.dumps(content, indent=2) + "\n", encoding="utf-8")


@dataclass(frozen=True)
class Done:
    """What was backed up or restored, for the lines the command prints."""

    backend: str
    revision: str | None
    files: list[Path]
    notes: list[str]


def secret_file(settings: Settings) -> Path | None:
    """Where the bot keeps the secret it generated for a single SQLite install; None when DEBRIEF_SECRET is set.

    The same place `Settings.receipt_secret` uses.
    """
    return None if settings.debrief_secret else settings.secret_path()


def current_secret(settings: Settings) -> bytes | None:
    """The receipt secret as the bot would read it, or None if there is none yet (never generates one)."""
    if settings.debrief_secret:
        return revealed(settings.debrief_secret).encode()
    path = secret_file(settings)
    if path is None or not path.exists():
        return None
    return path.read_text().strip().encode()


def fingerprint(secret: bytes, salt: bytes) -> str:
    """A slow, salted one-way fingerprint: enough to recognise the secret, useless to guess it faster."""
    return hashlib.scrypt(secret, salt=salt, n=2**14, r=8, p=1, dklen=16).hex()


def _where(settings: Settings) -> str:
    return "DEBRIEF_SECRET" if settings.debrief_secret else f"the secret file {secret_file(settings)}"


def _sqlite_path(settings: Settings) -> Path:
    database = make_url(settings.database_url).database
    if not database or database == ":memory:":
        raise BackupError("DATABASE_URL: an in-memory SQLite database cannot be backed up or restored")
    return Path(database)


def _libpq(settings: Settings) -> tuple[str, dict[str, str]]:
    """DATABASE_URL as pg_dump and pg_restore take it, and their environment (the password in PGPASSWORD)."""
    url: URL = make_url(settings.database_url)
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    query = {key: value for key, value in url.query.items() if key == "sslmode"}
    plain = url.set(drivername="postgresql", password=None, query=query)
    return plain.render_as_string(hide_password=False), env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} not found: install the PostgreSQL client tools (Debian: apt-get install postgresql-client)")
    return found


async def _run(command: list[str], env: dict[str, str]) -> None:
    process = await asyncio.create_subprocess_exec(
        *command, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
    )
    _, stderr = await process.communicate()
    if process.returncode:
        reason = stderr.decode(errors="replace").strip().splitlines()
        raise BackupError(f"{Path(command[0]).name} failed: {reason[0] if reason else f'exit status {process.returncode}'}")


def _sqlite_revision(connection: sqlite3.Connection) -> str | None:
    try:
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError:
        return None
    return row[0] if row else None


def _sqlite_copy(source: Path, target: Path) -> str | None:
    """Copy with the online backup API; the target ends as one file (rollback journal), checked. Its revision."""
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.execute("PRAGMA busy_timeout=5000")
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")
        checked = dst.execute("PRAGMA integrity_check").fetchone()[0]
        if checked != "ok":
            raise BackupError(f"{target}: the copy failed SQLite's integrity check: {checked}")
        return _sqlite_revision(dst)


async def _postgres_revision(settings: Settings) -> str | None:
    from bot.db import Database
    from bot.schema import current_revision

    database = Database(settings.database_url)
    try:
        return await current_revision(database)
    finally:
        await database.dispose()


async def _postgres_tables(settings: Settings) -> int:
    from sqlalchemy import text

    from bot.db import Database

    database = Database(settings.database_url)
    try:
        async with database.engine.connect() as conn:
            query = "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
            return int((await conn.execute(text(query))).scalar_one())
    finally:
        await database.dispose()


async def _postgres_empty(settings: Settings) -> None:
    from sqlalchemy import text

    from bot.db import Database

    database = Database(settings.database_url)
    try:
        async with database.engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
    finally:
        await database.dispose()


def _write_secret(path: Path, secret: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if path.exists():
        if path.read_text().strip().encode() == secret:
            return
        raise BackupError(f"{path} already holds another secret: move it away first (it may still be needed)")
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as out:
        out.write(secret.decode() + "\n")


def _inside(path: Path, directory: Path) -> bool:
    return path.resolve().is_relative_to(directory.resolve())


async def take(settings: Settings, directory: Path, secret_to: Path | None = None) -> Done:
    """Back up DATABASE_URL into `directory` (new or empty), while the bot runs; optionally the secret to `secret_to`."""
    secret = current_secret(settings)
    if secret is None:
        raise BackupError(f"no secret at {secret_file(settings)} and no DEBRIEF_SECRET: has the bot ever run here?")
    if secret_to is not None and _inside(secret_to, directory):
        raise BackupError("--secret-to: keep the secret apart from the database copy, not inside the backup directory")
    if directory.exists() and any(directory.iterdir()):
        raise BackupError(f"{directory} is not empty: back up into a new directory")
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)

    backend = "postgresql" if settings.is_postgres else "sqlite"
    if settings.is_postgres:
        target = directory / POSTGRES_FILE
        dsn, env = _libpq(settings)
        await _run([_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={target}", dsn], env)
        revision = await _postgres_revision(settings)
    else:
        source = _sqlite_path(settings)
        if not source.exists():
            raise BackupError(f"DATABASE_URL: {source} does not exist")
        target = directory / SQLITE_FILE
        revision = await asyncio.to_thread(_sqlite_copy, source, target)
    target.chmod(0o600)

    salt = secrets.token_bytes(16)
    taken_at = datetime.now(UTC).isoformat(timespec="seconds")
    Manifest(backend, revision, taken_at, salt.hex(), fingerprint(secret, salt)).write(directory)
    files = [target, directory / MANIFEST]
    if secret_to is not None:
        _write_secret(secret_to, secret)
        files.append(secret_to)
        notes = [f"The secret is in {secret_to}: store it apart from {directory} (another place, another key)."]
    else:
        notes = [
            f"The secret ({_where(settings)}) is not in this backup. Keep a copy of it apart from {directory}: "
            "without it a restored debrief cannot tell who has already answered, answers not yet released "
            "cannot be read, and signed chart and export links stop working. "
            "(--secret-to FILE writes it to a file of its own.)"
        ]
    return Done(backend, revision, files, notes)


async def restore(
    settings: Settings,
    directory: Path,
    *,
    replace: bool = False,
    secret_from: Path | None = None,
    accept_lost_secret: bool = False,
) -> Done:
    """Restore a backup into DATABASE_URL, after checking the secret and that the target is empty (or `replace`)."""
    manifest = Manifest.read(directory)
    backend = "postgresql" if settings.is_postgres else "sqlite"
    if manifest.backend != backend:
        raise BackupError(f"this is a {manifest.backend} backup and DATABASE_URL is {backend}: restore it into {manifest.backend}")
    source = directory / (POSTGRES_FILE if settings.is_postgres else SQLITE_FILE)
    if not source.exists():
        raise BackupError(f"{source} is missing")

    notes = _check_secret(settings, manifest, secret_from, accept_lost_secret)

    if settings.is_postgres:
        if await _postgres_tables(settings) and not replace:
            raise BackupError("DATABASE_URL: the database already holds tables; restore into an empty one (or --replace)")
        if replace:
            await _postgres_empty(settings)
        dsn, env = _libpq(settings)
        command = [_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction"]
        await _run([*command, f"--dbname={dsn}", str(source)], env)
        target = None
    else:
        target = _sqlite_path(settings)
        if target.exists() and target.stat().st_size and not replace:
            with closing(sqlite3.connect(target)) as existing:
                tables = existing.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
            if tables:
                raise BackupError(f"DATABASE_URL: {target} already holds tables; restore into a new file (or --replace)")
        target.parent.mkdir(parents=True, exist_ok=True)
        await asyncio.to_thread(_sqlite_copy, source, target)
    return Done(backend, manifest.revision, [target] if target else [], notes)


def _check_secret(settings: Settings, manifest: Manifest, secret_from: Path | None, accept_lost: bool) -> list[str]:
    """Make sure the restored data will find their secret; put it in place from `secret_from` if asked."""
    salt = bytes.fromhex(manifest.secret_salt)
    if secret_from is not None:
        try:
            given = secret_from.read_text().strip().encode()
        except OSError as exc:
            raise BackupError(f"--secret-from: cannot read {secret_from}: {exc.strerror}") from None
        if fingerprint(given, salt) != manifest.secret_fingerprint:
            raise BackupError(f"--secret-from: {secret_from} is not the secret this backup was taken with")
        path = secret_file(settings)
        if path is not None:
            _write_secret(path, given)
    secret = current_secret(settings)
    if secret is not None and fingerprint(secret, salt) == manifest.secret_fingerprint:
        return [f"The secret matches ({_where(settings)})."]
    problem = "is missing" if secret is None else "is not the one this backup was taken with"
    if not accept_lost:
        raise BackupError(
            f"the secret ({_where(settings)}) {problem}: set DEBRIEF_SECRET to the old value or give --secret-from FILE; "
            "only if it is truly lost, --accept-lost-secret"
        )
    return [
        f"The secret {problem}: receipts cannot be checked (people of open debriefs could answer twice), answers "
        "not yet released cannot be read, and old signed links no longer work."
    ]


def _reason(exc: BaseException) -> str:
    """The first line of an unexpected error (a database that does not answer, a directory not writable)."""
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0]}" if text else type(exc).__name__


def _settings() -> Settings | None:
    from bot.settings import SettingsError

    try:
        return Settings.load()
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return None


def backup_command(directory: Path, secret_to: Path | None) -> int:
    """`debrief-bot backup DIR [--secret-to FILE]`: exit 0, or 1 with one line on stderr (2: bad settings)."""
    settings = _settings()
    if settings is None:
        return 2
    try:
        done = asyncio.run(take(settings, directory, secret_to))
    except BackupError as exc:
        print(f"debrief-bot backup: {exc}", file=sys.stderr)
        return 1
    except (OSError, sqlite3.Error, SQLAlchemyError) as exc:
        print(f"debrief-bot backup: {_reason(exc)}", file=sys.stderr)
        return 1
    print(f"Backed up the {done.backend} database at revision {done.revision} into {directory}: "
          + ", ".join(path.name for path in done.files))
    for note in done.notes:
        print(note)
    return 0


def restore_command(directory: Path, replace: bool, secret_from: Path | None, accept_lost_secret: bool) -> int:
    """`debrief-bot restore DIR`: exit 0, or 1 with one line on stderr (2: bad settings)."""
    settings = _settings()
    if settings is None:
        return 2
    try:
        done = asyncio.run(
            restore(settings, directory, replace=replace, secret_from=secret_from, accept_lost_secret=accept_lost_secret)
        )
    except BackupError as exc:
        print(f"debrief-bot restore: {exc}", file=sys.stderr)
        return 1
    except (OSError, sqlite3.Error, SQLAlchemyError) as exc:
        print(f"debrief-bot restore: DATABASE_URL: {_reason(exc)}", file=sys.stderr)
        return 1
    print(f"Restored the {done.backend} database at revision {done.revision} from {directory}.")
    for note in done.notes:
        print(note)
    print("Start the bot: `debrief-bot serve` upgrades the schema if this release is newer than the backup.")
    return 0
