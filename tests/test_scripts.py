"""The shipped debrief scripts, follow-ups and resources, and `debrief-bot scripts check|show`."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from adapters.cli import main
from bot.scripts import (
    ChoiceQuestion,
    Library,
    ScaleQuestion,
    Script,
    ScriptProblem,
    TextQuestion,
    check_command,
    shipped_dir,
    show_command,
)
from bot.settings import Settings, format_duration, parse_schedule

SCRIPT_IDS = ["info", "ok-stop", "plus-delta", "stop5"]
SOURCES = {
    "stop5": "Walker et al., Clinical and Experimental Emergency Medicine, 2020",
    "ok-stop": "St Vincent's Health Sydney",
    "info": "Rose & Cheng, CJEM",
    "plus-delta": "generic debriefing technique used inside the DISCERN and",
}
COLD_IDS = ["cold-review"]
FREQUENCY = ["not_at_all", "several_days", "more_than_half", "nearly_every_day"]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """`show_command` reads Settings: keep the caller's environment out of these tests."""
    for name in list(os.environ):
        if name.startswith(("DEBRIEF_", "SLACK_", "MICROSOFT_")) or name == "DATABASE_URL":
            monkeypatch.delenv(name)


@pytest.fixture
def library() -> Library:
    return Library.load()


def _words(text: str) -> list[str]:
    return re.findall(r"[\w'’-]+", text)


def _sentences(text: str) -> list[str]:
    return [part for part in re.split(r"(?<=[.?!;:])\s+", text.strip()) if part]


def _readable(text: str, max_sentence: int = 22) -> None:
    """Short sentences for a tired person on a phone."""
    for sentence in _sentences(text):
        assert len(_words(sentence)) <= max_sentence, sentence


# --- the shipped directory ---------------------------------------------------------------------


def test_shipped_directory_loads_and_checks(library: Library, capsys: pytest.CaptureFixture[str]) -> None:
    assert sorted(library.scripts) == sorted(SCRIPT_IDS + COLD_IDS)
    assert sorted(script.id for script in library.of_kind("hot")) == SCRIPT_IDS
    assert sorted(library.stages) == ["24h", "30d", "7d"]
    assert sorted(library.resource_sets) == ["international", "uk", "us"]
    assert check_command(None) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert out == "5 scripts, 3 follow-up stages, 3 resource sets: all valid\n"


def test_cli_wiring(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scripts", "check"]) == 0
    assert main(["scripts", "show", "plus-delta"]) == 0
    assert "What went well" in capsys.readouterr().out


@pytest.mark.parametrize("script_id", SCRIPT_IDS)
def test_script_is_sourced_short_and_blame_free(library: Library, script_id: str) -> None:
    script = library.script(script_id)
    assert script.id == script_id and script.version == 1
    assert SOURCES[script_id] in script.source
    assert "immediate debrief" in script.title.lower()
    assert "\n" not in script.why and len(_words(script.why)) <= 30
    assert 1 <= script.minutes <= 10

    intro = script.intro.lower()
    assert len(_words(script.intro)) <= 70
    assert "for learning, not for judging anyone" in intro and "anonymous" in intro and "blame" not in intro
    assert "stays in slack or teams: say it, don't type it" in intro
    _readable(script.intro)

    assert 2 <= len(script.steps) <= 6
    for step in script.steps:
        assert len(_words(step.prompt)) <= 45, step.key
        _readable(step.prompt)
    tips = " ".join(script.lead_tips).lower()
    assert "anyone on the team can lead" in tips
    assert "don't need training" not in tips and "experience" in tips
    assert "owner" in tips
    assert "privately" in tips and "feel" in tips
    for tip in script.lead_tips:
        assert len(_words(tip)) <= 25, tip


@pytest.mark.parametrize("script_id", COLD_IDS)
def test_cold_script_is_longer_facilitated_systems_focused_with_the_emotional_impact(
    library: Library, script_id: str
) -> None:
    """CLINICAL.md: 30-60 minutes, facilitated, days to two weeks on, systems-focused; impact on the agenda (M&M)."""
    script = library.script(script_id)
    assert script.kind == "cold" and script.version == 1
    assert script_id not in [hot.id for hot in library.of_kind("hot")]
    assert "Eppich & Cheng" in script.source and "morbidity and mortality" in script.source
    assert "talkdebrief.org" in script.source  # cited, not adapted (CC BY-NC-ND)
    assert "cold debrief" in script.title.lower()
    assert 30 <= script.minutes <= 60
    assert script.schedule == "off"  # its people had their check-ins after the hot debrief
    intro = script.intro.lower()
    assert "for learning, not for judging anyone" in intro and "anonymous" in intro and "blame" not in intro
    assert "stays in slack or teams: say it, don't type it" in intro
    assert "nobody has to talk about their feelings" in intro
    _readable(script.intro)
    keys = [step.key for step in script.steps]
    assert keys[0] == "R" and "D" in keys and "S" in keys  # reactions, description, ..., summary (PEARLS)
    titles = " ".join(step.title.lower() for step in script.steps)
    assert "system factors" in titles and "impact on the team" in titles
    for step in script.steps:
        assert len(_words(step.prompt)) <= 45, step.key
        _readable(step.prompt)
    tips = " ".join(script.lead_tips).lower()
    assert "facilitate" in tips and "owner" in tips and "privately" in tips and "experience" in tips
    questions = {question.id: question for question in script.questions}
    assert list(questions) == ["distress", "sfa_colour", "useful", "team_note", "lesson"]
    assert all(question.optional for question in questions.values())
    assert questions["lesson"].visibility == "lesson"  # a cold debrief's end can pass a lesson on (bot.lessons)


def test_scripts_are_offered_by_their_kind(library: Library) -> None:
    assert {script.kind for script in library.of_kind("cold")} == {"cold"}
    assert {"hot"} == {script.kind for script in library.of_kind("hot")}


@pytest.mark.parametrize("script_id", SCRIPT_IDS + COLD_IDS)
def test_no_step_presses_anyone_to_share_feelings(library: Library, script_id: str) -> None:
    pressing = re.compile(r"how (do|did|does|are) (you|everyone|each of you)( all)? feel", re.IGNORECASE)
    for step in library.script(script_id).steps:
        assert not pressing.search(step.prompt), step.prompt


@pytest.mark.parametrize("script_id", SCRIPT_IDS)
def test_debrief_questions(library: Library, script_id: str) -> None:
    questions = {question.id: question for question in library.script(script_id).questions}
    assert list(questions) == ["distress", "sfa_colour", "useful", "team_note"]
    distress = questions["distress"]
    assert isinstance(distress, ScaleQuestion) and distress.escalates and distress.low and distress.high
    assert any(isinstance(question, ChoiceQuestion) for question in questions.values())
    note = questions["team_note"]
    assert isinstance(note, TextQuestion) and note.visibility == "ask"
    assert "wellbeing team" in note.label
    assert all(question.optional for question in questions.values())


def _every_question(library: Library) -> list[tuple[str, object]]:
    places: list[tuple[str, object]] = []
    for script in library.scripts.values():
        places += [(f"{script.id}.yml", question) for question in script.questions]
        for name, stage in script.followups.items():
            places += [(f"{script.id}.yml {name}", question) for question in stage.questions]
    for name, stage in library.stages.items():
        places += [(f"followups.yml {name}", question) for question in stage.questions]
    return places


def test_question_ids_mean_the_same_everywhere(library: Library) -> None:
    seen: dict[str, tuple[str, dict[str, object]]] = {}
    for where, question in _every_question(library):
        dumped = question.model_dump()  # type: ignore[attr-defined]
        first = seen.setdefault(dumped["id"], (where, dumped))
        assert dumped == first[1], f"{dumped['id']} in {where} differs from {first[0]}"
    assert {"distress", "sfa_colour", "team_note"} <= set(seen)


def test_followup_stages_are_caring_contacts(library: Library) -> None:
    for name, stage in library.stages.items():
        assert stage.late_message, name
        for text in (stage.message, stage.late_message):
            assert len(_words(text)) <= 70, name
            _readable(text)
            lowered = text.lower()
            assert "optional" in lowered or "no reply" in lowered or "don't need to reply" in lowered
        assert all(question.optional for question in stage.questions)
        distress = stage.questions[0]
        assert isinstance(distress, ScaleQuestion) and distress.id == "distress" and distress.escalates

    ids = {name: [question.id for question in stage.questions] for name, stage in library.stages.items()}
    assert ids["24h"] == ["distress", "sfa_colour"]
    assert ids["7d"] == ["distress", "phq2_interest", "phq2_mood", "gad2_nervous", "gad2_worry", "phq9_item9", "lesson"]
    assert ids["30d"] == ["distress", "sfa_colour"]


def test_instruments(library: Library) -> None:
    week = {question.id: question for question in library.stages["7d"].questions}
    for qid in ("phq2_interest", "phq2_mood", "gad2_nervous", "gad2_worry"):
        question = week[qid]
        assert isinstance(question, ChoiceQuestion)
        assert [option.value for option in question.options] == FREQUENCY
        assert question.label.startswith("Over the last 2 weeks, how often have you been bothered by")
    assert "little interest or pleasure in doing things" in week["phq2_interest"].label
    assert "down, depressed or hopeless" in week["phq2_mood"].label
    assert "nervous, anxious or on edge" in week["gad2_nervous"].label
    assert "stop or control worrying" in week["gad2_worry"].label

    harm = week["phq9_item9"]  # PHQ-9 item 9, its wording and its four answers
    assert isinstance(harm, ChoiceQuestion)
    assert harm.label == ("Over the last 2 weeks, how often have you been bothered by thoughts that you would be "
                          "better off dead, or of hurting yourself?")
    assert [option.value for option in harm.options] == FREQUENCY
    assert [option.label for option in harm.options] == ["Not at all", "Several days", "More than half the days",
                                                          "Nearly every day"]
    assert harm.escalate_on == FREQUENCY[1:]

    colour = library.stages["24h"].questions[1]
    assert isinstance(colour, ChoiceQuestion)
    assert [option.value for option in colour.options] == ["ready", "reacting", "injured", "ill"]
    for option, word in zip(colour.options, ["Green", "Yellow", "Orange", "Red"], strict=True):
        assert option.label.startswith(word)


def test_default_schedule_has_content(library: Library) -> None:
    """Every stage of DEBRIEF_FOLLOWUPS's default, however the delay is spelled."""
    default = Settings.model_fields["debrief_followups"].default
    for script in library.scripts.values():
        for delay in parse_schedule(default) + parse_schedule("24h,7d,30d"):
            assert library.stage(script, format_duration(delay)).message
    stop5 = library.script("stop5")
    assert library.stage(stop5, "1d") is library.stages["24h"]
    assert library.stage(stop5, "1w") is library.stages["7d"]
    assert library.questions(stop5, "debrief") == list(stop5.questions)
    with pytest.raises(KeyError):
        library.stage(stop5, "14d")


def test_crisis_lines_exactly_as_sourced(library: Library) -> None:
    us = {resource.name: resource for resource in library.resources_for("us").resources}
    assert us["988 Suicide & Crisis Lifeline"].contact == "Call or text 988"
    assert us["988 Suicide & Crisis Lifeline"].hours == "24/7" and us["988 Suicide & Crisis Lifeline"].crisis
    assert us["Crisis Text Line"].contact == "Text HOME to 741741" and us["Crisis Text Line"].crisis
    line = us["Physician Support Line"]
    assert "1-888-409-0141" in line.contact and line.hours == "8am-1am ET"
    assert line.professions == ["doctor", "medical_student"]
    assert "physicians and medical students only" in (line.about or "")

    uk = {resource.name: resource for resource in library.resources_for("uk").resources}
    assert "116 123" in uk["Samaritans"].contact and uk["Samaritans"].crisis and uk["Samaritans"].hours == "24/7"
    assert uk["SHOUT"].contact == "Text SHOUT to 85258" and uk["SHOUT"].crisis
    health = uk["NHS Practitioner Health"]
    assert "0300 0303 300" in health.contact and not health.crisis
    assert health.hours == "Mon-Fri 8am-8pm, Sat 8am-2pm"
    assert "not a crisis line" in (health.about or "").lower()


@pytest.mark.parametrize("region", ["us", "uk"])
def test_organisation_placeholders_name_no_fake_number(library: Library, region: str) -> None:
    resource_set = library.resources_for(region)
    placeholders = [resource for resource in resource_set.resources if resource.placeholder]
    names = " ".join(resource.name for resource in placeholders).lower()
    for kind in ("peer support", "employee assistance", "chaplaincy", "occupational health"):
        assert kind in names
    for resource in placeholders:
        assert "ask your wellbeing team" in resource.contact.lower()
        assert not re.search(r"\d", resource.contact + resource.hours)
        assert not resource.crisis and resource.url is None
    assert resource_set.crisis and all(not resource.placeholder for resource in resource_set.crisis)


def test_resources_for_a_file_path(library: Library) -> None:
    path = shipped_dir() / "resources" / "uk.yml"
    assert library.resources_for(str(path)).region == "uk"
    with pytest.raises(KeyError):
        library.resources_for("fr")


# --- check DIR: every broken field is named ------------------------------------------------------


@pytest.fixture
def org(tmp_path: Path) -> Path:
    """A copy of the shipped directory, as an organisation would start one."""
    target = tmp_path / "org"
    shutil.copytree(shipped_dir(), target, ignore=shutil.ignore_patterns("__init__.py", "__pycache__"))
    return target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _org_script(org: Path, body: str, name: str = "ward7.yml") -> None:
    (org / name).write_text(
        "id: ward7\nversion: 1\ntitle: Ward 7 immediate debrief\n"
        "source: Our own adaptation of STOP5 (Walker et al., 2020)\n"
        "why: Short.\nminutes: 5\nintro: No blame. Answers are anonymous.\n"
        "steps:\n  - {key: S, title: Summary, prompt: 'What happened?'}\n" + body,
        encoding="utf-8",
    )


DISTRESS = "  - {kind: scale, id: distress, label: 'How are you?', low: Fine, high: Awful, escalates: true}\n"

BREAKAGES: dict[str, tuple[Callable[[Path], None], str, str]] = {
    "scale without low": (
        lambda org: _edit(org / "stop5.yml", "    low: I'm fine\n", ""),
        "stop5.yml",
        "questions[0].low",
    ),
    "duplicated question id": (
        lambda org: _edit(org / "info.yml", "id: team_note", "id: useful"),
        "info.yml",
        "questions",
    ),
    "bad YAML": (
        lambda org: _edit(org / "plus-delta.yml", "minutes: 3\n", "minutes: 3\nsteps: [unclosed\n"),
        "plus-delta.yml",
        "line ",
    ),
    "id not matching the file name": (
        lambda org: _edit(org / "ok-stop.yml", "id: ok-stop", "id: okstop"),
        "ok-stop.yml",
        "id",
    ),
    "unknown field": (
        lambda org: _edit(org / "stop5.yml", "minutes: 5\n", "minutes: 5\nminute: 5\n"),
        "stop5.yml",
        "minute",
    ),
    "escalate_on naming no option": (
        lambda org: _edit(org / "followups.yml", "escalate_on: [several_days, more_than_half, nearly_every_day]", "escalate_on: [always]"),
        "followups.yml",
        "stages.7d.questions[5]",
    ),
    "stage name that is not a delay": (
        lambda org: _edit(org / "followups.yml", "  30d:\n", "  next month:\n"),
        "followups.yml",
        "stages",
    ),
    "two stages with one delay": (
        lambda org: _edit(org / "followups.yml", "  30d:\n", "  1w:\n"),
        "followups.yml",
        "stages",
    ),
    "schedule stage without content": (
        lambda org: _edit(org / "stop5.yml", "minutes: 5\n", "minutes: 5\nschedule: 24h,14d\n"),
        "stop5.yml",
        "schedule",
    ),
    "scale that escalates but is not distress": (
        lambda org: _org_script(
            org,
            "questions:\n"
            "  - {kind: scale, id: workload, label: 'How busy?', low: Quiet, high: Swamped, escalates: true}\n",
        ),
        "ward7.yml",
        "questions[0].escalates",
    ),
    "one id, two meanings": (
        lambda org: _org_script(org, "questions:\n  - {kind: text, id: distress, label: 'How are you?'}\n"),
        "ward7.yml",
        "questions[0].id",
    ),
    "region not matching the file name": (
        lambda org: _edit(org / "resources" / "uk.yml", "region: uk", "region: gb"),
        "uk.yml",
        "region",
    ),
    "resource set without a crisis line": (
        lambda org: (org / "resources" / "nz.yml").write_text(
            "region: nz\ntitle: New Zealand\nresources:\n"
            "  - {name: Peer support, contact: Ask your wellbeing team, hours: Ask, placeholder: true}\n",
            encoding="utf-8",
        ),
        "nz.yml",
        "resources",
    ),
    "placeholder marked as crisis": (
        lambda org: _edit(
            org / "resources" / "us.yml",
            "    hours: Ask your wellbeing team\n    about: Colleagues",
            "    hours: Ask your wellbeing team\n    crisis: true\n    about: Colleagues",
        ),
        "us.yml",
        "resources[3].crisis",
    ),
    ".yaml file that would be ignored": (
        lambda org: (org / "ward7.yaml").write_text("id: ward7\n", encoding="utf-8"),
        "ward7.yaml",
        "(file name)",
    ),
}


@pytest.mark.parametrize("case", list(BREAKAGES))
def test_check_names_file_and_field(org: Path, case: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert check_command(org) == 0
    capsys.readouterr()

    breakage, file_name, field = BREAKAGES[case]
    breakage(org)
    assert check_command(org) == 1
    out, err = capsys.readouterr()
    lines = err.splitlines()
    assert lines, "no error printed"
    assert any(
        line.startswith(str(org)) and f"{file_name}: {field}" in line and line.count(": ") >= 2 for line in lines
    ), err
    assert len(out.splitlines()) == 1 and "error" in out and "all valid" not in out


def test_check_reports_every_error_not_only_the_first(org: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _edit(org / "stop5.yml", "    low: I'm fine\n", "")
    _edit(org / "stop5.yml", "    high: Extremely distressed\n", "")
    _edit(org / "info.yml", "id: info", "id: inf")
    assert check_command(org) == 1
    out, err = capsys.readouterr()
    assert "stop5.yml: questions[0].low: Field required" in err
    assert "stop5.yml: questions[0].high: Field required" in err
    assert "info.yml: id: must match the file name" in err
    assert out.strip().endswith("3 errors in 2 files")


def test_check_missing_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert check_command(tmp_path / "nowhere") == 1
    assert "nowhere: (directory): not found" in capsys.readouterr().err


def test_check_accepts_an_org_script_with_its_own_stage(org: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _org_script(
        org,
        "questions:\n" + DISTRESS + "schedule: 24h,14d\nfollowups:\n"
        "  14d:\n    message: Two weeks on, we are still thinking of you. No reply needed.\n",
    )
    assert check_command(org) == 0
    out, err = capsys.readouterr()
    assert err == "" and "6 scripts" in out and "all valid" in out


# --- show ---------------------------------------------------------------------------------------


def test_show_prints_the_script_as_read(library: Library, capsys: pytest.CaptureFixture[str]) -> None:
    assert show_command("stop5") == 0
    out, err = capsys.readouterr()
    assert err == ""
    flat = " ".join(out.split())
    script = library.script("stop5")
    for text in (script.title, script.why, script.source, script.intro, *script.lead_tips):
        assert " ".join(text.split()) in flat
    for number, step in enumerate(script.steps, 1):
        assert f"{number}. {step.key} - {step.title}" in out
        assert " ".join(step.prompt.split()) in flat
    for question in script.questions:
        assert question.label in flat
    assert "0 = I'm fine; 10 = Extremely distressed" in flat
    assert "Not useful / A little useful / Useful / Very useful" in flat
    assert "After 24h:" in out and "After 7d:" in out
    assert " ".join(library.stages["7d"].message.split()) in flat
    assert "If it goes out late" in out
    assert "thoughts that you would be better off dead, or of hurting yourself?" in flat
    assert "30d" in out  # written, though not in the default schedule


def test_show_unknown_id(capsys: pytest.CaptureFixture[str]) -> None:
    assert show_command("stop6") == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert len(err.splitlines()) == 1
    assert "stop6" in err and all(script_id in err for script_id in SCRIPT_IDS)


def test_show_uses_the_org_directory_and_schedule(
    org: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    extra = org.parent / "extra"
    (extra / "resources").mkdir(parents=True)
    _org_script(extra, "questions:\n" + DISTRESS)
    monkeypatch.setenv("DEBRIEF_SCRIPTS_DIR", str(extra))
    monkeypatch.setenv("DEBRIEF_FOLLOWUPS", "24h,7d,30d")
    assert show_command("ward7") == 0
    out = capsys.readouterr().out
    assert "Ward 7 immediate debrief" in out and "After 30d:" in out


# --- an organisation's directory ----------------------------------------------------------------


def test_org_directory_adds_a_script_a_region_and_replaces_a_stage(tmp_path: Path) -> None:
    (tmp_path / "resources").mkdir()
    _org_script(tmp_path, "questions:\n" + DISTRESS)
    (tmp_path / "resources" / "nz.yml").write_text(
        "region: nz\ntitle: Support in New Zealand\nresources:\n"
        "  - {name: 'Need to talk?', contact: Call or text 1737, hours: 24/7, crisis: true}\n",
        encoding="utf-8",
    )
    (tmp_path / "followups.yml").write_text(
        "stages:\n  1d:\n    message: Thinking of you today. No reply needed.\n", encoding="utf-8"
    )
    library = Library.load(tmp_path)
    assert set(SCRIPT_IDS + COLD_IDS) | {"ward7"} == set(library.scripts)
    assert isinstance(library.script("ward7"), Script)
    assert {"international", "us", "uk", "nz"} == set(library.resource_sets)
    assert library.resources_for("nz").crisis[0].contact == "Call or text 1737"
    stage = library.stage(library.script("stop5"), "24h")
    assert stage.message == "Thinking of you today. No reply needed."
    assert sorted(library.stages) == ["1d", "30d", "7d"]


def test_library_load_raises_on_a_broken_org_file(org: Path) -> None:
    _edit(org / "stop5.yml", "    low: I'm fine\n", "")
    with pytest.raises(ScriptProblem) as caught:
        Library.load(org)
    assert caught.value.path == org / "stop5.yml"
    assert caught.value.field == "questions[0].low"
