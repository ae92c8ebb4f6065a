"""The officers' summary as Slack blocks, read and drawn: what an officer sees in `/debrief summary` and App Home.

Built once here for both places; links exist only when DEBRIEF_PUBLIC_URL
says where Slack can reach this server.
"""

from __future__ import annotations

from adapters.slack.render.common import Blocks
from adapters.slack.render.summary import summary_blocks
from bot.core import Core
from bot.overview import officer_summary as core_summary


async def officer_summary_blocks(core: Core, workspace: str | None) -> Blocks:
    shown = await core_summary(core, workspace, platform="slack")
    return summary_blocks(shown.report, shown.days, shown.chart_urls, shown.export_url, shown.waiting)
