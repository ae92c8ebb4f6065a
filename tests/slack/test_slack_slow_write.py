"""A slow answer write is never a silent loss: "Saving…", then the thank-you or plainly "nothing was saved".

The write is made slow the way it was found: another connection holds the
lock the answer's transaction needs (SQLite: BEGIN IMMEDIATE, the one
writer's lock; PostgreSQL: an EXCLUSIVE lock on the receipts table). Slack
closes a form whose ack takes 3 seconds as if it had been saved, so the
ack must not wait for the write and must not be empty.
"""

from __future__ import annotations

from db_lock import held
from harness import SlackApp
from test_slack_bad_input import count
from test_slack_flow import LEAD, STAFF, WARD, opened, start_debrief

from adapters.slack.ids import Action, ActionPointBlock, Callback, question_block
from adapters.slack.listeners.views import SAVING
from bot.models import ActionPoint, AnswerReceipt, SkippedDebrief


async def _answer_form(slack_app: SlackApp, script: dict | None = None) -> tuple[dict, dict]:
    """(the script message, the answer form opened from it by STAFF[0])."""
    script = script or await start_debrief(slack_app)
    opened_before = len(slack_app.fake.calls_to("views.open"))
    await slack_app.slack.click(script, Action.ANSWER, user_id=STAFF[0])
    await slack_app.fake.wait_for("views.open", opened_before + 1)
    return script, await opened(slack_app.fake, Callback.ANSWER)


def _texts(view: dict) -> str:
    return " ".join(str(block.get("text", {}).get("text", "")) for block in view.get("blocks") or [])


async def test_a_slow_write_acks_saving_then_shows_the_thank_you(slack_app: SlackApp) -> None:
    fake = slack_app.fake
    _, modal = await _answer_form(slack_app)
    updates = len(fake.calls_to("views.update"))
    async with held(slack_app.core.database.url):
        reply = await slack_app.slack.submit(modal, {question_block("distress"): "4"}, user_id=STAFF[0])
        # The ack came while the write still waited for the lock, and it is not empty.
        assert reply.status == 200 and reply.json()["response_action"] == "update"
        assert SAVING in _texts(reply.json()["view"])
        assert await count(slack_app.core, AnswerReceipt) == 0
    [*_, shown] = await fake.wait_for("views.update", updates + 1, timeout=30)
    assert shown["view_id"] == modal["id"] and "Thank you" in _texts(shown["view"])
    assert await count(slack_app.core, AnswerReceipt) == 1


async def test_a_write_that_fails_after_saving_says_plainly_that_nothing_was_saved(slack_app: SlackApp) -> None:
    fake = slack_app.fake
    script, modal = await _answer_form(slack_app)
    updates = len(fake.calls_to("views.update"))
    async with held(slack_app.core.database.url) as lock:
        reply = await slack_app.slack.submit(modal, {question_block("distress"): "4"}, user_id=STAFF[0])
        assert SAVING in _texts(reply.json()["view"])
        await lock.break_waiter()
        [*_, shown] = await fake.wait_for("views.update", updates + 1, timeout=30)
    assert shown["view_id"] == modal["id"]
    assert "nothing was stored" in _texts(shown["view"]).lower() and "Answer anonymously" in _texts(shown["view"])
    assert await count(slack_app.core, AnswerReceipt) == 0

    # And the person can send it again: the answer goes through.
    _, again = await _answer_form(slack_app, script)
    reply = await slack_app.slack.submit(again, {question_block("distress"): "4"}, user_id=STAFF[0])
    assert reply.json()["response_action"] == "update" and await count(slack_app.core, AnswerReceipt) == 1


async def test_a_slow_action_point_is_saving_then_added_and_posted(slack_app: SlackApp) -> None:
    fake = slack_app.fake
    script = await start_debrief(slack_app)
    await slack_app.slack.click(script, Action.ADD_ACTION_POINT, user_id=LEAD)
    form = await opened(fake, Callback.ACTION_POINT)
    updates, posts = len(fake.calls_to("views.update")), len(fake.calls_to("chat.postMessage"))
    async with held(slack_app.core.database.url, "action_points"):
        reply = await slack_app.slack.submit(form, {ActionPointBlock.TEXT: "Check the defibrillator pads", ActionPointBlock.OWNER: LEAD}, user_id=LEAD)
        assert SAVING in _texts(reply.json()["view"])
    [*_, shown] = await fake.wait_for("views.update", updates + 1, timeout=30)
    assert "Added to the debrief" in _texts(shown["view"])
    assert len(fake.calls_to("chat.postMessage")) > posts and await count(slack_app.core, ActionPoint) == 1


async def test_a_slow_skip_that_fails_says_nothing_was_saved(slack_app: SlackApp) -> None:
    fake = slack_app.fake
    await slack_app.slack.command("/debrief", "skip", user_id=LEAD, channel_id=WARD)
    form = await opened(fake, Callback.SKIP)
    updates = len(fake.calls_to("views.update"))
    async with held(slack_app.core.database.url, "skipped_debriefs") as lock:
        reply = await slack_app.slack.submit(form, {"skip.reason": "no_time"}, user_id=LEAD)
        assert SAVING in _texts(reply.json()["view"])
        await lock.break_waiter()
        [*_, shown] = await fake.wait_for("views.update", updates + 1, timeout=30)
    assert "Nothing was saved" in _texts(shown["view"]) and "/debrief skip" in _texts(shown["view"])
    assert await count(slack_app.core, SkippedDebrief) == 0
