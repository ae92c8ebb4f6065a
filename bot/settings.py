"""Every setting the bot reads, from the environment, in one place.

A hospital operator configures the bot only through environment variables
(DESIGN.md, "Configuration"). A missing or contradictory value must stop
start-up with one line naming the variable and what to set, so
`Settings.load()` turns pydantic's multi-line report into a `SettingsError`
whose message is exactly that line.
"""

from __future__ import annotations

import os
import re
import secrets
from datetime import time, timedelta
from pathlib import Path
from typing import Annotated

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

_DURATION = re.compile(r"^\s*(\d+)\s*(s|m|h|d|w)\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


class SettingsError(Exception):
    """A configuration problem, worded as the one line an operator needs."""


def parse_duration(text: str) -> timedelta:
    """Turn `24h`, `7d`, `2s`, `30m` or `2w` into a timedelta."""
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a duration such as 24h, 7d or 30m")
    amount, unit = int(match.group(1)), match.group(2)
    return timedelta(**{_UNITS[unit]: amount})


def format_duration(delta: timedelta) -> str:
    """The inverse of `parse_duration`, choosing the largest exact unit."""
    seconds = int(delta.total_seconds())
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def parse_schedule(text: str) -> list[timedelta]:
    """Parse a follow-up schedule such as `24h,7d` into increasing delays."""
    delays = [parse_duration(part) for part in text.split(",") if part.strip()]
    if any(later <= earlier for earlier, later in zip(delays, delays[1:])):
        raise ValueError(f"{text!r} must list increasing delays, such as 24h,7d,30d")
    return delays


def normalise_database_url(url: str) -> str:
    """Accept the URLs operators write and pick the async driver for them."""
    for plain, driver in (
        ("postgres://", "postgresql+asyncpg://"),
        ("postgresql://", "postgresql+asyncpg://"),
        ("sqlite://", "sqlite+aiosqlite://"),
    ):
        if url.startswith(plain):
            return driver + url[len(plain) :]
    return url


def schedule_stages(text: str) -> list[tuple[str, timedelta]]:
    """Stage names as the operator wrote them (`24h`, `7d`), each with its delay."""
    delays = parse_schedule(text)
    names = [part.strip() for part in text.split(",") if part.strip()]
    return list(zip(names, delays, strict=True))


def _split_list(value: object) -> object:
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


class Settings(BaseSettings):
    """The configuration contract of DESIGN.md; field names are the variables."""

    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore")

    database_url: str = "sqlite+aiosqlite:///debrief.db"

    slack_bot_token: str | None = None
    slack_signing_secret: str | None = None
    slack_app_token: str | None = None
    slack_client_id: str | None = None
    slack_client_secret: str | None = None
    slack_api_url: str | None = None

    microsoft_app_id: str | None = None
    microsoft_app_password: str | None = None
    microsoft_app_tenant_id: str | None = None
    microsoft_graph_enabled: bool = False
    """Create a private channel per debrief through Microsoft Graph (needs the app id, password and tenant)."""
    microsoft_graph_url: str = "https://graph.microsoft.com/v1.0"

    debrief_followups: str = "24h,7d"
    debrief_min_group: int = 5
    debrief_wellbeing_officers: Annotated[list[str], NoDecode] = Field(default_factory=list)
    debrief_peer_supporters: Annotated[list[str], NoDecode] = Field(default_factory=list)
    debrief_resources: str = "us"
    debrief_scripts_dir: Path | None = None
    debrief_secret: str | None = None
    debrief_secret_file: Path | None = None
    """Where a single SQLite install keeps its generated secret; default `$XDG_CONFIG_HOME/debrief-bot/secret`."""
    debrief_quiet_hours: str = "21:00-08:00"
    debrief_timezone: str = "UTC"
    """The organisation's time zone, for quiet hours of people whose own zone is unknown."""
    debrief_distress_threshold: int = Field(default=7, ge=0, le=10)
    debrief_retention_days: int = Field(default=90, ge=1)
    debrief_digest: str = "mon 09:00"
    """When each wellbeing officer gets the weekly digest, in DEBRIEF_TIMEZONE (`fri 16:30`), or `off`."""

    host: str = "0.0.0.0"
    port: int = Field(default=3978, ge=1, le=65535)
    debrief_public_url: str | None = None
    """The https address Slack and Teams reach this server at (`https://debrief.example.org`), for the
    officers' charts and export links; unset, Slack shows no charts and Teams local mode uses 127.0.0.1."""
    log_level: str = "INFO"

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        url = normalise_database_url(value.strip())
        if not (url.startswith("sqlite+aiosqlite://") or url.startswith("postgresql+asyncpg://")):
            raise ValueError("use sqlite:///FILE or postgresql://USER@HOST/DB")
        return url

    @field_validator("debrief_public_url", mode="before")
    @classmethod
    def _public_url(cls, value: object) -> object:
        if not isinstance(value, str) or not value.strip():
            return None
        url = value.strip().rstrip("/")
        local = re.match(r"^http://(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$", url)
        if not (re.match(r"^https://[^/\s?#]+(/[^\s?#]*)?$", url) or local):
            raise ValueError(f"{url!r} is not an https:// address such as https://debrief.example.org")
        return url

    @field_validator("debrief_followups")
    @classmethod
    def _followups(cls, value: str) -> str:
        parse_schedule(value)
        return value

    @field_validator("debrief_min_group")
    @classmethod
    def _min_group(cls, value: int) -> int:
        if value < 3:
            raise ValueError("must be 3 or more (5 is the default and the usual choice)")
        return value

    @field_validator("debrief_wellbeing_officers", "debrief_peer_supporters", mode="before")
    @classmethod
    def _officers(cls, value: object) -> object:
        return _split_list(value)

    @field_validator("debrief_timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        value = value.strip() or "UTC"
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone such as Europe/London or America/New_York") from None
        return value

    @field_validator("debrief_digest")
    @classmethod
    def _digest(cls, value: str) -> str:
        parse_digest(value)
        return value.strip().lower()

    @field_validator("debrief_quiet_hours")
    @classmethod
    def _quiet_hours(cls, value: str) -> str:
        parse_quiet_hours(value)
        return value

    @field_validator(
        "slack_bot_token",
        "slack_signing_secret",
        "slack_app_token",
        "slack_client_id",
        "slack_client_secret",
        "slack_api_url",
        "microsoft_app_id",
        "microsoft_app_password",
        "microsoft_app_tenant_id",
        "debrief_secret",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value.strip() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        if self.slack_bot_token and self.slack_client_id:
            raise SettingsError(
                "SLACK_BOT_TOKEN: set either SLACK_BOT_TOKEN (one workspace) or "
                "SLACK_CLIENT_ID/SLACK_CLIENT_SECRET (many workspaces), not both"
            )
        if bool(self.slack_client_id) != bool(self.slack_client_secret):
            missing = "SLACK_CLIENT_SECRET" if self.slack_client_id else "SLACK_CLIENT_ID"
            raise SettingsError(f"{missing}: multi-workspace Slack needs both SLACK_CLIENT_ID and SLACK_CLIENT_SECRET")
        if self.slack_app_token and not self.slack_app_token.startswith("xapp-"):
            raise SettingsError("SLACK_APP_TOKEN: must be an app-level token starting with xapp- (Socket Mode)")
        slack_wanted = self.slack_bot_token or self.slack_client_id
        if slack_wanted and not self.slack_signing_secret and not self.slack_app_token:
            raise SettingsError(
                "SLACK_SIGNING_SECRET: set it from your Slack app's Basic Information page "
                "(or set SLACK_APP_TOKEN to use Socket Mode)"
            )
        if self.slack_app_token and not slack_wanted:
            raise SettingsError("SLACK_BOT_TOKEN: Socket Mode (SLACK_APP_TOKEN) also needs the bot token")
        if self.microsoft_app_password and not self.microsoft_app_id:
            raise SettingsError("MICROSOFT_APP_ID: set it with MICROSOFT_APP_PASSWORD, or leave both blank for local mode")
        if self.microsoft_app_id and not self.microsoft_app_password:
            raise SettingsError("MICROSOFT_APP_PASSWORD: set the client secret of the app id in MICROSOFT_APP_ID")
        if self.microsoft_graph_enabled:
            for name in ("microsoft_app_id", "microsoft_app_password", "microsoft_app_tenant_id"):
                if not getattr(self, name):
                    raise SettingsError(
                        f"{name.upper()}: MICROSOFT_GRAPH_ENABLED=true needs MICROSOFT_APP_ID, "
                        "MICROSOFT_APP_PASSWORD and MICROSOFT_APP_TENANT_ID (or set MICROSOFT_GRAPH_ENABLED=false)"
                    )
        if self.is_postgres and not self.debrief_secret:
            raise SettingsError(
                "DEBRIEF_SECRET: with PostgreSQL set the same long random value on every replica "
                "(python -c 'import secrets; print(secrets.token_urlsafe(32))')"
            )
        return self

    @classmethod
    def load(cls, **overrides: object) -> Settings:
        """Read the environment; raise `SettingsError` with one line on any problem."""
        try:
            return cls(**overrides)
        except ValidationError as exc:
            error = exc.errors()[0]
            context = error.get("ctx", {}).get("error")
            if isinstance(context, SettingsError):
                raise context from None
            field = ".".join(str(part) for part in error["loc"]) or "settings"
            message = str(error["msg"]).removeprefix("Value error, ")
            raise SettingsError(f"{field.upper()}: {message}") from None

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith("postgresql")

    @property
    def followup_delays(self) -> list[timedelta]:
        return parse_schedule(self.debrief_followups)

    @property
    def digest(self) -> tuple[int, time] | None:
        """(weekday, local time) of the officers' weekly digest, or None when it is off."""
        return parse_digest(self.debrief_digest)

    @property
    def quiet_hours(self) -> tuple[time, time]:
        return parse_quiet_hours(self.debrief_quiet_hours)

    @property
    def slack_enabled(self) -> bool:
        return bool(self.slack_bot_token or self.slack_client_id)

    @property
    def slack_oauth(self) -> bool:
        return bool(self.slack_client_id)

    @property
    def teams_authenticated(self) -> bool:
        return bool(self.microsoft_app_id)

    def secret_path(self) -> Path:
        """DEBRIEF_SECRET_FILE, else `$XDG_CONFIG_HOME/debrief-bot/secret` (`~/.config/debrief-bot/secret`)."""
        if self.debrief_secret_file:
            return self.debrief_secret_file.expanduser()
        config = os.environ.get("XDG_CONFIG_HOME", "").strip()
        return (Path(config) if config else Path.home() / ".config") / "debrief-bot" / "secret"

    def secret_source(self) -> str:
        """Where the receipt secret comes from, for the first lines `serve` prints."""
        if self.debrief_secret:
            return "Receipt secret: DEBRIEF_SECRET (from the environment)"
        return (f"Receipt secret: {self.secret_path()} (back it up apart from the database; "
                "without it the receipts and waiting answers cannot be read)")

    def receipt_secret(self, legacy_dir: Path | None = None) -> bytes:
        """The pepper mixed into every receipt key and the key of waiting answers (see `bot.anonymity`, `bot.pending`).

        It lives outside the database so that a database administrator alone
        cannot test a person against the receipts or read answers that wait
        for their batch. With no DEBRIEF_SECRET (SQLite only) a random one is
        made once in `secret_path()`, readable by the bot's user only, in the
        user's config directory: not beside the database, so a copy of the
        database's directory does not carry it. A `.debrief-secret` left in
        `legacy_dir` (the working directory) by an older version is moved
        there, with a warning.
        """
        if self.debrief_secret:
            return self.debrief_secret.encode()
        path = self.secret_path()
        legacy = (legacy_dir or Path.cwd()) / ".debrief-secret"
        if not path.exists() and legacy.exists():
            _move_secret(legacy, path)
        if not path.exists():
            _write_private(path, secrets.token_urlsafe(32))
        return path.read_text().strip().encode()


def _write_private(path: Path, text: str) -> None:
    """Create `path` with mode 0600 (its directory 0700); refuses to overwrite an existing file."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(text)


def _move_secret(legacy: Path, path: Path) -> None:
    """Move an older version's `.debrief-secret` into the config directory, so it no longer sits by the data."""
    import logging

    _write_private(path, legacy.read_text().strip())
    legacy.unlink()
    logging.getLogger("debrief.settings").warning(
        "moved the receipt secret from %s to %s: keep it out of the database's backups, and back it up on its own",
        legacy, path,
    )


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def parse_digest(text: str) -> tuple[int, time] | None:
    """`mon 09:00` into (weekday, time), Monday being 0; `off` into None."""
    words = text.strip().lower().split()
    if words == ["off"]:
        return None
    try:
        day, at = words
        return WEEKDAYS.index(day[:3]), time.fromisoformat(at)
    except ValueError:
        raise ValueError(f"{text!r} is not a day and time such as mon 09:00, or off") from None


def parse_quiet_hours(text: str) -> tuple[time, time]:
    """Parse `21:00-08:00` into (start, end); start may be after end (overnight).

    Equal start and end (`00:00-00:00`) means no quiet hours at all.
    """
    try:
        start, end = (time.fromisoformat(part.strip()) for part in text.split("-"))
    except ValueError:
        raise ValueError(f"{text!r} is not a range such as 21:00-08:00") from None
    return start, end
