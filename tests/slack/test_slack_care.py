"""Care that reaches a person, on Slack, through the real server: notes reach the officers, crisis words and
an answer exactly at the threshold show the crisis lines, and every thank-you offers the conversation."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest
from harness import OFFICER, SlackApp
from prometheus_client import REGISTRY
from sqlalchemy import select
from test_slack_flow import LEAD, STAFF, answer, start_debrief, texts
from test_slack_followups_support import ask_to_talk, check_in

from adapters.slack.ids import Action, Callback, SetupBlock, Where
from bot.models import FollowupStatus, SupportEscalation

WORRY = "I keep replaying the handover in my head"
CRISIS = "Honestly I can't go on like this"
SHARED = "The new airway trolley layout really helped"


async def notes_shown(slack_app: SlackApp, user: str, *, command: bool = True) -> str:
    """What `user` reads after `/debrief notes` (or the App Home button): the modal the bot ends on."""
    fake, slack = slack_app.fake, slack_app.slack
    updates = len(fake.calls_to("views.update"))
    if command:
        await slack.command("/debrief", "notes", user_id=user)
    else:
        await slack.event({"type": "app_home_opened", "user": user, "tab": "home"})
        await fake.wait_for("views.publish", where=lambda args: args["user_id"] == user)
        home = fake.last("views.publish")["view"]
        await slack.click({"blocks": home["blocks"], "view": home}, Action.NOTES, user_id=user)
    await fake.wait_for("views.update", updates + 1)
    return texts(fake.last("views.update")["view"]["blocks"])


async def test_a_note_reaches_the_officers_notes_view_and_only_there(slack_app: SlackApp) -> None:
    fake = slack_app.fake
    script = await start_debrief(slack_app)  # the lead and four staff: five people, DEBRIEF_MIN_GROUP is 5
    reply, _ = await answer(slack_app, script, STAFF[0], distress=2, note=WORRY)
    await answer(slack_app, script, STAFF[1], distress=2, note=SHARED, share=True)

    # Two answers: the notes are held back, so neither can be matched to one of two people.
    held = await notes_shown(slack_app, OFFICER)
    assert "held back" in held and WORRY not in held

    # A note in crisis words shows its writer the crisis lines at once, says nobody is told, offers a person.
    reply, _ = await answer(slack_app, script, STAFF[2], distress=1, note=CRISIS)
    thanks = reply.json()["view"]
    shown = texts(thanks["blocks"])
    assert "988" in shown and "call 911 now" in shown and "nobody has been told" in shown
    assert any(element.get("action_id") == Action.TALK
               for block in thanks["blocks"] for element in block.get("elements") or [])
    for user in (STAFF[3], LEAD):
        await answer(slack_app, script, user, distress=1)

    notes = await notes_shown(slack_app, OFFICER)
    assert WORRY in notes and CRISIS in notes and SHARED not in notes
    assert notes.index("crisis language") < notes.index("can't go on") < notes.index(WORRY)  # crisis first
    assert not any(person in notes for person in [LEAD, *STAFF])  # no names
    assert WORRY in await notes_shown(slack_app, OFFICER, command=False)  # the App Home button opens the same

    # Nobody else reads them (no button in their Home tab), and they appear nowhere but in the officer's notes modal.
    await slack_app.slack.event({"type": "app_home_opened", "user": STAFF[0], "tab": "home"})
    await fake.wait_for("views.publish", where=lambda args: args["user_id"] == STAFF[0])
    assert Action.NOTES not in json.dumps(fake.last("views.publish")["view"])
    responses = len(fake.calls_to("response_url"))
    await slack_app.slack.command("/debrief", "notes", user_id=STAFF[0])
    await fake.wait_for("response_url", responses + 1)
    refused = str(fake.last("response_url"))
    assert "for wellbeing officers only" in refused and WORRY not in refused
    notes_views = [args for args in fake.calls_to("views.update") if WORRY in json.dumps(args)]
    assert notes_views and all(args["view"]["title"]["text"] == "Notes for the team" for args in notes_views)
    elsewhere = [exchange.method for exchange in fake.exchanges
                 if WORRY in json.dumps(exchange.args) and exchange.method != "views.update"]
    assert elsewhere == []
    assert fake.violations == []


async def test_an_answer_exactly_at_the_threshold_shows_the_crisis_lines(slack_app: SlackApp) -> None:
    threshold = slack_app.core.settings.debrief_distress_threshold
    script = await start_debrief(slack_app)
    at, _ = await answer(slack_app, script, STAFF[0], distress=threshold)
    below, _ = await answer(slack_app, script, STAFF[1], distress=threshold - 1)
    at_shown, below_shown = texts(at.json()["view"]["blocks"]), texts(below.json()["view"]["blocks"])
    assert "988" in at_shown and "nobody has been told" in at_shown and "call 911 now" in at_shown
    assert "988" not in below_shown
    # Both offer the conversation: asking to talk does not say which answer came before.
    for reply in (at, below):
        assert any(element.get("action_id") == Action.TALK
                   for block in reply.json()["view"]["blocks"] for element in block.get("elements") or [])


# --- a request to talk is answered, or escalates --------------------------------------------------------------

ONCALL, NURSE_ID = "U0ONCALL01", "U0NURSE001"


def unreached(when: str) -> float:
    return REGISTRY.get_sample_value("debrief_support_unreached_total", {"platform": "slack", "when": when}) or 0.0


async def escalation_settled(slack_app: SlackApp) -> FollowupStatus:
    """Wait until the server's dispatcher has dealt with the one escalation row for good; its status.

    Sent, skipped and failed rows are never claimed again, so nothing more can come of it after this.
    """
    deadline = asyncio.get_running_loop().time() + 60  # a safety net on a loaded machine, not a bound on the bot
    while True:
        async with slack_app.core.database.session() as session:
            [row] = (await session.execute(select(SupportEscalation))).scalars().all()
        if row.status in (FollowupStatus.SENT, FollowupStatus.SKIPPED, FollowupStatus.FAILED):
            return row.status
        assert asyncio.get_running_loop().time() < deadline, row.status
        await asyncio.sleep(0.1)


@pytest.mark.parametrize("slack_overrides", [{"debrief_support_response": "2s", "debrief_support_oncall": ONCALL}])
async def test_an_unclaimed_request_escalates_once_to_everyone_and_the_on_call_contact(slack_app: SlackApp) -> None:
    fake = slack_app.fake
    _, message = await check_in(slack_app)
    shown = await ask_to_talk(slack_app, message, NURSE_ID, "after 6pm")
    assert "usually reply within 2 seconds" in shown and "on-call contact" in shown
    [first] = fake.dms_to(OFFICER)
    assert "Still waiting" not in texts(first["blocks"])

    # Nobody takes it on: after DEBRIEF_SUPPORT_RESPONSE the officer is told again, and the on-call contact.
    await fake.wait_for("chat.postMessage", timeout=10, where=lambda args: args["channel"] == ONCALL)
    await fake.wait_for("chat.postMessage", 2, timeout=10, where=lambda args: args["channel"] == OFFICER)
    again, [oncall] = fake.dms_to(OFFICER)[1], fake.dms_to(ONCALL)
    assert "Still waiting after 2 seconds" in texts(again["blocks"])
    assert "as a member of the on-call team" in texts(oncall["blocks"])
    assert f"<@{NURSE_ID}>" in texts(oncall["blocks"])
    # Once: the row is done for good, and the nurse is not told anything went wrong.
    assert await escalation_settled(slack_app) == FollowupStatus.SENT
    assert len(fake.dms_to(OFFICER)) == 2 and len(fake.dms_to(ONCALL)) == 1
    assert not any("still waiting" in texts(dm.get("blocks") or []) for dm in fake.dms_to(NURSE_ID))
    # The on-call contact can take it on from that message.
    await slack_app.slack.click(oncall, Action.CLAIM_SUPPORT, user_id=ONCALL)
    await fake.wait_for("chat.update", where=lambda args: "Taken on by" in texts(args.get("blocks") or []))


@pytest.mark.parametrize("slack_overrides", [{"debrief_support_response": "2s"}])
async def test_a_request_taken_on_in_time_does_not_escalate(slack_app: SlackApp) -> None:
    fake, slack = slack_app.fake, slack_app.slack
    _, message = await check_in(slack_app)
    await ask_to_talk(slack_app, message, NURSE_ID)
    [notice] = fake.dms_to(OFFICER)
    await slack.click(notice, Action.CLAIM_SUPPORT, user_id=OFFICER)
    await fake.wait_for("chat.update")
    assert await escalation_settled(slack_app) == FollowupStatus.SKIPPED
    assert len(fake.dms_to(OFFICER)) == 1


@pytest.mark.parametrize("slack_overrides", [{
    "debrief_support_response": "2s", "debrief_wellbeing_officers": "29:1a-teams-officer",
    "debrief_support_oncall": "0300 123 4567",
}])
async def test_the_person_is_told_the_truth_when_nobody_could_be_notified(
    slack_app: SlackApp, caplog: pytest.LogCaptureFixture
) -> None:
    fake = slack_app.fake
    before = unreached("requested"), unreached("escalated")
    _, message = await check_in(slack_app)
    shown = await ask_to_talk(slack_app, message, NURSE_ID)
    assert "couldn't reach anyone" in shown and "nobody knows yet" in shown
    assert "988" in shown and "0300 123 4567" in shown and "call 911 now" in shown
    assert unreached("requested") == before[0] + 1

    # After DEBRIEF_SUPPORT_RESPONSE nobody could be told again either: the person is, with the crisis lines.
    with caplog.at_level(logging.ERROR, logger="debrief.support"):
        assert await escalation_settled(slack_app) == FollowupStatus.SENT
    told = [dm for dm in fake.dms_to(NURSE_ID) if "still waiting" in texts(dm.get("blocks") or [])]
    assert len(told) == 1
    assert "988" in texts(told[0]["blocks"]) and "0300 123 4567" in texts(told[0]["blocks"])
    assert unreached("escalated") == before[1] + 1
    assert any("nobody could be told again" in record.getMessage() for record in caplog.records)
    assert not any(NURSE_ID in record.getMessage() for record in caplog.records)  # the log names nobody


# --- the channel's closing post: no distress figures unless switched on ---------------------------------------


async def close_after_five_answers(slack_app: SlackApp) -> tuple[str, str]:
    """Five people answer, the lead closes; (the answer form's text, the closing post's text)."""
    fake = slack_app.fake
    script = await start_debrief(slack_app)
    form = ""
    for user in [*STAFF, LEAD]:
        _, modal = await answer(slack_app, script, user, distress=8)
        form = texts(modal["blocks"])
    await slack_app.slack.click(script, Action.CLOSE, user_id=LEAD)
    await fake.wait_for("chat.postMessage", where=lambda args: "Debrief closed" in texts(args.get("blocks") or []))
    closing = next(args for args in reversed(fake.calls_to("chat.postMessage"))
                   if "Debrief closed" in texts(args.get("blocks") or []))
    return form, texts(closing["blocks"])


async def test_the_closing_post_shows_no_distress_figures_by_default(slack_app: SlackApp) -> None:
    form, closing = await close_after_five_answers(slack_app)
    assert "How useful was this debrief?" in closing  # the debrief's own results are there
    assert "How are you right now?" not in closing and "Average" not in closing and "Green" not in closing
    assert "team will see the totals" not in form


@pytest.mark.parametrize("slack_overrides", [{"debrief_team_distress": "on"}])
async def test_team_distress_on_shows_totals_and_the_form_says_so(slack_app: SlackApp) -> None:
    form, closing = await close_after_five_answers(slack_app)
    assert "How are you right now?" in closing and "Average 8" in closing
    assert "The team will see the totals of how people are" in form


async def test_a_call_for_help_after_the_command_gets_the_crisis_lines(slack_app: SlackApp) -> None:
    reply = (await slack_app.slack.command("/debrief", "I need help", user_id=STAFF[0])).json()
    shown = texts(reply["blocks"])
    assert reply["response_type"] == "ephemeral"
    assert "988" in shown and "call 911 now" in shown and "didn't recognise" not in shown


# --- resources for the team: nations and professions first, when the set-up says which ------------------------


@pytest.mark.parametrize("slack_overrides", [{
    "debrief_resources": "uk", "debrief_followups": "2s", "debrief_quiet_hours": "00:00-00:00",
}])
async def test_the_set_up_can_say_who_the_team_is_and_check_ins_list_their_contacts_first(
    slack_app: SlackApp,
) -> None:
    fake, slack = slack_app.fake, slack_app.slack
    await slack.command("/debrief", "", user_id=LEAD, channel_id="CWARD00001")
    await fake.wait_for("views.open")
    setup = fake.last_view(Callback.SETUP)
    audience = next(block for block in setup["blocks"] if block.get("block_id") == SetupBlock.AUDIENCE)
    offered = {option["value"]: option["text"]["text"] for option in audience["element"]["options"]}
    assert offered == {"nation:england": "In England", "profession:dentist": "Dentists", "profession:doctor": "Doctors"}
    assert audience["optional"] is True
    await slack.submit(setup, {SetupBlock.SCRIPT: "stop5", SetupBlock.PARTICIPANTS: [STAFF[0]],
                               SetupBlock.WHERE: Where.NEW_CHANNEL,
                               SetupBlock.AUDIENCE: ["nation:england", "profession:doctor"]}, user_id=LEAD)
    await fake.wait_for("chat.postMessage", timeout=10, where=lambda args: args["channel"] == STAFF[0]
                        and bool(args.get("metadata")))
    check_in_text = texts(fake.dms_to(STAFF[0])[-1]["blocks"])
    assert "If you need someone now: NHS 111, mental health option" in check_in_text  # England's line first
    assert "In danger: call 999" in check_in_text
