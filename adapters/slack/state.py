"""Reading a submitted modal's `state.values` back into plain Python values.

Slack's shape is values[block_id][action_id] = {type, value | selected_option
| selected_options | selected_users | selected_user | selected_date}. Every
input block here has one element whose action id is `ids.VALUE`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from adapters.slack.ids import SHARED, VALUE, ActionPointBlock, SetupBlock, SkipBlock, Where, question_of
from adapters.slack.render.forms import DEFAULT_SCRIPT, SetupChoice


def _element(view: Mapping[str, Any], block_id: str) -> Mapping[str, Any]:
    values = ((view.get("state") or {}).get("values")) or {}
    block = values.get(block_id) or {}
    element = block.get(VALUE)
    if element is None and block:
        element = next(iter(block.values()))
    return element or {}


def value(view: Mapping[str, Any], block_id: str) -> object:
    """The one value of an input block, whatever its element: None when left empty."""
    element = _element(view, block_id)
    for key in ("value", "selected_date", "selected_user"):
        if element.get(key) not in (None, ""):
            return element[key]
    if element.get("selected_option"):
        return element["selected_option"].get("value")
    if "selected_users" in element:
        return list(element.get("selected_users") or [])
    if "selected_options" in element:
        return [option.get("value") for option in element.get("selected_options") or []]
    return None


def text(view: Mapping[str, Any], block_id: str) -> str | None:
    found = value(view, block_id)
    return found if isinstance(found, str) else None


def read_setup(view: Mapping[str, Any]) -> SetupChoice:
    participants = value(view, SetupBlock.PARTICIPANTS)
    audience = value(view, SetupBlock.AUDIENCE)
    where = text(view, SetupBlock.WHERE)
    return SetupChoice(
        script_id=text(view, SetupBlock.SCRIPT) or DEFAULT_SCRIPT,
        participants=[str(user) for user in participants] if isinstance(participants, list) else [],
        label=(text(view, SetupBlock.LABEL) or "").strip() or None,
        since_event=text(view, SetupBlock.SINCE_EVENT),
        audience=[str(tag) for tag in audience] if isinstance(audience, list) else [],
        where=Where.THIS_CHANNEL if where == Where.THIS_CHANNEL else Where.NEW_CHANNEL,
    )


def read_answers(view: Mapping[str, Any]) -> tuple[dict[str, object], set[str]]:
    """Answers by question id, and the text questions whose author ticked "share with the team".

    The block ids name the questions (`q.<id>`, `share.<id>`), so the form
    reads back without looking the debrief up first; the core checks the
    answers against the script's questions.
    """
    values: dict[str, object] = {}
    shared: set[str] = set()
    for block_id in ((view.get("state") or {}).get("values")) or {}:
        parsed = question_of(block_id)
        if parsed is None:
            continue
        kind, question = parsed
        found = value(view, block_id)
        if kind == "q" and found not in (None, "", []):
            values[question] = found
        elif kind == "share" and isinstance(found, list) and SHARED in found:
            shared.add(question)
    return values, shared


def read_action_point(view: Mapping[str, Any]) -> tuple[str, str, date | None]:
    due = text(view, ActionPointBlock.DUE_ON)
    try:
        due_on = date.fromisoformat(due) if due else None
    except ValueError:
        due_on = None
    owner = value(view, ActionPointBlock.OWNER)
    return text(view, ActionPointBlock.TEXT) or "", owner if isinstance(owner, str) else "", due_on


def read_skip(view: Mapping[str, Any]) -> tuple[str, str | None]:
    return text(view, SkipBlock.REASON) or "", text(view, SkipBlock.DETAIL)
