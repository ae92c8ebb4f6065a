"""The database connection after a PostgreSQL restart: one request fails kindly, the next works."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from bot.core import Core
from bot.db import Database
from bot.settings import Settings


async def test_connections_killed_under_the_bot_cost_at_most_one_request(db):
    if db.is_sqlite:
        pytest.skip("PostgreSQL only: a SQLite file has no server to restart")
    core = Core.build(Settings.load(database_url=db.url, debrief_secret="s"), database=db)
    debrief = await core.debriefs.start(
        platform="slack", workspace="T", team="C", lead="UL", script_id="stop5", participants=["U1"]
    )
    # As a server restart would: the connection the bot holds is ended from the server side.
    async with db.session() as session:  # the connection the bot's pool holds now
        pid = (await session.execute(text("SELECT pg_backend_pid()"))).scalar_one()
    admin = Database(db.url)
    try:
        async with admin.engine.connect() as connection:
            ended = await connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            assert ended.scalar_one()
    finally:
        await admin.dispose()
    failures = 0
    for _ in range(3):
        try:
            assert (await core.debriefs.get(debrief.id)).id == debrief.id
        except DBAPIError:
            failures += 1
    assert failures <= 1
    assert (await core.debriefs.get(debrief.id)).id == debrief.id
