"""The wellbeing team's queue of support requests (the `requests` command), as a card in a personal chat.

The one identified path (DESIGN.md): each request shows who asked, because
they chose to share it with the wellbeing team. "I'll take it" while nobody
has, "Done" to take it off the list; the card is redrawn after each tap, with
a kind line on top when the tap came too late.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from adapters.teams.cards.common import Element, action_set, card, container, submit, text, user_text
from adapters.teams.ids import Verb
from bot.models import SupportStatus
from bot.support import PREFERRED_TIME_LENGTH, Queued
from bot.wording import day, plural

QUEUE_KEY = "queue"
"""The `k` of a queue card's "I'll take it": its answer is the redrawn queue, not a notice."""
SHOWN = 20
EMPTY = "Nobody is waiting to talk to someone right now. \U0001f499"
UNKNOWN = "A colleague (their name isn't known to me yet)"


def queue_fallback(queued: Sequence[Queued]) -> str:
    return f"Support requests: {len(queued)} waiting" if queued else "No support requests waiting"


def queue_card(queued: Sequence[Queued], names: Mapping[str, str], note: str | None = None) -> dict[str, Any]:
    """Open and taken-on requests, oldest first; `names` are display names by Teams id."""
    body: list[Element] = []
    if note:
        body.append(text(f"\u2139\ufe0f {note}", subtle=True))
    if not queued:
        return card([*body, text(EMPTY)], fallback=queue_fallback(queued))
    body.append(text(f"**Support requests** ({plural(len(queued), 'request')} open or taken on)", size="Medium"))
    for item in queued[:SHOWN]:
        body.append(_request(item, names))
    if len(queued) > SHOWN:
        body.append(text(f"…and {len(queued) - SHOWN} more, older ones first: close some to see them.", subtle=True))
    body.append(text("They chose to share their name with the wellbeing team; nothing they answered is attached.",
                     subtle=True, size="Small"))
    return card(body, fallback=queue_fallback(queued))


def _request(item: Queued, names: Mapping[str, str]) -> Element:
    request = item.request
    items: list[Element] = [
        user_text(names.get(request.user) or UNKNOWN, limit=200, prefix="Who: "),
        text(f"Asked on {day(request.created_at.date())}", subtle=True),
    ]
    if request.preferred_time:
        items.append(user_text(request.preferred_time, limit=PREFERRED_TIME_LENGTH, prefix="When suits them: "))
    if item.label:
        items.append(user_text(item.label, limit=150, prefix="After the debrief: ", subtle=True))
    taken = request.claimed_by if request.status == SupportStatus.CLAIMED else None
    if taken:
        items.append(user_text(names.get(taken) or "someone on the wellbeing team", limit=200,
                               prefix="Taken on by: "))
    else:
        items.append(text("_Nobody has taken this on yet._"))
    buttons = [] if taken else [submit("I'll take it", Verb.CLAIM, style="positive", r=request.id, k=QUEUE_KEY)]
    buttons.append(submit("Done", Verb.CLOSE_REQUEST, r=request.id))
    return container([*items, action_set(buttons)], style="emphasis", separator=True)
