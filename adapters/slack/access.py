"""Who may use each command, button and form, declared once where the listener is registered.

Every listener is registered with one `Requires(role)` in its Bolt listener
middleware (`app.action(..., middleware=[Requires(Role.SUPPORTER, ...)])`), and
a test lists the app's listeners and the role each declares, so a listener
without one fails the suite. The check is the core's one (`Support.allows`),
by the person's Slack id and, when a wellbeing list holds e-mail addresses,
their e-mail. The ids found are left in the context as `identities` for the
listener.

Refused: the person is told kindly where they are (`refusal`), or, with no
refusal, the listener is skipped as if it did not match, so Bolt tries the
next one (`/debrief officers` then reads as an unknown word, and the
command's existence is not confirmed).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from adapters.slack.errors import deliver, explain, where
from adapters.slack.people import identities
from bot.officers import Role

IDENTITIES = "identities"
"""The context key holding the ids the check used (the Slack id first)."""


class Requires(AsyncMiddleware):
    def __init__(self, role: Role, refusal: str | None = None) -> None:
        self.role = role
        self.refusal = refusal

    @property
    def name(self) -> str:
        return f"Requires({self.role.value})"

    async def async_process(
        self, *, req: AsyncBoltRequest, resp: BoltResponse, next: Callable[[], Awaitable[BoltResponse]]
    ) -> BoltResponse | None:
        context = req.context
        if self.role is Role.ANYONE:
            await next()
            return resp
        core = context["core"]
        body: dict[str, Any] = req.body
        try:
            known = await identities(core, context.client, str(context.user_id or ""))
            allowed = await core.support.allows(self.role, *known)
        except Exception as error:  # noqa: BLE001 - explain() gives any failure a kind message and the operator one log line
            await deliver(explain(error, where(body)), ack=context.ack, body=body, client=context.client,
                          respond=context.respond)
            return context.ack.response
        if allowed:
            context[IDENTITIES] = known
            await next()
            return resp
        if self.refusal is None:
            return None  # as if this listener did not match: Bolt tries the next one
        if body.get("type") != "view_submission":
            await context.ack()  # then the refusal is an ephemeral reply, as any answer after the ack is
        await deliver(self.refusal, ack=context.ack, body=body, client=context.client, respond=context.respond)
        return context.ack.response
