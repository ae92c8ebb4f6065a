"""The wellbeing officers' anonymised overview (the `summary` command).

Every answer count below the minimum group reads "fewer than N"; the core
already withholds distress bands below it.
"""

from __future__ import annotations

from typing import Any

from adapters.teams.cards.common import Element, bullets, card, subheading, text
from bot.summary import Summary
from bot.wording import answered, day, distress_bands, skip_reason, stage_name


def summary_card(summary: Summary, days: int) -> dict[str, Any]:
    minimum = summary.min_group
    lines = [
        f"Debriefs held: {summary.debriefs_held}",
        f"Events with no debrief: {summary.debriefs_skipped}",
        *[f"{skip_reason(reason)}: {count}" for reason, count in sorted(summary.skipped_by_reason.items(), key=lambda i: -i[1])],
        f"People invited: {summary.participants}",
        f"Action points: {summary.actions_open} open, {summary.actions_done} done",
        f"Open requests to talk to someone: {summary.support_open}",
    ]
    body: list[Element] = [
        text(f"**Last {days} days** ({day(summary.since.date())} to {day(summary.until.date())}), anonymised"),
        bullets(lines),
    ]
    stage_lines = []
    for stage in summary.stages:
        line = f"**{stage_name(stage.stage)}:** {answered(stage.responses, minimum)}"
        if stage.distress:
            line += f"; {distress_bands(stage.distress)}"
        stage_lines.append(line)
    if stage_lines:
        body += [subheading("How people are doing"), bullets(stage_lines)]
    body.append(text(f"Groups smaller than {minimum} are not broken down, so that nobody can be recognised "
                     "by their answers.", subtle=True, size="Small"))
    return card(body, fallback="Wellbeing summary")
