"""Answering from a test as an adapter does: open the form (the membership check and its token), then send it."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping

from bot.debriefs import Debriefs, Recorded


async def record(
    debriefs: Debriefs, debrief_id: uuid.UUID, stage: str, user: str, values: Mapping[str, object],
    shared: Iterable[str] = (),
) -> Recorded:
    form = await debriefs.open_form(debrief_id, stage, user)
    return await debriefs.record_answer(debrief_id, stage, user, values, shared, token=form.token)
