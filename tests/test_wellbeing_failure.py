"""The report's queries run at once; when one fails the caller sees that error, and nothing is left running."""

from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import DBAPIError

from bot.db import Database
from bot.wellbeing import Wellbeing


async def test_a_failed_query_raises_its_own_error_and_leaves_no_connection_behind(database_url):
    database = Database(database_url)  # not migrated: every table is missing
    try:
        with pytest.raises(DBAPIError):  # not an ExceptionGroup: the operator's log line names the cause
            await Wellbeing(database, 5).report(datetime(2026, 11, 25, tzinfo=UTC))
        assert database.engine.pool.checkedout() == 0
    finally:
        await database.dispose()
