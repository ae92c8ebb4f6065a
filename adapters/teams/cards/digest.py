"""The wellbeing officers' weekly digest as a card in their personal chat with the bot.

Suppressed figures only (`bot.port.WeeklyDigest`): a hidden one reads "–"
with why, never a number; no team, no person, no event is named. It ends
with where to go next: **requests** when people are waiting to talk, and
**summary** for more.
"""

from __future__ import annotations

from typing import Any

from adapters.teams.cards.common import bullets, card, text
from bot.port import WeeklyDigest
from bot.wording import day

TITLE = "Your weekly debrief digest"


def _cell(value: int | None) -> str:
    return "–" if value is None else str(value)


def digest_fallback(digest: WeeklyDigest) -> str:
    return f"{TITLE}: {day(digest.since.date())} to {day(digest.until.date())}"


def digest_card(digest: WeeklyDigest) -> dict[str, Any]:
    lines = [
        f"Debriefs held: {_cell(digest.debriefs_held)}",
        f"Events with no debrief: {_cell(digest.debriefs_skipped)}",
        f"Answers at the debriefs: {_cell(digest.answers)} of {_cell(digest.invited)} people invited",
    ]
    if digest.distress:
        lines.append("How distressed people felt (0-10): "
                     + " / ".join(f"{band}: {_cell(count)}" for band, count in digest.distress))
    if digest.support_open == 0:
        lines.append("Requests to talk waiting: none")
    else:
        lines.append(f"Requests to talk waiting: {digest.support_open}. Type **requests** to take them on")
    return card(
        [
            text(f"**{TITLE}**", size="Medium"),
            text(f"{day(digest.since.date())} to {day(digest.until.date())}, all teams, anonymised", subtle=True),
            bullets(lines),
            text(f"– : hidden, because it is below {digest.min_group} or would let someone work out a smaller "
                 "group. Type **summary** for the last 30 days.", subtle=True, size="Small"),
        ],
        fallback=digest_fallback(digest),
    )
