"""`debrief-bot backup`, `restore` and `db downgrade` as an operator types them, and the secret's place in a backup.

The database copy must never carry the secret (a database administrator
with both could test people against the receipts), and a restore must never
go ahead silently without it, nor over a database that is in use.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

from bot.backup import MANIFEST, POSTGRES_FILE, SQLITE_FILE, Manifest, fingerprint
from bot.schema import head_revision
from bot.settings import Settings


def _env(database_url: str, secret: str | None = None, home: Path | None = None) -> dict[str, str]:
    """The environment of one install; `home` stands for its user's home (config files), never the real one."""
    settings = {name.upper() for name in Settings.model_fields}
    env = {key: value for key, value in os.environ.items() if key.upper() not in settings}
    env["DATABASE_URL"] = database_url
    if home is not None:
        env["HOME"], env["XDG_CONFIG_HOME"] = str(home), str(home / ".config")
    if secret:
        env["DEBRIEF_SECRET"] = secret
    return env


def _cli(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).with_name("debrief-bot")
    command = [str(script)] if script.exists() else [shutil.which("debrief-bot") or "debrief-bot"]
    return subprocess.run([*command, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def _generate_secret(cwd: Path, env: dict[str, str]) -> str:
    """Have the bot read (or make) its receipt secret as `serve` does; where it keeps it."""
    code = (
        "from bot.settings import Settings; from bot.backup import secret_file; "
        "settings = Settings.load(); settings.receipt_secret(); print(secret_file(settings))"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def _one_line(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr
    return done.stderr


def test_a_single_sqlite_install_backs_up_without_its_secret_and_restores_only_with_it(tmp_path: Path) -> None:
    ward, fresh, vault = tmp_path / "ward", tmp_path / "fresh", tmp_path / "vault"
    for place in (ward, fresh, vault):
        place.mkdir()
    url = "sqlite:///debrief.db"
    at_ward, at_fresh = _env(url, home=ward), _env(url, home=fresh)
    assert _cli("db", "upgrade", cwd=ward, env=at_ward).returncode == 0
    generated = Path(_generate_secret(ward, at_ward))
    assert generated.exists() and generated.is_relative_to(ward)
    secret = generated.read_text().strip()

    inside = _cli("backup", str(tmp_path / "b1"), "--secret-to", str(tmp_path / "b1" / "secret"), cwd=ward, env=at_ward)
    assert "apart from the database copy" in _one_line(inside)

    done = _cli("backup", str(tmp_path / "b2"), "--secret-to", str(vault / "secret"), cwd=ward, env=at_ward)
    assert done.returncode == 0, done.stderr
    backup = tmp_path / "b2"
    assert sorted(path.name for path in backup.iterdir()) == [MANIFEST, SQLITE_FILE]
    for path in backup.iterdir():  # the secret is nowhere in the backup directory, in no form a search finds
        assert secret.encode() not in path.read_bytes()
    assert (vault / "secret").read_text().strip() == secret
    assert oct((vault / "secret").stat().st_mode & 0o777) == "0o600"
    manifest = json.loads((backup / MANIFEST).read_text())
    assert manifest["revision"] == head_revision() and manifest["backend"] == "sqlite"
    with sqlite3.connect(backup / SQLITE_FILE) as copy:  # one self-contained file, not left in WAL mode
        assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"

    missing = _cli("restore", str(backup), cwd=fresh, env=at_fresh)
    assert "is missing" in _one_line(missing) and not (fresh / "debrief.db").exists()
    (tmp_path / "wrong").write_text("not-the-secret\n")
    wrong = _cli("restore", str(backup), "--secret-from", str(tmp_path / "wrong"), cwd=fresh, env=at_fresh)
    assert "not the secret this backup was taken with" in _one_line(wrong)
    other = _cli("restore", str(backup), cwd=fresh, env=_env(url, secret="another-secret-0123456789abcdefghijklmn", home=fresh))
    assert "is not the one this backup was taken with" in _one_line(other)

    done = _cli("restore", str(backup), "--secret-from", str(vault / "secret"), cwd=fresh, env=at_fresh)
    assert done.returncode == 0, done.stderr
    assert "The secret matches" in done.stdout
    installed = Path(_generate_secret(fresh, at_fresh))  # the bot finds it in its place and makes no new one
    assert installed.is_relative_to(fresh) and installed.read_text().strip() == secret

    again = _cli("restore", str(backup), "--secret-from", str(vault / "secret"), cwd=fresh, env=at_fresh)
    assert "already holds tables" in _one_line(again)
    replaced = _cli("restore", str(backup), "--replace", cwd=fresh, env=at_fresh)
    assert replaced.returncode == 0, replaced.stderr
    assert _cli("db", "upgrade", cwd=fresh, env=at_fresh).stdout.startswith(f"database at revision {head_revision()}")


def test_a_lost_secret_is_said_plainly_and_restores_only_when_accepted(tmp_path: Path) -> None:
    ward, fresh = tmp_path / "ward", tmp_path / "fresh"
    ward.mkdir()
    fresh.mkdir()
    env = _env("sqlite:///debrief.db", secret="the-secret-that-will-be-lost-0123456789", home=ward)
    assert _cli("db", "upgrade", cwd=ward, env=env).returncode == 0
    done = _cli("backup", str(tmp_path / "backup"), cwd=ward, env=env)
    assert done.returncode == 0 and "not in this backup" in done.stdout and "answered" in done.stdout

    lost = _env("sqlite:///debrief.db", secret="a-new-secret-0123456789abcdefghijklmnop", home=fresh)
    assert "--accept-lost-secret" in _one_line(_cli("restore", str(tmp_path / "backup"), cwd=fresh, env=lost))
    done = _cli("restore", str(tmp_path / "backup"), "--accept-lost-secret", cwd=fresh, env=lost)
    assert done.returncode == 0 and "could answer twice" in done.stdout


def test_a_backup_is_refused_into_a_directory_in_use_and_across_databases(tmp_path: Path) -> None:
    (tmp_path / "ward").mkdir()
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "notes.txt").write_text("mine")
    env = _env("sqlite:///debrief.db", secret="s3cret-value-0123456789abcdefghijklmnop", home=tmp_path)
    assert _cli("db", "upgrade", cwd=tmp_path / "ward", env=env).returncode == 0
    assert "not empty" in _one_line(_cli("backup", str(tmp_path / "used"), cwd=tmp_path / "ward", env=env))
    assert _cli("backup", str(tmp_path / "backup"), cwd=tmp_path / "ward", env=env).returncode == 0
    postgres = _env("postgresql://nobody@127.0.0.1:1/none", secret="s3cret-value-0123456789abcdefghijklmnop", home=tmp_path)
    refused = _cli("restore", str(tmp_path / "backup"), cwd=tmp_path, env=postgres)
    assert "sqlite backup" in _one_line(refused)
    assert "not a debrief-bot backup" in _one_line(_cli("restore", str(tmp_path), cwd=tmp_path, env=env))


def test_db_downgrade_goes_back_one_release_and_upgrade_comes_forward(database_url: str, tmp_path: Path) -> None:
    from bot.schema import _script

    env = _env(database_url, secret="downgrade-test-secret-0123456789abcdef", home=tmp_path)
    assert _cli("db", "upgrade", cwd=tmp_path, env=env).returncode == 0
    previous = _script().get_revision(head_revision()).down_revision
    assert isinstance(previous, str)
    done = _cli("db", "downgrade", previous, cwd=tmp_path, env=env)
    assert done.returncode == 0 and done.stdout.startswith(f"database at revision {previous}"), done.stderr
    assert "not a valid downgrade target" in _one_line(_cli("db", "downgrade", head_revision(), cwd=tmp_path, env=env))
    unknown = _cli("db", "downgrade", "9999", cwd=tmp_path, env=env)
    assert unknown.returncode == 1 and unknown.stderr.count("\n") == 1
    up = _cli("db", "upgrade", cwd=tmp_path, env=env)
    assert up.stdout.startswith(f"database at revision {head_revision()}"), up.stderr



def test_a_database_that_does_not_answer_is_one_line(tmp_path: Path) -> None:
    """A PostgreSQL backup restored towards a server that is not there: the cause in one line, no traceback."""
    secret = "unreachable-test-secret-0123456789abcdefgh"
    backup = tmp_path / "backup"
    backup.mkdir()
    (backup / POSTGRES_FILE).write_bytes(b"")
    salt = b"0123456789abcdef"
    Manifest("postgresql", "0010", "2026-01-05T14:00:00+00:00", salt.hex(), fingerprint(secret.encode(), salt)).write(backup)
    nowhere = _env("postgresql://nobody@127.0.0.1:1/none", secret=secret, home=tmp_path)
    line = _one_line(_cli("restore", str(backup), cwd=tmp_path, env=nowhere))
    assert line.startswith("debrief-bot restore: DATABASE_URL: ") and "refused" in line.lower()
