"""Microsoft Teams adapter: botbuilder's CloudAdapter on the shared aiohttp server.

`mount(app, core)` is all the server calls. Layout, by what each part does:

* `app`: the adapter, its authentication and POST /api/messages;
  `bot`: the TeamsActivityHandler; `services`: what every handler needs.
* `handlers/`: one module per feature (set-up, answers, the team's
  buttons, support, skip), the dialog router, typed commands and buttons
  that arrive as messages.
* `cards/`: Adaptive Cards 1.5 as dicts; `ids`: every id cards and handlers
  share; `metadata`: button data, validated; `text`: text safety.
* `references`: stored conversation references; `roster`: who is in a
  conversation; `messaging`: posting anywhere, later; `messenger`: the
  core's port for follow-ups and support notices.
* `manifest`: the Teams app package (manifest and icons).

botbuilder stays behind this folder (DESIGN.md): a move to the Microsoft 365
Agents SDK touches nothing else.
"""

from __future__ import annotations

from aiohttp import web

from bot.core import Core


def mount(app: web.Application, core: Core) -> str:
    """Add POST /api/messages to `app`, register the Teams messenger (check-ins, support notices); return the log line."""
    from adapters.server import register_messenger
    from adapters.teams.app import MESSAGES_PATH, add_routes
    from adapters.teams.messenger import TeamsMessenger

    services = add_routes(app, core)
    register_messenger(app, TeamsMessenger(services))
    if core.settings.teams_authenticated:
        return f"Teams: on, Bot Framework at {MESSAGES_PATH}, app {core.settings.microsoft_app_id}, every request's token checked"
    return (
        f"Teams: on, Bot Framework at {MESSAGES_PATH}, local unauthenticated mode (MICROSOFT_APP_ID is blank): "
        "for the Microsoft 365 Agents Playground or the Bot Framework Emulator on this machine only"
    )
