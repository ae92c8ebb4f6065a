"""The officers' notes view as a card: per team, crisis-language notes first, each note as the person wrote it.

Notes are user text (`user_text`: never markdown, never a mention); no
name, no time, no order is shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adapters.teams.cards.common import Element, card, subheading, text, user_text, warning
from adapters.teams.text import team_title
from bot.notes import NotesView
from bot.wording import plural

MAX_SHOWN = 100
"""Notes on one card (Teams cards stay well under their size limit)."""
NOTE_LENGTH = 2000


def notes_card(notes: NotesView, titles: Mapping[str, str]) -> dict[str, Any]:
    body: list[Element] = [
        text(f"**Notes written for the wellbeing team, last {notes.days} days**", size="Medium"),
        text("No names, in a random order; notes with crisis language first.", subtle=True),
    ]
    if notes.crisis:
        body.append(warning(
            f"{plural(notes.crisis, 'note')} with crisis language. The writer was shown the crisis lines at once. "
            "You cannot tell who wrote it; the team's support contacts and your next check-in with the team are "
            "the way to reach them."
        ))
    if not notes.teams:
        body.append(text("No notes to read for this period."))
    shown = 0
    for team in notes.teams:
        if shown >= MAX_SHOWN:
            break
        body.append(subheading(plural(len(team.notes), "note"), separator=True))
        body.append(user_text(team_title(team.team, titles), limit=200, prefix="Team: ", subtle=True))
        for note in team.notes[: MAX_SHOWN - shown]:
            body.append(user_text(note.text, limit=NOTE_LENGTH, prefix="\u26a0\ufe0f Crisis language: " if note.crisis else None))
            shown += 1
    if notes.held_back:
        body.append(text(
            f"Notes from {plural(notes.held_back, 'debrief stage')} are held back until at least {notes.min_group} "
            "people have answered or its answers close, so no note can be matched to its writer.",
            subtle=True, size="Small",
        ))
    if notes.more or shown < notes.count:
        body.append(text("More notes than fit here: the most urgent are shown; look again later for the rest.",
                         subtle=True, size="Small"))
    return card(body, fallback="Notes for the wellbeing team")
