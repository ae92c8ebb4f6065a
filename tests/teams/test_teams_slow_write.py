"""Teams: an answer whose write outlasts the dialog's wait is never a silent loss.

The dialog says it is still saving (instead of running into Teams' time
limit on the invoke), and the outcome arrives in the person's own chat:
saved, or plainly that nothing was saved. The wait is shortened here so
that the test does not sit through the production value.
"""

from __future__ import annotations

from typing import Any

import pytest
from db_lock import held
from teams_harness import Chat, TeamsApp, card_text
from test_teams_flow import CHANNEL, start_debrief

from adapters.teams.handlers import answers
from bot.models import AnswerReceipt

PERSONAL = Chat("a:personal-slow-writer", "personal")


@pytest.fixture
def teams_overrides() -> dict[str, Any]:
    return {"debrief_min_group": 3}


@pytest.fixture(autouse=True)
def short_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(answers, "ANSWER_WAIT_SECONDS", 0.5)


async def _receipts(app: TeamsApp) -> int:
    from sqlalchemy import func, select

    async with app.core.database.session() as session:
        return int((await session.execute(select(func.count()).select_from(AnswerReceipt))).scalar_one())


async def _form(app: TeamsApp):  # type: ignore[no-untyped-def]
    lead = app.person("lead", "Alex Lead", [CHANNEL])
    staff = [app.person(f"s{i}", f"Staff {i}", [CHANNEL, PERSONAL] if i == 0 else [CHANNEL]) for i in range(3)]
    app.connector.reachable |= {person.id for person in [lead, *staff]}
    await app.teams.say(staff[0], "help", PERSONAL)  # they have their chat with the bot, as people who installed it do
    script = await start_debrief(app, lead, staff)
    form = (await app.teams.open_dialog(staff[0], CHANNEL, script, "Answer anonymously")).card
    return staff[0], form


async def test_a_slow_write_says_still_saving_then_confirms_in_the_persons_chat(teams_app: TeamsApp) -> None:
    person, form = await _form(teams_app)
    async with held(teams_app.core.database.url):
        reply = await teams_app.teams.submit_dialog(person, CHANNEL, form, {"q.distress": "3"})
        assert "Still saving" in card_text(reply.card)
        assert await _receipts(teams_app) == 0
    await teams_app.drain()
    said = card_text(teams_app.connector.sent_to(PERSONAL.id)[-1].card)
    assert "answers are saved" in said and "988" in said  # the same words whatever was answered
    assert await _receipts(teams_app) == 1


async def test_a_slow_write_that_fails_says_plainly_that_nothing_was_saved(teams_app: TeamsApp) -> None:
    person, form = await _form(teams_app)
    async with held(teams_app.core.database.url) as lock:
        reply = await teams_app.teams.submit_dialog(person, CHANNEL, form, {"q.distress": "3"})
        assert "Still saving" in card_text(reply.card)
        await lock.break_waiter()
        await teams_app.drain()  # with the lock still held: the write fails, the message goes out
    said = card_text(teams_app.connector.sent_to(PERSONAL.id)[-1].card)
    assert "Nothing was saved" in said and "Answer anonymously" in said
    assert await _receipts(teams_app) == 0
