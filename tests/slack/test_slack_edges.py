"""/slack/events at its edges: 413 over the limit, 401 for a timestamp that is not a number, 400 for wrong shapes."""

from __future__ import annotations

import json
import logging
import time
from urllib.parse import quote_plus

import pytest
from harness import SlackApp
from slack_bolt.request.internals import parse_body
from slack_sdk.signature import SignatureVerifier

from adapters.server import MAX_REQUEST_BYTES
from adapters.slack.http import bolt_body

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


def _problems(caplog) -> list[logging.LogRecord]:  # type: ignore[no-untyped-def]
    return [r for r in caplog.records if r.levelno >= logging.WARNING]


async def test_a_signed_body_over_the_limit_is_413(slack_app: SlackApp, caplog) -> None:
    caplog.set_level(logging.INFO)
    reply = await slack_app.slack.post_form({"payload": "x" * (MAX_REQUEST_BYTES + 10)})
    assert reply.status == 413
    [line] = _problems(caplog)
    assert "size limit" in line.getMessage() and not line.exc_info


@pytest.mark.parametrize("timestamp", ["abc", "", "1e9", "12.5", " ", "9" * 400])
async def test_a_timestamp_that_is_not_a_number_is_401_not_500(slack_app: SlackApp, caplog, timestamp: str) -> None:
    caplog.set_level(logging.INFO)
    body = "command=/debrief&text=&user_id=U1&team_id=T1"
    signature = SignatureVerifier(SIGNING_SECRET).generate_signature(timestamp=timestamp, body=body)
    reply = await slack_app.slack.unsigned().post(
        body, "application/x-www-form-urlencoded",
        headers={"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": signature or ""},
    )
    assert reply.status == 401
    assert [r for r in caplog.records if r.exc_info] == []


async def test_a_forged_request_is_refused_before_anything_reads_or_logs_its_body(slack_app: SlackApp, caplog) -> None:
    """The signature is checked before anything parses the request: the only check (Bolt's own, which logged a refused body at DEBUG, is off)."""
    caplog.set_level(logging.DEBUG)
    secret = "Private worry about the night shift"
    reply = await slack_app.slack.forged().post_form({"command": "/debrief", "text": secret, "user_id": "U1", "team_id": "T1"})
    assert reply.status == 401
    assert [r.name for r in caplog.records if "Private worry" in r.getMessage()] == []
    assert slack_app.fake.calls == []


@pytest.mark.parametrize(
    ("payload", "cause"),
    [
        ({"type": "block_actions", "actions": "answer", "user": {"id": "U1"}}, "actions"),
        ({"type": "block_actions", "actions": [{"block_id": "b"}], "user": {"id": "U1"}}, "action_id"),
        ({"type": "block_actions", "actions": [{"action_id": "x"}], "user": "U1"}, "user"),
        ({"type": "view_submission", "view": "V1", "user": {"id": "U1"}}, "view"),
        ({"type": "view_submission", "view": {"id": "V1", "callback_id": 7}, "user": {"id": "U1"}}, "view.callback_id"),
        ([1, 2, 3], "malformed body"),
    ],
)
async def test_a_signed_payload_of_the_wrong_shape_is_400_with_one_line(slack_app: SlackApp, caplog, payload, cause) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.INFO)
    reply = await slack_app.slack.post_payload(payload)
    assert reply.status == 400
    [line] = _problems(caplog)
    assert cause in line.getMessage() and not line.exc_info
    assert "U1" not in line.getMessage()  # names the cause, never the body


async def test_an_event_with_the_wrong_shape_is_400(slack_app: SlackApp) -> None:
    body = {"type": "event_callback", "event": ["app_home_opened"], "team_id": slack_app.fake.team_id,
            "event_id": "Ev1", "event_time": int(time.time())}
    assert (await slack_app.slack.post(json.dumps(body), "application/json")).status == 400


@pytest.mark.parametrize("body", [
    "payload=" + quote_plus(json.dumps({"type": "view_submission", "view": {"state": {"values": {"q": {"a": {
        "value": "+ & = % ; ünïcødé 😀 \\n"}}}}}})),
    "payload=%7B%22a%22%3A1%7D&payload=%7B%22a%22%3A2%7D",  # the last one, as urllib's parse_qsl
    "payload=%7B%22a%22%3A%22%zz%ff%22%7D",  # malformed escapes kept as they are
    "payload=123", "payload=", "payload", "token=t&command=%2Fdebrief&text=a+b%2Bc", '{"type": "event_callback"}',
])
def test_bolt_is_handed_what_its_own_parser_would_have_read(body: str) -> None:
    """`bolt_body` decodes a form's payload with yarl; Bolt ends with the same payload as from the raw body."""
    form = "application/x-www-form-urlencoded"
    try:
        expected = parse_body(body, form)
    except ValueError:
        expected = ValueError
    try:
        got = parse_body(bolt_body(body), form)
    except ValueError:
        got = ValueError
    assert got == expected
