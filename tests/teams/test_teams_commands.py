"""Typed commands, the welcome, skip, summary, text safety, rosters, invokes, and Teams refusing things."""

from __future__ import annotations

from typing import Any

import pytest
from fake_connector import BOT_ID, BOT_NAME
from teams_harness import Chat, TeamsApp, action, card_text, inputs_of

from bot.models import Debrief, SkippedDebrief

TEAM = "19:ward7general@thread.tacv2"
CHANNEL = Chat(f"{TEAM};messageid=1700000000001", "channel", team=TEAM)
GROUP = Chat("19:meeting-huddle@thread.v2", "groupChat")
OFFICER_AAD = "00000000-0000-4000-8000-0000000000ff"


def personal(key: str) -> Chat:
    return Chat(f"a:personal-{key}", "personal")


@pytest.fixture
def teams_overrides() -> dict[str, Any]:
    return {"debrief_wellbeing_officers": OFFICER_AAD}


def last_card(app: TeamsApp, chat: Chat) -> dict[str, Any]:
    return app.connector.sent_to(chat.id)[-1].card


def last_text(app: TeamsApp, chat: Chat) -> str:
    return app.connector.sent_to(chat.id)[-1].text


async def test_a_welcome_when_the_bot_is_added(teams_app: TeamsApp) -> None:
    lead = teams_app.person("lead", "Alex Lead", [CHANNEL])
    await teams_app.teams.members_added(CHANNEL, [{"id": BOT_ID, "name": BOT_NAME}], by=lead)
    [welcome] = teams_app.connector.sent_to(CHANNEL.id)
    assert "Hello, I'm Debrief" in card_text(welcome.card) and "@mention me first" in card_text(welcome.card)
    before = len(teams_app.connector.posted)
    await teams_app.teams.members_added(CHANNEL, [{"id": "29:someone"}], by=lead)  # a person joining: nothing said
    assert len(teams_app.connector.posted) == before


@pytest.mark.parametrize(
    "text, chat",
    [
        ("<at>Debrief</at> debrief", CHANNEL),
        ("<p><at>Debrief</at>&nbsp;Start Debrief.</p>", CHANNEL),
        ("<at>Debrief</at> /debrief", GROUP),
        ("debrief", personal("lead")),
        ("start debrief", personal("lead")),
    ],
)
async def test_the_ways_to_start(teams_app: TeamsApp, text: str, chat: Chat) -> None:
    lead = teams_app.person("lead", "Alex Lead", [chat])
    reply = await teams_app.teams.say(lead, text, chat)
    assert reply.status == 201
    card = last_card(teams_app, chat)
    assert "Start a debrief" in card_text(card)
    assert action(card, "Set up the debrief")["data"]["msteams"] == {"type": "task/fetch"}


async def test_help_and_what_is_not_a_command(teams_app: TeamsApp) -> None:
    lead = teams_app.person("lead", "Alex Lead", [CHANNEL])
    await teams_app.teams.say(lead, "help", personal("lead"))
    assert "start it in their channel or group chat" in card_text(last_card(teams_app, personal("lead")))
    await teams_app.teams.say(lead, "<at>Debrief</at> what's the weather", CHANNEL)
    posted = teams_app.connector.sent_to(CHANNEL.id)
    assert "didn't recognise" in posted[-2].text and "**skip**" in card_text(posted[-1].card)


async def test_a_debrief_in_a_personal_chat_has_just_the_lead(teams_app: TeamsApp) -> None:
    lead = teams_app.person("lead", "Alex Lead", [personal("lead")])
    await teams_app.teams.say(lead, "debrief", personal("lead"))
    dialog = (await teams_app.teams.open_dialog(lead, personal("lead"), last_card(teams_app, personal("lead")),
                                                "Set up the debrief")).card
    assert "setup.participants" not in inputs_of(dialog)
    assert "Nobody else is in this conversation" in card_text(dialog)
    done = await teams_app.teams.submit_dialog(lead, personal("lead"), dialog, {"setup.script": "plus-delta"})
    assert "Done" in card_text(done.card)
    [debrief] = await teams_app.core.debriefs.open_debriefs_for("teams", "72f988bf-0000-4000-8000-00000000c0de", lead.id)
    assert debrief.script_id == "plus-delta" and [p.user for p in await teams_app.core.debriefs.participants(debrief.id)] == [lead.id]


async def test_the_roster_is_read_page_by_page_with_azure_ids(teams_app: TeamsApp) -> None:
    lead = teams_app.person("lead", "Alex Lead", [CHANNEL])
    for index in range(249):
        teams_app.person(f"p{index:03}", f"Person {index:03}", [CHANNEL])
    await teams_app.teams.say(lead, "<at>Debrief</at> debrief", CHANNEL)
    dialog = (await teams_app.teams.open_dialog(lead, CHANNEL, last_card(teams_app, CHANNEL), "Set up the debrief")).card
    choices = inputs_of(dialog)["setup.participants"]["choices"]
    assert len(choices) == 100 and choices[0]["title"] == "Person 000"
    assert "Only the first 100 people" in card_text(dialog)
    paths = [path for method, path, _ in teams_app.connector.requests if method == "GET"]
    assert sum(path.endswith("/pagedmembers") for path in paths) == 2  # 200 a page, 250 people
    assert not any(path.endswith("/members") for path in paths)


async def test_user_text_is_never_markdown_or_a_mention(teams_app: TeamsApp) -> None:
    lead = teams_app.person("lead", "Alex Lead", [CHANNEL])
    await teams_app.teams.say(lead, "<at>Debrief</at> debrief", CHANNEL)
    dialog = (await teams_app.teams.open_dialog(lead, CHANNEL, last_card(teams_app, CHANNEL), "Set up the debrief")).card
    label = "<at>Everyone</at> [urgent](https://evil.example) **bold**"
    await teams_app.teams.submit_dialog(lead, CHANNEL, dialog, {"setup.label": label})
    script = last_card(teams_app, CHANNEL)
    about = next(block for block in script["body"] if block["type"] == "RichTextBlock")
    assert about["inlines"][1] == {"type": "TextRun", "text": "\u2039at>Everyone\u2039/at> [urgent](https://evil.example) **bold**",
                                   "isSubtle": True}
    assert "evil.example" not in "".join(b.get("text", "") for b in script["body"] if b["type"] == "TextBlock")
    assert teams_app.connector.violations == []  # no <at>, no mention entity anywhere


async def test_skip_records_why(teams_app: TeamsApp) -> None:
    lead = teams_app.person("lead", "Alex Lead", [CHANNEL])
    await teams_app.teams.say(lead, "<at>Debrief</at> skip", CHANNEL)
    dialog = (await teams_app.teams.open_dialog(lead, CHANNEL, last_card(teams_app, CHANNEL), "Record why")).card
    refused = await teams_app.teams.submit_dialog(lead, CHANNEL, dialog, {
        "skip.reason": "team_dispersed", "skip.detail": "pt DOB 01/02/1950"})
    assert "date of birth" in card_text(refused.card)
    done = await teams_app.teams.submit_dialog(lead, CHANNEL, refused.card, {
        "skip.reason": "team_dispersed", "skip.detail": "Night shift had gone home"})
    assert "Recorded: The team has already dispersed" in card_text(done.card)
    async with teams_app.core.database.session() as session:
        [row] = (await session.execute(SkippedDebrief.__table__.select())).mappings().all()
    assert row["platform"] == "teams" and row["team"] == TEAM and row["lead"] == lead.id


async def test_summary_is_for_officers_and_stays_private(teams_app: TeamsApp) -> None:
    app, connector = teams_app, teams_app.connector
    nurse = app.person("nurse", "Bo Nurse", [CHANNEL])
    officer = app.person("officer", "Olive Officer", [CHANNEL])
    connector.members[officer.id].aad_object_id = OFFICER_AAD
    officer = type(officer)(officer.id, officer.name, OFFICER_AAD)

    await app.teams.say(nurse, "summary", personal("nurse"))
    assert "for the wellbeing team" in last_text(app, personal("nurse"))

    connector.add_conversation(personal("officer").id, [officer.id], kind="personal")
    await app.teams.say(officer, "summary", personal("officer"))
    assert "Last 30 days" in card_text(last_card(app, personal("officer")))

    await app.teams.say(officer, "<at>Debrief</at> summary", CHANNEL)  # asked in the channel: sent privately
    assert last_text(app, CHANNEL) == "I've sent the summary to you in our private chat."
    assert not any("Last 30 days" in card_text(p.card) for p in connector.sent_to(CHANNEL.id) if p.cards)
    assert "Last 30 days" in card_text(last_card(app, personal("officer")))


async def test_summary_asked_in_a_channel_by_an_officer_the_bot_cannot_reach(teams_app: TeamsApp) -> None:
    officer = teams_app.person("officer", "Olive Officer", [CHANNEL])
    teams_app.connector.members[officer.id].aad_object_id = OFFICER_AAD
    officer = type(officer)(officer.id, officer.name, OFFICER_AAD)
    await teams_app.teams.say(officer, "<at>Debrief</at> summary", CHANNEL)
    assert "Open a chat with me" in last_text(teams_app, CHANNEL)


async def test_invokes_always_get_a_200_with_a_kind_answer(teams_app: TeamsApp) -> None:
    lead = teams_app.person("lead", "Alex Lead", [CHANNEL])
    teams = teams_app.teams
    stale = await teams.invoke(lead, CHANNEL, "task/fetch", {"data": {"verb": "debrief.answer", "d": "not-a-uuid"}})
    assert stale.status == 200 and "out of date" in card_text(stale.card)
    unknown_verb = await teams.invoke(lead, CHANNEL, "task/submit", {"data": {"verb": "debrief.launch_rockets"}})
    assert unknown_verb.status == 200 and "out of date" in card_text(unknown_verb.card)
    done = await teams.invoke(lead, CHANNEL, "task/submit", {"data": {"verb": "dialog.done"}})
    assert done.closes
    other = await teams.invoke(lead, CHANNEL, "composeExtension/query", {"commandId": "x"})
    assert other.status == 200
    gone = await teams.invoke(lead, CHANNEL, "task/fetch", {"data": {"verb": "debrief.answer",
                                                                     "d": "00000000-0000-4000-8000-000000000001"}})
    assert "couldn't find that debrief" in card_text(gone.card)


async def test_a_dialog_button_in_a_client_without_dialogs(teams_app: TeamsApp) -> None:
    lead = teams_app.person("lead", "Alex Lead", [personal("lead")])
    await teams_app.teams.say(lead, "debrief", personal("lead"))
    await teams_app.teams.click(lead, personal("lead"), last_card(teams_app, personal("lead")), "Set up the debrief")
    assert "can't show" in last_text(teams_app, personal("lead"))


async def test_when_teams_refuses_the_script_card_the_same_dialog_finishes_the_job(teams_app: TeamsApp) -> None:
    app = teams_app
    lead = app.person("lead", "Alex Lead", [CHANNEL])
    nurse = app.person("nurse", "Bo Nurse", [CHANNEL])
    await app.teams.say(lead, "<at>Debrief</at> debrief", CHANNEL)
    dialog = (await app.teams.open_dialog(lead, CHANNEL, last_card(app, CHANNEL), "Set up the debrief")).card
    app.connector.fail_next("reply", 403, "BotNotInConversationRoster")
    failed = await app.teams.submit_dialog(lead, CHANNEL, dialog, {"setup.participants": [nurse.id]})
    assert "Teams didn't let me do that just now" in card_text(failed.card)
    done = await app.teams.submit_dialog(lead, CHANNEL, failed.card, {"setup.participants": [nurse.id]})
    assert "Done" in card_text(done.card)
    async with app.core.database.session() as session:
        debriefs = (await session.execute(Debrief.__table__.select())).mappings().all()
    assert len(debriefs) == 1 and debriefs[0]["script_message"]
    assert len([p for p in app.connector.sent_to(CHANNEL.id) if "Why:" in card_text(p.card)]) == 1
