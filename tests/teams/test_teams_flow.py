"""The whole debrief on Teams, through the real server and a fake Bot Connector.

A lead @mentions the bot in a team channel, sets the debrief up in a dialog
(people from the channel's roster), the team answers anonymously in
dialogs, the counter moves in batches, an action point and the team's
results are posted, the debrief closes. Along the way: the refusals people
meet (identifiers in a label or an answer, a second answer, someone not
invited, someone who isn't the lead) and the promise that no answer ever
appears in the shared conversation unless its author chose to share it.
"""

from __future__ import annotations

from typing import Any

import pytest
from fake_connector import FakeConnector
from teams_harness import Chat, TeamsApp, action, card_text, inputs_of

from bot.models import Answer, Debrief, DebriefStatus

TEAM = "19:ward7general@thread.tacv2"
CHANNEL = Chat(f"{TEAM};messageid=1700000000001", "channel", team=TEAM)
SECRET_NOTE = "I keep replaying the moment the monitor alarmed"
SHARED_NOTE = "Good teamwork on compressions, <at>Everyone</at> [click](https://evil.example)"


@pytest.fixture
def teams_overrides() -> dict[str, Any]:
    return {"debrief_min_group": 3}


def posted_cards(connector: FakeConnector, conversation: str) -> list[dict[str, Any]]:
    return [posted.card for posted in connector.sent_to(conversation) if posted.cards]


def everything_posted(connector: FakeConnector) -> str:
    return "\n".join(str(posted.activity) for posted in connector.posted)


async def start_debrief(app: TeamsApp, lead, people, label: str | None = "Resus 2, Tuesday night"):  # type: ignore[no-untyped-def]
    teams, connector = app.teams, app.connector
    reply = await teams.say(lead, "<at>Debrief</at> debrief", CHANNEL)
    assert reply.status in (200, 201), reply
    start = posted_cards(connector, CHANNEL.id)[-1]
    assert "Start a debrief" in card_text(start)
    dialog = (await teams.open_dialog(lead, CHANNEL, start, "Set up the debrief")).card
    answers: dict[str, Any] = {"setup.participants": [person.id for person in people]}
    if label:
        answers["setup.label"] = label
    done = await teams.submit_dialog(lead, CHANNEL, dialog, answers)
    assert "Done" in card_text(done.card), done
    script = posted_cards(connector, CHANNEL.id)[-1]
    return script


async def test_the_whole_debrief_in_a_channel(teams_app: TeamsApp) -> None:
    app, teams, connector, core = teams_app, teams_app.teams, teams_app.connector, teams_app.core
    lead = app.person("lead", "Alex Lead", [CHANNEL])
    staff = [app.person(f"s{i}", name, [CHANNEL]) for i, name in enumerate(["Bo Nurse", "Cy Doctor", "Di Porter", "Ed Medic"])]
    bystander = app.person("by", "Fay Bystander", [CHANNEL])

    # The set-up dialog lists the channel's people (not the bot, not the lead) and refuses a patient identifier.
    await teams.say(lead, "<at>Debrief</at> debrief", CHANNEL)
    start = posted_cards(connector, CHANNEL.id)[-1]
    dialog = (await teams.open_dialog(lead, CHANNEL, start, "Set up the debrief")).card
    people = inputs_of(dialog)["setup.participants"]
    assert {choice["value"] for choice in people["choices"]} == {p.id for p in [*staff, bystander]}
    refused = await teams.submit_dialog(lead, CHANNEL, dialog, {
        "setup.participants": [p.id for p in staff], "setup.label": "Mr Smith NHS 943 476 5919"})
    assert "NHS number" in card_text(refused.card)
    assert inputs_of(refused.card)["setup.label"]["value"] == "Mr Smith NHS 943 476 5919"
    async with core.database.session() as session:
        assert (await session.execute(Debrief.__table__.select())).first() is None

    # Started: the script card is posted in the channel thread, with the label shown literally.
    done = await teams.submit_dialog(lead, CHANNEL, refused.card, {
        "setup.participants": [p.id for p in staff], "setup.label": "Resus 2, Tuesday night",
        "setup.since_event": "under_1h"})
    assert "Done" in card_text(done.card)
    script_post = connector.sent_to(CHANNEL.id)[-1]
    script = script_post.card
    text = card_text(script)
    assert "Resus 2, Tuesday night" in text and "Fewer than 3 anonymous answers so far" in text
    assert "private channel needs Microsoft Graph" in text
    assert [a["title"] for a in script["actions"]] == [
        "Answer anonymously", "Add an action point", "Support resources", "Close the debrief"]
    debrief = (await core.debriefs.find_by_request(action(refused.card, "Start")["data"]["k"]))
    assert debrief is not None and debrief.space == CHANNEL.id and debrief.script_message == script_post.activity_id
    assert debrief.since_event == "under_1h"
    assert sorted(p.user for p in await core.debriefs.participants(debrief.id)) == sorted([lead.id, *(p.id for p in staff)])

    # A double tap of Start gets the same debrief, and posts nothing twice.
    again = await teams.submit_dialog(lead, CHANNEL, refused.card, {
        "setup.participants": [p.id for p in staff], "setup.label": "Resus 2, Tuesday night"})
    assert "Done" in card_text(again.card)
    assert len([p for p in connector.sent_to(CHANNEL.id) if "Why:" in card_text(p.card)]) == 1

    # Answers, in dialogs. A problem keeps what was typed; identifiers are refused.
    form = (await teams.open_dialog(staff[0], CHANNEL, script, "Answer anonymously")).card
    bad = await teams.submit_dialog(staff[0], CHANNEL, form, {"q.distress": "3", "q.team_note": "Call me on 07700 900123"})
    assert "phone number" in card_text(bad.card)
    assert inputs_of(bad.card)["q.team_note"]["value"] == "Call me on 07700 900123"
    ok = await teams.submit_dialog(staff[0], CHANNEL, bad.card, {"q.distress": "3", "q.team_note": SECRET_NOTE})
    assert "Thank you" in card_text(ok.card)

    # A second answer is refused, from a fresh dialog or from the old one.
    refused_again = await teams.open_dialog(staff[0], CHANNEL, script, "Answer anonymously")
    assert "already answered" in card_text(refused_again.card)
    stale = await teams.submit_dialog(staff[0], CHANNEL, form, {"q.distress": "5"})
    assert "already answered" in card_text(stale.card)

    # Someone in the channel who was not picked cannot answer.
    outsider = await teams.open_dialog(bystander, CHANNEL, script, "Answer anonymously")
    assert "Only the people invited" in card_text(outsider.card)

    # Distress at or above the threshold shows crisis lines at once; sharing a note is the author's choice.
    form = (await teams.open_dialog(staff[1], CHANNEL, script, "Answer anonymously")).card
    crisis = await teams.submit_dialog(staff[1], CHANNEL, form, {"q.distress": "9", "q.team_note": SHARED_NOTE, "share.team_note": "true"})
    assert "really hard" in card_text(crisis.card) and "988" in card_text(crisis.card)
    await app.drain()
    assert connector.updates_of(script_post.activity_id) == []  # two answers: the counter says nothing yet

    form = (await teams.open_dialog(staff[2], CHANNEL, script, "Answer anonymously")).card
    await teams.submit_dialog(staff[2], CHANNEL, form, {"q.distress": "2"})
    await app.drain()
    update = await connector.wait_for(lambda: connector.updates_of(script_post.activity_id))
    assert "3 or more anonymous answers so far" in card_text(update[-1].card)
    assert "Post the team's results" in [a["title"] for a in update[-1].card["actions"]]
    form = (await teams.open_dialog(lead, CHANNEL, script, "Answer anonymously")).card
    await teams.submit_dialog(lead, CHANNEL, form, {"q.distress": "4"})
    await app.drain()
    assert len(connector.updates_of(script_post.activity_id)) == 1  # 4 answers: still the batch of 3

    # An action point, owned by someone in the debrief.
    dialog = (await teams.open_dialog(lead, CHANNEL, script, "Add an action point")).card
    owners = {c["title"]: c["value"] for c in inputs_of(dialog)["action_point.owner"]["choices"]}
    assert set(owners) == {"Alex Lead", "Bo Nurse", "Cy Doctor", "Di Porter", "Ed Medic"}
    added = await teams.submit_dialog(lead, CHANNEL, dialog, {
        "action_point.text": "Check the <at>defib</at> pads every shift", "action_point.owner": owners["Di Porter"]})
    assert "Added" in card_text(added.card)
    point = connector.sent_to(CHANNEL.id)[-1].card
    assert "Check the \u2039at>defib\u2039/at> pads every shift" in card_text(point) and "Di Porter" in card_text(point)
    sent = len(connector.sent_to(CHANNEL.id))
    again = await teams.submit_dialog(lead, CHANNEL, dialog, {  # the same dialog sent twice: one point, posted once
        "action_point.text": "Check the <at>defib</at> pads every shift", "action_point.owner": owners["Di Porter"]})
    assert "Added" in card_text(again.card) and len(connector.sent_to(CHANNEL.id)) == sent

    # The team's results: only the lead may post them; they hold only what authors shared.
    refused_results = await teams.open_dialog(staff[0], CHANNEL, update[-1].card, "Post the team's results")
    assert "Only the person who started" in card_text(refused_results.card)
    preview = (await teams.open_dialog(lead, CHANNEL, update[-1].card, "Post the team's results")).card
    posted = await teams.submit_dialog(lead, CHANNEL, preview, button="Post to the team")
    assert "Posted" in card_text(posted.card)
    results = connector.sent_to(CHANNEL.id)[-1].card
    assert "4 answers" in card_text(results)
    runs = [inline for inline in _inlines(results)]
    assert any(SHARED_NOTE.replace("<at>", "\u2039at>").replace("</at>", "\u2039/at>") in run for run in runs)

    # The promise: an unshared answer never reaches the conversation, and no answer row names anyone.
    assert SECRET_NOTE not in everything_posted(connector)
    async with core.database.session() as session:
        rows = (await session.execute(Answer.__table__.select())).mappings().all()
    assert rows and all(set(row) == {"id", "debrief_id", "stage", "question", "number", "choice", "text",
                                     "shared_with_team"} for row in rows)

    # Closing: confirmed in a dialog; the summary is posted and the script card keeps only support.
    confirm = (await teams.open_dialog(lead, CHANNEL, script, "Close the debrief")).card
    closed = await teams.submit_dialog(lead, CHANNEL, confirm, button="Close it")
    assert "Closed" in card_text(closed.card)
    summary = connector.sent_to(CHANNEL.id)[-1].card
    assert "Debrief closed" in card_text(summary) and "Check the" in card_text(summary)
    final = connector.current(CHANNEL.id, script_post.activity_id)
    assert [a["title"] for a in final["attachments"][0]["content"]["actions"]] == ["Support resources"]
    assert (await core.debriefs.get(debrief.id)).status == DebriefStatus.CLOSED
    late = await teams.open_dialog(staff[3], CHANNEL, script, "Answer anonymously")
    assert "closed" in card_text(late.card)


def _inlines(card: dict[str, Any]) -> list[str]:
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "TextRun":
                found.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(card)
    return found
