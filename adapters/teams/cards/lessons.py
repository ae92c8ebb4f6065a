"""The officers' review queue of shared lessons, a lesson's review dialog, and the monthly learning digest, as cards.

A lesson is user text: shown literally (`user_text`), never as markdown or a
mention. No name, time or order is shown (the core shuffles them), and the
digest names a team only where the core says there were enough debriefs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adapters.teams.cards.common import (
    Element,
    action_set,
    card,
    choice_input,
    container,
    dialog_button,
    submit,
    text,
    text_input,
    user_text,
    warning,
)
from adapters.teams.ids import LessonInput, Verb
from adapters.teams.text import team_title
from bot import lessons
from bot.lessons import LearningDigestContent, Queue, Waiting
from bot.wording import plural

FIELDS = {lessons.TEXT: LessonInput.TEXT, lessons.THEME: LessonInput.THEME, lessons.DECISION: LessonInput.DECISION}
"""The core's field names (`InvalidAnswer.problems`) and the dialog's inputs."""


def queue_card(queue: Queue) -> dict[str, Any]:
    body: list[Element] = [text("**Lessons to review**", size="Medium")]
    if not queue.lessons:
        body.append(text(lessons.QUEUE_EMPTY))
        return card(body, fallback="Lessons to review")
    body.append(text(f"{plural(queue.count, 'lesson')} waiting. {lessons.QUEUE_NOTE}", subtle=True))
    for lesson in queue.lessons:
        body.append(container([
            *([warning(lessons.CRISIS_NOTE)] if lesson.crisis else []),
            user_text(lesson.text, limit=lessons.LESSON_LENGTH),
            action_set([dialog_button("Review", Verb.LESSON_REVIEW, l=lesson.id)]),
        ], separator=True))
    if queue.count > len(queue.lessons):
        body.append(text(f"…and {queue.count - len(queue.lessons)} more: review some to see them", subtle=True))
    return card(body, fallback="Lessons to review")


def review_card(lesson: Waiting, values: Mapping[str, str] | None = None,
                problems: Mapping[str, str] | None = None) -> dict[str, Any]:
    values, problems = values or {}, problems or {}
    body: list[Element] = [
        text("Someone agreed to share this without their name. Take out anything that could identify a patient "
             "or a person; what you keep is screened again."),
    ]
    if lesson.crisis:
        body.append(warning(lessons.CRISIS_NOTE))
    if problem := problems.get(LessonInput.TEXT):
        body.append(warning(problem))
    body.append(text_input(LessonInput.TEXT, "The lesson, as it will be shared", multiline=True,
                           max_length=lessons.LESSON_LENGTH, value=values.get(LessonInput.TEXT, lesson.text),
                           required=True))
    if problem := problems.get(LessonInput.THEME):
        body.append(warning(problem))
    body.append(choice_input(LessonInput.THEME, "Theme (needed to approve)",
                             [(label, value) for value, label in lessons.THEMES.items()],
                             value=values.get(LessonInput.THEME), placeholder="Pick a theme"))
    if problem := problems.get(LessonInput.DECISION):
        body.append(warning(problem))
    body.append(choice_input(LessonInput.DECISION, "Your decision",
                             [(label, value) for value, label in lessons.DECISIONS.items()], expanded=True,
                             value=values.get(LessonInput.DECISION), required=True))
    body.append(text("The person who wrote it cannot be told what you decide: nobody knows who they are.",
                     subtle=True, size="Small"))
    return card(body, [submit("Save", Verb.LESSON_REVIEW, style="positive", l=lesson.id)])


def digest_card(digest: LearningDigestContent, titles: Mapping[str, str]) -> dict[str, Any]:
    body: list[Element] = [text(f"**{digest.heading}**", size="Medium"), text(lessons.DIGEST_NOTE, subtle=True)]
    for theme in digest.themes:
        items: list[Element] = [text(f"**{theme.label}**")]
        for lesson in theme.lessons:
            items.append(user_text(lesson.text, limit=lessons.LESSON_LENGTH))
            if lesson.team:
                items.append(user_text(team_title(lesson.team, titles), limit=200, subtle=True, italic=True))
        body.append(container(items, separator=True))
    return card(body, fallback=digest.heading)
