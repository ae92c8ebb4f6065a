"""Every setting the bot reads, from the environment, in one place.

A hospital operator configures the bot only through environment variables
(DESIGN.md, "Configuration"). A missing or contradictory value must stop
start-up with one line naming the variable and what to set, so
`Settings.load()` turns pydantic's multi-line report into a `SettingsError`
whose message is exactly that line.
"""

from __future__ import annotations

import itertools
import os
import re
import secrets
from collections.abc import Mapping
from datetime import time, timedelta
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

_DURATION = re.compile(r"^\s*(\d+)\s*(s|m|h|d|w)\s*$")
_PHONE = re.compile(r"^\+?[\d\s()-]{3,20}$")
INTERNATIONAL = "international"
"""The resource set used when DEBRIEF_RESOURCES is unset: no country assumed."""
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


FOLLOWUPS_OFF = "off"
"""DEBRIEF_FOLLOWUPS=off: the one way to switch the check-ins off (an empty value is refused)."""

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def parse_schedule(text: str) -> list[timedelta]:
    """Parse a follow-up schedule such as `24h,7d` into increasing delays; `off` is none."""
    if text.strip().lower() == FOLLOWUPS_OFF:
        return []
    delays = [parse_duration(part) for part in text.split(",") if part.strip()]
    if any(later <= earlier for earlier, later in itertools.pairwise(delays)):
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
    names = [part.strip() for part in text.split(",") if part.strip()] if delays else []
    return list(zip(names, delays, strict=True))


def revealed(secret: SecretStr | None) -> str:
    """A secret's value where a library needs it, "" when unset: the one way a secret is unwrapped."""
    return secret.get_secret_value() if secret is not None else ""


def _split_list(value: object) -> object:
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


class Settings(BaseSettings):
    """The configuration contract of DESIGN.md; field names are the variables.

    A variable set but blank (`SLACK_BOT_TOKEN=`) is unset (`env_ignore_empty`), and every value
    loses surrounding whitespace, so a blank-looking one is empty, which counts as unset too.
    Secrets are `SecretStr`: a repr or a log line of the settings shows `**********`.
    """

    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore", env_ignore_empty=True,
                                      str_strip_whitespace=True)

    database_url: str = "sqlite+aiosqlite:///debrief.db"

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_client_id: str | None = None
    slack_client_secret: SecretStr | None = None
    slack_api_url: str | None = None

    microsoft_app_id: str | None = None
    microsoft_app_password: SecretStr | None = None
    microsoft_app_tenant_id: str | None = None
    microsoft_graph_enabled: bool = False
    """Create a private channel per debrief through Microsoft Graph (needs the app id, password and tenant)."""
    microsoft_graph_url: str = "https://graph.microsoft.com/v1.0"

    debrief_followups: str = "24h,7d"
    debrief_action_reminders: str = "7d,14d"
    """When an action point's owner is reminded, after the debrief's start (`7d,14d`), until it is closed; or `off`."""
    debrief_min_group: int = 5
    debrief_wellbeing_officers: Annotated[list[str], NoDecode] = Field(default_factory=list)
    debrief_peer_supporters: Annotated[list[str], NoDecode] = Field(default_factory=list)
    debrief_scripts_dir: Path | None = None
    debrief_secret: SecretStr | None = None
    debrief_secret_file: Path | None = None
    """Where a single SQLite install keeps its generated secret; default `$XDG_CONFIG_HOME/debrief-bot/secret`."""
    debrief_quiet_hours: str = "21:00-08:00"
    debrief_timezone: str = "UTC"
    """The organisation's time zone, for quiet hours of people whose own zone is unknown."""
    debrief_distress_threshold: int = Field(default=7, ge=0, le=10)
    debrief_retention_days: int = Field(default=90, ge=1)
    debrief_digest: str = "mon 09:00"
    """When each wellbeing officer gets the weekly digest, in DEBRIEF_TIMEZONE (`fri 16:30`), or `off`."""

    debrief_teams_local: bool | None = None
    """Teams local mode (MICROSOFT_APP_ID blank, this machine only). Unset: on when Slack is not
    configured, off when it is (then /api/messages is not mounted at all)."""


    # --- care: resources, requests to talk, the team's view of distress (bot.care, bot.support) ---
    debrief_resources: str | None = None
    """A region (`uk`, `us`) or a resource-set file; unset: the international set, and start-up says so."""
    debrief_support_response: str = "4h"
    """How soon the wellbeing team replies to a request to talk, as promised to the person; unclaimed after
    this, the request is sent again to everyone and to DEBRIEF_SUPPORT_ONCALL."""
    debrief_support_oncall: str | None = None
    """Who hears of a request nobody has taken on in time: a platform id or e-mail to message, or a phone
    number shown to the person."""
    debrief_team_distress: bool = False
    """`on`: the channel's closing post shows the team's distress totals (the form then says so); else officers only."""

    @field_validator("debrief_support_response")
    @classmethod
    def _support_response(cls, value: str) -> str:
        if parse_duration(value) <= timedelta(0):
            raise ValueError("must be a duration such as 4h or 30m")
        return value.strip()

    @property
    def resources_region(self) -> str:
        return self.debrief_resources or INTERNATIONAL

    @property
    def support_response(self) -> timedelta:
        return parse_duration(self.debrief_support_response)

    @property
    def oncall_phone(self) -> str | None:
        """DEBRIEF_SUPPORT_ONCALL when it is a phone number (shown to the person), else None."""
        oncall = self.debrief_support_oncall
        return oncall if oncall and _PHONE.match(oncall) else None

    @property
    def oncall_contact(self) -> str | None:
        """DEBRIEF_SUPPORT_ONCALL when it is someone to message (a platform id or e-mail), else None."""
        oncall = self.debrief_support_oncall
        return oncall if oncall and not _PHONE.match(oncall) else None

    host: str = "127.0.0.1"
    port: int = Field(default=3978, ge=1, le=65535)
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    """Serve /metrics on this port only (to anyone who reaches it); unset, on PORT to loopback peers only."""
    metrics_host: str | None = None
    """Where METRICS_PORT listens; HOST unless set."""
    debrief_public_url: str | None = None
    """The https address Slack and Teams reach this server at (`https://debrief.example.org`), for the
    officers' charts and export links; unset, Slack shows no charts and Teams local mode uses 127.0.0.1."""
    log_level: str = "INFO"
    debrief_privacy_file: Path | None = None
    """A page (`.html`, else plain text) the bot serves at /privacy instead of its own; the Teams package links it."""
    debrief_terms_file: Path | None = None
    """The same for /terms."""

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

    @field_validator("debrief_privacy_file", "debrief_terms_file", mode="before")
    @classmethod
    def _page_file(cls, value: object) -> object:
        if not isinstance(value, (str, Path)) or not str(value).strip():
            return None
        path = Path(str(value).strip()).expanduser()
        try:
            path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ValueError(f"cannot read {str(path)!r} as UTF-8 text: {getattr(exc, 'strerror', None) or exc}") from None
        return path

    @field_validator("debrief_followups")
    @classmethod
    def _followups(cls, value: str) -> str:
        if not value.strip():
            raise ValueError(f"is empty; list the check-ins (such as 24h,7d), or set {FOLLOWUPS_OFF} to switch them off")
        parse_schedule(value)
        return value.strip().lower() if value.strip().lower() == FOLLOWUPS_OFF else value

    @field_validator("debrief_action_reminders")
    @classmethod
    def _action_reminders(cls, value: str) -> str:
        parse_schedule(value)
        return value.strip().lower() if value.strip().lower() == FOLLOWUPS_OFF else value.strip()

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        level = value.strip().upper() or "INFO"
        if level not in LOG_LEVELS:
            raise ValueError(f"{value!r} is not a log level; use one of {', '.join(LOG_LEVELS)}")
        return level

    @field_validator("host", mode="before")
    @classmethod
    def _host(cls, value: object) -> object:
        return value.strip() or "127.0.0.1" if isinstance(value, str) else value

    @field_validator(
        "metrics_port", "metrics_host", "debrief_teams_local", "debrief_resources", "debrief_support_oncall", mode="before"
    )
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        if isinstance(value, str):
            return value.strip() or None
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
        if self.slack_app_token and not self.slack_app_token.get_secret_value().startswith("xapp-"):
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
        if self.debrief_teams_local and self.microsoft_app_id:
            raise SettingsError(
                "DEBRIEF_TEAMS_LOCAL: local mode is for a blank MICROSOFT_APP_ID; "
                "unset DEBRIEF_TEAMS_LOCAL to serve Microsoft Teams with that app id"
            )
        if self.teams_local and not is_loopback_host(self.host):
            raise SettingsError(
                f"HOST: local Teams mode (MICROSOFT_APP_ID blank) answers this machine only, so it cannot listen on "
                f"{self.host}; unset HOST (127.0.0.1), or set MICROSOFT_APP_ID and MICROSOFT_APP_PASSWORD "
                "for Microsoft Teams, or DEBRIEF_TEAMS_LOCAL=false"
            )
        if self.metrics_port is not None and self.metrics_port == self.port:
            raise SettingsError(f"METRICS_PORT: must differ from PORT ({self.port}), or be unset to serve /metrics on PORT to this machine only")
        if self.is_postgres and not self.debrief_secret:
            raise SettingsError(
                "DEBRIEF_SECRET: with PostgreSQL set the same long random value on every replica "
                "(python -c 'import secrets; print(secrets.token_urlsafe(32))')"
            )
        return self

    @classmethod
    def load(cls, **overrides: Any) -> Settings:
        """Read the environment; raise `SettingsError` with one line on any problem.

        DEBRIEF_FOLLOWUPS is the one variable whose blank value is not "unset": an empty
        one would otherwise mean the default check-ins, which is not what its author meant
        (either way, `off` is the one way to switch them off).
        """
        blank = next((value for name, value in os.environ.items() if name.upper() == "DEBRIEF_FOLLOWUPS"), None)
        if "debrief_followups" not in overrides and blank is not None and not blank.strip():
            overrides = {**overrides, "debrief_followups": ""}
        try:
            return cls(**overrides)
        except ValidationError as exc:
            error = exc.errors()[0]
            context = error.get("ctx", {}).get("error")
            if isinstance(context, SettingsError):
                raise context from None
            field = ".".join(str(part) for part in error["loc"]) or "settings"
            raise SettingsError(f"{field.upper()}: {_plain(error)}") from None

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith("postgresql")

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

    @property
    def teams_local(self) -> bool:
        """Local Teams mode: no app id, and asked for (DEBRIEF_TEAMS_LOCAL=true) or Slack is not configured."""
        if self.microsoft_app_id:
            return False
        return self.debrief_teams_local if self.debrief_teams_local is not None else not self.slack_enabled

    @property
    def teams_enabled(self) -> bool:
        """Whether /api/messages is mounted at all."""
        return self.teams_authenticated or self.teams_local

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
            return self.debrief_secret.get_secret_value().encode()
        path = self.secret_path()
        legacy = (legacy_dir or Path.cwd()) / ".debrief-secret"
        if not path.exists() and legacy.exists():
            _move_secret(legacy, path)
        if not path.exists():
            _write_private(path, secrets.token_urlsafe(32))
        return path.read_text().strip().encode()


def _plain(error: Mapping[str, Any]) -> str:
    """pydantic's message for one error, in an operator's words where it has a generic one."""
    value, limits = error.get("input"), error.get("ctx") or {}
    kind = error.get("type")
    if kind == "int_parsing":
        return f"{value!r} is not a whole number"
    if kind == "bool_parsing":
        return f"{value!r} is not true or false"
    if kind in ("less_than_equal", "less_than"):
        return f"{value} is too large; use {limits.get('le', limits.get('lt'))} or less"
    if kind in ("greater_than_equal", "greater_than"):
        return f"{value} is too small; use {limits.get('ge', limits.get('gt'))} or more"
    return str(error["msg"]).removeprefix("Value error, ")


def is_loopback_host(host: str) -> bool:
    """`localhost`, 127.0.0.0/8 or ::1 (an address, not a name to resolve): only this machine can reach it."""
    import ipaddress

    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)  # ::ffff:127.0.0.1, as a dual-stack socket reports an IPv4 peer
    return (mapped or address).is_loopback


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
