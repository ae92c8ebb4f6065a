"""`/debrief officers`: officers add and remove others; a non-officer gets nothing."""

from __future__ import annotations

from harness import OFFICER, SlackApp
from test_slack_flow import STAFF, texts


async def test_an_officer_adds_another_who_then_sees_the_summary(slack_app: SlackApp) -> None:
    fake, slack, core = slack_app.fake, slack_app.slack, slack_app.core
    await slack.command("/debrief", f"officers add <@{STAFF[1]}|sam>", user_id=OFFICER)
    await fake.wait_for("response_url")
    assert "is now a wellbeing officer" in fake.last("response_url")["text"]
    assert await core.officers.is_officer(STAFF[1])

    await slack.command("/debrief", "summary", user_id=STAFF[1])
    await fake.wait_for("response_url", 2)
    summary = fake.last("response_url")
    assert summary["text"] == "Wellbeing summary" and summary.get("blocks")

    await slack.command("/debrief", f"officers remove <@{STAFF[1]}>", user_id=OFFICER)
    await fake.wait_for("response_url", 3)
    assert "no longer" in fake.last("response_url")["text"]
    assert not await core.officers.is_officer(STAFF[1])


async def test_a_non_officer_gets_nothing(slack_app: SlackApp) -> None:
    slack, core = slack_app.slack, slack_app.core
    reply = await slack.command("/debrief", f"officers add <@{STAFF[0]}>", user_id=STAFF[0])
    shown = texts(reply.json()["blocks"])
    assert "didn't recognise" in shown  # as for any unknown word: the command's existence is not confirmed
    listing = await slack.command("/debrief", "officers", user_id=STAFF[0])
    assert OFFICER not in str(listing.json())
    assert not await core.officers.is_officer(STAFF[0])
    assert await core.officers.added() == []


async def test_the_summary_lists_teams_with_small_groups_hidden(slack_app: SlackApp) -> None:
    from test_slack_flow import LEAD, WARD, start_debrief

    fake, slack = slack_app.fake, slack_app.slack
    await start_debrief(slack_app)
    await slack.command("/debrief", "summary", user_id=OFFICER)
    await fake.wait_for("response_url")
    shown = texts(fake.last("response_url")["blocks"])
    assert "By team, last 30 days" in shown and f"<#{WARD}>" in shown
    # one debrief, five people: fewer than the minimum, so hidden
    assert "debriefs –" in shown and "answers – of 5" not in shown
    assert LEAD not in shown and not any(person in shown for person in STAFF)
