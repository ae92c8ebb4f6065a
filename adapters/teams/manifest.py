"""`debrief-bot teams package`: the Teams app package (manifest.json and two icons, zipped).

The manifest follows Microsoft's manifest schema version 1.30: one bot, in
the personal, team and group chat scopes, with its command lists (shown in
the compose box's command menu), the two permissions a bot that messages
team members needs, and the bot's host in `validDomains`. Upload the zip in
Teams (Apps > Manage your apps > Upload an app) or in the Teams admin centre.

The Teams app id is derived from the bot's app id (UUID v5), so packaging
again for the same bot gives the same app, and Teams treats the new zip as
an update of it.

The privacy and terms links default to the bot's own `/privacy` and `/terms`
pages (`adapters.pages_http`, whose text the operator can replace), or go
where `--privacy-url` and `--terms-url` say. Names keep to the schema's
limits: a short name longer than 30 characters is cut at a word boundary,
with a warning; an empty name, or one that cannot be cut so, is refused.
"""

from __future__ import annotations

import json
import sys
import uuid
import zipfile
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from adapters.teams.icons import colour_icon, outline_icon

MANIFEST_VERSION = "1.30"
SCHEMA_URL = f"https://developer.microsoft.com/json-schemas/teams/v{MANIFEST_VERSION}/MicrosoftTeams.schema.json"
APP_NAMESPACE = uuid.UUID("6f1b0a4e-3c1d-5e2a-9d4b-1f0de8b1e5a1")
PLACEHOLDER_URL = "https://example.org"
ACCENT = "#2B6CB0"
SHORT_NAME_MAX = 30
FULL_NAME_MAX = 100
"""`name.short` and `name.full` maxLength in the manifest schema (checked against it by the tests)."""
FULL_NAME_TAIL = ": hot debriefs and care after hard events"

COMMANDS = [
    ("debrief", "Start a debrief after a hard event: pick the people, I post the steps"),
    ("skip", "Record that there was no debrief this time, and why"),
    ("summary", "The anonymised 30-day overview, for the wellbeing team"),
    ("requests", "Who asked to talk: take requests on and close them, for the wellbeing team"),
    ("actions", "Your action points: mark them done, drop them or hand them on"),
    ("help", "What I do, and how answers stay anonymous"),
]

DESCRIPTION = (
    "Debrief runs a short, structured hot debrief for a clinical team after an adverse event (a death, a serious "
    "error, a failed resuscitation, a near miss). A lead types 'debrief' in the team's channel or group chat, picks "
    "the people who were there and a script (STOP5 by default); the bot posts the steps, and each person answers a "
    "few questions anonymously in a private dialog. Nobody, the lead and IT included, can tell whose answers are "
    "whose. The bot checks in with each person privately after 24 hours and 7 days, with support contacts, and "
    "lets anyone ask to talk to the wellbeing team. Wellbeing officers see anonymised summaries only."
)


class PackageError(ValueError):
    """A bad option, worded for the person typing the command."""


def check_app_id(app_id: str) -> str:
    try:
        return str(uuid.UUID(app_id.strip()))
    except ValueError:
        raise PackageError(f"{app_id!r} is not an app id: use the Microsoft App ID of your Azure Bot (a GUID)") from None


def check_url(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme != "https" or not parts.hostname or parts.query or parts.fragment:
        raise PackageError(f"{url!r}: give the bot's public base address, such as https://debrief.example.org")
    return f"https://{parts.netloc}{parts.path.rstrip('/')}"


def check_link(url: str, option: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme != "https" or not parts.hostname:
        raise PackageError(f"{option}: {url!r} is not an https:// address such as https://intranet.example.org/privacy")
    return url.strip()


def names(name: str) -> tuple[dict[str, str], str | None]:
    """The manifest's `name` ({"short", "full"}) for `name`, and a warning if the short one had to be cut.

    Cut only between words, so Teams never shows half a word.
    """
    name = " ".join(name.split())
    if not name:
        raise PackageError("--name: give the app a name people will recognise in Teams, such as Debrief")
    if len(name) > FULL_NAME_MAX:
        raise PackageError(f"--name: {len(name)} characters; Teams allows at most {FULL_NAME_MAX}")
    short, warning = name, None
    if len(name) > SHORT_NAME_MAX:
        cut = name[: SHORT_NAME_MAX + 1].rsplit(" ", 1)[0].rstrip(" -:,;")
        if len(cut) > SHORT_NAME_MAX or not cut:
            raise PackageError(
                f"--name: {name!r} has no space to cut it at within Teams' {SHORT_NAME_MAX} characters "
                "for the short name; give a shorter one"
            )
        short = cut
        warning = f"--name: Teams shows at most {SHORT_NAME_MAX} characters, so the short name is {short!r}"
    full = name + FULL_NAME_TAIL if len(name + FULL_NAME_TAIL) <= FULL_NAME_MAX else name
    return {"short": short, "full": full}, warning


def _app_version() -> str:
    try:
        return version("debrief-bot")
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "0.1.0"


def manifest(
    app_id: str,
    url: str | None = None,
    name: str = "Debrief",
    privacy_url: str | None = None,
    terms_url: str | None = None,
) -> dict[str, Any]:
    bot_id = check_app_id(app_id)
    base = check_url(url) if url else PLACEHOLDER_URL
    host = urlsplit(base).hostname or ""
    privacy = check_link(privacy_url, "--privacy-url") if privacy_url else f"{base}/privacy"
    terms = check_link(terms_url, "--terms-url") if terms_url else f"{base}/terms"
    app_name, _ = names(name)
    commands = [{"title": title, "description": description} for title, description in COMMANDS]
    return {
        "$schema": SCHEMA_URL,
        "manifestVersion": MANIFEST_VERSION,
        "version": _app_version(),
        "id": str(uuid.uuid5(APP_NAMESPACE, bot_id)),
        "developer": {
            "name": "Debrief bot (open source)",
            "websiteUrl": base,
            "privacyUrl": privacy,
            "termsOfUseUrl": terms,
        },
        "name": app_name,
        "description": {
            "short": "Hot debriefs after adverse events, with anonymous answers and check-ins",
            "full": DESCRIPTION,
        },
        "icons": {"color": "color.png", "outline": "outline.png"},
        "accentColor": ACCENT,
        "bots": [
            {
                "botId": bot_id,
                "scopes": ["personal", "team", "groupChat"],
                "isNotificationOnly": False,
                "supportsFiles": False,
                "commandLists": [
                    {"scopes": ["personal"], "commands": commands},
                    {"scopes": ["team", "groupChat"], "commands": commands},
                ],
            }
        ],
        "permissions": ["identity", "messageTeamMembers"],
        "validDomains": [host] if url else [],
    }


def write_package(
    out: Path,
    app_id: str,
    url: str | None = None,
    name: str = "Debrief",
    privacy_url: str | None = None,
    terms_url: str | None = None,
) -> dict[str, Any]:
    content = manifest(app_id, url, name, privacy_url, terms_url)
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as package:
        package.writestr("manifest.json", json.dumps(content, indent=2, ensure_ascii=False) + "\n")
        package.writestr("color.png", colour_icon(192))
        package.writestr("outline.png", outline_icon(32))
    return content


def command(
    app_id: str,
    out: Path,
    url: str | None = None,
    name: str = "Debrief",
    privacy_url: str | None = None,
    terms_url: str | None = None,
) -> int:
    try:
        _, warning = names(name)
        content = write_package(out, app_id, url, name, privacy_url, terms_url)
    except PackageError as error:
        print(f"debrief-bot: {error}", file=sys.stderr)
        return 2
    if warning:
        print(f"debrief-bot: warning: {warning}", file=sys.stderr)
    print(f"Wrote {out}: Teams app {content['id']} for bot {content['bots'][0]['botId']} (manifest {MANIFEST_VERSION}).")
    developer = content["developer"]
    print(f"Privacy: {developer['privacyUrl']}  Terms of use: {developer['termsOfUseUrl']}")
    if not url:
        print(f"No --url given: the developer links point to {PLACEHOLDER_URL} and validDomains is empty.")
    print("Upload it in Teams: Apps > Manage your apps > Upload an app (or in the Teams admin centre).")
    return 0
