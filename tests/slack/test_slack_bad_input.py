"""What the bot does with bad or unlucky input: a clear answer, one log line, nothing half-stored.

Forged and replayed requests get 401; a malformed payload 400 (or, when it
parses but makes no sense, a kind message); unknown actions are acked and
logged; text that is too long or looks like a patient identifier is sent
back to the form; an expired trigger id and a database outage give the
person a kind message and the operator one line with the cause.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from harness import SlackApp
from sqlalchemy import func, select
from test_slack_flow import LEAD, STAFF, WARD, answer, opened, start_debrief, texts

from adapters.slack.errors import OUTAGE
from adapters.slack.ids import Action, Callback, SetupBlock, Where, question_block
from bot.core import Core
from bot.db import Database
from bot.models import Answer, AnswerReceipt, Debrief, PendingAnswer, SkippedDebrief

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


@contextmanager
def database_down(core: Core) -> Iterator[None]:
    """Point the bot's engine at a database that cannot be reached, then put it back."""
    dead_url = (
        "sqlite+aiosqlite:////nonexistent-directory/debrief.db"
        if core.database.is_sqlite
        else "postgresql+asyncpg://root@127.0.0.1:1/test"
    )
    dead = Database(dead_url)
    database = core.database
    saved = database.engine, database._sessions, database._sqlite_writer
    database.engine, database._sessions, database._sqlite_writer = dead.engine, dead._sessions, dead._sqlite_writer
    try:
        yield
    finally:
        database.engine, database._sessions, database._sqlite_writer = saved


async def count(core: Core, model: type) -> int:
    async with core.database.session() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


def one_line(caplog: pytest.LogCaptureFixture, needle: str) -> logging.LogRecord:
    found = [record for record in caplog.records if needle in record.getMessage()]
    assert len(found) == 1, [record.getMessage() for record in caplog.records]
    assert "\n" not in found[0].getMessage()
    return found[0]


# -- requests that are not from Slack --------------------------------------------------------------


async def test_a_forged_or_replayed_request_is_refused_with_401(slack_app: SlackApp, caplog) -> None:
    slack = slack_app.slack
    for client in (slack.forged(), slack.expired(), slack.unsigned()):
        reply = await client.command("/debrief", "", user_id=LEAD)
        assert reply.status == 401, reply
    assert slack_app.fake.calls_to("views.open") == []
    assert await count(slack_app.core, Debrief) == 0


async def test_a_malformed_payload_is_400_when_signed_and_401_when_not(slack_app: SlackApp, caplog) -> None:
    slack = slack_app.slack
    caplog.set_level(logging.WARNING, "debrief.slack")
    reply = await slack.post_form({"payload": "{not json"})
    assert reply.status == 400
    one_line(caplog, "malformed body")
    assert (await slack.forged().post_form({"payload": "{not json"})).status == 401
    assert (await slack.post("[1, 2", "application/json")).status == 400


async def test_a_button_with_a_value_that_does_not_parse_gets_a_kind_message(slack_app: SlackApp, caplog) -> None:
    caplog.set_level(logging.WARNING, "debrief.slack")
    reply = await slack_app.slack.block_action(Action.CLOSE, "not-a-debrief", user_id=LEAD, channel_id=WARD)
    assert reply.status == 200
    await slack_app.fake.wait_for("response_url")
    said = slack_app.fake.last("response_url")
    assert said["response_type"] == "ephemeral" and "out of date" in said["text"]
    one_line(caplog, "stale or malformed")


async def test_an_unknown_action_is_acked_and_logged(slack_app: SlackApp, caplog) -> None:
    caplog.set_level(logging.WARNING, "debrief.slack")
    reply = await slack_app.slack.block_action("something.old", "x", user_id=LEAD, channel_id=WARD)
    assert reply.status == 200
    one_line(caplog, "unknown action 'something.old'")
    reply = await slack_app.slack.view_submission("some.old.form", {}, user_id=LEAD)
    assert reply.status == 200
    one_line(caplog, "unknown view 'some.old.form'")


# -- forms ------------------------------------------------------------------------------------------


async def test_text_longer_than_the_form_allows_is_sent_back_to_the_form(slack_app: SlackApp) -> None:
    script = await start_debrief(slack_app)
    reply, modal = await answer(slack_app, script, STAFF[0], note="x" * 1001)
    assert reply.status == 200
    assert reply.json() == {
        "response_action": "errors",
        "errors": {question_block("team_note"): "Please keep this under 1000 characters."},
    }
    assert await count(slack_app.core, AnswerReceipt) == 0


async def test_a_patient_identifier_in_the_label_is_caught_before_anything_is_made(slack_app: SlackApp) -> None:
    fake, slack = slack_app.fake, slack_app.slack
    await slack.command("/debrief", "", user_id=LEAD, channel_id=WARD)
    setup = await opened(fake, Callback.SETUP)
    reply = await slack.submit(
        setup, {SetupBlock.SCRIPT: "stop5", SetupBlock.LABEL: "Bed 4, NHS no 943 476 5919", SetupBlock.WHERE: Where.NEW_CHANNEL}, user_id=LEAD
    )
    body = reply.json()
    assert body["response_action"] == "errors" and "patient details" in body["errors"][SetupBlock.LABEL]
    assert fake.calls_to("conversations.create") == []
    assert await count(slack_app.core, Debrief) == 0


async def test_an_identifier_in_an_answer_is_sent_back_and_nothing_is_stored(slack_app: SlackApp) -> None:
    script = await start_debrief(slack_app)
    reply, _ = await answer(slack_app, script, STAFF[0], note="Patient DOB 12/03/1961 was confused", share=True)
    body = reply.json()
    assert body["response_action"] == "errors"
    assert "date of birth" in body["errors"][question_block("team_note")]
    assert await count(slack_app.core, Answer) == 0 and await count(slack_app.core, AnswerReceipt) == 0


async def test_an_expired_trigger_id_is_logged_and_the_person_told_kindly(slack_app: SlackApp, caplog) -> None:
    caplog.set_level(logging.WARNING, "debrief.slack")
    fake = slack_app.fake
    trigger = fake.new_trigger_id(LEAD, expired=True)
    reply = await slack_app.slack.command("/debrief", "", user_id=LEAD, trigger_id=trigger)
    assert reply.status == 200
    await fake.wait_for("response_url")
    said = fake.last("response_url")
    assert said["response_type"] == "ephemeral" and "try again" in said["text"]
    assert "expired_trigger_id" in one_line(caplog, "views.open").getMessage()


# -- Slack refusing to make the space -------------------------------------------------------------


async def test_a_workspace_that_forbids_private_channels_gets_the_form_back_with_what_to_do(slack_app: SlackApp) -> None:
    fake = slack_app.fake
    fake.fail_next("conversations.create", "restricted_action")
    await slack_app.slack.command("/debrief", "", user_id=LEAD, channel_id=WARD)
    setup = await opened(fake, Callback.SETUP)
    await slack_app.slack.submit(
        setup, {SetupBlock.SCRIPT: "stop5", SetupBlock.PARTICIPANTS: STAFF, SetupBlock.WHERE: Where.NEW_CHANNEL}, user_id=LEAD
    )
    await fake.wait_for("views.update", where=lambda args: "only lets admins" in texts(args["view"]["blocks"]))
    form = fake.last_view()
    assert form["callback_id"] == Callback.SETUP  # the form again, with their choices kept
    participants = next(b for b in form["blocks"] if b.get("block_id") == SetupBlock.PARTICIPANTS)
    assert participants["element"]["initial_users"] == STAFF
    assert await count(slack_app.core, Debrief) == 0

    # They pick "this channel" and submit the same form again: it works.
    await slack_app.slack.submit(
        form, {SetupBlock.SCRIPT: "stop5", SetupBlock.PARTICIPANTS: STAFF, SetupBlock.WHERE: Where.THIS_CHANNEL}, user_id=LEAD
    )
    await fake.wait_for("views.update", where=lambda args: "Done" in texts(args["view"]["blocks"]))
    assert fake.messages_in(WARD) and await count(slack_app.core, Debrief) == 1


async def test_this_channel_without_the_bot_in_it_says_how_to_add_it(slack_app: SlackApp) -> None:
    fake = slack_app.fake
    fake.add_channel("ward-7", id=WARD, is_private=True, bot_is_member=False, members=[LEAD])
    await slack_app.slack.command("/debrief", "", user_id=LEAD, channel_id=WARD)
    await slack_app.slack.submit(
        await opened(fake, Callback.SETUP), {SetupBlock.SCRIPT: "stop5", SetupBlock.WHERE: Where.THIS_CHANNEL}, user_id=LEAD
    )
    await fake.wait_for("views.update", where=lambda args: "/invite @Debrief" in texts(args["view"]["blocks"]))
    assert await count(slack_app.core, Debrief) == 0


async def test_a_taken_channel_name_is_retried_with_a_new_suffix(slack_app: SlackApp) -> None:
    slack_app.fake.fail_next("conversations.create", "name_taken", times=2)
    await start_debrief(slack_app)
    names = [args["name"] for args in slack_app.fake.calls_to("conversations.create")]
    assert len(names) == 3 and len(set(names)) == 3


async def test_submitting_the_same_form_twice_makes_one_debrief_and_one_channel(slack_app: SlackApp) -> None:
    fake = slack_app.fake
    await start_debrief(slack_app)
    view_id = fake.last_view()["id"]
    state = {
        SetupBlock.SCRIPT: {"value": {"type": "static_select", "selected_option": {"value": "stop5"}}},
        SetupBlock.PARTICIPANTS: {"value": {"type": "multi_users_select", "selected_users": STAFF}},
        SetupBlock.LABEL: {"value": {"type": "plain_text_input", "value": None}},
        SetupBlock.WHERE: {"value": {"type": "radio_buttons", "selected_option": {"value": Where.NEW_CHANNEL}}},
    }
    metadata = json.dumps({"c": WARD, "t": fake.team_id})
    reply = await slack_app.slack.view_submission(Callback.SETUP, state, metadata, user_id=LEAD, view_id=view_id)
    assert reply.status == 200
    await fake.wait_for("views.update", 2, where=lambda args: "Done" in texts(args["view"]["blocks"]))
    assert len(fake.calls_to("conversations.create")) == 1 and len(fake.calls_to("conversations.invite")) == 1
    assert await count(slack_app.core, Debrief) == 1


# -- the database down ------------------------------------------------------------------------------


async def test_the_setup_form_opens_even_with_the_database_down(slack_app: SlackApp) -> None:
    with database_down(slack_app.core):
        reply = await slack_app.slack.command("/debrief", "", user_id=LEAD, channel_id=WARD)
        assert reply.status == 200
        assert (await opened(slack_app.fake, Callback.SETUP))["type"] == "modal"


async def test_setup_with_the_database_down_makes_nothing(slack_app: SlackApp, caplog) -> None:
    caplog.set_level(logging.WARNING, "debrief.slack")
    fake = slack_app.fake
    await slack_app.slack.command("/debrief", "", user_id=LEAD, channel_id=WARD)
    setup = await opened(fake, Callback.SETUP)
    with database_down(slack_app.core):
        await slack_app.slack.submit(
            setup, {SetupBlock.SCRIPT: "stop5", SetupBlock.PARTICIPANTS: STAFF, SetupBlock.WHERE: Where.NEW_CHANNEL}, user_id=LEAD
        )
        await fake.wait_for("views.update", where=lambda args: OUTAGE in texts(args["view"]["blocks"]))
    assert fake.calls_to("conversations.create") == [] and fake.calls_to("chat.postMessage") == []
    assert fake.last_view()["callback_id"] == Callback.SETUP  # the form again, to retry in a minute
    assert await count(slack_app.core, Debrief) == 0
    one_line(caplog, "database or network unavailable")


async def test_the_database_failing_after_the_channel_is_made_archives_the_empty_channel(
    slack_app: SlackApp, monkeypatch: pytest.MonkeyPatch, caplog
) -> None:
    caplog.set_level(logging.WARNING, "debrief.slack")
    fake, core = slack_app.fake, slack_app.core
    start = core.debriefs.start

    async def start_as_the_database_goes(**kwargs):  # type: ignore[no-untyped-def]
        with database_down(core):
            return await start(**kwargs)

    monkeypatch.setattr(core.debriefs, "start", start_as_the_database_goes)
    await slack_app.slack.command("/debrief", "", user_id=LEAD, channel_id=WARD)
    await slack_app.slack.submit(
        await opened(fake, Callback.SETUP),
        {SetupBlock.SCRIPT: "stop5", SetupBlock.PARTICIPANTS: STAFF, SetupBlock.WHERE: Where.NEW_CHANNEL},
        user_id=LEAD,
    )
    await fake.wait_for("views.update", where=lambda args: OUTAGE in texts(args["view"]["blocks"]))
    channel = fake.channel_named(fake.last("conversations.create")["name"])
    assert channel.is_archived and channel.members == [fake.bot_user_id]  # nobody was ever invited to it
    assert fake.calls_to("conversations.invite") == []
    assert await count(core, Debrief) == 0
    one_line(caplog, "database or network unavailable")


async def test_an_answer_with_the_database_down_keeps_the_form_and_stores_nothing(slack_app: SlackApp, caplog) -> None:
    caplog.set_level(logging.WARNING, "debrief.slack")
    script = await start_debrief(slack_app)
    fake = slack_app.fake
    await slack_app.slack.click(script, Action.ANSWER, user_id=STAFF[0])
    await fake.wait_for("views.open", where=lambda args: args["view"].get("callback_id") == Callback.ANSWER)
    modal = await opened(fake, Callback.ANSWER)
    with database_down(slack_app.core):
        reply = await slack_app.slack.submit(
            modal, {question_block("distress"): "4", question_block("team_note"): "the secret note"}, user_id=STAFF[0]
        )
    body = reply.json()
    assert body["response_action"] == "errors"
    assert list(body["errors"].values()) == [OUTAGE]
    assert await count(slack_app.core, Answer) == 0 and await count(slack_app.core, AnswerReceipt) == 0
    line = one_line(caplog, "database or network unavailable").getMessage()
    assert "the secret note" not in line and STAFF[0] not in line
    assert all("the secret note" not in record.getMessage() for record in caplog.records)

    # A minute later it works, and the same form goes through.
    reply = await slack_app.slack.submit(modal, {question_block("distress"): "4"}, user_id=STAFF[0])
    assert reply.json()["response_action"] == "update"
    assert await count(slack_app.core, AnswerReceipt) == 1


async def test_skip_with_the_database_down_says_so_and_stores_nothing(slack_app: SlackApp) -> None:
    fake = slack_app.fake
    await slack_app.slack.command("/debrief", "skip", user_id=LEAD, channel_id=WARD)
    form = await opened(fake, Callback.SKIP)
    with database_down(slack_app.core):
        reply = await slack_app.slack.submit(form, {"skip.reason": "no_time"}, user_id=LEAD)
    assert reply.json()["response_action"] == "errors" and OUTAGE in reply.json()["errors"].values()
    assert await count(slack_app.core, SkippedDebrief) == 0


async def test_app_home_with_the_database_down_still_shows_support(slack_app: SlackApp, caplog) -> None:
    caplog.set_level(logging.WARNING, "debrief.slack")
    with database_down(slack_app.core):
        reply = await slack_app.slack.event({"type": "app_home_opened", "user": STAFF[0], "tab": "home"})
        assert reply.status == 200
        await slack_app.fake.wait_for("views.publish")
    shown = texts(slack_app.fake.home_tabs[STAFF[0]]["blocks"])
    assert "couldn't load your debriefs" in shown and "988" in shown
    one_line(caplog, "database or network unavailable")


async def test_a_button_with_the_database_down_gets_a_kind_ephemeral_message(slack_app: SlackApp) -> None:
    script = await start_debrief(slack_app)
    with database_down(slack_app.core):
        await slack_app.slack.click(script, Action.CLOSE, user_id=LEAD)
        await slack_app.fake.wait_for("response_url")
    said = slack_app.fake.last("response_url")
    assert said["text"] == OUTAGE and said["response_type"] == "ephemeral"
    assert "closed" not in texts(slack_app.fake.message(script["channel"], script["ts"])["blocks"]).lower()


async def test_two_forms_open_at_once_count_one_answer(slack_app: SlackApp) -> None:
    fake = slack_app.fake
    script = await start_debrief(slack_app)
    for _ in range(2):  # the same person taps "Answer anonymously" twice before sending either
        await slack_app.slack.click(script, Action.ANSWER, user_id=STAFF[1])
    await fake.wait_for("views.open", 2, where=lambda args: args["view"].get("callback_id") == Callback.ANSWER)
    first, second = [view for view in fake.views.values() if view.get("callback_id") == Callback.ANSWER]
    assert (await slack_app.slack.submit(first, {question_block("distress"): "3"}, user_id=STAFF[1])).json()[
        "response_action"
    ] == "update"
    again = (await slack_app.slack.submit(second, {question_block("distress"): "8"}, user_id=STAFF[1])).json()
    assert again["response_action"] == "update" and "already answered" in texts(again["view"]["blocks"])
    assert await count(slack_app.core, AnswerReceipt) == 1 and await count(slack_app.core, PendingAnswer) == 1
