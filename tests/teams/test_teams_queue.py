"""`requests` on Teams: the wellbeing team's queue, taken on and closed with real signed activities.

Officers (configured and added) and peer supporters see who asked, by name;
anyone else gets the summary's kind refusal. "I'll take it" and "Done"
redraw the card the button was on; a late tap gets a kind line; every step
is audited.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from teams_harness import Chat, TeamsApp, action, card_text

from bot.models import AuditEvent, SupportRequest, SupportStatus

TEAM = "19:ward7general@thread.tacv2"
CHANNEL = Chat(f"{TEAM};messageid=1700000000001", "channel", team=TEAM)
OFFICER_AAD = "00000000-0000-4000-8000-0000000000ff"
PEER = "29:peer"


def personal(key: str) -> Chat:
    return Chat(f"a:personal-{key}", "personal")


@pytest.fixture
def teams_overrides() -> dict[str, Any]:
    return {"debrief_wellbeing_officers": OFFICER_AAD, "debrief_peer_supporters": PEER}


async def ask(app: TeamsApp, person, when: str | None = None) -> None:  # type: ignore[no-untyped-def]
    await app.teams.say(person, "help", personal(person.id.removeprefix("29:")))  # the bot learns their name
    await app.core.support.request(platform="teams", workspace=_tenant(app), user=person.id, preferred_time=when)


def _tenant(app: TeamsApp) -> str:
    return str(CHANNEL.conversation()["tenantId"])


def queue_card(app: TeamsApp, chat: Chat) -> tuple[str, dict[str, Any]]:
    posted = app.connector.sent_to(chat.id)[-1]
    return posted.activity_id, posted.card


async def tap(app: TeamsApp, person, chat: Chat, shown: tuple[str, dict[str, Any]], button: str, about: str):  # type: ignore[no-untyped-def]
    """Tap `button` on the request of `about` (a display name), as Teams sends it: a message replying to the card."""
    activity_id, card = shown
    request = next(item for item in card["body"] if item["type"] == "Container" and about in card_text(item))
    data = action(request, button)["data"]
    await app.teams.post(app.teams.activity("message", person, chat, value=data, text=None, replyToId=activity_id))
    return activity_id, app.connector.current(chat.id, activity_id)["attachments"][0]["content"]


def shown(card: dict[str, Any]) -> str:
    """The card's text, with each label and its value on one line."""
    return card_text(card).replace(": \n", ": ")


async def steps(app: TeamsApp) -> list[tuple[str, str]]:
    async with app.core.database.session() as session:
        rows = await session.execute(select(AuditEvent.actor, AuditEvent.action))
        return [(actor, what) for actor, what in rows if what.startswith("support.")]


async def test_queue_for_the_wellbeing_team_only_taken_on_and_closed_in_place(teams_app: TeamsApp) -> None:
    app, connector = teams_app, teams_app.connector
    nurse, midwife = app.person("nurse", "Bo Nurse", [CHANNEL]), app.person("midwife", "Cy Midwife", [CHANNEL])
    officer = app.person("officer", "Olive Officer", [CHANNEL])
    connector.members[officer.id].aad_object_id = OFFICER_AAD
    officer = type(officer)(officer.id, officer.name, OFFICER_AAD)
    peer = app.person("peer", "Pat Peer", [CHANNEL])
    for who in ("nurse", "midwife", "officer", "peer"):
        connector.add_conversation(personal(who).id, [f"29:{who}"], kind="personal")
    for person in (officer, peer):
        await app.teams.say(person, "help", personal(person.id.removeprefix("29:")))
    await ask(app, nurse, "after 5pm")
    await ask(app, midwife)

    await app.teams.say(nurse, "requests", personal("nurse"))
    assert "for the wellbeing team" in connector.sent_to(personal("nurse").id)[-1].text

    await app.teams.say(officer, "<at>Debrief</at> requests", CHANNEL)  # in a channel: sent privately
    assert connector.sent_to(CHANNEL.id)[-1].text == "I've sent the support requests to you in our private chat."
    olive = queue_card(app, personal("officer"))
    listed = shown(olive[1])
    assert "Bo Nurse" in listed and "Cy Midwife" in listed and "after 5pm" in listed and "Nobody has taken" in listed

    await app.teams.say(peer, "requests", personal("peer"))
    pat = queue_card(app, personal("peer"))
    _, taken = await tap(app, peer, personal("peer"), pat, "I'll take it", "Bo Nurse")
    assert "Taken on by: Pat Peer" in shown(taken)

    _, late = await tap(app, officer, personal("officer"), olive, "I'll take it", "Bo Nurse")
    assert "already taken this request on" in shown(late) and "Taken on by: Pat Peer" in shown(late)
    _, closed = await tap(app, officer, personal("officer"), (olive[0], late), "Done", "Bo Nurse")
    assert "Bo Nurse" not in card_text(closed) and "Cy Midwife" in card_text(closed)
    _, again = await tap(app, peer, personal("peer"), (pat[0], taken), "Done", "Bo Nurse")
    assert "already marked done" in card_text(again)

    async with app.core.database.session() as session:
        stored = {r.user: r for r in (await session.execute(select(SupportRequest))).scalars()}
    assert (stored[nurse.id].status, stored[nurse.id].claimed_by) == (SupportStatus.CLOSED, peer.id)
    audited = await steps(app)
    assert audited.count((peer.id, "support.claimed")) == 1 and audited.count((officer.id, "support.closed")) == 1
    assert (nurse.id, "support.listed") not in audited and (officer.id, "support.listed") in audited


async def test_an_added_officer_can_see_and_take_requests(teams_app: TeamsApp) -> None:
    app, connector = teams_app, teams_app.connector
    nurse = app.person("nurse", "Bo Nurse", [CHANNEL])
    added = app.person("added", "Ada Added", [CHANNEL])
    for who in ("nurse", "added"):
        connector.add_conversation(personal(who).id, [f"29:{who}"], kind="personal")
    await app.teams.say(added, "requests", personal("added"))  # not yet an officer
    assert "for the wellbeing team" in connector.sent_to(personal("added").id)[-1].text
    await app.core.officers.add([OFFICER_AAD], "officer", added.id)
    await ask(app, nurse)
    notices = [p for p in connector.sent_to(personal("added").id) if p.cards and "Someone asked to talk" in card_text(p.card)]
    assert notices  # an added officer is told of new requests too
    await app.teams.say(added, "requests", personal("added"))
    _, taken = await tap(app, added, personal("added"), queue_card(app, personal("added")), "I'll take it", "Bo Nurse")
    assert "Taken on by: Ada Added" in shown(taken)
