"""What a button carries and sends back: its `data`, validated on the way in.

Teams sends a button's `data` back merged with the dialog's inputs (and its
own `msteams` key). A value that does not parse (an old card from a previous
version, an altered request) becomes a kind "out of date" message, never a
crash. Nothing here names a person beyond the ids Teams already sends.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from adapters.teams.ids import VERB, Verb
from bot.scripts import DEBRIEF_STAGE


class StaleRequest(Exception):
    """A button's data that does not parse: an old or altered card."""

    message = "That card is out of date. Please start again from the latest one."


class ButtonData(BaseModel):
    """The part of a submission the bot wrote into the button."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    verb: Verb
    debrief: uuid.UUID | None = Field(default=None, alias="d")
    stage: str = Field(default=DEBRIEF_STAGE, alias="s", max_length=16)
    key: str | None = Field(default=None, alias="k", max_length=64)
    request: uuid.UUID | None = Field(default=None, alias="r")
    point: uuid.UUID | None = Field(default=None, alias="p")
    """An action point's id (`bot.actions`)."""
    token: str | None = Field(default=None, alias="t", max_length=512)
    """An answer form's: the core's signed proof that its person may answer (`Debriefs.open_form`)."""

    @classmethod
    def read(cls, data: object) -> ButtonData:
        if not isinstance(data, Mapping) or VERB not in data:
            raise StaleRequest("no verb in the data")
        try:
            return cls.model_validate(dict(data))
        except ValidationError as exc:
            raise StaleRequest(f"{exc.error_count()} problem(s) in the data") from None

    def need_point(self) -> uuid.UUID:
        if self.point is None:
            raise StaleRequest("no action point in the data")
        return self.point

    def need_debrief(self) -> uuid.UUID:
        if self.debrief is None:
            raise StaleRequest("no debrief in the data")
        return self.debrief

    def ref(self, token: str | None = None) -> dict[str, Any]:
        """The data to put in the next button about the same debrief and stage (an answer form's: with its token)."""
        values: dict[str, Any] = {"d": self.debrief}
        if self.stage != DEBRIEF_STAGE:
            values["s"] = self.stage
        if token or self.token:
            values["t"] = token or self.token
        return values


def inputs(data: object) -> dict[str, str]:
    """The dialog's input values (strings), without the button's own keys."""
    if not isinstance(data, Mapping):
        return {}
    own = {VERB, "d", "s", "k", "r", "p", "o", "t", "msteams"}
    return {str(key): str(value) for key, value in data.items() if key not in own and value is not None}
