"""Every listener, by kind of input; `register(app)` wires them all (the fallbacks last)."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from adapters.slack.listeners import actions, commands, events, fallback, followups, queue, views


def register(app: AsyncApp) -> None:
    commands.register(app)
    actions.register(app)
    views.register(app)
    events.register(app)
    followups.register(app)
    queue.register(app)
    fallback.register(app)
