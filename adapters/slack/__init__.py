"""Slack adapter: a Bolt AsyncApp on the shared aiohttp server (or Socket Mode).

`mount(app, core)` is all the server calls. Layout, by what each part does:

* `app`: the Bolt app factory (client, OAuth, listeners); `http`: the aiohttp
  routes; `socket_mode`: the Socket Mode connection's lifecycle.
* `listeners/`: commands, actions (buttons), views (submissions), events
  (App Home) and the fallbacks for anything unknown, each with `register(app)`.
* `setup`: the set-up flow (space, then database); `space`: private channels;
  `messaging`: what the bot posts in a debrief's channel afterwards;
  `messenger`: the core's port (check-ins and support notices by DM).
* `render/`: Block Kit; `ids`: every id the renderer and listeners share;
  `metadata`: button values and private_metadata (JSON, validated);
  `state`: reading submitted forms; `errors`: the one error handler.
* `manifest`: the Slack app manifest, filled in for a host.
"""

from __future__ import annotations

from aiohttp import web

from bot.core import Core
from bot.settings import revealed


def mount(app: web.Application, core: Core) -> str:
    """Add the Slack routes (and Socket Mode) to `app`; return the start-up log line."""
    from adapters.server import register_messenger
    from adapters.slack.app import EVENTS_PATH, INSTALL_PATH, build_app, share_connections
    from adapters.slack.http import add_routes
    from adapters.slack.messenger import SlackMessenger
    from adapters.slack.socket_mode import add_socket_mode

    settings = core.settings
    bolt = build_app(core)
    app.cleanup_ctx.append(share_connections(bolt))
    # Check-ins and support notices: the dispatcher of every process sends Slack's through this.
    store = bolt.installation_store if settings.slack_oauth else None
    register_messenger(app, SlackMessenger(core, installation_store=store, base_client=bolt.client))
    parts = []
    if settings.slack_signing_secret:
        add_routes(app, bolt, revealed(settings.slack_signing_secret))
        parts.append(f"HTTP at {EVENTS_PATH}")
    if settings.slack_app_token:
        add_socket_mode(app, bolt, revealed(settings.slack_app_token))
        parts.append("Socket Mode")
    if settings.slack_oauth:
        parts.append(f"many workspaces (install at {INSTALL_PATH})")
    else:
        parts.append("one workspace")
    if settings.slack_api_url:
        parts.append(f"Web API at {settings.slack_api_url}")
    return "Slack: on, " + ", ".join(parts)
