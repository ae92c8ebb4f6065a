"""The officers' review queue of shared lessons as a modal, its review form, and the monthly learning digest.

A lesson is user text: escaped and shown `verbatim`, so `<!channel>` in it
pings nobody. No name, time or order is shown (the core shuffles them), and
the digest names a team only where the core says there were enough debriefs.
"""

from __future__ import annotations

import json
import uuid
from enum import StrEnum

from slack_sdk.models.blocks import (
    ButtonElement,
    InputBlock,
    Option,
    PlainTextInputElement,
    RadioButtonsElement,
    StaticSelectElement,
)

from adapters.slack.ids import VALUE
from adapters.slack.render.common import Blocks, context, header, plain, section, view
from adapters.slack.text import MAX_VIEW_BLOCKS, and_more, clip_escaped, escape
from bot import lessons
from bot.lessons import LearningDigestContent, Queue, Waiting

TITLE = "Lessons to review"
SHOWN_LENGTH = 2800


class LessonAction(StrEnum):
    """The queue's buttons; the listeners match on the same ids."""

    OPEN = "lessons.open"
    """App Home, for officers: open the queue."""
    REVIEW = "lessons.review"


class LessonBlock(StrEnum):
    TEXT = "lesson.text"
    THEME = "lesson.theme"
    DECISION = "lesson.decision"


REVIEW_CALLBACK = "lessons.review"
LEARNING_EVENT = "debrief_learning_digest"
"""The message metadata `event_type` of a learning digest; its payload holds the digest id."""
FIELDS = {lessons.TEXT: LessonBlock.TEXT, lessons.THEME: LessonBlock.THEME, lessons.DECISION: LessonBlock.DECISION}
"""The core's field names (`InvalidAnswer.problems`) and the review form's blocks."""


def team_name(team: str) -> str:
    return f"<#{team}>" if team[:1] in ("C", "G") else escape(team)


def queue_modal(queue: Queue, note: str | None = None) -> dict:
    blocks: Blocks = []
    if note:
        blocks.append(context(f"ℹ️ {escape(note)}"))
    if not queue.lessons:
        blocks.append(section(lessons.QUEUE_EMPTY))
        return view(title=TITLE, blocks=blocks)
    blocks.append(section(f"*{queue.count} waiting.* {lessons.QUEUE_NOTE}"))
    for lesson in queue.lessons[: MAX_VIEW_BLOCKS - 4]:
        review = ButtonElement(text=plain("Review"), action_id=LessonAction.REVIEW, value=str(lesson.id))
        mark = "⚠️ " if lesson.crisis else ""
        blocks.append(section(f"{mark}“{clip_escaped(lesson.text, SHOWN_LENGTH)}”", accessory=review))
    if queue.count > len(queue.lessons):
        blocks.append(context(and_more(queue.count - len(queue.lessons), "more: review some to see them")))
    return view(title=TITLE, blocks=blocks)


def _option(value: str, label: str) -> Option:
    return Option(value=value, text=plain(label))


def review_modal(lesson: Waiting) -> dict:
    themes = [_option(value, label) for value, label in lessons.THEMES.items()]
    decisions = [_option(value, label) for value, label in lessons.DECISIONS.items()]
    blocks: Blocks = [
        section("Someone agreed to share this without their name. Take out anything that could identify a "
                "patient or a person; what you keep is screened again."),
        InputBlock(
            block_id=LessonBlock.TEXT, label=plain("The lesson, as it will be shared"),
            element=PlainTextInputElement(action_id=VALUE, multiline=True, max_length=lessons.LESSON_LENGTH,
                                          initial_value=lesson.text[: lessons.LESSON_LENGTH]),
        ),
        InputBlock(block_id=LessonBlock.THEME, label=plain("Theme"), optional=True,
                   hint=plain("Needed to approve: the digest groups lessons by theme."),
                   element=StaticSelectElement(action_id=VALUE, placeholder=plain("Pick a theme"), options=themes)),
        InputBlock(block_id=LessonBlock.DECISION, label=plain("Your decision"),
                   element=RadioButtonsElement(action_id=VALUE, options=decisions)),
        context("The person who wrote it cannot be told what you decide: nobody knows who they are."),
    ]
    if lesson.crisis:
        blocks.insert(0, section(f"⚠️ {lessons.CRISIS_NOTE}"))
    return view(title="Review a lesson", blocks=blocks, callback_id=REVIEW_CALLBACK, submit="Save", close="Cancel",
                private_metadata=json.dumps({"l": str(lesson.id)}))


def lesson_of(private_metadata: str | None) -> uuid.UUID:
    """The lesson a review form is for; ValueError for metadata this app did not write."""
    return uuid.UUID(str(json.loads(private_metadata or "{}")["l"]))


def digest_blocks(digest: LearningDigestContent) -> Blocks:
    """The month's lessons by theme; within the 50 blocks of a message (the rest are counted)."""
    blocks: Blocks = [header(digest.heading), context(lessons.DIGEST_NOTE)]
    budget, left = 48, digest.count
    for theme in digest.themes:
        if budget < 3:
            break
        blocks.append(section(f"*{escape(theme.label)}*"))
        budget -= 1
        for lesson in theme.lessons:
            if budget < 2:
                break
            where = f"\n_{team_name(lesson.team)}_" if lesson.team else ""
            blocks.append(section(f"“{clip_escaped(lesson.text, SHOWN_LENGTH)}”{where}"))
            budget -= 1
            left -= 1
    if left > 0:
        blocks.append(context(and_more(left, "more lessons this month than fit here")))
    return blocks
