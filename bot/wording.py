"""Plain words the bot uses on every platform: counts, dates, schedules, stage and reason names, the digest.

These are wording, not layout: each adapter puts them into its own Block Kit
or Adaptive Card, so Slack and Teams say the same thing the same way, and a
wording change is made here once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.debriefs import SKIP_REASON_LABELS, SkipReason
from bot.models import SinceEvent
from bot.port import WeeklyDigest
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


def clip(text: str, limit: int) -> str:
    """At most `limit` characters, ending with an ellipsis when cut."""
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


HIDDEN = "–"
"""A figure the report hides: below the minimum group, or it would let someone work out a smaller one."""


def cell(value: int | None) -> str:
    """A figure as shown: the number, or `HIDDEN` (never a number for a hidden one)."""
    return HIDDEN if value is None else str(value)


DIGEST_TITLE = "Your weekly debrief digest"


def digest_heading(digest: WeeklyDigest) -> str:
    """`Your weekly debrief digest: Mon 1 Dec 2025 to Sun 7 Dec 2025`: the notification line, the card's fallback."""
    return f"{DIGEST_TITLE}: {day(digest.since.date())} to {day(digest.until.date())}"


@dataclass(frozen=True)
class DigestWords:
    period: str
    lines: list[str]
    hidden_note: str


def digest_words(digest: WeeklyDigest, requests: str, summary: str) -> DigestWords:
    """The weekly digest in words; `requests` and `summary` are the commands as typed on the platform."""
    period = f"{day(digest.since.date())} to {day(digest.until.date())}"
    lines = [
        f"Debriefs held: {cell(digest.debriefs_held)}",
        f"Events with no debrief: {cell(digest.debriefs_skipped)}",
        f"Answers at the debriefs: {cell(digest.answers)} of {cell(digest.invited)} people invited",
    ]
    if digest.distress:
        lines.append("How distressed people felt (0-10): "
                     + " / ".join(f"{band}: {cell(count)}" for band, count in digest.distress))
    if digest.support_open == 0:
        lines.append("Requests to talk waiting: none")
    else:
        lines.append(f"Requests to talk waiting: {cell(digest.support_open)}. Type {requests} to take them on")
    return DigestWords(
        period=f"{period}, all teams, anonymised",
        lines=lines,
        hidden_note=(f"{HIDDEN} : hidden, because it is below {digest.min_group} or would let someone work out a "
                     f"smaller group. Type {summary} for the last 30 days, team by team."),
    )


QUEUE_EMPTY = "Nobody is waiting to talk to someone right now. \U0001f499"


def queue_summary(waiting: int) -> str:
    """The support queue in one line: the notification text, the card's fallback."""
    return f"Support requests: {waiting} waiting" if waiting else "No support requests waiting"
