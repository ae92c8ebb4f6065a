"""Debrief scripts and support-resource sets: the schema and the library.

Scripts are data (YAML in `debrief_scripts/`), written for a tired team on a
phone: one line on why, a few steps, anonymous questions. The schema here is
what `debrief-bot scripts check` validates; an organisation adds its own
scripts and resources in a directory named by DEBRIEF_SCRIPTS_DIR, laid out
like the shipped one (`*.yml` scripts, `resources/*.yml` resource sets,
`followups.yml` for the follow-up stages).
"""

from __future__ import annotations

from datetime import timedelta
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bot.settings import parse_schedule

DEBRIEF_STAGE = "debrief"
"""The stage name of the answers given during the debrief itself."""

_SLUG = r"^[a-z0-9][a-z0-9-]{0,40}$"
_M = TypeVar("_M", bound=BaseModel)


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
    """Free text. `visibility: ask` lets the author choose team or officer only."""

    kind: Literal["text"]
    id: str = Field(pattern=r"^[a-z0-9_]{1,40}$")
    label: str = Field(max_length=150)
    hint: str | None = Field(default=None, max_length=150)
    max_length: int = Field(default=1000, ge=10, le=3000)
    optional: bool = True
    visibility: Literal["ask", "officer"] = "ask"


Question = Annotated[ScaleQuestion | ChoiceQuestion | TextQuestion, Field(discriminator="kind")]


def _unique_ids(questions: list[Question]) -> list[Question]:
    ids = [question.id for question in questions]
    duplicates = sorted({qid for qid in ids if ids.count(qid) > 1})
    if duplicates:
        raise ValueError(f"question ids must be unique, repeated: {', '.join(duplicates)}")
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

    @field_validator("followups")
    @classmethod
    def _stage_names(cls, value: dict[str, Stage]) -> dict[str, Stage]:
        for name in value:
            parse_schedule(name)
        return value


class Resource(_Strict):
    name: str = Field(max_length=80)
    contact: str = Field(max_length=120, description="how to reach it, e.g. 'Call or text 988'")
    hours: str = Field(max_length=80)
    about: str | None = Field(default=None, max_length=200)
    url: str | None = Field(default=None, max_length=200)
    crisis: bool = Field(default=False, description="shown at once when someone signals acute distress")
    professions: list[str] = Field(default_factory=list, description="only for these professions; empty: everyone")
    placeholder: bool = Field(default=False, description="the operator still has to fill this in")


class ResourceSet(_Strict):
    region: str = Field(pattern=_SLUG)
    title: str = Field(max_length=80)
    resources: list[Resource] = Field(min_length=1)

    @property
    def crisis(self) -> list[Resource]:
        return [resource for resource in self.resources if resource.crisis]


class FollowupContent(_Strict):
    """`followups.yml`: the default content of every follow-up stage."""

    stages: dict[str, Stage]

    @field_validator("stages")
    @classmethod
    def _stage_names(cls, value: dict[str, Stage]) -> dict[str, Stage]:
        for name in value:
            parse_schedule(name)
        return value


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
        raise ScriptProblem(path, where, f"not valid YAML ({getattr(exc, 'problem', exc)})") from None


def _parse(model: type[_M], path: Path) -> _M:
    data = _load_yaml(path)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(part) for part in error["loc"]) or "(top level)"
        raise ScriptProblem(path, field, str(error["msg"]).removeprefix("Value error, ")) from None


class Library:
    """All scripts, follow-up stages and resource sets the bot knows.

    The shipped directory loads first; an organisation's directory may add
    scripts and regions, or replace shipped ones with the same id.
    """

    def __init__(self) -> None:
        self.scripts: dict[str, Script] = {}
        self.resource_sets: dict[str, ResourceSet] = {}
        self.stages: dict[str, Stage] = {}

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
            try:
                if path.name == "followups.yml":
                    self.stages.update(_parse(FollowupContent, path).stages)
                else:
                    script = _parse(Script, path)
                    if script.id != path.stem:
                        raise ScriptProblem(path, "id", f"must match the file name ({path.stem!r})")
                    self.scripts[script.id] = script
            except ScriptProblem as problem:
                problems.append(problem)
        for path in sorted((directory / "resources").glob("*.yml")):
            try:
                resource_set = _parse(ResourceSet, path)
                if resource_set.region != path.stem:
                    raise ScriptProblem(path, "region", f"must match the file name ({path.stem!r})")
                self.resource_sets[resource_set.region] = resource_set
            except ScriptProblem as problem:
                problems.append(problem)
        return problems

    def script(self, script_id: str) -> Script:
        return self.scripts[script_id]

    def resources_for(self, region_or_path: str) -> ResourceSet:
        """A region (`us`, `uk`) or the path of a resource-set YAML file."""
        if region_or_path in self.resource_sets:
            return self.resource_sets[region_or_path]
        path = Path(region_or_path)
        if path.suffix in (".yml", ".yaml") and path.is_file():
            return _parse(ResourceSet, path)
        raise KeyError(region_or_path)

    def schedule_for(self, script: Script, default: str) -> list[timedelta]:
        """The follow-up delays for a debrief run with `script`."""
        return parse_schedule(script.schedule or default)

    def stage(self, script: Script, name: str) -> Stage:
        """What the follow-up at stage `name` says: the script's own, else the default."""
        if name in script.followups:
            return script.followups[name]
        if name in self.stages:
            return self.stages[name]
        raise KeyError(name)

    def questions(self, script: Script, stage: str) -> list[Question]:
        if stage == DEBRIEF_STAGE:
            return list(script.questions)
        return list(self.stage(script, stage).questions)
