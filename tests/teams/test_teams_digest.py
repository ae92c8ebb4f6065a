"""The weekly digest on Teams: a valid card in the officer's personal chat, sent by the server's own dispatcher."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from adaptive_cards import validate
from fake_connector import TENANT_ID
from teams_harness import Chat, TeamsApp, card_text

from adapters.teams.cards.digest import digest_card
from bot.clock import FakeClock
from bot.port import WeeklyDigest

OFFICER_AAD = "00000000-0000-4000-8000-0000000000ff"


def personal(key: str) -> Chat:
    return Chat(f"a:personal-{key}", "personal")


@pytest.fixture
def teams_overrides() -> dict[str, Any]:
    return {"debrief_wellbeing_officers": OFFICER_AAD, "debrief_digest": "mon 09:00", "debrief_followups": "30d",
            "debrief_min_group": 3}


@pytest.fixture
def teams_clock() -> FakeClock:
    return FakeClock()  # Monday 5 January 2026, 14:00 UTC: this week's slot has passed, with nothing to report


def test_the_card_is_valid_with_hidden_figures() -> None:
    digest = WeeklyDigest(
        digest_id=uuid.uuid4(), platform="teams", workspace="tenant", recipient=OFFICER_AAD,
        since=datetime(2026, 1, 5, 9, tzinfo=UTC), until=datetime(2026, 1, 12, 9, tzinfo=UTC), min_group=5,
        debriefs_held=6, debriefs_skipped=None, invited=30, answers=None,
        distress=(("0-3", 7), ("4-6", None), ("7-10", None)), support_open=2,
    )  # fmt: skip
    card = digest_card(digest)
    assert validate(card) == []
    shown = card_text(card)
    assert "Events with no debrief: –" in shown and "4-6: –" in shown and "**requests**" in shown


async def test_the_officer_gets_the_weeks_digest_in_their_personal_chat(teams_app: TeamsApp, teams_clock: FakeClock) -> None:
    app, connector = teams_app, teams_app.connector
    officer = app.person("officer", "Olive Officer", [])
    connector.members[officer.id].aad_object_id = OFFICER_AAD
    officer = type(officer)(officer.id, officer.name, OFFICER_AAD)
    connector.add_conversation(personal("officer").id, [officer.id], kind="personal")
    await app.teams.say(officer, "help", personal("officer"))  # the bot now knows the officer's chat
    for number in range(3):
        await app.core.debriefs.start(platform="teams", workspace=TENANT_ID, team="19:ward7", lead="29:lead",
                                      script_id="stop5", participants=["29:a", "29:b"], request_key=f"k{number}")
    for person in ("29:a", "29:b"):  # two people asked to talk, and nobody has taken them on
        await app.core.support.request(platform="teams", workspace=TENANT_ID, user=person)
    teams_clock.set(datetime(2026, 1, 12, 9, 0, tzinfo=UTC))

    def digests() -> list[Any]:
        return [p for p in connector.sent_to(personal("officer").id)
                if p.cards and "weekly debrief digest" in card_text(p.card)]

    [digest] = await connector.wait_for(digests)
    shown = card_text(digest.card)
    assert "Debriefs held: 3" in shown and "Answers at the debriefs: 0 of 9 people invited" in shown
    assert "Requests to talk waiting: 2" in shown  # the true count: these people gave their names
    assert "29:lead" not in str(digest.activity) and "19:ward7" not in str(digest.activity)
