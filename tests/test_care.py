"""The care rules in the core: crisis words, screens, resources for the region, the words shown to a person."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot import wording
from bot.care import Signal, asks_for_help, has_crisis_language, positive_screens
from bot.port import FollowupDelivery
from bot.scripts import Library, check_command, shipped_dir
from bot.settings import Settings
from bot.support import audience_label, escalation_due, resources_for_person, startup_notes

LIBRARY = Library.load()
PHRASES = LIBRARY.crisis_phrases
CLINICAL = [
    line for line in (Path(__file__).parent / "clinical_phrases.txt").read_text(encoding="utf-8").splitlines()
    if line.strip() and not line.startswith("#")
]


@pytest.mark.parametrize("text", [
    "I can't go on like this", "i CAN\u2019T GO ON", "Some days I want to end it all.", "I've been thinking I'd be "
    "better off dead", "honestly I feel suicidal",
])
def test_crisis_language_is_found_in_any_case_and_apostrophe(text: str) -> None:
    assert has_crisis_language(text, PHRASES)


def test_clinical_debrief_language_is_not_crisis_language() -> None:
    """An attack with the suite's corpus of real debrief free text: none of it may flag its writer."""
    about_patients = ["The patient had attempted suicide and took an overdose", "Self-harm history, known to CAMHS",
                      "We could not end the resuscitation sooner", "She said she wanted to go home"]
    flagged = [line for line in CLINICAL + about_patients if has_crisis_language(line, PHRASES)]
    assert flagged == []


def test_whole_words_only() -> None:
    assert not has_crisis_language("the shurt myselfie", PHRASES)  # "hurt myself" inside other words
    assert asks_for_help("I need help", PHRASES) and asks_for_help("is there any support?", PHRASES)
    assert not asks_for_help("frobnicate", PHRASES) and not asks_for_help("helpful chart", PHRASES)


def test_screens_are_positive_at_three() -> None:
    assert positive_screens({"phq2_interest": "several_days", "phq2_mood": "more_than_half"}) == ["PHQ-2"]
    assert positive_screens({"gad2_nervous": "more_than_half", "gad2_worry": "several_days"}) == ["GAD-2"]
    assert positive_screens({"phq2_interest": "several_days", "phq2_mood": "several_days"}) == []


def test_the_phrase_list_is_checked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "crisis_phrases.yml").write_text("phrases: [kill myself, Kill  myself, ab]\n", encoding="utf-8")
    assert check_command(tmp_path) == 1
    err = capsys.readouterr().err
    assert "crisis_phrases.yml: phrases:" in err


# --- resources: no silent default country --------------------------------------------------------------------


def test_unset_resources_mean_the_international_set_and_start_up_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DEBRIEF_RESOURCES", raising=False)
    settings = Settings.load()
    resource_set = LIBRARY.resources_for(settings.resources_region)
    assert resource_set.region == "international" and resource_set.emergency_number == "your local emergency number"
    shown = " ".join(resource.contact + " " + (resource.url or "") for resource in resource_set.resources)
    assert "988" not in shown and "116 123" not in shown and "findahelpline.com" in shown
    notes = startup_notes(resource_set, region_set=False)
    assert "DEBRIEF_RESOURCES is not set" in notes[0] and "international" in notes[0]
    assert "Peer support team" in notes[1] and "Occupational health" in notes[1]


def test_the_uk_set_names_999_and_nhs_111_and_scopes_practitioner_health() -> None:
    uk = LIBRARY.resources_for("uk")
    by_name = {resource.name: resource for resource in uk.resources}
    assert uk.emergency_number == "999"
    assert "option 2" in by_name["NHS 111, mental health option"].contact and by_name["NHS 111, mental health option"].crisis
    health = by_name["NHS Practitioner Health"]
    assert not health.crisis and audience_label(health) == "In England, for doctors and dentists only"
    assert uk.crisis[0].name == "Samaritans"  # the first crisis line shown is for everyone
    notes = startup_notes(uk, region_set=True)
    assert notes[0] == "Support resources: Support in the United Kingdom (uk)." and "Chaplaincy" in notes[1]


def test_scripts_check_on_a_resource_file_applies_the_same_rules(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    good = shipped_dir() / "resources" / "uk.yml"
    assert check_command(good) == 0
    assert "still to fill in: Peer support team" in capsys.readouterr().out
    bad = tmp_path / "ours.yml"
    bad.write_text("region: ours\ntitle: Ours\nresources:\n  - {name: Line, contact: Ask, hours: any, "
                   "crisis: true, placeholder: true}\n", encoding="utf-8")
    assert check_command(bad) == 1
    err = capsys.readouterr().err
    assert "resources[0].crisis: a placeholder cannot be a crisis resource" in err
    assert "no crisis resource" in err


# --- the words a person reads ------------------------------------------------------------------------------


@pytest.mark.parametrize("signal", list(Signal))
def test_every_thank_you_offers_the_conversation(signal: Signal) -> None:
    screen = wording.thanks(signal, LIBRARY.resources_for("uk"), talk_available=True)
    assert screen.talk and "shares your name" in screen.talk
    assert "Thank you for telling us" not in screen.heading  # nothing implies a listener
    if signal is Signal.CRISIS:
        assert "nobody has been told" in " ".join(screen.lines) and screen.danger == "If you are in danger, call 999 now."
        assert all(shown.resource.crisis for shown in screen.resources)


@pytest.mark.parametrize("late", [False, True])
@pytest.mark.parametrize("region", sorted(LIBRARY.resource_sets))
@pytest.mark.parametrize("stage", sorted(LIBRARY.stages))
def test_a_check_in_fits_a_phone(region: str, stage: str, late: bool) -> None:
    """At most about 600 characters before the buttons (the longest label too), the crisis line and 999 included."""
    resource_set, content = LIBRARY.resources_for(region), LIBRARY.stages[stage]
    message = content.late_message if late and content.late_message else content.message
    delivery = FollowupDelivery(
        followup_id=uuid.uuid4(), debrief_id=uuid.uuid4(), platform="slack", workspace="T", user="U", stage=stage,
        late=late, message=message, content=content, resources=resources_for_person(resource_set),
        resources_title=resource_set.title, script_title="STOP5 immediate debrief", label="x" * 150,
        emergency=resource_set.emergency_number,
    )
    screen = wording.checkin(delivery, resource_set.emergency_number)
    first = " ".join([screen.heading, "About: " + "x" * 150, *screen.lines, screen.danger or ""])
    assert len(first) <= 600, len(first)
    assert resource_set.crisis[0].name in (screen.danger or "")
    assert resource_set.emergency_number in (screen.danger or "")


def test_the_talk_screen_promises_what_is_configured() -> None:
    settings = Settings.load(debrief_support_response="4h", debrief_support_oncall="0300 123 4567")
    screen = wording.talk_sent(True, settings, LIBRARY.resources_for("uk"))
    said = " ".join(screen.lines)
    assert "usually reply within 4 hours" in said and "next morning" in said and "0300 123 4567" in said
    unreached = wording.talk_sent(False, settings, LIBRARY.resources_for("uk"))
    assert "couldn't reach anyone" in " ".join(unreached.lines) and unreached.resources


def test_contacts_for_the_team_come_first_when_the_set_up_says_who_it_is() -> None:
    uk = LIBRARY.resources_for("uk")
    plain = [shown.resource.name for shown in resources_for_person(uk)]
    assert plain[:2] == ["Samaritans", "SHOUT"] and plain.index("NHS Practitioner Health") > plain.index("Chaplaincy")
    doctors = [shown.resource.name for shown in resources_for_person(uk, audience=["nation:england", "profession:doctor"])]
    assert doctors[:2] == ["NHS 111, mental health option", "NHS Practitioner Health"]
    nurses = [shown.resource.name for shown in resources_for_person(uk, audience=["nation:england", "profession:nurse"])]
    assert nurses[0] == "NHS 111, mental health option" and nurses.index("NHS Practitioner Health") > nurses.index("SHOUT")


def test_the_escalation_row_does_not_hold_the_second_someone_asked() -> None:
    four_hours = timedelta(hours=4)
    asked = [datetime(2026, 1, 5, 14, minute, second, tzinfo=UTC) for minute, second in ((0, 1), (7, 30), (14, 59))]
    due = {escalation_due(moment, four_hours) for moment in asked}
    assert due == {datetime(2026, 1, 5, 18, 15, tzinfo=UTC)}  # three requests a quarter-hour apart look the same
    assert all(four_hours <= escalation_due(moment, four_hours) - moment < four_hours + timedelta(minutes=15)
               for moment in asked)
