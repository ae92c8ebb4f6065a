"""Configuration: a missing or contradictory value stops start-up with one line naming the variable."""

from __future__ import annotations

from datetime import time, timedelta

import pytest

from bot.settings import Settings, SettingsError, parse_duration, parse_schedule


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    """Start each test from an environment with no bot settings in it."""
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)


def test_no_settings_at_all_is_a_working_local_install():
    settings = Settings.load()
    assert settings.database_url == "sqlite+aiosqlite:///debrief.db"
    assert parse_schedule(settings.debrief_followups) == [timedelta(hours=24), timedelta(days=7)]
    assert settings.debrief_min_group == 5 and settings.port == 3978
    assert settings.quiet_hours == (time(21), time(8))
    assert not settings.slack_enabled and not settings.teams_authenticated


def test_values_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://root@db/debrief")
    monkeypatch.setenv("DEBRIEF_SECRET", "x" * 32)
    monkeypatch.setenv("DEBRIEF_WELLBEING_OFFICERS", "U1, officer@trust.nhs.uk ,")
    monkeypatch.setenv("DEBRIEF_FOLLOWUPS", "2s,4s")
    settings = Settings.load()
    assert settings.database_url == "postgresql+asyncpg://root@db/debrief"
    assert settings.debrief_wellbeing_officers == ["U1", "officer@trust.nhs.uk"]
    assert parse_schedule(settings.debrief_followups) == [timedelta(seconds=2), timedelta(seconds=4)]


@pytest.mark.parametrize(
    ("environment", "variable"),
    [
        ({"DEBRIEF_MIN_GROUP": "2"}, "DEBRIEF_MIN_GROUP"),
        ({"DEBRIEF_MIN_GROUP": "five"}, "DEBRIEF_MIN_GROUP"),
        ({"DEBRIEF_FOLLOWUPS": "7d,24h"}, "DEBRIEF_FOLLOWUPS"),
        ({"DEBRIEF_FOLLOWUPS": "tomorrow"}, "DEBRIEF_FOLLOWUPS"),
        ({"PORT": "99999"}, "PORT"),
        ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
        ({"DEBRIEF_QUIET_HOURS": "late"}, "DEBRIEF_QUIET_HOURS"),
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET"),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "SLACK_CLIENT_ID": "1", "SLACK_CLIENT_SECRET": "2"}, "SLACK_BOT_TOKEN"),
        ({"SLACK_CLIENT_ID": "1", "SLACK_SIGNING_SECRET": "s"}, "SLACK_CLIENT_SECRET"),
        ({"SLACK_APP_TOKEN": "xoxb-wrong", "SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_APP_TOKEN"),
        ({"SLACK_APP_TOKEN": "xapp-1"}, "SLACK_BOT_TOKEN"),
        ({"MICROSOFT_APP_PASSWORD": "p"}, "MICROSOFT_APP_ID"),
        ({"MICROSOFT_APP_ID": "00000000-0000-0000-0000-000000000001"}, "MICROSOFT_APP_PASSWORD"),
        ({"DATABASE_URL": "postgresql://root@db/debrief"}, "DEBRIEF_SECRET"),
    ],
)
def test_a_bad_setting_is_one_line_naming_the_variable(monkeypatch, environment, variable):
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as caught:
        Settings.load()
    message = str(caught.value)
    assert message.startswith(f"{variable}:") and "\n" not in message


def test_off_is_the_one_way_to_switch_the_check_ins_off(monkeypatch):
    monkeypatch.setenv("DEBRIEF_FOLLOWUPS", "OFF")
    assert parse_schedule(Settings.load().debrief_followups) == []
    monkeypatch.setenv("DEBRIEF_FOLLOWUPS", "")
    with pytest.raises(SettingsError, match="^DEBRIEF_FOLLOWUPS: is empty; .* set off"):
        Settings.load()


@pytest.mark.parametrize(("value", "expected"), [("debug", "DEBUG"), (" Warning ", "WARNING"), ("", "INFO")])
def test_log_levels_are_checked_and_normalised(monkeypatch, value, expected):
    monkeypatch.setenv("LOG_LEVEL", value)
    assert Settings.load().log_level == expected
    monkeypatch.setenv("LOG_LEVEL", "LOUD")
    with pytest.raises(SettingsError, match="^LOG_LEVEL: 'LOUD' is not a log level"):
        Settings.load()


@pytest.mark.parametrize(
    ("environment", "local", "mounted"),
    [
        ({}, True, True),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}, False, False),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "DEBRIEF_TEAMS_LOCAL": "true"}, True, True),
        ({"DEBRIEF_TEAMS_LOCAL": "false"}, False, False),
        ({"MICROSOFT_APP_ID": "a", "MICROSOFT_APP_PASSWORD": "p"}, False, True),
    ],
)
def test_when_api_messages_is_served_and_in_which_mode(monkeypatch, environment, local, mounted):
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    settings = Settings.load()
    assert (settings.teams_local, settings.teams_enabled) == (local, mounted)


def test_the_server_listens_on_this_machine_unless_told_otherwise(monkeypatch):
    assert Settings.load().host == "127.0.0.1"
    monkeypatch.setenv("HOST", "::1")
    assert Settings.load().teams_local


def test_socket_mode_needs_no_signing_secret(monkeypatch):
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-1")
    assert Settings.load().slack_enabled


def test_blank_teams_settings_mean_local_mode(monkeypatch):
    monkeypatch.setenv("MICROSOFT_APP_ID", "")
    monkeypatch.setenv("MICROSOFT_APP_PASSWORD", " ")
    assert not Settings.load().teams_authenticated


@pytest.mark.parametrize(("text", "expected"), [("2s", timedelta(seconds=2)), ("30m", timedelta(minutes=30)), ("2w", timedelta(weeks=2))])
def test_durations(text, expected):
    assert parse_duration(text) == expected
    assert parse_schedule(f"{text},90d")[0] == expected


def test_the_local_receipt_secret_is_made_once_outside_the_database_directory_and_kept_private(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    data = tmp_path / "data"
    data.mkdir()
    settings = Settings.load(database_url=f"sqlite:///{data / 'debrief.db'}")
    first = settings.receipt_secret(data)
    assert first == settings.receipt_secret(data) and len(first) >= 32
    path = tmp_path / "config" / "debrief-bot" / "secret"
    assert settings.secret_path() == path and path.read_text().encode() == first
    assert path.stat().st_mode & 0o077 == 0 and path.parent.stat().st_mode & 0o077 == 0
    assert list(data.iterdir()) == []  # a copy of the database's directory does not carry it
    assert str(path) in settings.secret_source()


def test_debrief_secret_file_says_where_and_an_old_secret_beside_the_database_is_moved_there(tmp_path, caplog):
    (tmp_path / ".debrief-secret").write_text("the-old-secret-made-by-an-older-version\n")
    settings = Settings.load(debrief_secret_file=str(tmp_path / "elsewhere" / "secret"))
    assert settings.receipt_secret(tmp_path) == b"the-old-secret-made-by-an-older-version"
    assert not (tmp_path / ".debrief-secret").exists()
    assert (tmp_path / "elsewhere" / "secret").stat().st_mode & 0o077 == 0
    assert "moved the receipt secret" in caplog.text
    assert settings.receipt_secret(tmp_path) == b"the-old-secret-made-by-an-older-version"  # receipts still test


def test_debrief_secret_from_the_environment_writes_no_file(tmp_path):
    settings = Settings.load(debrief_secret="from-the-vault", debrief_secret_file=str(tmp_path / "secret"))
    assert settings.receipt_secret(tmp_path) == b"from-the-vault" and not (tmp_path / "secret").exists()
    assert "DEBRIEF_SECRET" in settings.secret_source()


def test_secrets_stay_out_of_reprs_and_log_lines(monkeypatch):
    secrets = {"SLACK_BOT_TOKEN": "xoxb-1-secret", "SLACK_SIGNING_SECRET": "signing-secret",
               "MICROSOFT_APP_ID": "app", "MICROSOFT_APP_PASSWORD": "password-secret", "DEBRIEF_SECRET": "pepper-secret"}
    for name, value in secrets.items():
        monkeypatch.setenv(name, value)
    settings = Settings.load()
    shown = f"{settings!r} {settings} {settings.model_dump()}"
    assert not [value for name, value in secrets.items() if name != "MICROSOFT_APP_ID" and value in shown]
    assert settings.receipt_secret() == b"pepper-secret"


def test_a_variable_set_but_blank_is_unset(monkeypatch):
    monkeypatch.setenv("SLACK_BOT_TOKEN", "")
    monkeypatch.setenv("DEBRIEF_SECRET", "  pepper  ")
    settings = Settings.load()
    assert settings.slack_bot_token is None and not settings.slack_enabled
    assert settings.receipt_secret() == b"pepper"
