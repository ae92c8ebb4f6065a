"""What `serve` checks before it starts: everything later work will need, each failure one line.

`Settings.load()` checks each value's form. This checks what the values
point at, which would otherwise fail only later, silently or in a
traceback: the scripts directory, the support resources, the follow-up
wording of every stage that will be sent, and the length of
DEBRIEF_SECRET. It imports no platform library, so a bad value is reported
in a fraction of a second, and it writes nothing.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import make_url

from bot.scripts import Library, ScriptProblem
from bot.settings import Settings, SettingsError, schedule_stages

MIN_SECRET_LENGTH = 32
SECRET_HINT = "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"


def check(settings: Settings) -> Library:
    """Raise `SettingsError` naming the variable and the fix; return the library `serve` will use."""
    secret = settings.debrief_secret
    if secret is not None and len(secret) < MIN_SECRET_LENGTH:
        raise SettingsError(
            f"DEBRIEF_SECRET: is {len(secret)} characters long; use at least {MIN_SECRET_LENGTH} random ones ({SECRET_HINT})"
        )
    check_database_path(settings, must_exist=False)
    library = _library(settings)
    _resources(library, settings.resources_region)
    _followup_wording(library, settings)
    return library


def _library(settings: Settings) -> Library:
    try:
        return Library.load(settings.debrief_scripts_dir)
    except ScriptProblem as problem:
        raise SettingsError(
            f"DEBRIEF_SCRIPTS_DIR: {problem} (debrief-bot scripts check {settings.debrief_scripts_dir} lists every error)"
        ) from None


def _resources(library: Library, value: str) -> None:
    try:
        library.resources_for(value)
    except ScriptProblem as problem:
        raise SettingsError(f"DEBRIEF_RESOURCES: {problem}") from None
    except KeyError:
        regions = ", ".join(sorted(library.resource_sets))
        raise SettingsError(
            f"DEBRIEF_RESOURCES: {value!r} is neither a region ({regions}) nor an existing .yml file; "
            "pick a region or give the path of your own resource set"
        ) from None


def _followup_wording(library: Library, settings: Settings) -> None:
    """Every stage a debrief would be given has its own written check-in, matched by its delay."""
    written = ", ".join(library.stages)
    for script in library.scripts.values():
        origin = "DEBRIEF_FOLLOWUPS"
        schedule = settings.debrief_followups
        if script.schedule:
            origin, schedule = "DEBRIEF_SCRIPTS_DIR", script.schedule
        for name, _ in schedule_stages(schedule):
            try:
                library.stage(script, name)
            except KeyError:
                where = f"script {script.id!r} schedules" if script.schedule else "it lists"
                raise SettingsError(
                    f"{origin}: {where} a check-in at {name} but no wording is written for {name} (written: {written}); "
                    f"use those stages, or add a {name} stage to followups.yml in DEBRIEF_SCRIPTS_DIR"
                ) from None


def sqlite_file(settings: Settings) -> Path | None:
    """The SQLite file DATABASE_URL names, or None for PostgreSQL or an in-memory database."""
    if settings.is_postgres:
        return None
    name = make_url(settings.database_url).database
    return Path(name) if name and name != ":memory:" else None


def check_database_path(settings: Settings, *, must_exist: bool) -> None:
    """A SQLite file's directory must exist; with `must_exist` (export, purge) the file too.

    Checked before connecting, because connecting creates the file: a mistyped
    path would otherwise leave an empty database behind.
    """
    path = sqlite_file(settings)
    if path is None:
        return
    if not path.parent.is_dir():
        raise SettingsError(
            f"DATABASE_URL: the directory {path.parent} does not exist; create it, or point DATABASE_URL at another file"
        )
    if must_exist and not path.exists():
        raise SettingsError(
            f"DATABASE_URL: there is no database at {path}; check the path, or create it with debrief-bot db upgrade"
        )


def database_problem(error: BaseException) -> str:
    """One line for an operator: what the database said, without SQL, parameters or a traceback."""
    driver = getattr(error, "orig", None) or error
    if isinstance(driver, BaseException) and driver.__cause__ is not None:  # the driver's own exception
        driver = driver.__cause__
    first = str(driver).strip().splitlines()[0][:200] if str(driver).strip() else ""
    kind = type(driver).__name__
    if "does not exist" in first and "database" in first:
        fix = "create it (createdb), or correct the name in DATABASE_URL"
    elif isinstance(driver, OSError) or "connect" in first.lower() or "timeout" in kind.lower():
        fix = "check that the database server is running and that DATABASE_URL names the right host and port"
    else:
        fix = "check DATABASE_URL and the database server's log"
    return f"DATABASE_URL: cannot use the database ({kind}: {first}); {fix}" if first else f"DATABASE_URL: cannot use the database ({kind}); {fix}"
