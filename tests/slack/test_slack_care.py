"""Care that reaches a person, on Slack, through the real server: notes reach the officers, crisis words and
an answer exactly at the threshold show the crisis lines, and every thank-you offers the conversation."""

from __future__ import annotations

import json

from harness import OFFICER, SlackApp
from test_slack_flow import LEAD, STAFF, answer, start_debrief, texts

from adapters.slack.ids import Action

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

    # Nobody else reads them, and they appear nowhere but in the officer's notes modal.
    refused = await notes_shown(slack_app, STAFF[0])
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
