"""State that travels through Slack and comes back: button values and modal metadata.

Everything is compact JSON validated by pydantic on the way back, never a
pipe-separated string: a value Slack returns may be stale (an old message,
an old modal) or forged, and a bad one must become a kind "out of date"
message, not a crash. Nothing here names a person beyond the ids Slack
itself already sends with the request.
"""

from __future__ import annotations

import uuid
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.scripts import DEBRIEF_STAGE

MAX_METADATA = 3000
MAX_BUTTON_VALUE = 2000

_M = TypeVar("_M", bound="_Compact")


class StaleRequest(Exception):
    """A button value or private_metadata that does not parse: an old or altered form."""

    message = "That form or button is out of date. Please close it and start again."


class _Compact(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    def dump(self) -> str:
        text = self.model_dump_json(by_alias=True, exclude_defaults=True)
        assert len(text) <= MAX_BUTTON_VALUE, "metadata over Slack's limit"
        return text

    @classmethod
    def load(cls: type[_M], raw: str | None) -> _M:
        try:
            return cls.model_validate_json(raw or "")
        except ValidationError as exc:
            raise StaleRequest(f"{cls.__name__}: {exc.error_count()} problem(s)") from None


class DebriefRef(_Compact):
    """Which debrief (and which stage of it) a button or a modal is about."""

    debrief: uuid.UUID = Field(alias="d")
    stage: str = Field(default=DEBRIEF_STAGE, alias="s", max_length=16)
    token: str | None = Field(default=None, alias="t", max_length=512)
    """An answer form's: the core's signed proof that its person may answer (`Debriefs.open_form`)."""


class Origin(_Compact):
    """Where a slash command was typed: the set-up and skip forms carry it."""

    channel: str = Field(alias="c", min_length=1, max_length=64)
    team: str = Field(alias="t", min_length=1, max_length=64)


class SupportRef(_Compact):
    """Which support request a wellbeing officer's "I'll take it" button is about."""

    request: uuid.UUID = Field(alias="r")


class PointRef(_Compact):
    """Which action point a button or form is about, and for the closing form, done or dropped."""

    point: uuid.UUID = Field(alias="p")
    status: str | None = Field(default=None, alias="s", max_length=16)
