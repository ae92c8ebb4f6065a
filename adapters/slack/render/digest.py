"""The wellbeing officers' weekly digest as a Slack direct message.

Suppressed figures only (`bot.port.WeeklyDigest`): a hidden one reads "–"
with why, never a number; no team, no person, no event is named. It ends
with where to go next: `/debrief requests` when people are waiting to talk,
and `/debrief summary` for more.
"""

from __future__ import annotations

from adapters.slack.render.common import Blocks, context, section
from bot.port import WeeklyDigest
from bot.wording import day

TITLE = "Your weekly debrief digest"


def _cell(value: int | None) -> str:
    return "–" if value is None else str(value)


def digest_text(digest: WeeklyDigest) -> str:
    """The notification line."""
    return f"{TITLE}: {day(digest.since.date())} to {day(digest.until.date())}"


def digest_blocks(digest: WeeklyDigest) -> Blocks:
    lines = [
        f"• Debriefs held: {_cell(digest.debriefs_held)}",
        f"• Events with no debrief: {_cell(digest.debriefs_skipped)}",
        f"• Answers at the debriefs: {_cell(digest.answers)} of {_cell(digest.invited)} people invited",
    ]
    if digest.distress:
        bands = " / ".join(f"{band}: {_cell(count)}" for band, count in digest.distress)
        lines.append(f"• How distressed people felt (0-10): {bands}")
    waiting = digest.support_open
    if waiting == 0:
        lines.append("• Requests to talk waiting: none")
    else:
        lines.append(f"• Requests to talk waiting: {waiting}. `/debrief requests` to take them on")
    return [
        section(f"📊 *{TITLE}*\n_{day(digest.since.date())} to {day(digest.until.date())}, all teams, anonymised_"),
        section("\n".join(lines)),
        context(
            f"– : hidden, because it is below {digest.min_group} or would let someone work out a smaller group. "
            "`/debrief summary` has the last 30 days, team by team."
        ),
    ]
