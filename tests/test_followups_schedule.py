"""The follow-up schedule as pure functions of an injected time: catch-up, quiet hours, opt-out."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.followups.schedule import (
    MAX_GRACE,
    MIN_GRACE,
    Action,
    catch_up,
    decide,
    grace,
    quiet_until,
    stage_index,
    zone,
)
from bot.settings import parse_quiet_hours, parse_schedule

START = datetime(2026, 1, 5, 14, 0, tzinfo=UTC)  # a Monday afternoon
NIGHT = parse_quiet_hours("21:00-08:00")
UTC_ZONE = ZoneInfo("UTC")


def at(day: int, hour: int, minute: int = 0, tz: str = "UTC") -> datetime:
    return datetime(2026, 1, day, hour, minute, tzinfo=ZoneInfo(tz)).astimezone(UTC)


def test_a_stage_is_found_by_its_duration_whatever_it_is_called():
    assert stage_index("24h,7d", "1d")[1] == 0
    assert stage_index("1d,1w", "7d")[1] == 1
    with pytest.raises(KeyError):
        stage_index("24h,7d", "30d")


def test_grace_is_half_the_gap_to_the_next_stage_within_bounds():
    assert grace(parse_schedule("24h,7d"), 0) == MAX_GRACE  # half of 6 days, capped at 48 h
    assert grace(parse_schedule("24h,36h"), 0) == timedelta(hours=6)
    assert grace(parse_schedule("24h,7d"), 1) == MAX_GRACE  # last stage: half its own delay, capped
    assert grace(parse_schedule("2s,4s"), 0) == MIN_GRACE  # a restart never makes a message late


@pytest.mark.parametrize(
    ("now", "stage", "action"),
    [
        (START + timedelta(days=1), "24h", Action.SEND),
        (START + timedelta(days=1, minutes=5), "24h", Action.SEND),  # back after a short outage
        (START + timedelta(days=2, hours=23), "24h", Action.SEND),  # 47 h overdue: still within grace
        (START + timedelta(days=3, hours=1), "24h", Action.SEND_LATE),  # 49 h overdue: the gentler version
        (START + timedelta(days=7), "24h", Action.SKIP),  # the 7-day one is due: no two check-ins at once
        (START + timedelta(days=7, hours=3), "7d", Action.SEND),
        (START + timedelta(days=9, hours=1), "7d", Action.SEND_LATE),
    ],
)
def test_catch_up_after_downtime(now, stage, action):
    assert catch_up(START, "24h,7d", stage, now, START + timedelta(days=10)).action == action


def test_a_stage_whose_answers_have_closed_is_skipped_and_says_why():
    decision = catch_up(START, "24h,7d", "7d", START + timedelta(days=10), START + timedelta(days=10))
    assert decision.action == Action.SKIP and "closed" in decision.reason
    skipped = catch_up(START, "24h,7d", "24h", START + timedelta(days=8))
    assert skipped.action == Action.SKIP and "next check-in" in skipped.reason


def test_late_is_reported_with_how_late():
    decision = catch_up(START, "24h,7d", "24h", START + timedelta(days=4))
    assert decision.late and "72.0 h" in decision.reason


@pytest.mark.parametrize(
    ("moment", "until"),
    [
        (at(5, 21, 0), at(6, 8, 0)),  # quiet hours start
        (at(5, 23, 30), at(6, 8, 0)),  # before midnight: until tomorrow morning
        (at(6, 3, 0), at(6, 8, 0)),  # after midnight: until this morning
        (at(6, 7, 59), at(6, 8, 0)),
        (at(6, 8, 0), None),  # the end itself is not quiet
        (at(5, 20, 59), None),
        (at(5, 14, 0), None),
    ],
)
def test_overnight_quiet_hours_in_utc(moment, until):
    assert quiet_until(moment, UTC_ZONE, NIGHT) == until


def test_quiet_hours_in_a_zone_far_from_utc():
    auckland = ZoneInfo("Pacific/Auckland")  # UTC+13 in January
    # 14:00 UTC on Monday is 03:00 on Tuesday in Auckland: wait until 08:00 there, 19:00 UTC on Monday.
    assert quiet_until(START, auckland, NIGHT) == datetime(2026, 1, 5, 19, 0, tzinfo=UTC)
    honolulu = ZoneInfo("Pacific/Honolulu")  # UTC-10
    # 07:30 UTC is 21:30 the evening before in Honolulu: until 08:00 there, 18:00 UTC.
    assert quiet_until(at(6, 7, 30), honolulu, NIGHT) == at(6, 18, 0)
    kiritimati = ZoneInfo("Pacific/Kiritimati")  # UTC+14
    assert quiet_until(at(5, 20, 0), kiritimati, NIGHT) is None  # 10:00 the next day there
    assert quiet_until(at(5, 7, 30), kiritimati, NIGHT) == at(5, 18, 0)  # 21:30 there


def test_quiet_hours_across_a_clock_change():
    london = ZoneInfo("Europe/London")
    # The night the clocks go forward (29 March 2026): 22:00 GMT until 08:00 BST, which is 07:00 UTC.
    moment = datetime(2026, 3, 28, 22, 0, tzinfo=UTC)
    assert quiet_until(moment, london, NIGHT) == datetime(2026, 3, 29, 7, 0, tzinfo=UTC)
    # And back (25 October 2026): 22:00 BST until 08:00 GMT, which is 08:00 UTC.
    moment = datetime(2026, 10, 24, 21, 0, tzinfo=UTC)
    assert quiet_until(moment, london, NIGHT) == datetime(2026, 10, 25, 8, 0, tzinfo=UTC)


def test_daytime_quiet_hours_and_none_at_all():
    lunch = (time(12, 0), time(13, 0))
    assert quiet_until(at(5, 12, 30), UTC_ZONE, lunch) == at(5, 13, 0)
    assert quiet_until(at(5, 13, 0), UTC_ZONE, lunch) is None
    assert quiet_until(at(5, 23, 0), UTC_ZONE, parse_quiet_hours("00:00-00:00")) is None


def test_an_unknown_zone_falls_back_to_the_organisation_then_utc():
    assert zone("America/Chicago").key == "America/Chicago"
    assert zone(None, "Europe/London").key == "Europe/London"
    assert zone("Mars/Olympus_Mons", "Asia/Tokyo").key == "Asia/Tokyo"
    assert zone("", "Not/AZone").key == "UTC"


def _decide(now: datetime, **overrides):
    arguments = dict(
        started_at=START,
        schedule="24h,7d",
        stage="24h",
        now=now,
        stopped=False,
        tz=UTC_ZONE,
        quiet=NIGHT,
        answers_close=START + timedelta(days=10),
    )
    arguments.update(overrides)
    return decide(**arguments)


def test_a_person_who_stopped_gets_nothing_more_whatever_else_holds():
    for now in (START + timedelta(days=1), START + timedelta(days=7), START + timedelta(days=1, hours=9)):
        assert _decide(now, stopped=True).action == Action.STOP


def test_a_follow_up_due_at_night_waits_for_the_morning_in_the_persons_zone():
    decision = _decide(START + timedelta(days=1), tz=ZoneInfo("Asia/Tokyo"))  # 23:00 in Tokyo
    assert decision.action == Action.WAIT and decision.until == at(6, 23, 0)  # 08:00 in Tokyo
    # In the morning it goes out as written, not late.
    assert _decide(decision.until, tz=ZoneInfo("Asia/Tokyo")).action == Action.SEND


def test_skipping_comes_before_quiet_hours():
    assert _decide(START + timedelta(days=7, hours=9), tz=ZoneInfo("Asia/Tokyo")).action == Action.SKIP


def test_a_script_schedule_stored_on_the_debrief_is_what_counts():
    # A script with schedule 24h,7d,30d: the 7-day stage is no longer the last.
    assert _decide(START + timedelta(days=9, hours=1), schedule="24h,7d,30d", stage="7d").action == Action.SEND_LATE
    assert _decide(START + timedelta(days=30), schedule="24h,7d,30d", stage="7d",
                   answers_close=START + timedelta(days=33)).action == Action.SKIP


def test_stage_content_by_delay_then_by_position_in_the_schedule():
    from bot.followups import stage_content
    from bot.scripts import Library

    library = Library.load()
    day, week, month = (library.stages[name] for name in ("24h", "7d", "30d"))
    assert stage_content(library, "stop5", "24h,7d", "1d")[0] is day
    assert stage_content(library, "stop5", "1d,1w", "1w")[0] is week
    # A test schedule stands in for the real one, stage by stage.
    assert stage_content(library, "stop5", "2s,4s", "2s")[0] is day
    assert stage_content(library, "stop5", "2s,4s", "4s")[0] is week
    assert stage_content(library, "stop5", "24h,7d,30d,90d", "90d")[0] is month
    # A script removed since the debrief started: the default content, still caring.
    content, title = stage_content(library, "retired-script", "24h,7d", "24h")
    assert content is day and title == "Debrief"
    assert stage_content(library, "stop5", "24h,7d", "7d")[1] == library.script("stop5").title
    with pytest.raises(KeyError):
        stage_content(library, "stop5", "24h,7d", "3d")
