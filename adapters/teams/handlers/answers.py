"""Anonymous answers, in a dialog, so that no answer ever appears in the shared conversation.

`task/fetch` checks first whether this person may still answer (already
answered, closed, not invited) and says so kindly instead of showing a form
they cannot send. `task/submit` goes through the same core path as Slack
(`record_answer`): a form problem shows the form again with what they typed
and the problem above the question; a second answer is refused; crisis
resources come at once when an answer escalates; then the counter in the
conversation moves, in batches.
"""

from __future__ import annotations

import asyncio
import logging

from botbuilder.core import InvokeResponse, TurnContext

from adapters.teams.cards.forms import answer_dialog
from adapters.teams.cards.support import screen_dialog
from adapters.teams.errors import explain
from adapters.teams.handlers import respond
from adapters.teams.ids import SHARED, question_input, share_input
from adapters.teams.metadata import ButtonData
from adapters.teams.services import Services
from bot import wording
from bot.errors import AlreadyAnswered, DebriefError, IdentifierFound, InvalidAnswer, NoLongerOpen
from bot.models import DebriefStatus
from bot.scripts import DEBRIEF_STAGE, Question, TextQuestion

log = logging.getLogger("debrief.teams")

TITLE = "Anonymous answers"
NOT_INVITED = "Only the people invited to this debrief can answer it. Ask the lead if you were there."


async def fetch(services: Services, turn_context: TurnContext, data: ButtonData, values: dict[str, str]) -> InvokeResponse:
    core = services.core
    debrief_id = data.need_debrief()
    user = turn_context.activity.from_property.id
    debrief, answered, member = await asyncio.gather(
        core.debriefs.get(debrief_id),
        core.debriefs.has_answered(debrief_id, data.stage, user),
        core.debriefs.is_participant(debrief_id, user),
    )
    if answered:
        return respond.notice(TITLE, f"\U0001f499 {AlreadyAnswered.message}", "If you'd like support, tap **Support resources**.")
    if data.stage == DEBRIEF_STAGE and debrief.status != DebriefStatus.OPEN:
        return respond.notice(TITLE, NoLongerOpen.message)
    if not member:
        return respond.notice(TITLE, NOT_INVITED)
    questions, intro = core.debriefs.stage_form(debrief.script_id, debrief.schedule, data.stage)
    intro = wording.form_intro(intro, core.settings, data.stage)
    return respond.show(answer_dialog(questions, data.ref(), intro), TITLE, "large")


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
    try:
        recorded = await core.debriefs.record_answer(debrief_id, data.stage, user, answers, shared)
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
