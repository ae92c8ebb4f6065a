"""Fixtures for the Teams tests: the fake Bot Connector and the real server wired to it.

- `connector`: a started `FakeConnector` (tests/fake_connector.py) that checks
  every card against Adaptive Cards 1.5; stopped after the test.
- `teams_overrides`: extra Settings fields (override in a module).
- `teams_clock`: the core's clock; None (the system clock) unless overridden.
- `teams_app`: the running server in Teams mode (`teams_harness.TeamsApp`): an app
  id set, every activity signed, forms in dialogs. After the test it fails the
  test if the fake recorded any violation (an invalid card, a mention).
- `local_app`: the same in local mode (MICROSOFT_APP_ID blank, as for the Agents
  Playground): no tokens, forms as cards.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from adaptive_cards import validate
from fake_connector import FakeConnector
from teams_harness import TeamsApp, make_settings, running_app, signed_settings

from bot.clock import Clock


@pytest.fixture
async def connector() -> AsyncIterator[FakeConnector]:
    async with FakeConnector(card_validator=validate) as fake:
        yield fake


@pytest.fixture
def teams_overrides() -> dict[str, Any]:
    return {}


@pytest.fixture
def teams_clock() -> Clock | None:
    return None


@pytest.fixture
async def teams_app(
    connector: FakeConnector, database_url: str, teams_overrides: dict[str, Any], teams_clock: Clock | None
) -> AsyncIterator[TeamsApp]:
    settings = signed_settings(database_url, **teams_overrides)
    async with running_app(settings, connector, clock=teams_clock) as running:
        yield running
        await running.drain()
    assert connector.violations == [], "the bot sent Teams something it would refuse, or a mention"


@pytest.fixture
async def local_app(
    connector: FakeConnector, database_url: str, teams_overrides: dict[str, Any], teams_clock: Clock | None
) -> AsyncIterator[TeamsApp]:
    settings = make_settings(database_url, **teams_overrides)
    async with running_app(settings, connector, clock=teams_clock) as running:
        yield running
        await running.drain()
    assert connector.violations == [], "the bot sent Teams something it would refuse, or a mention"
