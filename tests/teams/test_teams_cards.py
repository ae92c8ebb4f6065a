"""Every card the Teams adapter can draw is a valid Adaptive Card 1.5 and fits in a Teams message.

The flow tests check the cards they meet on the way (the fake connector
validates every card it is sent); this checks the rest with the data that
stretches them: every script and every follow-up stage, long labels, many
shared notes and action points, empty and full summaries, placeholders.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime

import pytest
from adaptive_cards import validate
from botbuilder.schema import Activity
from fake_connector import MAX_ACTIVITY_BYTES
from reports import crafted_report

from adapters.teams.cards import followup, forms, lessons, script, summary, support
from adapters.teams.cards.common import attachment, without_dialogs
from adapters.teams.messaging import message
from adapters.teams.references import conversation_title
from adapters.teams.text import UNTITLED, neutralise
from bot import wording
from bot.care import Signal
from bot.lessons import LearningDigestContent, Lesson, Theme
from bot.models import ActionPoint, Debrief, DebriefStatus
from bot.port import FollowupDelivery
from bot.results import QuestionResult, StageAggregate
from bot.scripts import Library
from bot.settings import Settings
from bot.support import resources_for_person

LIBRARY = Library.load()
LONG = "Something long, with <at>tags</at>, [links](https://evil.example) and **stars**. " * 40
NOW = datetime(2026, 1, 5, 14, 0, tzinfo=UTC)


def fits(card: dict) -> None:
    problems = validate(card)
    assert not problems, problems
    assert validate(without_dialogs(card)) == []
    size = len(json.dumps(message(card, "x").serialize(), ensure_ascii=False).encode())
    assert size <= MAX_ACTIVITY_BYTES, f"{size} bytes"


def a_debrief(**overrides: object) -> Debrief:
    values: dict = dict(platform="teams", workspace="t", team="c", lead="29:lead", script_id="stop5", script_version=1,
                        label=LONG[:150], schedule="24h,7d", started_at=NOW, key_expires_at=NOW, space="c",
                        script_message="1")
    values.update(overrides)
    return Debrief(**values)


@pytest.mark.parametrize("script_id", sorted(LIBRARY.scripts))
def test_every_script_card_and_answer_dialog(script_id: str) -> None:
    chosen = LIBRARY.script(script_id)
    for status, shown in [(DebriefStatus.OPEN, 0), (DebriefStatus.OPEN, 10), (DebriefStatus.CLOSED, 5)]:
        fits(script.script_card(a_debrief(script_id=script_id, status=status), chosen, 5, shown))
    ref = {"d": uuid.uuid4()}
    fits(forms.answer_dialog(LIBRARY.questions(chosen, "debrief"), ref))
    for stage in ("24h", "7d"):
        questions = LIBRARY.questions(chosen, stage)
        fits(forms.answer_dialog(questions, {**ref, "s": stage}, LIBRARY.stage(chosen, stage).message,
                                 values={f"q.{q.id}": "x" for q in questions},
                                 problems={q.id: "Please check this." for q in questions} | {"": "Please check."}))


def test_the_set_up_dialog_with_a_big_roster_and_problems() -> None:
    roster = [(f"Person {i} {LONG[:40]}", f"29:{i}") for i in range(150)]
    choice = forms.SetupChoice(participants=["29:1", "29:2"], label=LONG[:150])
    fits(forms.setup_dialog(LIBRARY, roster, "key", choice, {"label": "No.", "participants": "Too many.", "": "Oops."},
                            "Only the first 100 people, by name, are listed here."))
    fits(forms.setup_dialog(LIBRARY, [], "key"))


def test_results_with_many_long_notes_stay_in_one_message() -> None:
    questions = [
        QuestionResult(id="distress", label="How are you?", kind="scale", answered=50, mean=4.2,
                       counts={"0-3": 20, "4-6": 20, "7-10": 10}),
        QuestionResult(id="useful", label="Useful?", kind="choice", answered=50, counts={"Yes": 40, "No": 10}),
        QuestionResult(id="note", label="Anything?", kind="text", answered=50, texts=[LONG[:1000]] * 50),
    ]
    aggregate = StageAggregate(stage="debrief", responses=50, min_group=5, questions=questions)
    card = script.results_card(aggregate)
    fits(card)
    assert "not shown here" in json.dumps(card)
    points = [ActionPoint(debrief_id=uuid.uuid4(), text=LONG[:500], owner=f"29:{i}", due_on=date(2026, 2, 1),
                          created_by="29:lead", created_at=NOW) for i in range(40)]
    fits(script.closing_card(a_debrief(), LIBRARY.script("stop5"), points, {"29:1": "Bo"}, 50, 5, aggregate))
    fits(script.closing_card(a_debrief(), LIBRARY.script("stop5"), [], {}, 2, 5, None))
    fits(script.results_card(StageAggregate(stage="debrief", responses=2, min_group=5)))


SETTINGS = Settings.load(debrief_support_oncall="0300 123 4567")


def test_support_summary_and_follow_up_cards() -> None:
    for region in sorted(LIBRARY.resource_sets):
        shown = resources_for_person(LIBRARY.resource_sets[region])
        fits(support.resources_dialog("Support", shown, talk={"d": uuid.uuid4()}))
        fits(support.resources_card("Support", shown, "For everyone."))
        resource_set = LIBRARY.resource_sets[region]
        for signal in Signal:
            fits(support.screen_dialog(wording.thanks(signal, resource_set, True), {"d": uuid.uuid4()}))
        for reached in (True, False):
            fits(support.screen_dialog(wording.talk_sent(reached, SETTINGS, resource_set)))
    fits(support.talk_dialog({"d": uuid.uuid4()}, LONG[:200], "Looks like a phone number."))
    fits(support.support_notice_card(LONG[:80], LONG[:200], LONG[:150], "peer supporter", str(uuid.uuid4())))
    fits(summary.summary_card(crafted_report(default=0, shares={s: (0, 0) for s in ("debrief", "24h", "7d")}), 30, titles={}))
    full = crafted_report(default=None)
    card = summary.summary_card(full, 30, {"distress": "https://h.example/charts/t.png",
                                           "participation": "https://h.example/charts/u.png"},
                                "https://h.example/exports/v.csv", titles={})
    fits(card)
    images = [element for element in card["body"] if element["type"] == "Image"]
    assert [bool(image["altText"]) for image in images] == [True, True]
    assert card["actions"] == [{"type": "Action.OpenUrl", "title": summary.EXPORT_LABEL,
                                "url": "https://h.example/exports/v.csv"}]
    chosen = LIBRARY.script("stop5")
    for stage, late in [("24h", False), ("7d", True)]:
        content = LIBRARY.stage(chosen, stage)
        delivery = FollowupDelivery(
            followup_id=uuid.uuid4(), debrief_id=uuid.uuid4(), platform="teams", workspace="t", user="29:u",
            stage=stage, late=late, message=content.late_message or content.message, content=content,
            resources=resources_for_person(LIBRARY.resource_sets["uk"]), resources_title="Support",
            script_title=chosen.title, label=LONG[:150], support_available=late)
        fits(followup.followup_card(delivery))
    fits(followup.lead_unreached_card("24 hours", 2))
    for card in (forms.start_card(), forms.skip_start_card(), forms.help_card(True, "Hello"), forms.skip_dialog(
            {"skip.detail": LONG[:500]}, {"detail": "No."}), forms.close_dialog({"d": uuid.uuid4()}),
            forms.action_point_dialog({"d": uuid.uuid4()}, [("Bo", "29:b")], "2026-01-05", "k1", {}, {"": "x", "text": "y"}),
            forms.setup_done_dialog(2), forms.skipped_dialog("No time")):
        fits(card)
    assert attachment(forms.start_card()).content_type == "application/vnd.microsoft.card.adaptive"


@pytest.mark.parametrize("typed", ["<at>Sam</at>", "<AT>Sam</AT>", "< At >Sam</ aT>", "<\tat>Sam"])
def test_a_mention_tag_in_any_case_or_spacing_loses_its_bracket(typed: str) -> None:
    """Teams matches `<at>` without regard to case; so does the neutraliser."""
    shown = neutralise(typed)
    assert "<" not in shown and "Sam" in shown


def test_a_team_is_named_by_its_conversations_title_never_its_id() -> None:
    def activity(conversation: dict, channel_data: dict | None = None) -> Activity:
        return Activity().deserialize({"type": "message", "conversation": conversation, "channelData": channel_data})

    ward = {"team": {"id": "19:ward@thread.tacv2", "name": "Ward 7"}, "channel": {"id": "19:nights@thread.tacv2", "name": "Nights"}}
    assert conversation_title(activity({"id": "19:nights@thread.tacv2"}, ward)) == "Ward 7 \u203a Nights"
    general = {"team": {"id": "19:ward@thread.tacv2", "name": "Ward 7"}, "channel": {"id": "19:ward@thread.tacv2"}}
    assert conversation_title(activity({"id": "19:ward@thread.tacv2"}, general)) == "Ward 7"  # Teams names no General
    assert conversation_title(activity({"id": "19:chat@thread.v2", "name": "Debrief with Jo"})) is None  # topics: never
    assert conversation_title(activity({"id": "19:chat@thread.v2"}, {"tenant": {"id": "t"}})) is None
    long = {"team": {"id": "19:c", "name": "x" * 400}}
    assert len(conversation_title(activity({"id": "19:c"}, long)) or "") == 255
    bed = {"team": {"id": "19:c", "name": "Bed 4, NHS 943 476 5919"}}
    assert conversation_title(activity({"id": "19:c"}, bed)) is None  # never stored

    team, unknown = "19:ward@thread.tacv2", "19:other@thread.tacv2"
    digest = LearningDigestContent(uuid.uuid4(), "teams", "19:learning@thread.tacv2", date(2026, 1, 1), (
        Theme("Teamwork", (Lesson("Say the plan out loud.", team), Lesson("Ask early.", unknown), Lesson("Pause.", None))),
    ))
    card = lessons.digest_card(digest, {team: "Ward 7 <at>Nights</at>"})
    fits(card)
    shown = json.dumps(card)
    assert "Ward 7 \\u2039at>Nights\\u2039/at>" in shown and UNTITLED in shown
    assert team not in shown and unknown not in shown
