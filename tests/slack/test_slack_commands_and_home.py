"""The smaller paths: help, skip, the officers' summary, App Home, crisis help after an answer, 429s."""

from __future__ import annotations

import logging

import pytest
from harness import OFFICER, SlackApp
from sqlalchemy import select
from test_slack_flow import LEAD, STAFF, WARD, answer, opened, start_debrief, texts

from adapters.slack.ids import Action, Callback, SkipBlock
from bot.models import SkippedDebrief


def button_value(message: dict, action_id: str) -> str:
    for block in message["blocks"]:
        for element in block.get("elements") or []:
            if element.get("action_id") == action_id:
                return element["value"]
    raise AssertionError(f"no {action_id} button")


async def test_help_answers_at_once_in_a_few_lines(slack_app: SlackApp) -> None:
    reply = await slack_app.slack.command("/debrief", "help", user_id=LEAD)
    body = reply.json()
    assert reply.status == 200 and body["response_type"] == "ephemeral"
    shown = texts(body["blocks"])
    assert "/debrief skip" in shown and "anonymous" in shown and len(shown.splitlines()) <= 8
    unknown = (await slack_app.slack.command("/debrief", "frobnicate", user_id=LEAD)).json()
    assert "didn't recognise" in texts(unknown["blocks"])


async def test_skip_records_why_and_screens_the_detail(slack_app: SlackApp) -> None:
    fake, slack = slack_app.fake, slack_app.slack
    await slack.command("/debrief", "skip", user_id=LEAD, channel_id=WARD)
    form = await opened(fake, Callback.SKIP)
    reasons = next(block for block in form["blocks"] if block.get("block_id") == SkipBlock.REASON)
    assert [option["value"] for option in reasons["element"]["options"]][0] == "not_needed"

    refused = await slack.submit(form, {SkipBlock.REASON: "no_time", SkipBlock.DETAIL: "call me on 07700 900123"}, user_id=LEAD)
    assert refused.json()["response_action"] == "errors" and SkipBlock.DETAIL in refused.json()["errors"]

    reply = await slack.submit(form, {SkipBlock.REASON: "no_time", SkipBlock.DETAIL: "Back-to-back arrests"}, user_id=LEAD)
    body = reply.json()
    assert body["response_action"] == "update" and "no time on shift" in texts(body["view"]["blocks"])
    async with slack_app.core.database.session() as session:
        skipped = (await session.execute(select(SkippedDebrief))).scalar_one()
    assert (skipped.reason, skipped.team, skipped.lead) == ("no_time", WARD, LEAD)


async def test_the_summary_is_for_officers_only(slack_app: SlackApp) -> None:
    fake, slack = slack_app.fake, slack_app.slack
    await slack.command("/debrief", "summary", user_id=STAFF[0])
    await fake.wait_for("response_url")
    assert "wellbeing team" in fake.last("response_url")["text"]

    await start_debrief(slack_app)
    await slack.command("/debrief", "summary", user_id=OFFICER)
    await fake.wait_for("response_url", 2)
    said = fake.last("response_url")
    shown = texts(said["blocks"])
    assert said["response_type"] == "ephemeral"
    assert "Debriefs held: –" in shown and "People invited to debriefs:" in shown  # one debrief: below the minimum
    assert "Last 30 days" in shown and not any(person in shown for person in [LEAD, *STAFF])


async def test_an_officer_listed_by_email_is_recognised(slack_app: SlackApp, slack_settings) -> None:
    slack_app.core.settings.debrief_wellbeing_officers.append("wellbeing@example.org")
    slack_app.fake.add_user("UWELL00001", email="Wellbeing@example.org")
    await slack_app.slack.command("/debrief", "summary", user_id="UWELL00001")
    await slack_app.fake.wait_for("response_url")
    assert "Last 30 days" in texts(slack_app.fake.last("response_url")["blocks"])


async def test_app_home_lists_open_debriefs_and_support_and_retries_are_harmless(slack_app: SlackApp) -> None:
    fake, slack = slack_app.fake, slack_app.slack
    await start_debrief(slack_app)
    reply = await slack.event({"type": "app_home_opened", "user": STAFF[0], "tab": "home"})
    assert reply.status == 200
    await fake.wait_for("views.publish")
    home = fake.home_tabs[STAFF[0]]
    shown = texts(home["blocks"])
    assert "STOP5" in shown and "988" in shown and "For the wellbeing team" not in shown
    buttons = [b["accessory"] for b in home["blocks"] if (b.get("accessory") or {}).get("action_id") == Action.ANSWER]
    assert len(buttons) == 1

    # Slack retries a slow event with the same id: publishing again is the whole effect.
    await slack.event({"type": "app_home_opened", "user": STAFF[0], "tab": "home"}, retry_num=1, event_id="Ev1")
    await fake.wait_for("views.publish", 2)
    assert fake.home_tabs[STAFF[0]]["blocks"] == home["blocks"]

    # The answer button in App Home opens the same anonymous form.
    await slack.click(fake.home_tabs[STAFF[0]], Action.ANSWER, user_id=STAFF[0])
    await fake.wait_for("views.open", where=lambda args: args["view"].get("callback_id") == Callback.ANSWER)

    await slack.event({"type": "app_home_opened", "user": OFFICER, "tab": "home"})
    await fake.wait_for("views.publish", 3)
    officer = texts(fake.home_tabs[OFFICER]["blocks"])
    assert "For the wellbeing team" in officer and "Debriefs held: –" in officer
    assert "No open debriefs" in officer


async def test_a_high_distress_answer_shows_crisis_help_at_once(slack_app: SlackApp) -> None:
    script = await start_debrief(slack_app)
    reply, _ = await answer(slack_app, script, STAFF[0], distress=9)
    view = reply.json()["view"]
    shown = texts(view["blocks"])
    assert "988" in shown and "741741" in shown
    assert "You don't have to carry this alone" in shown
    calm, _ = await answer(slack_app, script, STAFF[1], distress=2)
    assert "988" not in texts(calm.json()["view"]["blocks"])


async def test_support_resources_list_crisis_lines_first_and_say_what_is_not_set_up(slack_app: SlackApp) -> None:
    script = await start_debrief(slack_app)
    await slack_app.slack.click(script, Action.RESOURCES, user_id=STAFF[2])
    await slack_app.fake.wait_for("views.open", where=lambda args: "Support" in texts([args["view"]["title"]]))
    shown = texts(slack_app.fake.last_view()["blocks"])
    assert shown.index("988") < shown.index("Peer support") and "not set up yet" in shown


async def test_a_429_from_slack_is_waited_out(slack_app: SlackApp) -> None:
    slack_app.fake.rate_limit_next("conversations.create", retry_after=1)
    await start_debrief(slack_app)
    statuses = [exchange.status for exchange in slack_app.fake.exchanges if exchange.method == "conversations.create"]
    assert statuses == [429, 200]


async def test_only_the_lead_posts_results_and_only_past_the_minimum(slack_app: SlackApp, caplog) -> None:
    caplog.set_level(logging.INFO, "debrief.slack")
    fake = slack_app.fake
    script = await start_debrief(slack_app)
    value = button_value(script, Action.ANSWER)  # every button of the script carries the same reference
    await slack_app.slack.block_action(Action.POST_RESULTS, value, user_id=LEAD, channel_id=script["channel"])
    await fake.wait_for("response_url")
    assert "5 or more" in fake.last("response_url")["text"]
    await slack_app.slack.block_action(Action.POST_RESULTS, value, user_id=STAFF[0], channel_id=script["channel"])
    await fake.wait_for("response_url", 2)
    assert "Only the person who started" in fake.last("response_url")["text"]


@pytest.mark.parametrize("closer", [LEAD, STAFF[3]])
async def test_closing_twice_is_harmless(slack_app: SlackApp, closer: str) -> None:
    fake = slack_app.fake
    script = await start_debrief(slack_app)
    value = button_value(script, Action.ANSWER)
    await slack_app.slack.click(script, Action.CLOSE, user_id=closer)
    await fake.wait_for("chat.postMessage", where=lambda args: "Debrief closed" in texts(args.get("blocks") or []))
    await fake.wait_for("chat.update", where=lambda args: "is closed" in texts(args.get("blocks") or []))
    # A second tap (an old copy of the message, or two people at once) changes nothing.
    await slack_app.slack.block_action(Action.CLOSE, value, user_id=closer, channel_id=script["channel"])
    await fake.wait_for("response_url")
    assert "already closed" in fake.last("response_url")["text"]
    closed = [args for args in fake.calls_to("chat.postMessage") if "Debrief closed" in texts(args.get("blocks") or [])]
    assert len(closed) == 1
    # The script message lost its answer button; an old copy of it still gets a kind answer.
    await slack_app.slack.block_action(Action.ANSWER, value, user_id=STAFF[0], channel_id=script["channel"])
    await fake.wait_for("views.open", where=lambda args: "has closed" in texts(args["view"]["blocks"]))
