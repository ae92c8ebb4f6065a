"""Recording that no debrief was held, and why (the reason names no patient; the detail is screened)."""

from __future__ import annotations

from botbuilder.core import InvokeResponse, TurnContext

from adapters.teams.cards.forms import skip_dialog, skipped_dialog
from adapters.teams.errors import explain
from adapters.teams.handlers import respond
from adapters.teams.ids import SkipInput
from adapters.teams.metadata import ButtonData
from adapters.teams.services import PLATFORM, Services, workspace_of
from bot.debriefs import SKIP_REASON_LABELS, SkipReason
from bot.errors import IdentifierFound, InvalidAnswer

TITLE = "No debrief this time"


async def fetch(services: Services, turn_context: TurnContext, data: ButtonData, values: dict[str, str]) -> InvokeResponse:
    return respond.show(skip_dialog(), TITLE, "medium")


async def submit(services: Services, turn_context: TurnContext, data: ButtonData, values: dict[str, str]) -> InvokeResponse:
    activity = turn_context.activity
    reason = values.get(SkipInput.REASON) or ""
    try:
        await services.core.debriefs.skip(
            platform=PLATFORM,
            workspace=workspace_of(turn_context),
            team=str(activity.conversation.id).split(";")[0],
            lead=activity.from_property.id,
            reason=reason,
            detail=values.get(SkipInput.DETAIL),
        )
    except (InvalidAnswer, IdentifierFound) as error:
        problems = dict(error.problems) if isinstance(error, InvalidAnswer) else error.by_field()
        return respond.show(skip_dialog(values, problems), TITLE, "medium")
    except Exception as error:  # noqa: BLE001 - explain() gives any failure a kind message and the operator one log line
        return respond.show(skip_dialog(values, {"": explain(error, "dialog skip")}), TITLE, "medium")
    return respond.show(skipped_dialog(SKIP_REASON_LABELS[SkipReason(reason)]), TITLE, "small")
