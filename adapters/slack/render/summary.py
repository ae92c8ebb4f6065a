"""The wellbeing officers' anonymised overview (`/debrief summary` and App Home), from the suppressed report.

Every figure is a cell `bot.wellbeing` chose to show (`bot.overview` words
them); hidden cells read "–". The two charts are images Slack fetches from
this server by signed link, and the export is one tap on a link button.
Without DEBRIEF_PUBLIC_URL Slack cannot reach the server, so one line says so
instead.
"""

from __future__ import annotations

from collections.abc import Mapping

from slack_sdk.models.blocks import ActionsBlock, ButtonElement, ImageBlock

from adapters.slack.ids import Action
from adapters.slack.render.common import Blocks, context, plain, section
from bot.charts import KINDS, alt_text
from bot.overview import action_points_by_team, overview
from bot.suppression import ALL
from bot.wellbeing import Report, period_name
from bot.wording import cell

NO_PUBLIC_URL = (
    "Charts and the CSV export appear here once DEBRIEF_PUBLIC_URL is set to this bot's https address "
    "(ask whoever runs it)."
)
EXPORT_LABEL = "Download the figures (CSV)"


def summary_blocks(
    report: Report, days: int, chart_urls: Mapping[str, str] | None = None, export_url: str | None = None,
    waiting: int | None = None,
) -> Blocks:
    """Header figures (with the true count of requests `waiting`), the charts, the teams, and the export button."""
    words = overview(report, days, waiting)
    blocks: Blocks = [section(f"*{words.period}*\n" + "\n".join(f"• {fact}" for fact in words.facts))]
    if words.stages:
        blocks.append(
            section("*How people are doing*\n" + "\n".join(f"• *{name}:* {line}" for name, line in words.stages))
        )
    blocks.append(context(words.hidden_note))
    if chart_urls:
        for name, url in chart_urls.items():
            blocks.append(ImageBlock(image_url=url, alt_text=alt_text(name, report)[:2000], title=plain(KINDS[name].title)))
    else:
        blocks.append(context(NO_PUBLIC_URL))
    blocks += team_blocks(report, days)
    if export_url:
        blocks.append(
            ActionsBlock(elements=[ButtonElement(text=EXPORT_LABEL, url=export_url, action_id=Action.EXPORT)])
        )
    return blocks


TEAMS_SHOWN = 15
"""Teams listed in the message; the export has them all."""


def team_blocks(report: Report, days: int) -> Blocks:
    """Per team over `days`: debriefs, answers of the debrief itself, distress bands; hidden cells read "–"."""
    period = period_name(days)
    held, responses, invited = (report.figures[name] for name in ("debriefs held", "responses", "invited"))
    distress = report.figures.get("distress debrief")
    lines = []
    for team in (ALL, *report.teams[:TEAMS_SHOWN]):
        name = "*All teams*" if team == ALL else _team_name(team)
        line = (
            f"• {name}: debriefs {cell(held.get(period, team))}, "
            f"answers {cell(responses.get(period, team, 'debrief'))} of {cell(invited.get(period, team, 'debrief'))}"
        )
        if distress is not None:
            line += " · distress " + " / ".join(f"{band} {cell(distress.get(period, team, band))}" for band in distress.columns)
        lines.append(line)
    if len(report.teams) > TEAMS_SHOWN:
        lines.append(f"…and {len(report.teams) - TEAMS_SHOWN} more teams in the export")
    blocks: Blocks = [section((f"*By team, last {days} days*\n" + "\n".join(lines))[:2900])]
    closure = [f"• {_team_name(team)}: {words}" for team, words in action_points_by_team(report, days, TEAMS_SHOWN)]
    if closure:
        blocks.append(section(("*Action points by team (you said, we did)*\n" + "\n".join(closure))[:2900]))
    return blocks


def _team_name(team: str) -> str:
    return f"<#{team}>" if team.startswith("C") else team
