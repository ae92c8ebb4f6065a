"""The wellbeing officers' anonymised overview (the `summary` command), from the suppressed report.

The same words as Slack (`bot.overview`): every figure is a cell the report
chose to show, hidden ones read "–". The two charts are Image elements that
Teams fetches from this server by signed link, and the export is one
`Action.OpenUrl`; without an address Teams can reach, one line says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adapters.teams.cards.common import Element, bullets, card, open_url, subheading, text
from adapters.teams.text import safe, team_title
from bot.charts import alt_text
from bot.overview import action_points_by_team, overview
from bot.wellbeing import Report

NO_PUBLIC_URL = ("Charts and the CSV export appear here once DEBRIEF_PUBLIC_URL is set to this bot's https "
                 "address (ask whoever runs it).")
EXPORT_LABEL = "Download the figures (CSV)"


def summary_card(
    report: Report, days: int, chart_urls: Mapping[str, str] | None = None, export_url: str | None = None,
    waiting: int | None = None, *, titles: Mapping[str, str],
) -> dict[str, Any]:
    words = overview(report, days, waiting)
    body: list[Element] = [text(f"**{words.period}**"), bullets(words.facts)]
    if words.stages:
        body += [subheading("How people are doing"), bullets(f"**{name}:** {line}" for name, line in words.stages)]
    body.append(text(words.hidden_note, subtle=True, size="Small"))
    if chart_urls:
        body += [
            {"type": "Image", "url": url, "altText": alt_text(name, report), "size": "Stretch", "spacing": "Medium"}
            for name, url in chart_urls.items()
        ]
    else:
        body.append(text(NO_PUBLIC_URL, subtle=True, size="Small"))
    if closure := action_points_by_team(report, days):
        body += [subheading("Action points by team (you said, we did)"),
                 bullets(f"{safe(team_title(team, titles), 80)}: {line}" for team, line in closure)]
    if report.teams:
        body.append(text(f"Per team ({len(report.teams)}): in the export.", subtle=True, size="Small"))
    actions = [open_url(EXPORT_LABEL, export_url)] if export_url else []
    return card(body, actions, fallback="Wellbeing summary")
