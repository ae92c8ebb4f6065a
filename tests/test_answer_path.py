"""A request to talk cannot be placed among the answers by its stored times.

It is made from the thank-you screen, moments after its author's answer. Its
rows (the request, its audit row, its escalation) are written in a
transaction of their own (`tests/test_pending.py` checks the answer's holds
nothing else), and every time they store is the start of the hour
(`bot.support.stored_time`, `escalation_due`): a request made a second after
one answer and one made a second before the next store the same times, so
no column says which answer it followed. The attack on the write order
itself is `tests/slack/test_slack_anonymity_attack.py` ("a request to talk
beside the nearest answer").
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from answering import record
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from adapters.logs import FORMAT, Formatter
from bot.clock import FakeClock
from bot.core import Core
from bot.failures import cause
from bot.models import AnswerReceipt, AuditEvent, SupportEscalation, SupportRequest

PEOPLE = [f"UNURSE{n:02d}" for n in range(4)]
HOUR = datetime(2026, 1, 5, 14, 0, tzinfo=UTC)


async def _stored_times(core: Core, user: str) -> list[Any]:
    """Every time-like value the person's request wrote, in a fixed order."""
    async with core.database.session() as session:
        request = (await session.execute(select(SupportRequest).where(SupportRequest.user == user))).scalars().one()
        audit = (await session.execute(select(AuditEvent.at).where(
            AuditEvent.actor == user, AuditEvent.action == "support.requested"))).scalars().one()
        due = (await session.execute(select(SupportEscalation.due_at).where(
            SupportEscalation.request_id == request.id))).scalars().one()
    return [request.created_at, request.closed_at, audit, due]


async def test_requests_made_between_different_answers_store_the_same_times(core: Core, clock: FakeClock) -> None:
    clock.set(HOUR)
    debrief = await core.debriefs.start(
        platform="slack", workspace="T1", team="C1", lead="ULEAD", script_id="stop5", participants=PEOPLE
    )
    # Answers at 14:00:05, 14:31:00 and 14:59:58; a request a second after each.
    for person, at in zip(PEOPLE, (timedelta(seconds=5), timedelta(minutes=31), timedelta(minutes=59, seconds=58)),
                          strict=False):
        clock.set(HOUR + at)
        await record(core.debriefs, debrief.id, "debrief", person, {"distress": 9})
        clock.advance(timedelta(seconds=1))
        await core.support.request(platform="slack", workspace="T1", user=person, debrief_id=debrief.id)
    times = [await _stored_times(core, person) for person in PEOPLE[:3]]
    assert times[0] == times[1] == times[2], times
    assert times[0][0] == HOUR and times[0][2] == HOUR  # the start of the hour, never the second asked


async def test_a_failed_statement_names_no_value_in_the_log(core: Core) -> None:
    """A second receipt (the unique constraint) as the answer path writes it: what is logged of it quotes no fingerprint.

    SQLAlchemy renders a failed statement without its values
    (`hide_parameters`, `bot.db.make_engine`), and the one line the operator
    gets (`bot.failures.cause`) leaves out the driver's message, which on
    PostgreSQL quotes the duplicate key (`DETAIL: Key (..)=(.., digest)`);
    so does a traceback as `serve` logs it (`adapters.logs.Formatter`).
    """
    debrief = await core.debriefs.start(
        platform="slack", workspace="T1", team="C1", lead="ULEAD", script_id="stop5", participants=PEOPLE
    )
    digest = "f1ngerpr1nt" * 4
    row = {"debrief_id": debrief.id, "stage": "debrief", "digest": digest}
    table = AnswerReceipt.__table__  # type: ignore[attr-defined]  # SQLModel does not declare the __table__ SQLAlchemy maps
    await core.database.write(lambda connection: connection.execute(insert(table), {"id": uuid.uuid4(), **row}))
    for write in (core.database.write, _through_the_engine(core)):
        with pytest.raises(IntegrityError) as raised:
            await write(lambda connection: connection.execute(insert(table), {"id": uuid.uuid4(), **row}))
        record = logging.LogRecord("debrief.followups", logging.ERROR, __file__, 1, "unexpected error", (),
                                   (type(raised.value), raised.value, raised.tb))
        logged = Formatter(FORMAT).format(record)  # as `serve` writes a traceback, at ERROR or at DEBUG
        for told in (str(raised.value), cause(raised.value), logged):
            assert digest not in told and debrief.id.hex not in told and str(debrief.id) not in told, told
        assert "hidden" in str(raised.value) and "Traceback" in logged and "IntegrityError" in logged


def _through_the_engine(core: Core):  # type: ignore[no-untyped-def]
    """The ordinary engine (sessions; every write on PostgreSQL), not SQLite's writer."""
    async def write(work):  # type: ignore[no-untyped-def]
        async with core.database.engine.begin() as connection:
            return await connection.run_sync(work)
    return write
