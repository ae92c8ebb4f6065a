"""The officers' summary in Slack: suppressed figures, charts and export by signed link, and nothing for anyone else.

The image and export URLs in the bot's messages are fetched from the real
server, as Slack's image proxy and a browser would: no Slack signature, only
the link's own.
"""

from __future__ import annotations

import csv
import io
import logging
from datetime import UTC, datetime, timedelta

import pytest
from answering import record
from harness import OFFICER, SlackApp
from test_slack_flow import LEAD, STAFF, texts

from adapters.charts_http import EXPIRED
from adapters.slack.ids import Action
from adapters.slack.render.summary import NO_PUBLIC_URL
from bot.charts import DISTRESS
from bot.clock import FakeClock
from bot.export import FIELDS
from bot.links import Links, Ticket

PNG = b"\x89PNG\r\n\x1a\n"
PEOPLE = [LEAD, *STAFF, "USTAFF0005"]
LABEL = "Bay 4 arrest"
NOTE = "I froze when the monitor alarmed"


async def seed(slack_app: SlackApp, debriefs: int = 5) -> None:
    """Five debriefs of six people, everyone answering: enough for the organisation's figures to show."""
    core = slack_app.core
    for n in range(debriefs):
        debrief = await core.debriefs.start(platform="slack", workspace=slack_app.fake.team_id, team="CWARD00001",
                                            lead=LEAD, script_id="stop5", participants=PEOPLE, label=LABEL)
        for m, person in enumerate(PEOPLE):
            await record(core.debriefs, debrief.id, "debrief", person, {"distress": (n + m) % 11, "team_note": NOTE})


def with_public_url(slack_app: SlackApp) -> None:
    """DEBRIEF_PUBLIC_URL is this test server (its port is only known once it runs)."""
    slack_app.core.links.base_url = slack_app.url


async def summary_for(slack_app: SlackApp, user: str, count: int = 1) -> dict:
    await slack_app.slack.command("/debrief", "summary", user_id=user)
    await slack_app.fake.wait_for("response_url", count)
    return slack_app.fake.last("response_url")


async def fetch(slack_app: SlackApp, url: str) -> tuple[int, dict, bytes]:
    async with slack_app.session.get(url) as res:
        return res.status, dict(res.headers), await res.read()


def export_button(blocks: list[dict]) -> dict:
    [button] = [e for b in blocks if b["type"] == "actions" for e in b["elements"] if e["action_id"] == Action.EXPORT]
    return button


async def test_an_officer_gets_suppressed_figures_two_charts_and_an_export_in_one_tap(slack_app: SlackApp) -> None:
    with_public_url(slack_app)
    await seed(slack_app)
    said = await summary_for(slack_app, OFFICER)
    blocks = said["blocks"]
    shown = texts(blocks)
    assert "Debriefs held: 5" in shown and "People invited to debriefs: 30" in shown
    assert "Events with no debrief: 0" in shown
    assert not any(person in shown for person in PEOPLE) and LABEL not in shown

    images = [block for block in blocks if block["type"] == "image"]
    assert len(images) == 2 and all(image["alt_text"] for image in images)
    assert "30 of 30" in images[1]["alt_text"]
    for image in images:
        assert image["image_url"].startswith(slack_app.url + "/charts/")
        status, headers, body = await fetch(slack_app, image["image_url"])
        assert status == 200 and headers["Content-Type"] == "image/png" and body.startswith(PNG)

    button = export_button(blocks)
    status, headers, body = await fetch(slack_app, button["url"])
    assert status == 200 and headers["Content-Type"].startswith("text/csv")
    assert headers["Content-Disposition"].startswith('attachment; filename="debrief-wellbeing-30d-')
    text = body.decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert tuple(rows[0]) == FIELDS
    held = next(r for r in rows if (r["figure"], r["period"], r["team"], r["column"]) == ("debriefs held", "30d", "all", "all"))
    assert held["count"] == "5"
    for needle in (*PEOPLE, LABEL, NOTE):
        assert needle not in text

    # Slack tells the app about a tap on a link button too: acknowledged, nothing else.
    reply = await slack_app.slack.block_action(Action.EXPORT, user_id=OFFICER, message=said)
    assert reply.status == 200


async def test_small_numbers_are_hidden_in_the_header_too(slack_app: SlackApp) -> None:
    with_public_url(slack_app)
    await seed(slack_app, debriefs=1)
    shown = texts((await summary_for(slack_app, OFFICER))["blocks"])
    assert "Debriefs held: –" in shown and "Debriefs held: 1" not in shown
    assert "hidden, because it is below 5" in shown


async def test_someone_who_is_not_an_officer_gets_a_kind_no_and_no_link(slack_app: SlackApp) -> None:
    with_public_url(slack_app)
    await seed(slack_app)
    said = await summary_for(slack_app, STAFF[0])
    assert "wellbeing team" in said["text"] and not said.get("blocks")
    assert "/charts/" not in str(said) and "/exports/" not in str(said)

    await slack_app.slack.event({"type": "app_home_opened", "user": STAFF[0], "tab": "home"})
    await slack_app.fake.wait_for("views.publish")
    home = slack_app.fake.home_tabs[STAFF[0]]
    assert "For the wellbeing team" not in texts(home["blocks"])
    assert not [b for b in home["blocks"] if b["type"] in ("image", "actions")]
    assert "/charts/" not in str(home) and "/exports/" not in str(home)


async def test_app_home_gives_an_officer_the_charts_with_fresh_links(slack_app: SlackApp) -> None:
    with_public_url(slack_app)
    await seed(slack_app)
    await slack_app.slack.event({"type": "app_home_opened", "user": OFFICER, "tab": "home"})
    await slack_app.fake.wait_for("views.publish")
    blocks = slack_app.fake.home_tabs[OFFICER]["blocks"]
    images = [block for block in blocks if block["type"] == "image"]
    assert len(images) == 2
    status, headers, body = await fetch(slack_app, images[0]["image_url"])
    assert status == 200 and body.startswith(PNG)
    status, _, _ = await fetch(slack_app, export_button(blocks)["url"])
    assert status == 200


async def test_without_a_public_url_slack_says_what_charts_need(slack_app: SlackApp) -> None:
    await seed(slack_app)
    blocks = (await summary_for(slack_app, OFFICER))["blocks"]
    assert NO_PUBLIC_URL in texts(blocks) and "Debriefs held: 5" in texts(blocks)
    assert not [b for b in blocks if b["type"] in ("image", "actions")]


async def test_an_altered_link_is_not_found_and_an_old_one_has_expired(slack_app: SlackApp, caplog) -> None:
    with_public_url(slack_app)
    said = await summary_for(slack_app, OFFICER)
    url = next(block for block in said["blocks"] if block["type"] == "image")["image_url"]
    token = url.rsplit("/", 1)[1].removesuffix(".png")
    caplog.set_level(logging.INFO, logger="debrief.links")

    altered = f"{slack_app.url}/charts/{token[:-3]}xyz.png"
    status, _, body = await fetch(slack_app, altered)
    assert status == 404 and token.encode() not in body
    # an export link is not a chart, and a chart link is not an export
    export = export_button(said["blocks"])["url"]
    assert (await fetch(slack_app, export.replace("/exports/", "/charts/").removesuffix(".csv") + ".png"))[0] == 404
    assert (await fetch(slack_app, url.replace("/charts/", "/exports/").removesuffix(".png") + ".csv"))[0] == 404

    # signed by this deployment two hours ago: genuine, but past its hour
    past = Links(slack_app.core.settings.receipt_secret(), FakeClock(datetime.now(UTC) - timedelta(hours=2)), None)
    old = past.token(Ticket(DISTRESS, slack_app.fake.team_id, datetime.now(UTC)))
    status, _, body = await fetch(slack_app, f"{slack_app.url}/charts/{old}.png")
    assert status == 410 and body.decode() == EXPIRED
    refused = [r.getMessage() for r in caplog.records if r.name == "debrief.links"]
    assert len(refused) == 4 and sum("expired" in line for line in refused) == 1
    assert not any(token in line or old in line for line in refused)


@pytest.mark.parametrize("path", ["/charts/x.png", "/exports/x.csv"])
async def test_a_made_up_link_is_not_found(slack_app: SlackApp, path: str) -> None:
    assert (await slack_app.get(path)).status == 404
