"""When a follow-up goes out, and in which version: pure functions of the clock.

The outbox row's `due_at` starts as the debrief's start plus the stage's
delay (DESIGN.md: delays count from the start, so rows reveal nothing about
when anyone answered). At the moment a row is claimed, `decide` says what to
do with it:

* **Stopped**: the person tapped "stop these check-ins": nothing more.
* **Catch-up after downtime**: a follow-up overdue by less than its grace
  period goes out as written. Overdue by more, it goes out as the stage's
  gentler `late_message`. The grace period is half the gap to the next
  stage (for the last stage, half its own delay), at least
  `MIN_GRACE` (a restart never makes a message late) and at most
  `MAX_GRACE` (48 hours). A stage whose *next* stage is already due is
  skipped and recorded as skipped, so nobody gets two check-ins at once;
  so is a stage whose answers have closed (the debrief's key expired), as
  its questions could no longer be answered.
* **Quiet hours** in the recipient's time zone (DEBRIEF_QUIET_HOURS, default
  21:00-08:00, may span midnight): a message due inside them waits until
  they end. The zone is the one the platform reports for the person, else
  the organisation's (DEBRIEF_TIMEZONE, default UTC).

A script's own `schedule` overrides DEBRIEF_FOLLOWUPS; it is already stored
on the debrief (`Debrief.schedule`) when it starts, so it is what counts here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.settings import parse_duration, parse_schedule

MIN_GRACE = timedelta(minutes=10)
"""A follow-up this little overdue is never 'late': a restart or a short outage is not news."""
MAX_GRACE = timedelta(hours=48)
"""Overdue by more than this, a follow-up always goes out in its late version."""


class Action(StrEnum):
    SEND = "send"
    SEND_LATE = "send_late"
    SKIP = "skip"
    STOP = "stop"
    WAIT = "wait"


@dataclass(frozen=True)
class Decision:
    action: Action
    reason: str = ""
    until: datetime | None = None
    """For WAIT: when the row becomes due again (the end of quiet hours)."""

    @property
    def late(self) -> bool:
        return self.action == Action.SEND_LATE


def stage_index(schedule: str, stage: str) -> tuple[list[timedelta], int]:
    """The schedule's delays and the position of `stage` in it (matched by duration: 1d is 24h)."""
    delays = parse_schedule(schedule)
    wanted = parse_duration(stage)
    for index, delay in enumerate(delays):
        if delay == wanted:
            return delays, index
    raise KeyError(stage)


def grace(delays: list[timedelta], index: int) -> timedelta:
    """How overdue stage `index` may be and still go out as written."""
    gap = delays[index + 1] - delays[index] if index + 1 < len(delays) else delays[index]
    return min(max(gap / 2, MIN_GRACE), MAX_GRACE)


def catch_up(
    started_at: datetime, schedule: str, stage: str, now: datetime, answers_close: datetime | None = None
) -> Decision:
    """SEND, SEND_LATE or SKIP for a stage that is due at `now` (see the module docstring)."""
    delays, index = stage_index(schedule, stage)
    if index + 1 < len(delays) and now >= started_at + delays[index + 1]:
        return Decision(Action.SKIP, "skipped: the next check-in is already due")
    if answers_close is not None and now >= answers_close:
        return Decision(Action.SKIP, "skipped: too late, its answers have closed")
    overdue = now - (started_at + delays[index])
    if overdue > grace(delays, index):
        return Decision(Action.SEND_LATE, f"late by {_hours(overdue)}")
    return Decision(Action.SEND)


def zone(name: str | None, default: str = "UTC") -> ZoneInfo:
    """The ZoneInfo for a person's zone name, or the organisation's when unknown or invalid."""
    for candidate in (name, default, "UTC"):
        if not candidate:
            continue
        try:
            return ZoneInfo(candidate)
        except (ZoneInfoNotFoundError, ValueError):
            continue
    raise AssertionError("UTC is always known")  # pragma: no cover


def quiet_until(moment: datetime, tz: ZoneInfo, quiet: tuple[time, time]) -> datetime | None:
    """If `moment` falls in quiet hours in `tz`, when they end (in UTC); else None.

    `quiet` is (start, end) local wall-clock times; start after end spans
    midnight (21:00-08:00); start equal to end means no quiet hours.
    An end time that the clocks skip on the night they spring forward is
    read with the offset before the change (an hour later on the wall).
    """
    start, end = quiet
    if start == end:
        return None
    local = moment.astimezone(tz)
    now = local.timetz().replace(tzinfo=None)
    if start < end:
        inside = start <= now < end
        end_day = local.date()
    else:
        inside = now >= start or now < end
        end_day = local.date() + timedelta(days=1) if now >= start else local.date()
    if not inside:
        return None
    ends = datetime.combine(end_day, end, tzinfo=tz).astimezone(ZoneInfo("UTC"))
    return max(ends, moment)


def decide(
    *,
    started_at: datetime,
    schedule: str,
    stage: str,
    now: datetime,
    stopped: bool,
    tz: ZoneInfo,
    quiet: tuple[time, time],
    answers_close: datetime | None = None,
) -> Decision:
    """Everything together, in order: stopped, skipped, quiet hours, then send (late or not)."""
    if stopped:
        return Decision(Action.STOP, "stopped: the person asked for no more check-ins")
    caught = catch_up(started_at, schedule, stage, now, answers_close)
    if caught.action == Action.SKIP:
        return caught
    until = quiet_until(now, tz, quiet)
    if until is not None and until > now:
        return Decision(Action.WAIT, "quiet hours", until)
    return caught


def _hours(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours:.1f} h" if hours >= 1 else f"{delta.total_seconds():.0f} s"
