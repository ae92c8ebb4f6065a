"""`debrief-bot serve` with each bad setting: one line naming the variable, exit 2, nothing created.

Every line printed here is also in the README's table of failure messages
(Configuration), word for word: the test reads it from there, so the table
cannot drift from what `serve` says. The checks run before the platform
libraries are imported, so each case takes a fraction of a second.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import Settings, SettingsError, schedule_stages
from bot.startup import check

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
LONG_SECRET = "x" * 32

CASES: list[dict[str, str]] = [
    {"DATABASE_URL": "mysql://x"},
    {"DATABASE_URL": "sqlite:////missing-dir/x.db"},
    {"DATABASE_URL": "postgresql://root@db/debrief"},
    {"DEBRIEF_SECRET": "short"},
    {"HOST": "0.0.0.0"},
    {"PORT": "99999"},
    {"METRICS_PORT": "3978"},
    {"METRICS_PORT": "many"},
    {"LOG_LEVEL": "LOUD"},
    {"DEBRIEF_FOLLOWUPS": ""},
    {"DEBRIEF_FOLLOWUPS": "7d,24h"},
    {"DEBRIEF_FOLLOWUPS": "tomorrow"},
    {"DEBRIEF_FOLLOWUPS": "24h,60d"},
    {"DEBRIEF_ACTION_REMINDERS": "14d,7d"},
    {"DEBRIEF_RESOURCES": "fr"},
    {"DEBRIEF_RESOURCES": "bad.yml"},
    {"DEBRIEF_SCRIPTS_DIR": "missing"},
    {"DEBRIEF_SCRIPTS_DIR": "bad-scripts"},
    {"DEBRIEF_MIN_GROUP": "2"},
    {"DEBRIEF_DISTRESS_THRESHOLD": "11"},
    {"DEBRIEF_RETENTION_DAYS": "0"},
    {"DEBRIEF_QUIET_HOURS": "late"},
    {"DEBRIEF_TIMEZONE": "Mars/Olympus"},
    {"DEBRIEF_DIGEST": "someday"},
    {"DEBRIEF_PUBLIC_URL": "http://debrief.example.org"},
    {"DEBRIEF_TEAMS_LOCAL": "true", "MICROSOFT_APP_ID": "app", "MICROSOFT_APP_PASSWORD": "p"},
    {"SLACK_BOT_TOKEN": "xoxb-1"},
    {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "SLACK_CLIENT_ID": "1", "SLACK_CLIENT_SECRET": "2"},
    {"SLACK_CLIENT_ID": "1", "SLACK_SIGNING_SECRET": "s"},
    {"SLACK_APP_TOKEN": "xoxb-wrong", "SLACK_BOT_TOKEN": "xoxb-1"},
    {"SLACK_APP_TOKEN": "xapp-1"},
    {"MICROSOFT_APP_PASSWORD": "p"},
    {"MICROSOFT_APP_ID": "app"},
    {"MICROSOFT_GRAPH_ENABLED": "true", "MICROSOFT_APP_ID": "app", "MICROSOFT_APP_PASSWORD": "p"},
]


def _environment(case: dict[str, str]) -> dict[str, str]:
    names = {name.upper() for name in Settings.model_fields}
    base = {key: value for key, value in os.environ.items() if key.upper() not in names and key != "TEST_DATABASE_URL"}
    return {**base, **case}


def _files(tmp_path: Path) -> None:
    """The bad files some cases point at, relative to the working directory."""
    (tmp_path / "bad.yml").write_text("region: [unclosed\n")
    (tmp_path / "bad-scripts").mkdir()
    (tmp_path / "bad-scripts" / "mine.yml").write_text("id: mine\n  title: [\n")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(tmp_path: Path, case: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from adapters.cli import main; raise SystemExit(main(['serve']))"],
        cwd=tmp_path, env=_environment(case), capture_output=True, text=True, timeout=60,
    )


@pytest.mark.parametrize("case", CASES, ids=["-".join(f"{k}={v}" for k, v in case.items())[:60] for case in CASES])
def test_serve_with_a_bad_value_says_one_line_and_exits_2(tmp_path: Path, case: dict[str, str]) -> None:
    _files(tmp_path)
    before = sorted(tmp_path.rglob("*"))
    done = serve(tmp_path, case)
    assert done.returncode == 2, done
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and done.stdout == "", done
    [line] = lines
    assert line.startswith("debrief-bot: ")
    message = line.removeprefix("debrief-bot: ")
    variable = message.split(":", 1)[0]
    assert variable.lower() in Settings.model_fields, message  # names the variable to change
    assert f"`{message}`" in README, f"the README's table of failure messages lacks:\n{message}"
    assert sorted(tmp_path.rglob("*")) == before  # no debrief.db, no .debrief-secret: nothing half-created


def test_check_off_is_the_one_way_to_switch_the_check_ins_off() -> None:
    settings = Settings.load(debrief_followups="off", debrief_secret=LONG_SECRET)
    check(settings)
    assert schedule_stages(settings.debrief_followups) == []
    with pytest.raises(SettingsError, match="^DEBRIEF_FOLLOWUPS: is empty"):
        Settings.load(debrief_followups=" ")


def test_the_shipped_defaults_pass_every_check() -> None:
    check(Settings.load())
    check(Settings.load(debrief_followups="24h,7d,30d", debrief_resources="uk", debrief_secret=LONG_SECRET))


def test_a_debug_log_level_shows_the_traceback_of_a_start_up_failure(tmp_path: Path) -> None:
    case = {"DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none", "DEBRIEF_SECRET": LONG_SECRET, "PORT": str(free_port())}
    quiet = serve(tmp_path, case)
    assert quiet.returncode == 2 and "Traceback" not in quiet.stderr
    assert quiet.stderr.strip().splitlines() == [
        "debrief-bot: DATABASE_URL: cannot use the database (ConnectionRefusedError: [Errno 111] Connect call failed "
        "('127.0.0.1', 1)); check that the database server is running and that DATABASE_URL names the right host and port"
    ]
    loud = serve(tmp_path, {**case, "LOG_LEVEL": "DEBUG"})
    assert loud.returncode == 2 and "Traceback" in loud.stderr


def test_a_postgresql_database_that_does_not_exist_is_one_line(tmp_path: Path) -> None:
    raw = os.environ.get("TEST_DATABASE_URL", "")
    if not raw.startswith("postgres"):
        pytest.skip("needs TEST_DATABASE_URL on a PostgreSQL server")
    from sqlalchemy.engine import make_url

    missing = make_url(raw).set(database="debrief_edges_no_such_database").render_as_string(hide_password=False)
    done = serve(tmp_path, {"DATABASE_URL": missing, "DEBRIEF_SECRET": LONG_SECRET, "PORT": str(free_port())})
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [
        'debrief-bot: DATABASE_URL: cannot use the database (InvalidCatalogNameError: database '
        '"debrief_edges_no_such_database" does not exist); create it (createdb), or correct the name in DATABASE_URL'
    ]
