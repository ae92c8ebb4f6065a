"""Support resources: crisis lines first, the organisation's own contacts after, placeholders said plainly."""

from __future__ import annotations

import re
from collections.abc import Sequence

from adapters.slack.render.common import Blocks, context, notice, packed
from adapters.slack.text import escape
from bot.scripts import Resource, ResourceSet
from bot.support import audience_label

_SAFE_URL = re.compile(r"^https://[^\s<>|]+$")


def resource_line(resource: Resource) -> str:
    name = escape(resource.name)
    if resource.url and _SAFE_URL.match(resource.url):
        name = f"<{resource.url}|{name}>"
    if resource.placeholder:
        return f"• *{name}*: not set up yet. Ask your wellbeing team how to reach it."
    line = f"• *{name}*: {escape(resource.contact)} ({escape(resource.hours)})"
    if resource.about:
        line += f"\n   {escape(resource.about)}"
    return line


def resource_lines(resources: Sequence[Resource]) -> list[str]:
    """Each resource's line, with whom it is for when its tags say (`In England, for doctors and dentists only`)."""
    lines = []
    for resource in resources:
        line = resource_line(resource)
        audience = audience_label(resource)
        if audience and not resource.placeholder:
            line += f"\n   _{escape(audience)}_"
        lines.append(line)
    return lines


def ordered(resource_set: ResourceSet) -> list[Resource]:
    """Crisis lines first, then the rest, placeholders last (the file's order within each)."""
    return sorted(resource_set.resources, key=lambda resource: (not resource.crisis, resource.placeholder))


def resource_blocks(resource_set: ResourceSet, *, max_blocks: int = 10) -> Blocks:
    resources = ordered(resource_set)
    crisis = [resource for resource in resources if resource.crisis]
    others = [resource for resource in resources if not resource.crisis]
    blocks: Blocks = []
    if crisis:
        blocks += packed(resource_lines(crisis), max_blocks=max(2, max_blocks // 2), title="Right now, any time")
    if others:
        blocks += packed(resource_lines(others), max_blocks=max(2, max_blocks - len(blocks) - 1), title="Other support")
    blocks.append(context("Using any of these is confidential. The bot does not know whether you call."))
    blocks.append(context(f"If you are in danger, call {escape(resource_set.emergency_number)} now."))
    return blocks


def resources_modal(resource_set: ResourceSet) -> dict:
    return notice(
        "Support",
        f"*{escape(resource_set.title)}*\nYou don't have to be in crisis to reach out.",
        extra=resource_blocks(resource_set, max_blocks=40),
    )
