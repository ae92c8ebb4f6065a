"""Which written stage a follow-up says, for any schedule.

A stage is found by its delay: the script's own `followups:` first, then
`followups.yml` (so `1d` finds `24h`). A schedule whose delays have no
written stage of their own, such as the `2s,4s` used end to end in tests
or an operator's `12h,3d`, takes the written stages in order by position:
its first delay says what the first written stage (24h) says, its second
what the second (7d) says, and any further ones what the last says.
`Debriefs.record_answer` must resolve a stage the same way, so that the
questions a check-in asked are the questions its answers are checked
against.
"""

from __future__ import annotations

from datetime import timedelta

from bot.scripts import Library, Stage
from bot.settings import parse_duration, parse_schedule


def stage_content(library: Library, script_id: str, schedule: str, stage: str) -> tuple[Stage, str]:
    """(the stage's content, the script's title) for `stage` of a debrief run with `schedule`.

    Raises KeyError when nothing is written at all.
    """
    script = library.scripts.get(script_id)
    title = script.title if script else "Debrief"
    wanted = parse_duration(stage)
    written: dict[timedelta, Stage] = {}
    for name, content in library.stages.items():
        written[parse_duration(name)] = content
    for name, content in (script.followups if script else {}).items():
        written[parse_duration(name)] = content  # the script's own stage wins
    if wanted in written:
        return written[wanted], title
    if not written:
        raise KeyError(stage)
    delays = parse_schedule(schedule)
    if wanted not in delays:
        raise KeyError(stage)
    ordered = [written[delay] for delay in sorted(written)]
    return ordered[min(delays.index(wanted), len(ordered) - 1)], title
