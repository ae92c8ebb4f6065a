"""`debrief-bot slack manifest`: the repository's manifest.yml, filled in for a host.

The manifest at the repository root is the source of truth (importable as
is, with YOUR-HOST placeholders); this fills in the request URLs for
`--url https://HOST`, or switches to Socket Mode with `--socket-mode`. It
reads the file from the checkout the package runs from (the project installs
editable, as the README says).
"""

from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import urlsplit

import yaml

PLACEHOLDER = "https://YOUR-HOST"
EVENTS = "/slack/events"
REDIRECT = "/slack/oauth_redirect"


def manifest_path() -> Path:
    return Path(__file__).resolve().parents[2] / "manifest.yml"


def load() -> dict:
    return yaml.safe_load(manifest_path().read_text(encoding="utf-8"))


def check_url(url: str) -> str:
    """The base URL, without a trailing slash; https only (Slack refuses anything else)."""
    parts = urlsplit(url.strip())
    if parts.scheme != "https" or not parts.netloc or parts.query or parts.fragment:
        raise ValueError(f"{url!r}: give the bot's public base address, such as https://debrief.example.org")
    return f"https://{parts.netloc}{parts.path.rstrip('/')}"


def for_host(url: str) -> dict:
    base = check_url(url)
    manifest = load()
    for command in manifest["features"].get("slash_commands", []):
        command["url"] = base + EVENTS
    manifest["oauth_config"]["redirect_urls"] = [base + REDIRECT]
    settings = manifest["settings"]
    settings["event_subscriptions"]["request_url"] = base + EVENTS
    settings["interactivity"]["request_url"] = base + EVENTS
    settings["socket_mode_enabled"] = False
    return manifest


def for_socket_mode() -> dict:
    manifest = load()
    for command in manifest["features"].get("slash_commands", []):
        command.pop("url", None)
    manifest["oauth_config"].pop("redirect_urls", None)
    settings = manifest["settings"]
    settings["event_subscriptions"].pop("request_url", None)
    settings["interactivity"].pop("request_url", None)
    settings["socket_mode_enabled"] = True
    return manifest


def render(manifest: dict) -> str:
    return yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True, width=100)


def command(url: str | None, socket_mode: bool) -> int:
    """Print the manifest; exit 2 with one line when the URL is not usable."""
    if socket_mode == bool(url):
        print("debrief-bot: give --url https://HOST or --socket-mode (one of them)", file=sys.stderr)
        return 2
    try:
        manifest = for_socket_mode() if socket_mode else for_host(url or "")
    except FileNotFoundError:
        print(f"debrief-bot: {manifest_path()} not found; run from a checkout of the project", file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"debrief-bot: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write(render(manifest))
    return 0
