"""Patient details on Teams, through the real server: the answer dialog says names count, the refusal says
which kind and where without the text, and nothing the bot logs or posts carries the identifier."""

from __future__ import annotations

import logging

from teams_harness import TeamsApp, card_text, inputs_of
from test_teams_flow import CHANNEL, everything_posted, start_debrief

from bot.identifiers import PATIENT_DETAILS_HINT
from bot.models import Answer

NOTE = "the lady in bay 4 was a lovely woman and I keep thinking about her son; pt Helen Marsh, born on the second of March 1938"


async def test_the_answer_dialog_says_names_count_and_a_refusal_points_without_quoting(teams_app: TeamsApp, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    app, teams, connector, core = teams_app, teams_app.teams, teams_app.connector, teams_app.core
    lead = app.person("lead", "Alex Lead", [CHANNEL])
    staff = [app.person(f"s{i}", name, [CHANNEL]) for i, name in enumerate(["Bo Nurse", "Cy Doctor", "Di Porter"])]
    script = await start_debrief(app, lead, staff)

    form = (await teams.open_dialog(staff[0], CHANNEL, script, "Answer anonymously")).card
    assert PATIENT_DETAILS_HINT in card_text(form)
    refused = await teams.submit_dialog(staff[0], CHANNEL, form, {"q.distress": "3", "q.team_note": NOTE})
    shown = card_text(refused.card)
    assert "Looks like a patient's name near the end and a date of birth near the end." in shown
    assert inputs_of(refused.card)["q.team_note"]["value"] == NOTE  # kept in the box, for them to edit
    for secret in ("Helen", "Marsh", "1938", "second of March"):
        assert secret not in shown.replace(NOTE, "")
        assert secret not in caplog.text
        assert secret not in everything_posted(connector)
    async with core.database.session() as session:
        assert (await session.execute(Answer.__table__.select())).first() is None
