"""Text safety for Teams, in one place.

User text (answers shared with the team, labels, action points, a preferred
time, display names) only ever reaches Teams as a `TextRun` inside a
`RichTextBlock` (see `cards.common.user_text`): TextRuns do not render
markdown, so `[click](https://evil)` shows as typed. It is never put in an
activity's `text` and never gets a mention entity; `<at>` in it, which Teams
turns into a mention when a matching entity exists, is neutralised here as
well, so that no later change can make it one by accident.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from bot.wording import clip

_MENTION_TAG = re.compile(r"<(\s*/?\s*at\b)", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def neutralise(text: str) -> str:
    """`<at>` and `</at>` lose their angle bracket (shown as `‹at>`); control characters go."""
    return _MENTION_TAG.sub("\u2039\\1", _CONTROL.sub("", text))


def safe(text: str, limit: int) -> str:
    """User text ready for a TextRun: neutralised and clipped."""
    return clip(neutralise(text), limit)


UNTITLED = "A chat without a title"


def team_title(team: str, titles: Mapping[str, str]) -> str:
    """A team as officers read it: its conversation's title (`References.titles`), never its id; user text (`safe`)."""
    return titles.get(team) or UNTITLED
