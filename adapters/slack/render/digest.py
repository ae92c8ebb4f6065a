"""The wellbeing officers' weekly digest as a Slack direct message.

Suppressed figures only (`bot.port.WeeklyDigest`): a hidden one reads "–"
with why, never a number; no team, no person, no event is named. It ends
with where to go next: `/debrief requests` when people are waiting to talk,
and `/debrief summary` for more.
"""

from __future__ import annotations

from adapters.slack.render.common import Blocks, context, section
from bot.port import WeeklyDigest
from bot.wording import DIGEST_TITLE, digest_words

REQUESTS, SUMMARY = "`/debrief requests`", "`/debrief summary`"


def digest_blocks(digest: WeeklyDigest) -> Blocks:
    words = digest_words(digest, REQUESTS, SUMMARY)
    return [
        section(f"📊 *{DIGEST_TITLE}*\n_{words.period}_"),
        section("\n".join(f"• {line}" for line in words.lines)),
        context(words.hidden_note),
    ]
