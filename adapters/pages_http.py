"""`GET /privacy` and `GET /terms`: the pages the Teams package links to, in the bot's words or the operator's.

Teams requires a privacy and a terms-of-use link for every app. By default
they point here (`debrief-bot teams package`), and these pages say in
plain words what the bot keeps and who can see it. An organisation that has
its own notice names the file in DEBRIEF_PRIVACY_FILE / DEBRIEF_TERMS_FILE
(HTML if it ends in `.html`, else plain text); it is read once at start-up,
so a missing file stops start-up with one line, not a request later.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from aiohttp import web

from bot.settings import Settings

PRIVACY_PATH = "/privacy"
TERMS_PATH = "/terms"


def _html(title: str, paragraphs: list[str]) -> str:
    body = "\n".join(f"<p>{escape(paragraph)}</p>" for paragraph in paragraphs)
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title>"
        "<style>body{font-family:system-ui,sans-serif;max-width:40em;margin:2em auto;padding:0 1em;"
        "line-height:1.5}</style></head>\n"
        f"<body><h1>{escape(title)}</h1>\n{body}\n</body></html>\n"
    )


def privacy_page(settings: Settings) -> str:
    return _html(
        "Debrief: privacy",
        [
            "This debrief bot is run by your organisation. Its IT service or data protection officer can tell you "
            "how long your organisation keeps its data, and can replace this page with its own notice.",
            "Your answers are anonymous. They are stored without your name, your user id, the time or the order "
            "in which people answered. Nobody, the debrief's lead, the wellbeing officers, IT and the database "
            "administrator included, can tell which answer is yours.",
            f"Numbers are shown only for groups of at least {settings.debrief_min_group} people. Free text goes "
            "to the wellbeing team only, unless you tick \"share with the team\", and is never shown beside a name.",
            "The bot keeps who was invited to each debrief and who led it, the action points with the person who "
            "owns each, and when the check-ins were sent, so that it can send them.",
            "Your name is shared only if you press \"I'd like to talk to someone\": then the wellbeing team, "
            "and nobody else, sees your request.",
            "Please do not type patient details. The bot checks for them and asks you to remove them before "
            "anything is saved.",
        ],
    )


def terms_page(settings: Settings) -> str:
    return _html(
        "Debrief: terms of use",
        [
            "Debrief is provided by your organisation to hold short debriefs after hard events at work, and to "
            "check in with the people involved afterwards.",
            "It is not an emergency service. If you or someone else is in danger, call your local emergency "
            "number now. The support contacts the bot shows include crisis lines.",
            "It is not a place for patient details, nor a replacement for your organisation's incident reporting.",
            "The software is open source under the Apache License 2.0, and comes without warranty.",
        ],
    )


def _page(file: Path | None, default: str) -> tuple[str, str]:
    """(text, content type): the operator's file if one is named, else the bot's own page."""
    if file is None:
        return default, "text/html"
    kind = "text/html" if file.suffix.lower() in (".html", ".htm") else "text/plain"
    return file.read_text(encoding="utf-8"), kind


def register(app: web.Application, settings: Settings) -> None:
    """Mount both pages, read now (Settings has checked that the operator's files can be read)."""
    pages = {
        PRIVACY_PATH: _page(settings.debrief_privacy_file, privacy_page(settings)),
        TERMS_PATH: _page(settings.debrief_terms_file, terms_page(settings)),
    }

    async def page(request: web.Request) -> web.Response:
        text, kind = pages[request.path]
        return web.Response(text=text, content_type=kind, charset="utf-8", headers={"Cache-Control": "public, max-age=3600"})

    for path in pages:
        app.router.add_get(path, page)
