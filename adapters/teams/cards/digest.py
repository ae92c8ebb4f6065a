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
from bot.wording import DIGEST_TITLE, digest_heading, digest_words

REQUESTS, SUMMARY = "**requests**", "**summary**"


def digest_card(digest: WeeklyDigest) -> dict[str, Any]:
    words = digest_words(digest, REQUESTS, SUMMARY)
    return card(
        [
            text(f"**{DIGEST_TITLE}**", size="Medium"),
            text(words.period, subtle=True),
            bullets(words.lines),
            text(words.hidden_note, subtle=True, size="Small"),
        ],
        fallback=digest_heading(digest),
    )
