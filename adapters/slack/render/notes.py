"""The officers' notes view as a modal: per team, crisis-language notes first, each note as the person wrote it.

A note is user text: escaped, shown `verbatim`, so `<!channel>` in it pings
nobody and `*bold*` stays literal; no name, no time, no order is shown.
"""

from __future__ import annotations

from adapters.slack.render.common import Blocks, context, header, section, view
from adapters.slack.text import MAX_VIEW_BLOCKS, clip_escaped, escape
from bot.notes import NotesView
from bot.wording import plural

TITLE = "Notes for the team"
NOTE_LENGTH = 2800


def team_name(team: str) -> str:
    return f"<#{team}>" if team[:1] in ("C", "G") else escape(team)


def notes_modal(notes: NotesView) -> dict:
    blocks: Blocks = [
        section(
            f"*Notes written for the wellbeing team, last {notes.days} days.* No names, in a random order; "
            "notes with crisis language first."
        )
    ]
    if notes.crisis:
        blocks.append(section(
            f"⚠️ *{plural(notes.crisis, 'note')} with crisis language.* The writer was shown the crisis lines "
            "at once. You cannot tell who wrote it; the team's support contacts and your next check-in with the "
            "team are the way to reach them."
        ))
    if not notes.teams:
        blocks.append(section("No notes to read for this period."))
    budget, shown = MAX_VIEW_BLOCKS - 6, 0
    for team in notes.teams:
        if budget <= 2:
            break
        blocks.append(header(f"{plural(len(team.notes), 'note')}"))
        blocks.append(context(f"Team: {team_name(team.team)}"))
        budget -= 2
        for note in team.notes[:budget]:
            mark = "⚠️ " if note.crisis else ""
            blocks.append(section(f"{mark}“{clip_escaped(note.text, NOTE_LENGTH)}”"))
            shown += 1
            budget -= 1
    if notes.held_back:
        blocks.append(context(
            f"Notes from {plural(notes.held_back, 'debrief stage')} are held back until at least "
            f"{notes.min_group} people have answered or its answers close, so no note can be matched to its writer."
        ))
    if notes.more or shown < notes.count:
        blocks.append(context("More notes than fit here: the most urgent are shown; look again later for the rest."))
    return view(title=TITLE, blocks=blocks[:MAX_VIEW_BLOCKS])
