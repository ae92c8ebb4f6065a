"""The officers' summary in Teams: a valid card with the two charts and the export, by signed link; nothing for others."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from adaptive_cards import validate
from teams_harness import TeamsApp, card_text
from test_teams_commands import CHANNEL, OFFICER_AAD, last_card, last_text, personal

from adapters.teams.cards.summary import EXPORT_LABEL, NO_PUBLIC_URL

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def teams_overrides() -> dict[str, Any]:
    return {"debrief_wellbeing_officers": OFFICER_AAD}


def an_officer(app: TeamsApp):
    officer = app.person("officer", "Olive Officer", [CHANNEL])
    app.connector.members[officer.id].aad_object_id = OFFICER_AAD
    app.connector.add_conversation(personal("officer").id, [officer.id], kind="personal")
    return type(officer)(officer.id, officer.name, OFFICER_AAD)


async def fetch(app: TeamsApp, url: str) -> tuple[int, dict, bytes]:
    """Fetch a link from the test server, whatever host and port the card names."""
    parts = urlsplit(url)
    async with app.session.get(app.url + parts.path) as res:
        return res.status, dict(res.headers), await res.read()


async def test_the_officers_card_has_both_charts_and_the_export_and_they_load(teams_app: TeamsApp) -> None:
    teams_app.core.links.base_url = teams_app.url  # DEBRIEF_PUBLIC_URL: this test server
    officer = an_officer(teams_app)
    await teams_app.teams.say(officer, "summary", personal("officer"))
    card = last_card(teams_app, personal("officer"))
    assert validate(card) == []
    assert "Last 30 days" in card_text(card) and "Debriefs held: 0" in card_text(card)
    images = [element for element in card["body"] if element["type"] == "Image"]
    assert len(images) == 2 and all(image["altText"] for image in images)
    for image in images:
        assert image["url"].startswith(teams_app.url + "/charts/")
        status, headers, body = await fetch(teams_app, image["url"])
        assert status == 200 and headers["Content-Type"] == "image/png" and body.startswith(PNG)
    [export] = card["actions"]
    assert export["type"] == "Action.OpenUrl" and export["title"] == EXPORT_LABEL
    status, headers, body = await fetch(teams_app, export["url"])
    assert status == 200 and headers["Content-Disposition"].startswith("attachment;")
    assert body.decode().startswith("until,figure,period,team,column,count,suppressed")


async def test_without_a_public_url_the_card_says_what_charts_need(teams_app: TeamsApp) -> None:
    officer = an_officer(teams_app)
    await teams_app.teams.say(officer, "summary", personal("officer"))
    card = last_card(teams_app, personal("officer"))
    assert validate(card) == [] and NO_PUBLIC_URL in card_text(card)
    assert not [e for e in card["body"] if e["type"] == "Image"] and not card.get("actions")


async def test_local_mode_links_name_this_machine_where_the_playground_runs(local_app: TeamsApp) -> None:
    officer = an_officer(local_app)
    await local_app.teams.say(officer, "summary", personal("officer"))
    card = last_card(local_app, personal("officer"))
    images = [element for element in card["body"] if element["type"] == "Image"]
    port = local_app.core.settings.port
    assert len(images) == 2 and all(i["url"].startswith(f"http://127.0.0.1:{port}/charts/") for i in images)
    status, _, body = await fetch(local_app, images[0]["url"])  # the same path on the test server's port
    assert status == 200 and body.startswith(PNG)


async def test_someone_else_gets_a_kind_no_and_no_link(teams_app: TeamsApp) -> None:
    nurse = teams_app.person("nurse", "Bo Nurse", [CHANNEL])
    await teams_app.teams.say(nurse, "summary", personal("nurse"))
    assert "for the wellbeing team" in last_text(teams_app, personal("nurse"))
    sent = teams_app.connector.sent_to(personal("nurse").id)
    assert not any(p.cards for p in sent) and "/charts/" not in str([p.text for p in sent])
