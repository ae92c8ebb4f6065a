"""Fuzz /slack/events with correctly signed, malformed payloads: never a 500, never a traceback.

Every request is signed with the real signing secret, so it gets past the
signature check and into the body's parsing, Bolt's matchers and our
listeners. The payloads start as what Slack sends (a slash command, a
button click, a form submission, an App Home event) and are mutated by
`fuzz_payloads.mutated`. The server is the real one; hypothesis runs in a
worker thread and sends each case to it on the test's event loop.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any
from urllib.parse import urlencode

from fuzz_payloads import mutated
from harness import LEGACY_TOKEN, SlackApp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.slack.ids import Action, Callback

CASES = 1000
IDS = [*map(str, Action), *map(str, Callback), "block_actions", "view_submission", "view_closed", "event_callback",
       "app_home_opened", "message", "shortcut", "block_suggestion", "/debrief", "U1", "T1", "C1", "V1", "{}", "[]"]


def _templates(app: SlackApp) -> dict[str, Any]:
    fake = app.fake
    team = {"id": fake.team_id, "domain": fake.team_domain}
    user = {"id": "U1", "username": "u1", "name": "u1", "team_id": fake.team_id}
    view = {
        "id": "V1", "team_id": fake.team_id, "type": "modal", "callback_id": str(Callback.ANSWER), "hash": "1.x",
        "private_metadata": json.dumps({"d": "00000000-0000-4000-8000-000000000001", "s": "debrief"}),
        "blocks": [{"type": "input", "block_id": "q.distress", "element": {"type": "static_select", "action_id": "value"}}],
        "state": {"values": {"q.distress": {"value": {"type": "static_select", "selected_option": {"value": "3"}}}}},
        "title": {"type": "plain_text", "text": "Debrief"},
    }
    return {
        "block_actions": {
            "type": "block_actions", "user": user, "team": team, "api_app_id": fake.app_id, "token": LEGACY_TOKEN,
            "trigger_id": "1.2.3", "channel": {"id": "C1", "name": "ward"}, "response_url": f"{fake.url}/response/1",
            "container": {"type": "message", "message_ts": "1.1", "channel_id": "C1"},
            "message": {"ts": "1.1", "text": "x", "blocks": []},
            "actions": [{"action_id": str(Action.ANSWER), "block_id": "script.buttons", "type": "button",
                         "value": json.dumps({"d": "00000000-0000-4000-8000-000000000001"}), "action_ts": "1.2"}],
            "state": {"values": {}},
        },
        "view_submission": {
            "type": "view_submission", "team": team, "user": user, "api_app_id": fake.app_id, "token": LEGACY_TOKEN,
            "trigger_id": "1.2.3", "view": view, "response_urls": [],
        },
        "view_closed": {"type": "view_closed", "team": team, "user": user, "view": view, "is_cleared": False},
        "event_callback": {
            "type": "event_callback", "team_id": fake.team_id, "api_app_id": fake.app_id, "token": LEGACY_TOKEN,
            "event": {"type": "app_home_opened", "user": "U1", "tab": "home", "event_ts": "1.1"},
            "event_id": "Ev1", "event_time": 1,
            "authorizations": [{"team_id": fake.team_id, "user_id": fake.bot_user_id, "is_bot": True}],
        },
    }


def _command(app: SlackApp) -> dict[str, str]:
    fake = app.fake
    return {"token": LEGACY_TOKEN, "team_id": fake.team_id, "channel_id": "C1", "user_id": "U1", "command": "/debrief",
            "text": "", "api_app_id": fake.app_id, "response_url": f"{fake.url}/response/1", "trigger_id": "1.2.3"}


def _bodies(app: SlackApp) -> st.SearchStrategy[tuple[str, str]]:
    """(body, content type) as Slack would post it: interactivity as a `payload` form field, events as JSON."""
    templates = _templates(app)
    interactive = st.sampled_from(["block_actions", "view_submission", "view_closed"]).flatmap(
        lambda kind: mutated(templates[kind], IDS)
    ).map(lambda payload: (urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"))
    events = mutated(templates["event_callback"], IDS).map(lambda payload: (json.dumps(payload), "application/json"))
    command = st.dictionaries(
        st.sampled_from(sorted(_command(app))), st.text(max_size=30) | st.sampled_from(IDS), max_size=4
    ).map(lambda changes: (urlencode({**_command(app), **changes}), "application/x-www-form-urlencoded"))
    odd = st.tuples(st.text(max_size=40), st.sampled_from(["application/json", "application/x-www-form-urlencoded"]))
    return interactive | events | command | odd


async def test_signed_malformed_payloads_get_4xx_and_never_a_traceback(slack_app: SlackApp, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    loop = asyncio.get_running_loop()
    statuses: list[int] = []

    @settings(max_examples=CASES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(case=_bodies(slack_app))
    def send(case: tuple[str, str]) -> None:
        body, content_type = case
        reply = asyncio.run_coroutine_threadsafe(slack_app.slack.post(body, content_type), loop).result(timeout=30)
        statuses.append(reply.status)
        assert reply.status < 500, (reply, body[:300])

    await asyncio.to_thread(send)
    await slack_app.idle()  # every listener's work after its ack has finished, and logged what it would
    assert len(statuses) >= CASES
    assert 500 not in statuses
    tracebacks = [r for r in caplog.records if r.exc_info or "Traceback" in r.getMessage()]
    assert tracebacks == [], tracebacks[:3]
    assert any(status == 400 for status in statuses)
