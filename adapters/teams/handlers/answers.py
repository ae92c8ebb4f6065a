"""Anonymous answers, in a dialog, so that no answer ever appears in the shared conversation.

`task/fetch` checks first whether this person may still answer (already
answered, closed, not invited) and says so kindly instead of showing a form
they cannot send. `task/submit` goes through the same core path as Slack
(`record_answer`): a form problem shows the form again with what they typed
and the problem above the question; a second answer is refused; crisis
resources come at once when an answer escalates; then the counter in the
conversation moves, in batches.

A write that takes longer than `ANSWER_WAIT_SECONDS` (a lock held, a busy
database) is not left to run into Teams' time limit on the invoke, which
would show the person an error while the answer might still be saved: the
dialog says it is still saving, and the outcome follows in the person's own
chat once there is one: saved, or plainly that nothing was saved and to
answer again. That message is the same whatever the answer was (crisis
lines included for everyone), so the chat's record says nothing about it.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any

from botbuilder.core import InvokeResponse, TurnContext

from adapters.teams.cards.common import card, text
from adapters.teams.cards.forms import answer_dialog
from adapters.teams.cards.support import crisis_elements, screen_dialog
from adapters.teams.errors import explain
from adapters.teams.handlers import respond
from adapters.teams.ids import SHARED, question_input, share_input
from adapters.teams.metadata import ButtonData
from adapters.teams.services import Services
from bot import wording
from bot.errors import AlreadyAnswered, DebriefError, IdentifierFound, InvalidAnswer, NoLongerOpen, NotAllowed
from bot.scripts import Question, TextQuestion
from bot.support import resources_for_person

log = logging.getLogger("debrief.teams")

TITLE = "Anonymous answers"
ANSWER_WAIT_SECONDS = 8.0
"""How long the dialog waits for an answer's write before saying "still saving" (Teams gives an invoke 15 s)."""
STILL_SAVING = "\u23f3 Still saving your answers. I'll tell you in our chat in a moment whether they were saved."
SAVED_LATER = "\U0001f499 Your anonymous answers are saved, with no name attached. Thank you."
NOT_SAVED_LATER = "Nothing was saved. Please tap **Answer anonymously** again to send your answers."
NOT_INVITED = "Only the people invited to this debrief can answer it. Ask the lead if you were there."


async def fetch(services: Services, turn_context: TurnContext, data: ButtonData, values: dict[str, str]) -> InvokeResponse:
    """The form, with the token that says this person may send it (checked here, once), or why not."""
    user = turn_context.activity.from_property.id
    try:
        form = await services.core.debriefs.open_form(data.need_debrief(), data.stage, user)
    except AlreadyAnswered:
        return respond.notice(TITLE, f"\U0001f499 {AlreadyAnswered.message}", "If you'd like support, tap **Support resources**.")
    except NoLongerOpen:
        return respond.notice(TITLE, NoLongerOpen.message)
    except NotAllowed:
        return respond.notice(TITLE, NOT_INVITED)
    intro = wording.form_intro(form.intro, services.core.settings, data.stage)
    return respond.show(answer_dialog(form.questions, data.ref(form.token), intro), TITLE, "large")


def read_answers(questions: list[Question], values: dict[str, str]) -> tuple[dict[str, object], set[str]]:
    """Answers by question id, and the text questions whose author ticked "share with the team"."""
    answers: dict[str, object] = {}
    shared: set[str] = set()
    for question in questions:
        value = values.get(question_input(question.id), "")
        if value.strip():
            answers[question.id] = value
        if isinstance(question, TextQuestion) and values.get(share_input(question.id)) == SHARED:
            shared.add(question.id)
    unknown = [key for key in values if key.startswith("q.") and key[2:] not in {q.id for q in questions}]
    for key in unknown:  # a field the form never had: let the core refuse it by name
        answers[key[2:]] = values[key]
    return answers, shared


async def submit(services: Services, turn_context: TurnContext, data: ButtonData, values: dict[str, str]) -> InvokeResponse:
    core = services.core
    debrief_id = data.need_debrief()
    user = turn_context.activity.from_property.id
    debrief = await core.debriefs.get(debrief_id)
    questions, intro = core.debriefs.stage_form(debrief.script_id, debrief.schedule, data.stage)
    intro = wording.form_intro(intro, core.settings, data.stage)
    answers, shared = read_answers(questions, values)
    write = asyncio.ensure_future(core.debriefs.record_answer(debrief_id, data.stage, user, answers, shared, token=data.token))
    done, _ = await asyncio.wait({write}, timeout=ANSWER_WAIT_SECONDS)
    if not done:
        services.in_background(_outcome_later(services, write, user, debrief_id, data.stage))
        return respond.notice(TITLE, STILL_SAVING)
    try:
        recorded = write.result()
    except (InvalidAnswer, IdentifierFound) as error:
        problems = dict(error.problems) if isinstance(error, InvalidAnswer) else error.by_field()
        known = {question.id for question in questions}
        placed = {field: message for field, message in problems.items() if field in known}
        if len(placed) < len(problems):
            placed[""] = " ".join(message for field, message in problems.items() if field not in known) or error.message
        return respond.show(answer_dialog(questions, data.ref(), intro, values, placed), TITLE, "large")
    except DebriefError as error:  # already answered, closed, not invited: nothing stored
        return respond.notice(TITLE, f"\U0001f499 {explain(error, 'dialog answer')}")
    except Exception as error:  # noqa: BLE001 - the database is down: keep what they typed, ask to send again
        problem = explain(error, "dialog answer")
        return respond.show(answer_dialog(questions, data.ref(), intro, values, {"": problem}), TITLE, "large")
    services.in_background(services.messaging.refresh_counter(debrief_id, data.stage))
    # Crisis lines at once when the answers call for it; the offer to talk on every thank-you, so that
    # asking to talk never says which answer came before.
    screen = wording.thanks(recorded.signal, core.resources, await core.support.available())
    return respond.show(screen_dialog(screen, {"d": debrief_id}), screen.title, "medium")


async def _outcome_later(services: Services, write: asyncio.Future[Any], user: str, debrief_id: uuid.UUID, stage: str) -> None:
    """After "still saving": tell the person in their own chat whether their answers were saved."""
    core = services.core
    try:
        await write
        paragraphs = [SAVED_LATER, "If things are hard right now, these people are there to listen:"]
        extra = crisis_elements(resources_for_person(core.resources, crisis_only=True))
        services.in_background(services.messaging.refresh_counter(debrief_id, stage))
    except Exception as error:  # noqa: BLE001 - refused or an outage: either way nothing was stored
        paragraphs = [explain(error, "dialog answer (after 'still saving')"), NOT_SAVED_LATER]
        extra = []
    try:
        await services.messaging.send_private(user, card([*map(text, paragraphs), *extra], []), paragraphs[0])
    except Exception as error:  # noqa: BLE001 - nowhere to tell them: the operator at least knows
        log.warning("dialog answer: could not tell the person the outcome after 'still saving': %s", type(error).__name__)
