"""The wellbeing officers' anonymised overview (`/debrief summary` and App Home).

Every answer count below the minimum group reads "fewer than N"; the core
already withholds distress bands below it.
"""

from __future__ import annotations

from adapters.slack.render.common import Blocks, context, section
from bot.summary import Summary
from bot.suppression import ALL
from bot.wellbeing import Report, period_name
from bot.wording import answered, day, distress_bands, skip_reason, stage_name


def summary_blocks(summary: Summary, days: int) -> Blocks:
    minimum = summary.min_group
    lines = [
        f"*Last {days} days* ({day(summary.since.date())} to {day(summary.until.date())}), anonymised",
        f"• Debriefs held: {summary.debriefs_held}",
        f"• Events with no debrief: {summary.debriefs_skipped}",
    ]
    for reason, count in sorted(summary.skipped_by_reason.items(), key=lambda item: -item[1]):
        lines.append(f"      {skip_reason(reason)}: {count}")
    lines.append(f"• People invited: {summary.participants}")
    lines.append(f"• Action points: {summary.actions_open} open, {summary.actions_done} done")
    lines.append(f"• Open requests to talk to someone: {summary.support_open}")
    blocks: Blocks = [section("\n".join(lines))]
    stage_lines = []
    for stage in summary.stages:
        line = f"• *{stage_name(stage.stage)}:* {answered(stage.responses, minimum)}"
        if stage.distress:
            line += f"; {distress_bands(stage.distress)}"
        stage_lines.append(line)
    if stage_lines:
        blocks.append(section("*How people are doing*\n" + "\n".join(stage_lines)))
    blocks.append(
        context(f"Groups smaller than {minimum} are not broken down, so that nobody can be recognised by their answers.")
    )
    return blocks


TEAMS_SHOWN = 15
"""Teams listed in the message; the export has them all."""


def _cell(value: int | None) -> str:
    return "–" if value is None else str(value)


def team_blocks(report: Report, days: int) -> Blocks:
    """Per team over `days`: debriefs, answers of the debrief itself, distress bands; hidden cells read "–"."""
    period = period_name(days)
    held, responses, invited = (report.figures[name] for name in ("debriefs held", "responses", "invited"))
    distress = report.figures.get("distress debrief")
    lines = []
    for team in (ALL, *report.teams[:TEAMS_SHOWN]):
        name = "*All teams*" if team == ALL else f"<#{team}>" if team.startswith("C") else team
        line = (
            f"• {name}: debriefs {_cell(held.get(period, team))}, "
            f"answers {_cell(responses.get(period, team, 'debrief'))} of {_cell(invited.get(period, team, 'debrief'))}"
        )
        if distress is not None:
            line += " · distress " + " / ".join(f"{band} {_cell(distress.get(period, team, band))}" for band in distress.columns)
        lines.append(line)
    text = f"*By team, last {days} days*\n" + "\n".join(lines)
    return [
        section(text[:2900]),
        context(
            f"– : hidden, because it is below {report.min_group} or would let someone work out a smaller group "
            "from the totals. `debrief-bot export` has every team, period and week."
        ),
    ]
