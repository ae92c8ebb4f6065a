"""`lessons` and the review dialog: the officers' queue of shared lessons on Teams (`bot.lessons`).

The command sends the queue privately (typed in a channel, it goes to the
officer's personal chat, as the notes do); each lesson's Review button opens
a dialog to approve (with a theme, perhaps edited), or decline. Every handler
declares `Role.OFFICER` where it is put in the command and dialog tables,
and the core refuses anyone else too.
"""

from __future__ import annotations

from botbuilder.core import InvokeResponse, TurnContext

from adapters.teams.cards.lessons import FIELDS, queue_card, review_card
from adapters.teams.handlers import respond
from adapters.teams.ids import LessonInput
from adapters.teams.metadata import ButtonData, StaleRequest
from adapters.teams.services import PLATFORM, Services, workspace_of
from bot.errors import IdentifierFound, InvalidAnswer
from bot.lessons import AlreadyReviewed, Waiting

TITLE = "Review a lesson"
SENT_PRIVATELY = "I've sent the lessons to review to you in our private chat."
OPEN_A_CHAT = ("The lessons to review are private. Open a chat with me (search for Debrief in Teams' apps) "
               "and type **lessons** there.")
APPROVED = "Approved: it will be in the next monthly learning digest."
DECLINED = "Declined: the lesson is deleted."


async def show(services: Services, turn_context: TurnContext, words: str) -> None:
    """`lessons`."""
    queue = await services.core.lessons.queue(turn_context.activity.from_property.id, *await services.identities(turn_context),
                                              platform=PLATFORM, workspace=workspace_of(turn_context))
    await services.messaging.reply_privately(turn_context, queue_card(queue), "Lessons to review",
                                             sent=SENT_PRIVATELY, open_a_chat=OPEN_A_CHAT)


def _lesson(data: ButtonData):
    if data.lesson is None:
        raise StaleRequest("no lesson in the data")
    return data.lesson


async def review_fetch(services: Services, turn_context: TurnContext, data: ButtonData,
                       values: dict[str, str]) -> InvokeResponse:
    known = await services.identities(turn_context)
    try:
        lesson = await services.core.lessons.get(_lesson(data), turn_context.activity.from_property.id, *known)
    except AlreadyReviewed as late:
        return respond.notice(TITLE, late.message)
    return respond.show(review_card(lesson), TITLE, "large")


async def review_submit(services: Services, turn_context: TurnContext, data: ButtonData,
                        values: dict[str, str]) -> InvokeResponse:
    known = await services.identities(turn_context)
    lesson_id = _lesson(data)
    try:
        reviewed = await services.core.lessons.review(
            lesson_id, turn_context.activity.from_property.id, *known, decision=values.get(LessonInput.DECISION, ""),
            theme=values.get(LessonInput.THEME) or None, text=values.get(LessonInput.TEXT),
        )
    except (InvalidAnswer, IdentifierFound) as error:
        problems = error.problems if isinstance(error, InvalidAnswer) else error.by_field()
        shown = {str(FIELDS.get(field, LessonInput.TEXT)): message for field, message in problems.items()}
        again = Waiting(lesson_id, values.get(LessonInput.TEXT, ""))  # the form as typed, to fix
        return respond.show(review_card(again, values, shown), TITLE, "large")
    except AlreadyReviewed as late:
        return respond.notice(TITLE, late.message)
    return respond.notice(TITLE, APPROVED if reviewed.approved else DECLINED)
