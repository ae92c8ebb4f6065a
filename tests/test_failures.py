"""The one-line cause of a failure never carries a statement's parameters or what someone typed.

Each attack makes a real failure whose own text does hold the secret (so
the test would catch a cause that printed it), on the database the suite
runs on.
"""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import bindparam, select, text
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.types import String, TypeDecorator

from adapters.slack.errors import cause as slack_cause
from adapters.teams.errors import cause as teams_cause
from bot import failures
from bot.port import TransientSendError

SECRET = "Mrs Patel in bed 4"


class Refuses(TypeDecorator[str]):
    """A column type whose bind step fails quoting the value, as many do (`int('...')`)."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: object) -> str | None:
        raise ValueError(f"cannot store {value!r}")


async def _failure(db, statement, **values) -> BaseException:
    with pytest.raises(Exception) as caught:  # any failure will do: its text is the point
        async with db.session() as session:
            await session.execute(statement, values)
    return caught.value


@pytest.mark.parametrize("cause", [failures.cause, slack_cause, teams_cause])
async def test_a_value_that_fails_to_bind_is_not_in_the_cause(db, cause) -> None:
    error = await _failure(db, select(bindparam("value", type_=Refuses())), value=SECRET)
    assert isinstance(error, StatementError) and SECRET in str(error)
    assert SECRET not in cause(error)
    assert "StatementError" in cause(error)


@pytest.mark.parametrize("cause", [failures.cause, slack_cause, teams_cause])
async def test_a_database_error_keeps_its_parameters_out(db, cause) -> None:
    """SQLAlchemy is told to hide the parameters (`bot.db.make_engine`); PostgreSQL's driver still quotes a bad one."""
    sqlite = db.url.startswith("sqlite")
    statement = text("SELECT json_extract(:value, '$')") if sqlite else text("SELECT CAST(:value AS uuid)")
    error = await _failure(db, statement, value=SECRET)
    assert isinstance(error, DBAPIError) and "parameters hidden" in str(error)
    if not sqlite:
        assert SECRET in str(error.orig)
    assert SECRET not in cause(error)
    assert type(error).__name__ in cause(error)


def test_what_someone_typed_in_an_error_message_stays_out() -> None:
    try:
        int(SECRET)
    except ValueError as error:
        for cause in (failures.cause, slack_cause, teams_cause):
            assert SECRET not in cause(error) and cause(error).startswith("ValueError at ")


def test_the_causes_written_for_logs_are_kept() -> None:
    assert failures.cause(TransientSendError("Bot Connector answered 503")) == \
        "TransientSendError: Bot Connector answered 503"


def test_outages_are_the_database_or_the_network() -> None:
    assert failures.is_outage(ConnectionRefusedError()) and failures.is_outage(TimeoutError())
    assert failures.is_outage(DBAPIError("SELECT 1", {}, OSError("gone")))
    assert not failures.is_outage(ValueError(str(uuid.uuid4())))


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("5", 5.0), ("1.5", 1.5), ("-3", 0.0), ("soon", None), (None, None), ("inf", None), ("nan", None), ("", None)],
)
def test_retry_after(header, seconds) -> None:
    assert failures.retry_after(header) == seconds
