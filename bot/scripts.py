"""Debrief scripts and support-resource sets: the schema and the library.

Scripts are data (YAML in `debrief_scripts/`), written for a tired team on a
phone: one line on why, a few steps, anonymous questions. The schema here is
what `debrief-bot scripts check` validates; an organisation adds its own
scripts and resources in a directory named by DEBRIEF_SCRIPTS_DIR, laid out
like the shipped one (`*.yml` scripts, `resources/*.yml` resource sets,
`followups.yml` for the follow-up stages).
"""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from datetime import timedelta
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal, TypeVar, cast

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bot.settings import FOLLOWUPS_OFF, parse_duration, parse_schedule

DEBRIEF_STAGE = "debrief"
"""The stage name of the answers given during the debrief itself."""

ESCALATING_SCALES = frozenset({"distress"})
"""Scale question ids that may escalate: DEBRIEF_DISTRESS_THRESHOLD is set for the 0-10 distress rating."""

_SLUG = r"^[a-z0-9][a-z0-9-]{0,40}$"
_M = TypeVar("_M", bound=BaseModel)


def _stage_names(value: dict[str, Stage]) -> dict[str, Stage]:
    """Each key is one delay (`24h`, `7d`); two keys may not name the same delay."""
    seen: dict[timedelta, str] = {}
    for name in value:
        delay = parse_duration(name)
        if delay in seen:
            raise ValueError(f"stages {seen[delay]!r} and {name!r} are the same delay")
        seen[delay] = name
    return value


def _find_stage(stages: dict[str, Stage], name: str) -> Stage | None:
    """The stage for `name`, matched by delay, so that `1d` finds `24h` and `1w` finds `7d`."""
    if name in stages:
        return stages[name]
    try:
        wanted = parse_duration(name)
    except ValueError:
        return None
    for key, stage in stages.items():
        if parse_duration(key) == wanted:
            return stage
    return None


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ScaleQuestion(_Strict):
    """A 0-10 rating (the unbranded distress rating of CLINICAL.md)."""

    kind: Literal["scale"]
    id: str = Field(pattern=r"^[a-z0-9_]{1,40}$")
    label: str = Field(max_length=150)
    low: str = Field(max_length=40, description="what 0 means")
    high: str = Field(max_length=40, description="what 10 means")
    optional: bool = True
    escalates: bool = Field(default=False, description="at or above the distress threshold, show crisis resources")


class Option(_Strict):
    value: str = Field(pattern=r"^[a-z0-9_]{1,40}$")
    label: str = Field(max_length=75)


class ChoiceQuestion(_Strict):
    kind: Literal["choice"]
    id: str = Field(pattern=r"^[a-z0-9_]{1,40}$")
    label: str = Field(max_length=150)
    options: list[Option] = Field(min_length=2, max_length=10)
    optional: bool = True
    escalate_on: list[str] = Field(default_factory=list, description="option values that show crisis resources")

    @model_validator(mode="after")
    def _escalations_are_options(self) -> ChoiceQuestion:
        values = {option.value for option in self.options}
        unknown = [value for value in self.escalate_on if value not in values]
        if unknown:
            raise ValueError(f"escalate_on names {unknown}, which are not option values")
        if len(values) != len(self.options):
            raise ValueError("option values must be different from each other")
        return self


class TextQuestion(_Strict):
    """Free text. `visibility: ask` lets the author choose team or officer only.

    `visibility: lesson` is the shared-lessons question (`bot.lessons`): its
    author may tick consent to share it across the organisation without their
    name once a wellbeing officer has read it; unticked, only the wellbeing
    team reads it. Any script or stage may ask one (the 7-day check-in does).
    """

    kind: Literal["text"]
    id: str = Field(pattern=r"^[a-z0-9_]{1,40}$")
    label: str = Field(max_length=150)
    hint: str | None = Field(default=None, max_length=150)
    max_length: int = Field(default=1000, ge=10, le=3000)
    optional: bool = True
    visibility: Literal["ask", "officer", "lesson"] = "ask"


Question = Annotated[ScaleQuestion | ChoiceQuestion | TextQuestion, Field(discriminator="kind")]


def _unique_ids(questions: list[Question]) -> list[Question]:
    ids = [question.id for question in questions]
    duplicates = sorted({qid for qid in ids if ids.count(qid) > 1})
    if duplicates:
        raise ValueError(f"question ids must be unique, repeated: {', '.join(duplicates)}")
    if sum(1 for question in questions if isinstance(question, TextQuestion) and question.visibility == "lesson") > 1:
        raise ValueError("a form asks for one lesson at most (one question with visibility: lesson)")
    return questions


class Step(_Strict):
    key: str = Field(max_length=12, description="the letter or short name, e.g. S")
    title: str = Field(max_length=80)
    prompt: str = Field(max_length=500)


class Stage(_Strict):
    """What a follow-up says and asks at one stage (24h, 7d, 30d...)."""

    message: str = Field(max_length=1500)
    late_message: str | None = Field(default=None, max_length=1500, description="sent instead when it goes out late")
    questions: list[Question] = Field(default_factory=list, max_length=8)

    _ids = field_validator("questions")(_unique_ids)


class Script(_Strict):
    id: str = Field(pattern=_SLUG)
    version: int = Field(ge=1)
    kind: Literal["hot", "cold"] = Field(
        default="hot",
        description="hot: offered when a debrief starts; cold: offered when a cold debrief is booked (`bot.cold`)",
    )
    title: str = Field(max_length=80)
    source: str = Field(min_length=10, max_length=500, description="the published source of the framework")
    why: str = Field(max_length=200, description="the why, in one line")
    minutes: int = Field(ge=1, le=60)
    intro: str = Field(max_length=1500, description="read aloud at the start")
    lead_tips: list[str] = Field(default_factory=list, max_length=6)
    steps: list[Step] = Field(min_length=1, max_length=10)
    questions: list[Question] = Field(min_length=1, max_length=8, description="asked anonymously at the debrief")
    schedule: str | None = Field(default=None, description="overrides DEBRIEF_FOLLOWUPS, e.g. 24h,7d,30d")
    followups: dict[str, Stage] = Field(default_factory=dict, description="overrides followups.yml per stage")

    _ids = field_validator("questions")(_unique_ids)

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, value: str | None) -> str | None:
        if value is not None:
            parse_schedule(value)
        return value

    _stages = field_validator("followups")(_stage_names)


class Resource(_Strict):
    name: str = Field(max_length=80)
    contact: str = Field(max_length=120, description="how to reach it, e.g. 'Call or text 988'")
    hours: str = Field(max_length=80)
    about: str | None = Field(default=None, max_length=200)
    url: str | None = Field(default=None, max_length=200)
    crisis: bool = Field(default=False, description="shown at once when someone signals acute distress")
    professions: list[str] = Field(default_factory=list, description="only for these professions; empty: everyone")
    nations: list[str] = Field(default_factory=list, description="only in these nations (england, scotland...); empty: all")
    placeholder: bool = Field(default=False, description="the operator still has to fill this in")


class ResourceSet(_Strict):
    region: str = Field(pattern=_SLUG)
    title: str = Field(max_length=80)
    emergency: str | None = Field(
        default=None, max_length=40, description="the emergency number (999, 911, 112); unset: 'your local emergency number'"
    )
    resources: list[Resource] = Field(min_length=1)

    @property
    def crisis(self) -> list[Resource]:
        return [resource for resource in self.resources if resource.crisis]

    @property
    def emergency_number(self) -> str:
        """The number to name in "if you are in danger, call ...": never an unnamed one when the file gives it."""
        return self.emergency or "your local emergency number"

    @property
    def placeholders(self) -> list[str]:
        """Names of the contacts the operator has not filled in yet (listed at start-up)."""
        return [resource.name for resource in self.resources if resource.placeholder]


CRISIS_PHRASES_FILE = "crisis_phrases.yml"


class CrisisPhrases(_Strict):
    """`crisis_phrases.yml`: words that show the crisis lines at once (`bot.care`).

    `phrases` are matched in free-text answers and in any message the bot
    does not understand; `help_words` only in such messages (someone typing
    "I need help" to the bot). Written in the first person, so that a
    debrief about a patient ("the patient took an overdose") does not match.
    """

    phrases: list[str] = Field(min_length=1, max_length=500)
    help_words: list[str] = Field(default_factory=list, max_length=200)

    @field_validator("phrases", "help_words")
    @classmethod
    def _phrases(cls, value: list[str]) -> list[str]:
        tidy = [" ".join(phrase.lower().split()) for phrase in value]
        if any(len(phrase) < 3 for phrase in tidy):
            raise ValueError("each phrase needs at least 3 characters")
        repeated = sorted({phrase for phrase in tidy if tidy.count(phrase) > 1})
        if repeated:
            raise ValueError(f"repeated: {', '.join(repeated)}")
        return tidy


class FollowupContent(_Strict):
    """`followups.yml`: the default content of every follow-up stage."""

    stages: dict[str, Stage]

    _stages = field_validator("stages")(_stage_names)


class ScriptProblem(Exception):
    """One error in a script file, naming the file and the field."""

    def __init__(self, path: Path, field: str, message: str) -> None:
        super().__init__(f"{path}: {field}: {message}")
        self.path, self.field, self.detail = path, field, message


def shipped_dir() -> Path:
    """The `debrief_scripts/` directory installed with the package."""
    return Path(str(resources.files("debrief_scripts")))


def _load_yaml(path: Path) -> object:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "file"
        raise ScriptProblem(path, where, f"not valid YAML ({getattr(exc, 'problem', None) or exc})") from None
    except UnicodeDecodeError:
        raise ScriptProblem(path, "file", "not UTF-8 text") from None
    except OSError as exc:
        raise ScriptProblem(path, "file", f"cannot be read ({exc.strerror or exc})") from None


_KINDS = {"scale", "choice", "text"}


def _field_name(loc: tuple[int | str, ...]) -> str:
    """`('questions', 0, 'scale', 'low')` -> `questions[0].low` (drop the union tag)."""
    name, previous = "", None
    for part in loc:
        if isinstance(part, int):
            name += f"[{part}]"
        elif not (isinstance(previous, int) and part in _KINDS):
            name += f".{part}" if name else str(part)
        previous = part
    return name or "(top level)"


def _validate(model: type[_M], path: Path) -> tuple[_M | None, list[ScriptProblem]]:
    """Parse `path` as `model`; every problem found, not only the first."""
    try:
        data = _load_yaml(path)
    except ScriptProblem as problem:
        return None, [problem]
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        return None, [
            ScriptProblem(path, _field_name(error["loc"]), str(error["msg"]).removeprefix("Value error, "))
            for error in exc.errors()
        ]


def _parse(model: type[_M], path: Path) -> _M:
    parsed, problems = _validate(model, path)
    if problems:
        raise problems[0]
    assert parsed is not None
    return parsed


class Library:
    """All scripts, follow-up stages and resource sets the bot knows.

    The shipped directory loads first; an organisation's directory may add
    scripts and regions, or replace shipped ones with the same id.
    """

    def __init__(self) -> None:
        self.scripts: dict[str, Script] = {}
        self.resource_sets: dict[str, ResourceSet] = {}
        self.stages: dict[str, Stage] = {}
        self.crisis_phrases = CrisisPhrases(phrases=["kill myself"])
        """Replaced by the shipped `crisis_phrases.yml` (or an organisation's) when a directory is added."""
        self.origins: dict[tuple[str, str], Path] = {}
        """("script", id), ("stage", name) or ("resources", region) -> the file it came from."""

    @classmethod
    def load(cls, extra: Path | None = None) -> Library:
        """Load the shipped directory and then `extra`; raise on the first problem."""
        library = cls()
        for directory in [shipped_dir(), *([extra] if extra else [])]:
            problems = library.add_directory(directory)
            if problems:
                raise problems[0]
        return library

    def add_directory(self, directory: Path) -> list[ScriptProblem]:
        """Add every file in `directory`; return the problems instead of stopping at one."""
        problems: list[ScriptProblem] = []
        if not directory.is_dir():
            return [ScriptProblem(directory, "(directory)", "not found")]
        for path in sorted(directory.glob("*.yml")):
            if path.name == "followups.yml":
                content, found = _validate(FollowupContent, path)
                problems += found
                if content is not None:
                    for name, stage in content.stages.items():
                        delay = parse_duration(name)
                        for old in [key for key in self.stages if parse_duration(key) == delay]:
                            del self.stages[old]
                            self.origins.pop(("stage", old), None)
                        self.stages[name] = stage
                        self.origins["stage", name] = path
                continue
            if path.name == CRISIS_PHRASES_FILE:
                phrases, found = _validate(CrisisPhrases, path)
                problems += found
                if phrases is not None:
                    self.crisis_phrases = phrases
                    self.origins["phrases", "crisis"] = path
                continue
            script, found = _validate(Script, path)
            problems += found
            if script is not None:
                if script.id != path.stem:
                    problems.append(ScriptProblem(path, "id", f"must match the file name ({path.stem!r})"))
                    continue
                self.scripts[script.id] = script
                self.origins["script", script.id] = path
        for path in sorted((directory / "resources").glob("*.yml")):
            resource_set, found = _validate(ResourceSet, path)
            problems += found
            if resource_set is not None:
                if resource_set.region != path.stem:
                    problems.append(ScriptProblem(path, "region", f"must match the file name ({path.stem!r})"))
                    continue
                self.resource_sets[resource_set.region] = resource_set
                self.origins["resources", resource_set.region] = path
        return problems

    def script(self, script_id: str) -> Script:
        return self.scripts[script_id]

    def of_kind(self, kind: str) -> list[Script]:
        """The scripts to offer: `hot` when a debrief starts, `cold` when a cold debrief is booked."""
        return [script for script in self.scripts.values() if script.kind == kind]

    def resources_for(self, region_or_path: str) -> ResourceSet:
        """A region (`us`, `uk`) or the path of a resource-set YAML file."""
        if region_or_path in self.resource_sets:
            return self.resource_sets[region_or_path]
        path = Path(region_or_path)
        if path.suffix in (".yml", ".yaml") and path.is_file():
            return _parse(ResourceSet, path)
        raise KeyError(region_or_path)

    def stage(self, script: Script, name: str) -> Stage:
        """What the follow-up at stage `name` says: the script's own, else the default.

        Stages match by delay, so `1d` (what `format_duration` gives for 24 hours) finds `24h`.
        """
        stage = _find_stage(script.followups, name)
        if stage is None:
            stage = _find_stage(self.stages, name)
        if stage is None:
            raise KeyError(name)
        return stage

    def questions(self, script: Script, stage: str) -> list[Question]:
        if stage == DEBRIEF_STAGE:
            return list(script.questions)
        return list(self.stage(script, stage).questions)


# --- `debrief-bot scripts check` and `debrief-bot scripts show` -------------------------------


def _question_places(library: Library) -> Iterator[tuple[Path, str, Question]]:
    """Every question the library can ask, with its file and field name, shipped files first."""
    for name, stage in library.stages.items():
        path = library.origins.get(("stage", name), Path("followups.yml"))
        for index, question in enumerate(stage.questions):
            yield path, f"stages.{name}.questions[{index}]", question
    for script_id, script in library.scripts.items():
        path = library.origins.get(("script", script_id), Path(f"{script_id}.yml"))
        for index, question in enumerate(script.questions):
            yield path, f"questions[{index}]", question
        for name, stage in script.followups.items():
            for index, question in enumerate(stage.questions):
                yield path, f"followups.{name}.questions[{index}]", question


def _meaning(question: Question) -> tuple[object, ...]:
    """What must match for two questions to share an id (answers are summarised by id)."""
    if isinstance(question, ScaleQuestion):
        return ("scale", question.escalates)
    if isinstance(question, ChoiceQuestion):
        return ("choice", tuple(option.value for option in question.options))
    return ("text",)


def _describe(meaning: tuple[object, ...]) -> str:
    if meaning[0] == "scale":
        return "an escalating scale" if meaning[1] else "a scale that does not escalate"
    if meaning[0] == "choice":
        return f"a choice of {', '.join(str(value) for value in cast(tuple[object, ...], meaning[1]))}"
    return "free text"


def _library_problems(library: Library, shipped: Path) -> list[ScriptProblem]:
    """The checks that need the whole library: schedules, escalation, ids, resource sets."""
    problems: list[ScriptProblem] = []
    for script_id, script in library.scripts.items():
        path = library.origins.get(("script", script_id), Path(f"{script_id}.yml"))
        for name in [part.strip() for part in (script.schedule or "").split(",") if part.strip() != FOLLOWUPS_OFF]:
            if not name:
                continue
            if _find_stage(script.followups, name) is None and _find_stage(library.stages, name) is None:
                problems.append(
                    ScriptProblem(
                        path,
                        "schedule",
                        f"stage {name} has no content: add it under followups: here or to followups.yml",
                    )
                )

    first_seen: dict[str, tuple[Path, tuple[object, ...]]] = {}
    places = sorted(_question_places(library), key=lambda place: not place[0].is_relative_to(shipped))
    for path, field, question in places:
        if isinstance(question, ScaleQuestion) and question.escalates and question.id not in ESCALATING_SCALES:
            allowed = ", ".join(sorted(ESCALATING_SCALES))
            problems.append(
                ScriptProblem(
                    path,
                    f"{field}.escalates",
                    f"only the 0-10 distress rating (id: {allowed}) may escalate; "
                    f"{question.id!r} would show crisis resources on a high score that does not mean distress",
                )
            )
        meaning = _meaning(question)
        if question.id not in first_seen:
            first_seen[question.id] = (path, meaning)
            continue
        other_path, other = first_seen[question.id]
        if other != meaning:
            problems.append(
                ScriptProblem(
                    path,
                    f"{field}.id",
                    f"{question.id!r} is {_describe(meaning)} here but {_describe(other)} in {other_path.name}; "
                    "one id must mean one question everywhere, or use a new id",
                )
            )

    for region, resource_set in library.resource_sets.items():
        path = library.origins.get(("resources", region), Path(f"resources/{region}.yml"))
        problems += resource_set_problems(resource_set, path)
    return problems


def resource_set_problems(resource_set: ResourceSet, path: Path) -> list[ScriptProblem]:
    """The rules every resource set must meet, in a directory or given by path."""
    problems = []
    for index, resource in enumerate(resource_set.resources):
        if resource.crisis and resource.placeholder:
            problems.append(
                ScriptProblem(
                    path,
                    f"resources[{index}].crisis",
                    "a placeholder cannot be a crisis resource: fill in the contact and remove placeholder",
                )
            )
    if not any(resource.crisis and not resource.placeholder for resource in resource_set.resources):
        problems.append(
            ScriptProblem(
                path,
                "resources",
                "no crisis resource (crisis: true): someone in acute distress would be shown nothing",
            )
        )
    return problems


def _check_resource_file(path: Path) -> int:
    """`scripts check FILE.yml`: one resource set (DEBRIEF_RESOURCES may name a file), by the directory's rules."""
    resource_set, problems = _validate(ResourceSet, path)
    if resource_set is not None:
        problems += resource_set_problems(resource_set, path)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{path}: {_plural(len(problems), 'error')}")
        return 1
    placeholders = resource_set.placeholders if resource_set else []
    note = f"; still to fill in: {', '.join(placeholders)}" if placeholders else ""
    print(f"{path}: valid resource set{note}")
    return 0


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def check_command(directory: Path | None) -> int:
    """`debrief-bot scripts check [DIR]`: one `FILE: FIELD: message` line per error on stderr."""
    if directory is not None and directory.is_file() and directory.suffix in (".yml", ".yaml"):
        return _check_resource_file(directory)
    shipped = shipped_dir()
    library = Library()
    problems = library.add_directory(shipped)
    if directory is not None:
        problems += library.add_directory(directory)
        for path in sorted([*directory.glob("*.yaml"), *(directory / "resources").glob("*.yaml")]):
            problems.append(ScriptProblem(path, "(file name)", "ignored: name it .yml"))
    problems += _library_problems(library, shipped)
    for problem in problems:
        print(problem, file=sys.stderr)
    counts = ", ".join(
        [
            _plural(len(library.scripts), "script"),
            _plural(len(library.stages), "follow-up stage"),
            _plural(len(library.resource_sets), "resource set"),
        ]
    )
    where = f" (shipped + {directory})" if directory is not None else ""
    if problems:
        files = len({problem.path for problem in problems})
        print(f"{counts}{where}: {_plural(len(problems), 'error')} in {_plural(files, 'file')}")
        return 1
    print(f"{counts}{where}: all valid")
    return 0


def _wrap(text: str, indent: str) -> list[str]:
    lines: list[str] = []
    for paragraph in text.strip().split("\n"):
        if paragraph.strip():
            lines += textwrap.wrap(paragraph.strip(), width=78, initial_indent=indent, subsequent_indent=indent)
        else:
            lines.append("")
    return lines


def _show_question(number: int, question: Question, indent: str) -> list[str]:
    more = indent + "   "
    lines = textwrap.wrap(f"{number}. {question.label}", width=78, initial_indent=indent, subsequent_indent=more)
    if isinstance(question, ScaleQuestion):
        detail = f"Scale 0-10. 0 = {question.low}; 10 = {question.high}."
        if question.escalates:
            detail += " A high score shows crisis contacts at once."
    elif isinstance(question, ChoiceQuestion):
        detail = "Choice: " + " / ".join(option.label for option in question.options) + "."
        if question.escalate_on:
            labels = [option.label for option in question.options if option.value in question.escalate_on]
            detail += f" Shows crisis contacts at once for: {' / '.join(labels)}."
    else:
        detail = f"Free text, up to {question.max_length} characters."
        if question.hint:
            detail = f"{question.hint} {detail}"
        detail += (
            " The author chooses: the team, or the wellbeing team only."
            if question.visibility == "ask"
            else " A lesson: shared across the organisation without a name only if its author ticks it, "
            "after a wellbeing officer has read it."
            if question.visibility == "lesson"
            else " Only the wellbeing team sees it."
        )
    if not question.optional:
        detail += " Required."
    return lines + _wrap(f"[{question.id}] {detail}", more)


def show_command(script_id: str) -> int:
    """`debrief-bot scripts show ID`: the script as a reader would see it, in plain text."""
    from bot.settings import Settings, SettingsError

    try:
        settings = Settings.load()
        library = Library.load(settings.debrief_scripts_dir)
    except (SettingsError, ScriptProblem) as exc:
        print(exc, file=sys.stderr)
        return 1
    if script_id not in library.scripts:
        known = ", ".join(sorted(library.scripts))
        print(f"no script {script_id!r}; known scripts: {known}", file=sys.stderr)
        return 1
    script = library.script(script_id)

    out = [f"{script.title}  ({script.id}, version {script.version})", ""]
    out += _wrap(f"Why: {script.why}", "")
    out += [f"Time: about {script.minutes} minutes."]
    if script.kind == "cold":
        out += ["Kind: cold debrief (offered when a cold debrief is booked, not when a debrief starts)."]
    out += _wrap(f"Source: {script.source}", "")
    out += ["", "Read this aloud to start:", *_wrap(script.intro, "  "), "", "Steps:"]
    for number, step in enumerate(script.steps, 1):
        out += _wrap(f"{number}. {step.key} - {step.title}", "  ") + _wrap(step.prompt, "     ")
    if script.lead_tips:
        out += ["", "Tips for the lead:"]
        for tip in script.lead_tips:
            out += textwrap.wrap(tip, width=78, initial_indent="  - ", subsequent_indent="    ")
    out += ["", "Asked privately and anonymously, at the end of the debrief:"]
    for number, question in enumerate(script.questions, 1):
        out += _show_question(number, question, "  ")

    schedule = script.schedule or settings.debrief_followups
    names = [part.strip() for part in schedule.split(",") if part.strip() and part.strip() != FOLLOWUPS_OFF]
    origin = "this script's schedule" if script.schedule else "DEBRIEF_FOLLOWUPS"
    out += ["", f"Follow-ups ({schedule}, from {origin}):"]
    shown = []
    for name in names:
        out.append("")
        try:
            stage = library.stage(script, name)
        except KeyError:
            out.append(f"  After {name}: (no content for this stage)")
            continue
        shown.append(stage)
        out.append(f"  After {name}:")
        out += _wrap(stage.message, "    ")
        if stage.late_message:
            out += ["    If it goes out late, instead:", *_wrap(stage.late_message, "      ")]
        if stage.questions:
            out.append("    Questions (optional, anonymous):")
            for number, question in enumerate(stage.questions, 1):
                out += _show_question(number, question, "    ")
    others = [name for name, stage in library.stages.items() if all(stage is not seen for seen in shown)]
    if others:
        out += ["", f"Also written, not in this schedule: {', '.join(others)} (add to {origin} to send)."]
    print("\n".join(out))
    return 0
