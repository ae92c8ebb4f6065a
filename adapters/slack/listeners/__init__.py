"""Every listener, by kind of input; `register(app)` wires them all (the fallbacks last).

Bolt tries the listeners in the order they were added, and for each one it
builds its matcher's arguments afresh (a dozen payload lookups), so the
busiest requests come first: `/debrief` and the answer modal. Each listener
matches its own callback or action id, so the order changes nothing else.
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from adapters.slack.listeners import actions, commands, events, fallback, followups, notes, points, queue, views


def register(app: AsyncApp) -> None:
    commands.register(app)
    views.register(app)
    actions.register(app)
    events.register(app)
    followups.register(app)
    queue.register(app)
    notes.register(app)
    points.register(app)
    fallback.register(app)
