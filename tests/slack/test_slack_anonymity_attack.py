"""The anonymity attack on Slack: 16 people answer in random order through the real server; nothing links.

See `tests/attack.py` for the channels and what "chance level" means. The
report of every channel is printed (`pytest -s`) and is the failure message.
"""

from __future__ import annotations

import json
import random

from attack import LogCapture, Truth, attack, report, snapshot
from attack import marker as new_marker
from fake_slack import FakeSlack
from harness import make_settings, running_app

from adapters.slack.ids import Action, Callback, SetupBlock, Where, question_block
from bot.scripts import DEBRIEF_STAGE

LEAD = "ULEADNURSE"
PEOPLE = [f"UWARD{n:05d}" for n in range(15)]
WARD = "CWARD00001"
MIN_GROUP = 5
TALKING = 6
"""People who ask to talk to someone right after answering: a named row written moments after their answer.

Six, so that the one channel that looks at them can show a link: all six right by chance is (1/5)^6 = 6e-5."""
WAIT = 60.0
"""Seconds to wait for a call of the bot's that must come: only a bound for a hung run, not a pace."""


def _texts(node: object) -> str:
    return json.dumps(node)


async def test_no_channel_links_an_answer_to_its_author(database_url: str) -> None:
    async with FakeSlack() as fake:
        settings = make_settings(fake, database_url, debrief_min_group=MIN_GROUP, log_level="DEBUG")
        with LogCapture() as logs:
            async with running_app(settings, fake) as app:
                truth, replies = await _run(app, fake)
                shots = [await snapshot(app.core.database)]
                await app.slack.click(_script(fake), Action.CLOSE, user_id=LEAD)
                await fake.wait_for("chat.postMessage", timeout=WAIT, where=lambda args: "Debrief closed" in _texts(args))
                shots.append(await snapshot(app.core.database))
            shots.append(await snapshot(app.core.database))  # and a copy taken once the bot has stopped
    assert len(shots[-1].tables["support_requests"]) == TALKING
    platform = [(_person_of(call.args), _texts(call.args)) for call in fake.calls] + replies
    findings = attack(shots, truth, {}, logs.lines, platform)
    text = report(findings, f"Slack, {'SQLite' if 'sqlite' in database_url else 'PostgreSQL'}")
    print("\n" + text)
    assert all(finding.p_value >= 1e-4 for finding in findings), text


async def _ask_to_talk(app, fake: FakeSlack, thanks: dict, person: str) -> None:
    pushed = len(fake.calls_to("views.push")) + len(fake.calls_to("views.open"))
    await app.slack.click({**thanks, "id": thanks.get("id") or "VTHANKS"}, Action.TALK, user_id=person)
    await fake.wait_for("views.push", timeout=WAIT, where=lambda args: len(fake.calls_to("views.push")) + len(fake.calls_to("views.open")) > pushed)
    form = fake.last_view()
    assert form["callback_id"] == Callback.TALK, form
    updated = len(fake.calls_to("views.update"))
    await app.slack.submit(form, {}, user_id=person)
    await fake.wait_for("views.update", updated + 1, timeout=WAIT)


async def _thanks(fake: FakeSlack, form: dict, reply) -> dict:
    """The thank-you view the answer ended on: in the reply, or (a slow write) in the update after "Saving…"."""
    assert reply.status == 200, reply
    view = (reply.json() or {}).get("view")
    assert view is not None, f"the answer was not taken: {reply.text[:300]}"
    if "Saving" not in _texts(view):
        return view
    updated = await fake.wait_for("views.update", timeout=WAIT, where=lambda args: args.get("view_id") == form["id"])
    return {**updated[-1]["view"], "id": form["id"]}


def _person_of(args: dict) -> str | None:
    channel = str(args.get("channel") or args.get("user") or "")
    return channel if channel.startswith("U") else None


def _script(fake: FakeSlack) -> dict:
    posted = next(call.args for call in reversed(fake.calls) if call.method == "chat.update" and "ts" in call.args)
    return fake.message(posted["channel"], posted["ts"])


async def _run(app, fake: FakeSlack) -> tuple[Truth, list[tuple[str | None, str]]]:
    slack = app.slack
    await slack.command("/debrief", "", user_id=LEAD, channel_id=WARD)
    await fake.wait_for("views.open", timeout=WAIT, where=lambda args: args["view"].get("callback_id") == Callback.SETUP)
    await slack.submit(
        fake.last_view(Callback.SETUP),
        {SetupBlock.SCRIPT: "stop5", SetupBlock.PARTICIPANTS: PEOPLE, SetupBlock.WHERE: Where.NEW_CHANNEL},
        user_id=LEAD,
    )
    await fake.wait_for("views.update", timeout=WAIT, where=lambda args: "Done" in _texts(args["view"]))
    script = _script(fake)
    truth = Truth(min_group=MIN_GROUP)
    replies: list[tuple[str | None, str]] = []
    everyone = [LEAD, *PEOPLE]
    random.shuffle(everyone)
    talking = set(random.sample(everyone, TALKING))
    for person in everyone:
        opened = len(fake.calls_to("views.open"))
        await slack.click(script, Action.ANSWER, user_id=person)
        await fake.wait_for("views.open", opened + 1, timeout=WAIT)
        form = fake.last_view()
        assert form["callback_id"] == Callback.ANSWER, form
        marker = new_marker()
        reply = await slack.submit(
            form,
            {question_block("distress"): str(9 if person in talking else random.randint(0, 6)), question_block("team_note"): f"I keep thinking about it {marker}"},
            user_id=person,
        )
        thanks = await _thanks(fake, form, reply)
        truth.add(person, marker)
        replies.append((person, reply.text))
        if person in talking:  # straight from the thank-you screen: "I'd like to talk to someone"
            await _ask_to_talk(app, fake, thanks, person)
    assert DEBRIEF_STAGE
    return truth, replies
