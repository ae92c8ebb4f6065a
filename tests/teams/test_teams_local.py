"""Local mode (MICROSOFT_APP_ID blank), as the Microsoft 365 Agents Playground and the Emulator use it.

Neither client opens dialogs (the Playground ignores a task/fetch button), so
every form comes as a card: the set-up, action point and close forms in the
conversation they were opened from, the anonymous answers and the request
to talk in the person's own chat with the bot. The debrief is the same, and
no answer reaches the shared conversation.
"""

from __future__ import annotations

from typing import Any

import pytest
from teams_harness import Chat, TeamsApp, action, actions_of, card_text, inputs_of

TEAM = "19:general@thread.tacv2"
CHANNEL = Chat(f"{TEAM};messageid=1700000000009", "channel", team=TEAM)
SECRET = "I couldn't stop shaking afterwards"


def personal(key: str) -> Chat:
    return Chat(f"a:personal-{key}", "personal")


@pytest.fixture
def teams_overrides() -> dict[str, Any]:
    return {"debrief_min_group": 3}


async def test_the_debrief_works_without_dialogs(local_app: TeamsApp) -> None:
    app, teams, connector, core = local_app, local_app.teams, local_app.connector, local_app.core
    lead = app.person("lead", "Alex Lead", [CHANNEL])
    staff = [app.person(f"s{i}", name, [CHANNEL]) for i, name in enumerate(["Bo Nurse", "Cy Doctor", "Di Porter"])]
    connector.reachable |= {person.id for person in [lead, *staff]}

    await teams.say(lead, "<at>Debrief</at> debrief", CHANNEL)
    start = connector.sent_to(CHANNEL.id)[-1].card
    button = action(start, "Set up the debrief")
    assert "msteams" not in button["data"] and button["data"]["o"] == "1"
    assert not any("msteams" in (a.get("data") or {}) for a in actions_of(start))

    # The set-up form comes as a card in the channel; filling it in starts the debrief.
    await teams.click(lead, CHANNEL, start, "Set up the debrief")
    form = connector.sent_to(CHANNEL.id)[-1].card
    assert {c["value"] for c in inputs_of(form)["setup.participants"]["choices"]} == {p.id for p in staff}
    await teams.submit_card(lead, CHANNEL, form, {"setup.participants": [p.id for p in staff], "setup.label": "Bay 4"})
    posted = connector.sent_to(CHANNEL.id)
    script_post = next(p for p in reversed(posted) if "Why:" in card_text(p.card))
    assert "Done" in card_text(posted[-1].card)
    script = script_post.card
    assert all("msteams" not in (a.get("data") or {}) for a in actions_of(script))

    # Answering from the channel: the form goes to each person's own chat, and so does the thank-you.
    for person, distress, note in [(staff[0], "2", SECRET), (staff[1], "8", ""), (staff[2], "1", "")]:
        await teams.click(person, CHANNEL, script, "Answer anonymously")
        assert connector.sent_to(CHANNEL.id)[-1].text == "I've sent it to you in our private chat."
        [chat_id] = connector.personal_conversations_of(person.id)
        chat = Chat(chat_id, "personal")
        answer_form = connector.sent_to(chat_id)[-1].card
        assert "Anonymous" in card_text(answer_form)
        await teams.submit_card(person, chat, answer_form, {"q.distress": distress, "q.team_note": note})
        thanks = connector.sent_to(chat_id)[-1].card
        assert "Thank you" in card_text(thanks)
        if distress == "8":
            assert "988" in card_text(thanks)
    await app.drain()
    assert "3 or more anonymous answers" in card_text(connector.current(CHANNEL.id, script_post.activity_id)["attachments"][0]["content"])
    assert SECRET not in "\n".join(str(p.activity) for p in connector.sent_to(CHANNEL.id))
    assert not any("988" in card_text(p.card) for p in connector.sent_to(CHANNEL.id) if p.cards
                   and "Thank you" in card_text(p.card))

    # A second answer from an old form is refused, privately.
    [chat_id] = connector.personal_conversations_of(staff[0].id)
    old_form = connector.sent_to(chat_id)[-2].card
    await teams.submit_card(staff[0], Chat(chat_id, "personal"), old_form, {"q.distress": "5"})
    assert "already answered" in card_text(connector.sent_to(chat_id)[-1].card)

    # Closing: the confirmation comes as a card in the channel.
    await teams.click(lead, CHANNEL, script, "Close the debrief")
    confirm = connector.sent_to(CHANNEL.id)[-1].card
    await teams.submit_card(lead, CHANNEL, confirm, button="Close it")
    assert any("Debrief closed" in card_text(p.card) for p in connector.sent_to(CHANNEL.id) if p.cards)
    assert (await core.debriefs.get(script_post_debrief(core, script))).status == "closed"
    # "Done" closes a dialog; on a card it would be a button that does nothing.
    assert all(a.get("title") != "Done" for p in connector.posted if p.cards for a in actions_of(p.card))


def script_post_debrief(core, script):  # type: ignore[no-untyped-def]
    import uuid

    return uuid.UUID(action(script, "Answer anonymously")["data"]["d"])


async def test_in_a_personal_chat_forms_come_in_that_chat(local_app: TeamsApp) -> None:
    lead = local_app.person("lead", "Alex Lead", [personal("lead")])
    await local_app.teams.say(lead, "skip", personal("lead"))
    card = local_app.connector.sent_to(personal("lead").id)[-1].card
    await local_app.teams.click(lead, personal("lead"), card, "Record why")
    form = local_app.connector.sent_to(personal("lead").id)[-1].card
    await local_app.teams.submit_card(lead, personal("lead"), form, {"skip.reason": "no_time"})
    assert "Recorded: No time on shift" in card_text(local_app.connector.sent_to(personal("lead").id)[-1].card)


async def test_the_bot_framework_emulator_gets_the_same_debrief(local_app: TeamsApp) -> None:
    """The Emulator: channelId "emulator", no Teams channelData, no roster API of Teams'."""
    app, teams = local_app, local_app.teams
    lead = app.person("lead", "Alex Lead", [])
    chat = Chat("emulator-conversation-1", "personal")

    def emulator(activity: dict[str, Any]) -> dict[str, Any]:
        activity["channelId"] = "emulator"
        activity.pop("channelData", None)
        activity["conversation"] = {"id": chat.id}
        return activity

    await teams.post(emulator(teams.activity("message", lead, chat, text="debrief")))
    start = app.connector.sent_to(chat.id)[-1].card
    await teams.post(emulator(teams.activity("message", lead, chat, value=action(start, "Set up the debrief")["data"])))
    form = app.connector.sent_to(chat.id)[-1].card
    assert "Nobody else is in this conversation" in card_text(form)
    from teams_harness import submission

    await teams.post(emulator(teams.activity("message", lead, chat, value=submission(form, {}))))
    assert any("Why:" in card_text(p.card) for p in app.connector.sent_to(chat.id) if p.cards)
