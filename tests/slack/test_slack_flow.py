"""The whole Slack debrief, through the real server with signed requests, against the fake Web API.

One lead starts a debrief from the ward channel, five people answer
anonymously, the counter moves in batches, a second answer is refused
kindly, the lead posts the team's results (no names, only shared text),
adds an action point and closes the debrief.
"""

from __future__ import annotations

import asyncio
import re

from fake_slack import FakeSlack
from harness import SlackApp

from adapters.slack.ids import Action, ActionPointBlock, Callback, SetupBlock, Where, question_block, share_block
from bot.models import Answer, SinceEvent

LEAD = "ULEAD00001"
STAFF = ["USTAFF0001", "USTAFF0002", "USTAFF0003", "USTAFF0004"]
WARD = "CWARD00001"


def texts(blocks: list[dict]) -> str:
    """Every text in a message or view, joined, to assert on what people read."""
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if node.get("type") in ("plain_text", "mrkdwn") and isinstance(node.get("text"), str):
                found.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(blocks)
    return "\n".join(found)


async def opened(fake: FakeSlack, callback_id: str) -> dict:
    """The modal the bot opened with this callback id, once it has (views.open runs after the ack)."""
    await fake.wait_for("views.open", where=lambda args: args["view"].get("callback_id") == callback_id)
    return fake.last_view(callback_id)


async def start_debrief(slack_app: SlackApp, label: str = "Resus 2, Tuesday night", where: str = Where.NEW_CHANNEL) -> dict:
    """Run /debrief and submit the set-up form; return the script message."""
    fake, slack = slack_app.fake, slack_app.slack
    trigger = fake.new_trigger_id(LEAD)
    reply = await slack.command("/debrief", "", user_id=LEAD, channel_id=WARD, trigger_id=trigger)
    assert reply.status == 200 and reply.elapsed < 3
    setup = await opened(fake, Callback.SETUP)
    assert fake.last("views.open")["trigger_id"] == trigger
    picked = [*STAFF, fake.bot_user_id]  # someone picks the bot too: it is never invited or followed up
    reply = await slack.submit(
        setup,
        {SetupBlock.SCRIPT: "stop5", SetupBlock.PARTICIPANTS: picked, SetupBlock.LABEL: label, SetupBlock.WHERE: where,
         SetupBlock.SINCE_EVENT: SinceEvent.HOURS_1_4},
        user_id=LEAD,
    )
    assert reply.status == 200, reply
    assert reply.json()["response_action"] == "update"
    await fake.wait_for("views.update", where=lambda args: "Done" in texts(args["view"]["blocks"]))
    script = fake.last("chat.update")
    return fake.message(script["channel"], script["ts"])


async def answer(slack_app: SlackApp, script: dict, user: str, distress: int = 3, note: str | None = None, share: bool = False):
    fake, slack = slack_app.fake, slack_app.slack
    before = len(fake.calls_to("views.open"))
    reply = await slack.click(script, Action.ANSWER, user_id=user)
    assert reply.status == 200
    await fake.wait_for("views.open", before + 1)
    modal = fake.last_view()
    if modal["callback_id"] != Callback.ANSWER:
        return None, modal
    answers = {question_block("distress"): str(distress), question_block("useful"): "useful"}
    if note is not None:
        answers[question_block("team_note")] = note
    if share:
        answers[share_block("team_note")] = ["shared"]
    return await slack.submit(modal, answers, user_id=user), modal


async def test_the_whole_debrief_from_command_to_close(slack_app: SlackApp) -> None:
    fake = slack_app.fake
    script = await start_debrief(slack_app)

    created = fake.last("conversations.create")
    assert re.fullmatch(r"debrief-\d{8}-[a-z0-9]{4}", created["name"])
    assert str(created["is_private"]).lower() in ("true", "1")
    channel = fake.channel_named(created["name"])
    invited = fake.last("conversations.invite")["users"].split(",")
    assert set(invited) == {LEAD, *STAFF} and fake.bot_user_id not in invited
    debrief = await slack_app.core.debriefs.find_by_request(fake.calls_to("views.update")[0]["view_id"])
    assert debrief.since_event == SinceEvent.HOURS_1_4
    participants = await slack_app.core.debriefs.participants(debrief.id)
    assert {participant.user for participant in participants} == {LEAD, *STAFF}
    assert "fewer than 5 anonymous answers" in texts(script["blocks"]).lower()
    assert "Resus 2, Tuesday night" in texts(script["blocks"])

    notes = {0: "Defib pads were missing <!channel>", 1: "Private worry", 2: None, 3: None, 4: "We did well &  <@U123>"}
    updates_before = len(fake.calls_to("chat.update"))
    people = [LEAD, *STAFF]
    for index, person in enumerate(people):
        reply, _ = await answer(slack_app, script, person, distress=index, note=notes[index], share=index in (0, 4))
        assert reply.status == 200, reply
        assert reply.json()["response_action"] == "update"
        if index < 4:  # the counter does not move until the batch of five is complete
            assert len(fake.calls_to("chat.update")) == updates_before
    await fake.wait_for("chat.update", updates_before + 1)
    script = fake.message(channel.id, script["ts"])
    assert "5 or more anonymous answers" in texts(script["blocks"])

    # A second answer from the same person is refused kindly.
    _, modal = await answer(slack_app, script, STAFF[0])
    assert "already answered" in texts(modal["blocks"])

    # The lead posts the team's results: shared notes only, escaped, no names.
    posted = len(fake.messages_in(channel.id))
    await slack_app.slack.click(script, Action.POST_RESULTS, user_id=LEAD)
    await fake.wait_for("chat.postMessage", where=lambda args: "anonymous results" in texts(args.get("blocks") or []))
    results = fake.messages_in(channel.id)[posted]
    shown = texts(results["blocks"])
    assert "Defib pads were missing &lt;!channel&gt;" in shown
    assert "&lt;@U123&gt;" in shown and "Private worry" not in shown
    assert not any(person in shown for person in people)

    # An action point with its owner and due date.
    await slack_app.slack.click(script, Action.ADD_ACTION_POINT, user_id=LEAD)
    await fake.wait_for("views.open", where=lambda args: args["view"].get("callback_id") == Callback.ACTION_POINT)
    form = await opened(fake, Callback.ACTION_POINT)
    point = {ActionPointBlock.TEXT: "Check the defib pads every shift", ActionPointBlock.OWNER: STAFF[1], ActionPointBlock.DUE_ON: "2099-01-14"}
    reply = await slack_app.slack.submit(form, point, user_id=LEAD)
    assert reply.status == 200
    await fake.wait_for("chat.postMessage", where=lambda args: "New action point" in texts(args.get("blocks") or []))
    assert f"<@{STAFF[1]}>" in texts(fake.messages_in(channel.id)[-1]["blocks"])
    again = await slack_app.slack.submit(form, point, user_id=LEAD)  # the same modal sent twice: one point
    assert again.status == 200 and not again.text
    await asyncio.sleep(0.2)
    posted_points = [m for m in fake.messages_in(channel.id) if "New action point" in texts(m.get("blocks") or [])]
    assert len(posted_points) == 1 and len(await slack_app.core.debriefs.action_points(debrief.id)) == 1

    # Close: a summary in the channel, the script shows it is closed.
    await slack_app.slack.click(script, Action.CLOSE, user_id=LEAD)
    await fake.wait_for("chat.postMessage", where=lambda args: "Debrief closed" in texts(args.get("blocks") or []))
    summary = texts(fake.messages_in(channel.id)[-1]["blocks"])
    assert "Check the defib pads every shift" in summary and "5 or more anonymous answers" in summary
    await fake.wait_for("chat.update", where=lambda args: "closed" in texts(args.get("blocks") or []))
    script = fake.message(channel.id, script["ts"])
    assert "This debrief is closed" in texts(script["blocks"])

    async with slack_app.core.database.session() as session:
        from sqlalchemy import func, select

        assert (await session.execute(select(func.count()).select_from(Answer))).scalar_one() == 5 * 2 + 3
    assert fake.violations == []


async def test_ten_people_answering_at_once_move_the_counter_in_two_batches(slack_app: SlackApp) -> None:
    fake, slack = slack_app.fake, slack_app.slack
    people = [f"UNURSE{index:04d}" for index in range(10)]
    assert (await slack.command("/debrief", "", user_id=LEAD, channel_id=WARD)).status == 200
    await slack.submit(
        await opened(fake, Callback.SETUP),
        {SetupBlock.SCRIPT: "stop5", SetupBlock.PARTICIPANTS: people, SetupBlock.WHERE: Where.NEW_CHANNEL},
        user_id=LEAD,
    )
    await fake.wait_for("views.update", where=lambda args: "Done" in texts(args["view"]["blocks"]))
    posted = fake.last("chat.update")
    script = fake.message(posted["channel"], posted["ts"])
    value = next(e["value"] for b in script["blocks"] for e in b.get("elements") or [] if e.get("action_id") == Action.ANSWER)

    forms = {}
    for person in people:  # everyone opens the form first, as they would in the room; each form is its person's own
        await slack.block_action(Action.ANSWER, value, user_id=person, channel_id=script["channel"])
        await fake.wait_for("views.open", len(forms) + 1, where=lambda args: args["view"].get("callback_id") == Callback.ANSWER)
        view = fake.last_view(Callback.ANSWER)  # the one just opened: the forms open one at a time here
        forms[view["id"]] = view
    assert len(forms) == len(people)
    updates_before = len(fake.calls_to("chat.update"))
    replies = await asyncio.gather(
        *(
            slack.submit(form, {question_block("distress"): "2"}, user_id=person)
            for form, person in zip(forms.values(), people, strict=True)
        )
    )
    assert all(reply.status == 200 and reply.elapsed < 3 for reply in replies)
    assert all(reply.json()["response_action"] == "update" for reply in replies)
    await fake.wait_for("chat.update", where=lambda args: "10 or more" in texts(args.get("blocks") or []))
    await asyncio.sleep(0.2)  # any redraw still in flight lands
    counters = [texts(args["blocks"]) for args in fake.calls_to("chat.update")[updates_before:]]
    assert len(counters) <= 2 and all(re.search(r"\b(5|10) or more anonymous answers", text) for text in counters)
    assert "10 or more anonymous answers" in texts(fake.message(script["channel"], script["ts"])["blocks"])


async def test_mentions_and_markup_in_anything_people_type_ping_nobody(slack_app: SlackApp) -> None:
    fake, core = slack_app.fake, slack_app.core
    script = await start_debrief(slack_app, label="<!here> Resus & <https://evil.example|click>")
    assert "&lt;!here&gt; Resus &amp; &lt;https://evil.example|click&gt;" in texts(script["blocks"])
    debrief = await core.debriefs.find_by_request(fake.calls_to("views.update")[0]["view_id"])
    await core.debriefs.add_action_point(debrief.id, text="<!channel> buy pads", owner=STAFF[0], due_on=None, actor=LEAD)
    await slack_app.slack.event({"type": "app_home_opened", "user": STAFF[0], "tab": "home"})
    await fake.wait_for("views.publish")
    assert "&lt;!here&gt;" in texts(fake.home_tabs[STAFF[0]]["blocks"])
    await slack_app.slack.click(script, Action.CLOSE, user_id=LEAD)
    await fake.wait_for("chat.postMessage", where=lambda args: "Debrief closed" in texts(args.get("blocks") or []))
    assert "&lt;!channel&gt; buy pads" in texts(fake.messages_in(script["channel"])[-1]["blocks"])
    assert fake.violations == []


async def test_a_long_list_of_action_points_fits_one_message_and_says_how_many_more(slack_app: SlackApp) -> None:
    fake, core = slack_app.fake, slack_app.core
    script = await start_debrief(slack_app)
    debrief = await core.debriefs.find_by_request(fake.calls_to("views.update")[0]["view_id"])
    for number in range(120):
        text = f"Action point number {number}: " + "restock and check the airway trolley every shift " * 9
        await core.debriefs.add_action_point(debrief.id, text=text, owner=STAFF[number % 4], due_on=None, actor=LEAD)
    await slack_app.slack.click(script, Action.CLOSE, user_id=LEAD)
    await fake.wait_for("chat.postMessage", where=lambda args: "Debrief closed" in texts(args.get("blocks") or []))
    summary = fake.messages_in(script["channel"])[-1]
    assert len(summary["blocks"]) <= 50
    assert re.search(r"…and \d+ more action points", texts(summary["blocks"]))
    assert fake.violations == []
