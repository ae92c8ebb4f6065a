"""Fixtures for Slack tests: the fake Web API and the real server wired to it.

- `fake_slack`: a started `FakeSlack` (tests/fake_slack.py), stopped after the test.
- `slack_overrides`: extra Settings fields for `slack_app` (override this fixture
  in a module, e.g. to set `debrief_followups="2s,4s"`).
- `slack_clock`: the clock given to the core; None (the system clock) unless a
  module overrides it with a `bot.clock.FakeClock`.
- `slack_settings`: the Settings the server runs with (see `harness.make_settings`).
- `slack_app`: the running server (`harness.SlackApp`: `.slack` signs and sends
  Slack's requests, `.fake`, `.core`, `.url`, `.get(path)`). After the test it
  fails the test if the fake recorded any violation (bad Block Kit, a mention).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from fake_slack import FakeSlack
from harness import SlackApp, make_settings, running_app

from bot.clock import Clock
from bot.settings import Settings


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        yield fake


@pytest.fixture
def slack_overrides() -> dict[str, Any]:
    return {}


@pytest.fixture
def slack_clock() -> Clock | None:
    return None


@pytest.fixture
def slack_settings(fake_slack: FakeSlack, database_url: str, slack_overrides: dict[str, Any]) -> Settings:
    return make_settings(fake_slack, database_url, **slack_overrides)


@pytest.fixture
async def slack_app(
    slack_settings: Settings, fake_slack: FakeSlack, slack_clock: Clock | None
) -> AsyncIterator[SlackApp]:
    async with running_app(slack_settings, fake_slack, clock=slack_clock) as running:
        yield running
    assert fake_slack.violations == [], "the bot sent Slack something it would refuse or that pings people"
