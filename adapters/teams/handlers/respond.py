"""The answers a dialog invoke can give, as Teams expects them (plain dicts, serialized once)."""

from __future__ import annotations

from typing import Any

from botbuilder.core import InvokeResponse

from adapters.teams.cards.common import as_dict
from adapters.teams.cards.forms import notice_dialog

SIZES = {"small": ("small", "small"), "medium": ("medium", "medium"), "large": ("large", "medium")}


def show(card: dict[str, Any], title: str, size: str = "medium") -> InvokeResponse:
    """Open (or keep open) the dialog with this card."""
    height, width = SIZES[size]
    value = {"title": title[:64], "height": height, "width": width, "card": as_dict(card)}
    return InvokeResponse(status=200, body={"task": {"type": "continue", "value": value}})


def notice(title: str, *paragraphs: str) -> InvokeResponse:
    """A dialog that only says something (a kind refusal, a thank you), with a Done button."""
    return show(notice_dialog(*paragraphs), title, "small")


def close() -> InvokeResponse:
    """Close the dialog: Teams closes it on a 200 with no task in the body."""
    return InvokeResponse(status=200, body=None)
