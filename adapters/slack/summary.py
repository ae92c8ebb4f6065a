"""What a wellbeing officer sees in `/debrief summary` and in App Home: the report, with links to its pictures.

Built once here for both places: the report of the last 90 days at `until`
(to the second, so that a chart link rebuilds exactly this report), and a
signed link per chart and for the export when DEBRIEF_PUBLIC_URL says where
Slack can reach this server.
"""

from __future__ import annotations

from adapters.slack.render.common import Blocks
from adapters.slack.render.summary import summary_blocks
from bot.charts import KINDS
from bot.core import Core
from bot.links import report_time

SUMMARY_DAYS = 30


async def officer_summary(core: Core, workspace: str | None) -> Blocks:
    until = report_time(core.clock.now())
    report = await core.wellbeing.report(until, workspace=workspace)
    links = core.links
    charts = {name: links.chart_url(name, workspace, until) for name in KINDS}
    chart_urls = {name: url for name, url in charts.items() if url}
    return summary_blocks(report, SUMMARY_DAYS, chart_urls, links.export_url(workspace, until, SUMMARY_DAYS))
