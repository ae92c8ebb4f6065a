"""`GET /charts/{token}.png` and `GET /exports/{token}.csv`: the officers' pictures and export, by signed link.

Slack's and Teams' servers fetch the images, and a browser opens the export,
none of them with the officer's credentials: the signed, expiring link
(`bot.links`) is the permission, checked here. A link that was not signed
here, or was altered, gets 404 as if nothing were there; a genuine link past
its hour gets 410 with a short note on how to get a fresh one. Each refusal
is one log line, without the token.
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from adapters.server import CORE
from bot.charts import KINDS, render
from bot.core import Core
from bot.export import to_csv
from bot.links import EXPORT, LINK_LIFETIME, LinkExpired, LinkInvalid, Ticket

log = logging.getLogger("debrief.links")

NOT_FOUND = "Nothing here."
EXPIRED = "This link has expired. Open the wellbeing summary again for a fresh one."
CACHE = f"private, max-age={int(LINK_LIFETIME.total_seconds())}"


def register(app: web.Application) -> None:
    app.router.add_get("/charts/{token}.png", chart)
    app.router.add_get("/exports/{token}.csv", export)


def _ticket(request: web.Request, what: str) -> Ticket:
    core: Core = request.app[CORE]
    try:
        return core.links.read(request.match_info["token"])
    except LinkExpired:
        log.info("%s link refused: expired (older than %s)", what, LINK_LIFETIME)
        raise web.HTTPGone(text=EXPIRED) from None
    except LinkInvalid:
        log.warning("%s link refused: bad signature (altered, or signed with another DEBRIEF_SECRET)", what)
        raise web.HTTPNotFound(text=NOT_FOUND) from None


async def chart(request: web.Request) -> web.Response:
    ticket = _ticket(request, "chart")
    if ticket.kind not in KINDS:
        log.warning("chart link refused: %r is not a chart", ticket.kind[:40])
        raise web.HTTPNotFound(text=NOT_FOUND)
    report = await request.app[CORE].wellbeing.report(ticket.until, ticket.workspace)
    drawn = await asyncio.to_thread(render, ticket.kind, report)
    return web.Response(body=drawn.png, content_type="image/png", headers={"Cache-Control": CACHE})


async def export(request: web.Request) -> web.Response:
    ticket = _ticket(request, "export")
    if ticket.kind != EXPORT:
        log.warning("export link refused: it is a %r link", ticket.kind[:40])
        raise web.HTTPNotFound(text=NOT_FOUND)
    report = await request.app[CORE].wellbeing.report(ticket.until, ticket.workspace)
    name = f"debrief-wellbeing-{ticket.days}d-{ticket.until:%Y-%m-%d}.csv"
    return web.Response(
        text=to_csv(report, ticket.days),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": CACHE},
    )
