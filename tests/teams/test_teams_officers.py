"""`officers` on Teams: an officer adds and removes another by @mention or e-mail, privately and audited.

Anyone else is told the word is unknown, as in Slack, and nothing changes.
The one added can then see the summary; a configured officer cannot be
removed from Teams; a display name is shown literally, never as markdown.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from teams_harness import BOT_ID, BOT_NAME, Chat, TeamsApp, card_text
from test_teams_queue import CHANNEL, OFFICER_AAD, personal

from bot.models import AuditEvent


@pytest.fixture
def teams_overrides() -> dict[str, Any]:
    return {"debrief_wellbeing_officers": OFFICER_AAD}


async def say_about(app: TeamsApp, person, chat: Chat, words: str, about=None) -> None:  # type: ignore[no-untyped-def]
    """`@Debrief <words> @about` as Teams sends it: both mentions as entities, their tags in the text."""
    text = f"<at>{BOT_NAME}</at> {words}" + (f" <at>{about.name}</at>" if about else "")
    activity = app.teams.activity("message", person, chat, text=text, textFormat="plain")
    activity["entities"] = [*activity["entities"], {"type": "mention", "text": f"<at>{BOT_NAME}</at>",
                                                     "mentioned": {"id": BOT_ID, "name": BOT_NAME}}]
    if about:
        activity["entities"].append({"type": "mention", "text": f"<at>{about.name}</at>",
                                     "mentioned": {"id": about.id, "name": about.name}})
    await app.teams.post(activity)


def answer(app: TeamsApp, who: str) -> str:
    return card_text(app.connector.sent_to(personal(who).id)[-1].card)


async def officer_actions(app: TeamsApp) -> list[tuple[str, str, str]]:
    async with app.core.database.session() as session:
        rows = await session.execute(select(AuditEvent.actor, AuditEvent.action, AuditEvent.detail))
        return [(actor, what, detail) for actor, what, detail in rows if what.startswith("officer.")]


async def test_an_officer_adds_and_removes_another_privately_and_audited(teams_app: TeamsApp) -> None:
    app, connector = teams_app, teams_app.connector
    officer = app.person("officer", "Olive Officer", [CHANNEL])
    connector.members[officer.id].aad_object_id = OFFICER_AAD
    officer = type(officer)(officer.id, officer.name, OFFICER_AAD)
    nurse = app.person("nurse", "Bo [Nurse](https://example.org)", [CHANNEL])
    for who in ("officer", "nurse"):
        connector.add_conversation(personal(who).id, [f"29:{who}"], kind="personal")
    await app.teams.say(officer, "help", personal("officer"))  # the bot knows their chat

    await say_about(app, officer, CHANNEL, "officers add", nurse)  # in a channel: the answer goes to their own chat
    assert connector.sent_to(CHANNEL.id)[-1].text == "I've sent the answer to you in our private chat."
    assert "Bo [Nurse](https://example.org) is now a wellbeing officer." in answer(app, "officer")
    assert await app.core.officers.added() == [nurse.id]

    await app.teams.say(nurse, "summary", personal("nurse"))  # now an officer: the summary, not the refusal
    assert "Last 30 days" in card_text(connector.sent_to(personal("nurse").id)[-1].card)

    await app.teams.say(officer, "officers", personal("officer"))
    listed = answer(app, "officer")
    assert OFFICER_AAD in listed and "Bo [Nurse](https://example.org)" in listed

    await say_about(app, officer, personal("officer"), "officers add", nurse)
    assert "is already a wellbeing officer" in answer(app, "officer")
    await say_about(app, officer, personal("officer"), "officers add Sam.Locum@Example.org")
    assert "sam.locum@example.org is now a wellbeing officer." in answer(app, "officer")
    await say_about(app, nurse, personal("nurse"), "officers remove Sam.Locum@Example.org")  # an added one may too
    await say_about(app, officer, personal("officer"), "officers remove nobody@example.org")
    assert "was not an added officer" in answer(app, "officer")
    await say_about(app, officer, personal("officer"), "officers remove", nurse)
    assert "is no longer a wellbeing officer" in answer(app, "officer")
    assert await app.core.officers.added() == []
    assert await officer_actions(app) == [
        (officer.id, "officer.added", nurse.id), (officer.id, "officer.added", "sam.locum@example.org"),
        (nurse.id, "officer.removed", "sam.locum@example.org"), (officer.id, "officer.removed", nurse.id),
    ]


async def test_anyone_else_is_told_the_word_is_unknown_and_nothing_changes(teams_app: TeamsApp) -> None:
    app, connector = teams_app, teams_app.connector
    nurse = app.person("nurse", "Bo Nurse", [CHANNEL])
    porter = app.person("porter", "Di Porter", [CHANNEL])
    connector.add_conversation(personal("nurse").id, [nurse.id], kind="personal")
    await say_about(app, nurse, personal("nurse"), "officers add", porter)
    assert "I didn't recognise that" in connector.sent_to(personal("nurse").id)[-2].text
    await app.teams.say(nurse, "officers", personal("nurse"))
    assert "I didn't recognise that" in connector.sent_to(personal("nurse").id)[-2].text
    assert await app.core.officers.added() == [] and await officer_actions(app) == []
