"""The officers' overview in words, from the suppressed report: the same lines on Slack and Teams.

Every number here is a cell that `bot.wellbeing` chose to show; a hidden
cell reads "–" and one note says why. Nothing is counted again here, so the
overview cannot show what the report hides.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from bot.charts import KINDS
from bot.core import Core
from bot.links import report_time
from bot.scripts import DEBRIEF_STAGE
from bot.suppression import ALL
from bot.wellbeing import Report, period_name
from bot.wording import HIDDEN, cell, day, since_event, skip_reason, stage_name

SUMMARY_DAYS = 30
"""The period the officers' summary (Slack `/debrief summary` and App Home, Teams `summary`) shows."""
DISTRESS_SCALE = "how people are (0 fine, 10 extremely distressed)"


@dataclass
class Overview:
    period: str
    """`Last 30 days (Mon 6 Oct 2025 to Wed 5 Nov 2025), anonymised`."""
    facts: list[str] = field(default_factory=list)
    stages: list[tuple[str, str]] = field(default_factory=list)
    """(stage name, its answers and distress bands)."""
    hidden_note: str = ""


def overview(report: Report, days: int, waiting: int | None = None) -> Overview:
    """The report in words; `waiting`, the true number of requests to talk nobody has taken on, when known."""
    period = period_name(days)
    figures = report.figures

    def get(name: str, column: str = ALL) -> str:
        return cell(figures[name].get(period, ALL, column))

    since = report.until - timedelta(days=days)
    out = Overview(period=f"Last {days} days ({day(since.date())} to {day(report.until.date())}), anonymised")
    out.facts.append(f"Debriefs held: {get('debriefs held')}")
    skipped = figures["debriefs skipped"]
    reasons = [
        f"{skip_reason(reason)}: {cell(value)}"
        for reason in skipped.columns
        if (value := skipped.get(period, ALL, reason)) != 0
    ]
    out.facts.append(f"Events with no debrief: {get('debriefs skipped')}" + (f" ({'; '.join(reasons)})" if reasons else ""))
    timing = figures["time to debrief"]
    values = {band: timing.get(period, ALL, band) for band in timing.columns}
    if all(value is None for value in values.values()):
        out.facts.append("Time from event to debrief: hidden, too few debriefs to break down")
    elif bands := [f"{since_event(band)}: {cell(value)}" for band, value in values.items() if value != 0]:
        out.facts.append(f"Time from event to debrief: {'; '.join(bands)}")
    out.facts.append(f"People invited to debriefs: {get('invited', DEBRIEF_STAGE)}")
    out.facts.append(f"Action points: {action_point_words(report, days)}")
    if waiting is not None:  # those people gave their names to be answered: the true count, never hidden
        out.facts.append(f"Requests to talk waiting for someone to take them on, now: {waiting}")
    out.facts.append(
        f"Requests to talk to someone: {get('support requests', 'open')} waiting, "
        f"{get('support requests', 'claimed')} taken on, {get('support requests', 'closed')} closed"
    )
    for stage in report.stages:
        asked = "invited" if stage == DEBRIEF_STAGE else "check-ins sent"
        line = f"answers {get('responses', stage)} of {get('invited', stage)} {asked}"
        distress = figures.get(f"distress {stage}")
        if distress is not None:
            shown = " · ".join(f"{band}: {cell(distress.get(period, ALL, band))}" for band in distress.columns)
            line += f"; {DISTRESS_SCALE}: {shown}"
        out.stages.append((stage_name(stage), line))
    out.hidden_note = (
        f"{HIDDEN} : hidden, because it is below {report.min_group} or would let someone work out a smaller group "
        "from the totals. Groups that small are never broken down, so nobody can be recognised by their answers."
    )
    return out


def action_point_words(report: Report, days: int, team: str = ALL) -> str:
    """Closure for one team (or all): opened, done, dropped, still open and overdue; hidden cells read "–"."""
    figure = report.figures["action points"]
    period = period_name(days)

    def get(column: str) -> str:
        return cell(figure.get(period, team, column))

    return (f"{get(ALL)} opened, {get('done')} done, {get('dropped')} dropped, "
            f"{get('open')} still open, {get('overdue')} overdue")


def action_points_by_team(report: Report, days: int, limit: int = 15) -> list[tuple[str, str]]:
    """(team, its closure words) for each team of the report, up to `limit`; the export has them all."""
    return [(team, action_point_words(report, days, team)) for team in report.teams[:limit]]


@dataclass(frozen=True)
class OfficerSummary:
    """What an officer's summary shows: the report, and where its pictures and export can be fetched."""

    report: Report
    days: int
    chart_urls: dict[str, str]
    """A signed link per chart; empty when the platform cannot reach this server."""
    export_url: str | None
    waiting: int | None = None
    """Requests to talk nobody has taken on yet, now: the true count (`Support.waiting`)."""


async def officer_summary(
    core: Core, workspace: str | None, fallback_url: str | None = None, *, platform: str | None = None
) -> OfficerSummary:
    """The report at this second (so that a chart link rebuilds exactly it), with signed links.

    The links go to DEBRIEF_PUBLIC_URL, else to `fallback_url` (Teams local
    mode: this machine); with neither there are none.
    """
    until = report_time(core.clock.now())
    report = await core.wellbeing.report(until, workspace=workspace)
    links = core.links
    charts = {name: links.chart_url(name, workspace, until, fallback_url) for name in KINDS}
    waiting = await core.support.waiting(platform, workspace) if workspace else None
    return OfficerSummary(
        waiting=waiting,
        report=report,
        days=SUMMARY_DAYS,
        chart_urls={name: url for name, url in charts.items() if url},
        export_url=links.export_url(workspace, until, SUMMARY_DAYS, fallback_url),
    )
