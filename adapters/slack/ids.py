"""Every id that the Block Kit renderer and the listeners share.

Slack sends back the `action_id` of a button, the `callback_id` of a modal
and the `block_id` of each input: the renderer writes them and the listeners
match on them, so both take them from here and cannot drift apart.
"""

from __future__ import annotations

from enum import StrEnum

VALUE = "value"
"""The action id of the one element inside every input block: its block id says what it is."""


class Action(StrEnum):
    """Buttons, in the script message, in App Home and in modals."""

    ANSWER = "debrief.answer"
    ADD_ACTION_POINT = "debrief.add_action_point"
    RESOURCES = "debrief.resources"
    CLOSE = "debrief.close"
    POST_RESULTS = "debrief.post_results"
    TALK = "support.talk"
    """"I'd like to talk to someone": opens the talk form (the one identified path)."""
    CLAIM_SUPPORT = "support.claim"
    """A wellbeing officer or peer supporter takes a support request on."""
    STOP_FOLLOWUPS = "followups.stop"
    """One tap in a check-in: no more check-ins from this debrief."""
    NOTES = "summary.notes"
    """App Home, for officers: open the notes written for the wellbeing team."""
    EXPORT = "summary.export"
    """The officers' CSV export: a link button; Slack still tells the app it was tapped."""
    POINT_DONE = "point.done"
    """An action point's owner or lead: open the "done" form (what changed, optional)."""
    POINT_DROP = "point.drop"
    """...the "dropped" form (why)."""
    POINT_HAND_ON = "point.hand_on"
    """...the "hand on" form (to whom)."""


class Callback(StrEnum):
    """Modal callback ids: one per kind of form."""

    SETUP = "debrief.setup"
    ANSWER = "debrief.answer"
    ACTION_POINT = "debrief.action_point"
    SKIP = "debrief.skip"
    TALK = "support.talk"
    POINT_CLOSE = "point.close"
    """Done or dropped, with its one line: the form's metadata says which."""
    POINT_HAND_ON = "point.hand_on"
    NOTICE = "debrief.notice"
    """A modal that only says something (done, thank you, resources)."""


class SetupBlock(StrEnum):
    SCRIPT = "setup.script"
    PARTICIPANTS = "setup.participants"
    SINCE_EVENT = "setup.since_event"
    AUDIENCE = "setup.audience"
    LABEL = "setup.label"
    WHERE = "setup.where"


class Where(StrEnum):
    """Where the debrief runs: the set-up form's choice."""

    NEW_CHANNEL = "new_channel"
    THIS_CHANNEL = "this_channel"


class ActionPointBlock(StrEnum):
    TEXT = "action_point.text"
    OWNER = "action_point.owner"
    DUE_ON = "action_point.due_on"


class PointBlock(StrEnum):
    OUTCOME = "point.outcome"
    OWNER = "point.owner"


class SkipBlock(StrEnum):
    REASON = "skip.reason"
    DETAIL = "skip.detail"


class TalkBlock(StrEnum):
    PREFERRED_TIME = "talk.preferred_time"


class CheckinBlock(StrEnum):
    """Blocks of a check-in (follow-up) direct message and of a support notice."""

    BUTTONS = "checkin.buttons"
    STOP = "checkin.stop"
    CLAIM = "support.claim"


FOLLOWUP_EVENT = "debrief_followup"
"""The message metadata `event_type` of a check-in; its payload holds the follow-up id (see messenger)."""
ACTION_EVENT = "debrief_action_point"
"""The message metadata `event_type` of an action point's reminder or note; its payload holds the message id."""
DIGEST_EVENT = "debrief_digest"
"""The message metadata `event_type` of an officer's weekly digest; its payload holds the digest id."""


class MessageBlock(StrEnum):
    """Blocks of the script message that are found again when it is updated."""

    COUNTER = "script.counter"
    BUTTONS = "script.buttons"


SHARED = "shared"
"""The value of the "share with the team" checkbox."""


def question_block(question_id: str) -> str:
    """The block id of a question in the answer modal (generic in the stage)."""
    return f"q.{question_id}"


def share_block(question_id: str) -> str:
    """The block id of a text question's "share with the team" checkbox."""
    return f"share.{question_id}"


def question_of(block_id: str) -> tuple[str, str] | None:
    """(`q` or `share`, question id) for an answer-modal block id, else None."""
    kind, _, question = block_id.partition(".")
    if kind in ("q", "share") and question:
        return kind, question
    return None
