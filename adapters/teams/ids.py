"""Every id the Adaptive Card renderer and the handlers share.

A card's buttons carry a `verb` in their `data`; a dialog's inputs carry ids
the submit handler reads back. Both sides take them from here, so they
cannot drift apart.
"""

from __future__ import annotations

from enum import StrEnum

VERB = "verb"
"""The key of the verb in every button's `data`."""


class Verb(StrEnum):
    """What a button asks for. Buttons on a shared card open a dialog, so nothing shows in the chat."""

    SETUP = "debrief.setup"
    ANSWER = "debrief.answer"
    ACTION_POINT = "debrief.action_point"
    RESOURCES = "debrief.resources"
    RESULTS = "debrief.results"
    CLOSE = "debrief.close"
    SKIP = "debrief.skip"
    TALK = "support.talk"
    CLAIM = "support.claim"
    CLOSE_REQUEST = "support.close"
    """"Done" on a request in the wellbeing team's queue."""
    STOP = "followup.stop"
    POINT_DONE = "point.done"
    """An action point's owner or lead marks it done (what changed, optional)."""
    POINT_DROP = "point.drop"
    """...drops it (why)."""
    POINT_HAND_ON = "point.hand_on"
    """...hands it to someone else in the debrief."""
    DONE = "dialog.done"
    """Closes a dialog that only says something."""


class SetupInput(StrEnum):
    SCRIPT = "setup.script"
    PARTICIPANTS = "setup.participants"
    LABEL = "setup.label"
    SINCE_EVENT = "setup.since_event"
    AUDIENCE = "setup.audience"


class ActionPointInput(StrEnum):
    TEXT = "action_point.text"
    OWNER = "action_point.owner"
    DUE_ON = "action_point.due_on"


class PointInput(StrEnum):
    OUTCOME = "point.outcome"
    OWNER = "point.owner"


class SkipInput(StrEnum):
    REASON = "skip.reason"
    DETAIL = "skip.detail"


class TalkInput(StrEnum):
    PREFERRED_TIME = "support.preferred_time"


def question_input(question_id: str) -> str:
    """The input id of a question in the answer dialog."""
    return f"q.{question_id}"


def share_input(question_id: str) -> str:
    """The input id of a text question's "share with the team" toggle."""
    return f"share.{question_id}"


SHARED = "true"
"""The value of a ticked "share with the team" toggle."""
