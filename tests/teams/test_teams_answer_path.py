"""Nothing that names a person is written on Teams' answer path; their reference is refreshed on another turn.

The bot keeps a conversation reference (name, id, time zone, `updated_at`)
for everyone it sees. Written on the tap on "Answer anonymously" or on the
submission, it would sit beside the answer in the database's write order
(the next `xmin`, the next WAL commit) and name its author. So the tap and
the submission write no `teams_references` row, even for someone whose name
and time zone the bot has not stored yet, and the submission's statements
carry nothing of the person; any other turn of theirs stores it.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select
from statements import recorded, writes
from teams_harness import Chat, TeamsApp, action, card_text

from bot.models import TeamsReference

TEAM = "19:ward3general@thread.tacv2"
CHANNEL = Chat(f"{TEAM};messageid=1700000000003", "channel", team=TEAM)


async def _reference(app: TeamsApp, user: str) -> TeamsReference | None:
    async with app.core.database.session() as session:
        rows = await session.execute(select(TeamsReference).where(TeamsReference.kind == "person", TeamsReference.key == user))
        return rows.scalars().first()


async def test_the_tap_and_the_submission_write_nothing_naming_the_person(teams_app: TeamsApp) -> None:
    app, teams = teams_app, teams_app.teams
    lead = app.person("lead", "Alex Lead", [CHANNEL])
    staff = [app.person(f"p{n}", f"Nurse Person{n}", [CHANNEL]) for n in range(4)]
    await teams.say(lead, "<at>Debrief</at> debrief", CHANNEL)
    start = [posted.card for posted in app.connector.sent_to(CHANNEL.id) if posted.cards][-1]
    dialog = (await teams.open_dialog(lead, CHANNEL, start, "Set up the debrief")).card
    done = await teams.submit_dialog(lead, CHANNEL, dialog, {"setup.participants": [person.id for person in staff]})
    assert "Done" in card_text(done.card), done
    script = [posted.card for posted in app.connector.sent_to(CHANNEL.id) if posted.cards][-1]
    assert action(script, "Answer anonymously")
    await app.drain()

    person = replace(staff[0], name="Nurse Renamed")  # a name (and a time zone) the bot has not stored
    before = await _reference(app, person.id)
    assert before is not None and before.name == "Nurse Person0" and before.timezone is None  # from the roster
    with recorded(app.core.database) as tapping:
        form = (await teams.open_dialog(person, CHANNEL, script, "Answer anonymously")).card
    with recorded(app.core.database) as submitting:
        reply = await teams.submit_dialog(person, CHANNEL, form, {"q.distress": "3", "q.team_note": "the alarm"})
        await app.drain()
    assert "thank" in reply.text.lower(), reply
    assert not [s for s in writes(tapping) + writes(submitting) if "teams_references" in s]
    assert not [s for s in submitting if person.id in s or person.aad in s or "Renamed" in s]
    after = await _reference(app, person.id)
    assert after is not None and (after.name, after.updated_at) == (before.name, before.updated_at)

    await teams.say(person, "<at>Debrief</at> help", CHANNEL)  # any other turn refreshes it
    refreshed = await _reference(app, person.id)
    assert refreshed is not None and refreshed.name == "Nurse Renamed" and refreshed.timezone == "Europe/London"
