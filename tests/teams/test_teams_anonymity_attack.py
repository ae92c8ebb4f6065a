"""The anonymity attack on Teams: 16 people answer in random order through the real server; nothing links.

In Teams the bot keeps a conversation reference (with the person's name) for
everyone it sees, so the person-naming rows nearest to the answers are the
ones to look at. Six of them ask to talk to someone straight from their
thank-you card: a named row written moments after their answer. See `tests/attack.py` for the channels and "chance level";
the report of every channel is printed (`pytest -s`) and is the failure message.
"""

from __future__ import annotations

import json
import random

from attack import LogCapture, Truth, attack, report, snapshot
from attack import marker as new_marker
from fake_connector import FakeConnector
from teams_harness import Chat, action, card_text, running_app, signed_settings

TEAM = "19:ward9general@thread.tacv2"
CHANNEL = Chat(f"{TEAM};messageid=1700000000009", "channel", team=TEAM)
MIN_GROUP = 5
TALKING = 6
"""As on Slack: all six requests beside their authors' answers by chance is (1/5)^6 = 6e-5."""
OFFICER_EMAIL = "olive.officer@hospital.example"


async def test_no_channel_links_an_answer_to_its_author(database_url: str) -> None:
    async with FakeConnector() as connector:
        settings = signed_settings(database_url, debrief_min_group=MIN_GROUP, log_level="DEBUG",
                                   debrief_wellbeing_officers=OFFICER_EMAIL)
        with LogCapture() as logs:
            async with running_app(settings, connector) as app:
                lead = app.person("lead", "Alex Lead", [CHANNEL])
                staff = [app.person(f"s{n:02d}", f"Nurse Number{n:02d}", [CHANNEL]) for n in range(15)]
                names = {person.id: person.name for person in [lead, *staff]}
                script = await _start(app, lead, staff)
                truth, replies = await _answer(app, script, [lead, *staff])
                shots = [await snapshot(app.core.database)]
                confirm = (await app.teams.open_dialog(lead, CHANNEL, script, "Close the debrief")).card
                await app.teams.submit_dialog(lead, CHANNEL, confirm, button="Close it")
                await app.drain()
                shots.append(await snapshot(app.core.database))
            shots.append(await snapshot(app.core.database))
    assert len(shots[-1].tables["support_requests"]) == TALKING
    platform = [(None, json.dumps(posted.activity)) for posted in connector.posted] + replies
    findings = attack(shots, truth, names, logs.lines, platform)
    text = report(findings, f"Teams, {'SQLite' if 'sqlite' in database_url else 'PostgreSQL'}")
    print("\n" + text)
    assert all(finding.p_value >= 1e-4 for finding in findings), text


async def _start(app, lead, staff) -> dict:
    teams, connector = app.teams, app.connector
    await teams.say(lead, "<at>Debrief</at> debrief", CHANNEL)
    start = [posted.card for posted in connector.sent_to(CHANNEL.id) if posted.cards][-1]
    dialog = (await teams.open_dialog(lead, CHANNEL, start, "Set up the debrief")).card
    done = await teams.submit_dialog(lead, CHANNEL, dialog, {"setup.participants": [person.id for person in staff]})
    assert "Done" in card_text(done.card), done
    return [posted.card for posted in connector.sent_to(CHANNEL.id) if posted.cards][-1]


async def _answer(app, script: dict, people: list) -> tuple[Truth, list[tuple[str | None, str]]]:
    truth = Truth(min_group=MIN_GROUP)
    replies: list[tuple[str | None, str]] = []
    random.shuffle(people)
    talking = set(random.sample([person.id for person in people], TALKING))
    assert action(script, "Answer anonymously")
    for person in people:
        form = (await app.teams.open_dialog(person, CHANNEL, script, "Answer anonymously")).card
        marker = new_marker()
        reply = await app.teams.submit_dialog(
            person, CHANNEL, form,
            {"q.distress": str(9 if person.id in talking else random.randint(0, 6)), "q.team_note": f"I keep seeing it {marker}"},
        )
        assert "Thank you" in reply.text or "thank" in reply.text.lower(), reply
        truth.add(person.id, marker)
        replies.append((person.id, reply.text))
        if person.id in talking:  # straight from the thank-you card: "I'd like to talk to someone"
            ask = (await app.teams.submit_dialog(person, CHANNEL, reply.card, button="I'd like to talk to someone")).card
            sent = await app.teams.submit_dialog(person, CHANNEL, ask, button="Ask to talk")
            replies.append((person.id, sent.text))
    await app.drain()
    return truth, replies
