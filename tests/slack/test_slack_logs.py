"""The logs at every LOG_LEVEL: nothing that ties an answer to a person, and refusals with their cause only.

An answer goes through the real server at each level, with the logging
`serve` sets up (`adapters.logs.configure`), and every record of every
logger (ours, aiosqlite, sqlalchemy.engine, asyncpg, slack_bolt, slack_sdk,
aiohttp's access log) is read. Then the same person's answer arrives with a
stale timestamp (a clock out by six minutes, a replay): refused, and logged
with its cause, never with the body (the person's id, what they typed).
Our route's check is the only one (Bolt's own, which quoted the body when
it refused, is off): the same stale request handed to Bolt directly is
not answered, and whatever Bolt logs of it is cut to its cause
(`adapters.logs.CauseOnly`).
"""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

import pytest
from attack import LogCapture, marker
from fake_slack import FakeSlack
from harness import SIGNING_SECRET, make_settings, running_app
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.signature import SignatureVerifier

from adapters.slack.http import BOLT
from adapters.slack.ids import Action, Callback, SetupBlock, Where, question_block
from bot.models import AnswerReceipt

LEAD = "ULEADLOGS1"
PEOPLE = [f"ULOGS{n:05d}" for n in range(3)]
WARD = "CWARDLOGS1"
DEPENDENCIES = ("aiosqlite", "sqlalchemy", "asyncpg", "slack_bolt", "slack_sdk", "aiohttp.access", "botbuilder")


@pytest.mark.parametrize("level", ["DEBUG", "INFO", "WARNING"])
async def test_no_log_line_ties_an_answer_to_a_person_at_any_level(database_url: str, level: str) -> None:
    async with FakeSlack() as fake:
        settings = make_settings(fake, database_url, log_level=level)
        with LogCapture(level) as logs:
            async with running_app(settings, fake) as app:
                await app.slack.command("/debrief", "", user_id=LEAD, channel_id=WARD)
                await fake.wait_for("views.open", timeout=60, where=lambda a: a["view"].get("callback_id") == Callback.SETUP)
                await app.slack.submit(fake.last_view(Callback.SETUP), {
                    SetupBlock.SCRIPT: "stop5", SetupBlock.PARTICIPANTS: PEOPLE, SetupBlock.WHERE: Where.NEW_CHANNEL,
                }, user_id=LEAD)
                await fake.wait_for("views.update", timeout=60, where=lambda a: "Done" in str(a["view"]))
                posted = next(c.args for c in reversed(fake.calls) if c.method == "chat.update" and "ts" in c.args)
                script = fake.message(posted["channel"], posted["ts"])
                person, note, stale_note = PEOPLE[0], marker(), marker()
                await app.slack.click(script, Action.ANSWER, user_id=person)
                await fake.wait_for("views.open", 2, timeout=60)
                form = fake.last_view(Callback.ANSWER)
                stale = await app.slack.expired().submit(
                    form, {question_block("distress"): "4", question_block("team_note"): stale_note}, user_id=person)
                assert stale.status == 401, stale
                reply = await app.slack.submit(
                    form, {question_block("distress"): "4", question_block("team_note"): note}, user_id=person)
                assert reply.status == 200 and "view" in reply.json(), reply
                refused_by_bolt = await _stale_straight_to_bolt(app, person, marker())
                async with app.core.database.session() as session:
                    digests = [row.digest for row in (await session.execute(AnswerReceipt.__table__.select())).all()]
    lines = logs.lines
    assert digests
    tying = [line for line in lines if any(d in line for d in digests) or note in line or stale_note in line
             or refused_by_bolt in line or (person in line and ("distress" in line or "team_note" in line))]
    assert not tying, tying
    assert not [line for line in lines if line.split(": ", 1)[0].rsplit(" ", 1)[-1].startswith(DEPENDENCIES)
                and ("SELECT" in line or "INSERT" in line or "POST" in line or "GET" in line)]
    refusals = [line for line in lines if "refused" in line]
    assert len([line for line in refusals if "stale timestamp" in line]) >= 1, lines
    assert not [line for line in refusals if person in line or "payload" in line], refusals


async def _stale_straight_to_bolt(app, person: str, note: str) -> str:  # type: ignore[no-untyped-def]
    """A view submission signed six minutes ago, handed to Bolt itself, past our route: no listener takes it, nothing quotes it."""
    state = {"values": {"q": {"a": {"type": "plain_text_input", "value": note}}}}
    body = urlencode({"payload": json.dumps({"type": "view_submission", "user": {"id": person}, "view": {"state": state}})})
    stamp = str(int(time.time()) - 360)
    headers = {"X-Slack-Request-Timestamp": stamp,
               "X-Slack-Signature": SignatureVerifier(SIGNING_SECRET).generate_signature(timestamp=stamp, body=body),
               "Content-Type": "application/x-www-form-urlencoded"}
    response = await app.app[BOLT].async_dispatch(AsyncBoltRequest(body=body, headers=headers))
    assert response.status == 404  # no callback_id: unhandled, and logged as such by Bolt
    return note
