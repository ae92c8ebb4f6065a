"""The router for dialog invokes: `task/fetch` opens a dialog, `task/submit` sends it; by the button's verb.

Every answer is an `InvokeResponse(status=200, body=...)` with a plain
dict body that the HTTP handler writes once: botbuilder 4.17.1's built-in
task-module handlers serialize their response twice and answer 500, so the
bot never calls them (see `bot.DebriefBot.on_invoke_activity`). Whatever
fails becomes a kind message in the dialog, never an error page.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from botbuilder.core import InvokeResponse, TurnContext

from adapters.teams.access import requires
from adapters.teams.errors import explain
from adapters.teams.handlers import answers, points, respond, setup, skip, support, team
from adapters.teams.ids import Verb
from adapters.teams.metadata import ButtonData, StaleRequest, inputs
from adapters.teams.services import Services
from bot.officers import Role

Handler = Callable[[Services, TurnContext, ButtonData, dict[str, str]], Awaitable[InvokeResponse]]

FETCH: dict[Verb, Handler] = {
    Verb.SETUP: requires(Role.ANYONE)(setup.fetch),
    Verb.ANSWER: requires(Role.ANYONE)(answers.fetch),
    Verb.ACTION_POINT: requires(Role.ANYONE)(team.action_point_fetch),
    Verb.RESULTS: requires(Role.ANYONE)(team.results_fetch),
    Verb.CLOSE: requires(Role.ANYONE)(team.close_fetch),
    Verb.RESOURCES: requires(Role.ANYONE)(support.resources_fetch),
    Verb.TALK: requires(Role.ANYONE)(support.talk_fetch),
    Verb.SKIP: requires(Role.ANYONE)(skip.fetch),
    # the core lets only the point's owner or the debrief's lead change it (`bot.actions.may_change`)
    Verb.POINT_DONE: requires(Role.ANYONE)(points.close_fetch),
    Verb.POINT_DROP: requires(Role.ANYONE)(points.close_fetch),
    Verb.POINT_HAND_ON: requires(Role.ANYONE)(points.hand_on_fetch),
}
"""Each dialog and the role it needs (`adapters.teams.access`): anyone may open one; the core
refuses what is not theirs (a debrief they are not in, closing it if not the lead)."""

SUBMIT: dict[Verb, Handler] = {
    Verb.SETUP: requires(Role.ANYONE)(setup.submit),
    Verb.ANSWER: requires(Role.ANYONE)(answers.submit),
    Verb.ACTION_POINT: requires(Role.ANYONE)(team.action_point_submit),
    Verb.RESULTS: requires(Role.ANYONE)(team.results_submit),
    Verb.CLOSE: requires(Role.ANYONE)(team.close_submit),
    Verb.TALK: requires(Role.ANYONE)(support.talk_submit),
    Verb.SKIP: requires(Role.ANYONE)(skip.submit),
    Verb.POINT_DONE: requires(Role.ANYONE)(points.close_submit),
    Verb.POINT_DROP: requires(Role.ANYONE)(points.close_submit),
    Verb.POINT_HAND_ON: requires(Role.ANYONE)(points.hand_on_submit),
}


async def handle(services: Services, turn_context: TurnContext, kind: str) -> InvokeResponse:
    """`kind` is "fetch" or "submit"; the activity's value is `{"data": {...}}`."""
    value = turn_context.activity.value if isinstance(turn_context.activity.value, dict) else {}
    raw = value.get("data")
    where = f"dialog {kind}"
    try:
        data = ButtonData.read(raw)
        where = f"dialog {kind} {data.verb.value}"
        if data.verb == Verb.DONE:
            return respond.close()
        handler = (FETCH if kind == "fetch" else SUBMIT).get(data.verb)
        if handler is None:
            raise StaleRequest(f"no {kind} handler for {data.verb.value}")
        return await handler(services, turn_context, data, inputs(raw))
    except Exception as error:  # noqa: BLE001 - explain() gives any failure a kind message and the operator one log line
        return respond.notice("Sorry", explain(error, where))
