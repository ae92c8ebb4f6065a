"""Plain words the bot uses on every platform: counts, dates, schedules, stage and reason names.

These are wording, not layout: each adapter puts them into its own Block Kit
or Adaptive Card, so Slack and Teams say the same thing the same way.
"""

from __future__ import annotations

from datetime import date

from bot.debriefs import SKIP_REASON_LABELS, SkipReason
from bot.models import SinceEvent
from bot.scripts import DEBRIEF_STAGE
from bot.settings import parse_duration


def plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


def day(value: date) -> str:
    """`Tue 14 Jan 2025`: short, unambiguous in every English locale."""
    return f"{value:%a} {value.day} {value:%b %Y}"


def humanise(schedule: str) -> str:
    """`24h,7d` -> `24 hours and 7 days`, for people rather than operators."""
    words = []
    for part in [item for item in schedule.split(",") if item.strip()]:
        seconds = int(parse_duration(part).total_seconds())
        if seconds == 86400:
            words.append("24 hours")
            continue
        for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute"), (1, "second")):
            if seconds % size == 0:
                words.append(plural(seconds // size, unit))
                break
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def stage_name(stage: str) -> str:
    """`debrief` -> `At the debrief`; `7d` -> `After 7 days`."""
    if stage == DEBRIEF_STAGE:
        return "At the debrief"
    try:
        return f"After {humanise(stage)}"
    except ValueError:
        return stage


def skip_reason(value: str) -> str:
    """The words for a stored skip reason (the stored value if it is not one we know)."""
    try:
        return SKIP_REASON_LABELS[SkipReason(value)]
    except ValueError:
        return value


SINCE_EVENT_SHORT = {
    SinceEvent.UNDER_1H: "under 1 h",
    SinceEvent.HOURS_1_4: "1-4 h",
    SinceEvent.HOURS_4_12: "4-12 h",
    SinceEvent.HOURS_12_24: "12-24 h",
    SinceEvent.DAYS_1_3: "1-3 days",
    SinceEvent.OVER_3D: "over 3 days",
}


def since_event(value: str) -> str:
    """Short words for a time-from-event band in the report ("not given" when the lead left it blank)."""
    try:
        return SINCE_EVENT_SHORT[SinceEvent(value)]
    except ValueError:
        return value.replace("_", " ")


def answered(responses: int, minimum: int) -> str:
    """`7 answers`, or `fewer than 5 answers` below the minimum group (never the small number)."""
    return plural(responses, "answer") if responses >= minimum else f"fewer than {minimum} answers"
