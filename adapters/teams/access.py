"""Who may use each command, button and dialog, declared once on the handler: `@requires(Role.OFFICER, ...)`.

Every handler in the command, button and dialog tables carries one, and a
test lists those tables and the role each handler declares, so a handler
without one fails the suite. The check is the core's one (`Support.allows`),
by the sender's Teams id, Azure AD object id and, when a wellbeing list holds
e-mail addresses, their e-mail (`Services.identities`).

Refused: `NotAllowed(refusal)`, which each place turns into a kind message
where the person is (`errors.explain`); with no refusal, `Unrecognised`, so a
typed command reads as an unknown word and its existence is not confirmed.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, cast

from botbuilder.core import TurnContext

from adapters.teams.services import Services
from bot.errors import NotAllowed
from bot.officers import Role

Handler = TypeVar("Handler", bound=Callable[..., Awaitable[Any]])

_DECLARED: dict[Callable[..., Any], Role] = {}


class Unrecognised(Exception):
    """A typed command this person may not use, answered as any unknown word is."""


def requires(role: Role, refusal: str | None = None) -> Callable[[Handler], Handler]:
    """Declare the role a handler `(services, turn_context, ...)` needs, and check it before it runs."""

    def declare(handler: Handler) -> Handler:
        if role is Role.ANYONE:
            _DECLARED[handler] = role
            return handler

        @functools.wraps(handler)
        async def checked(services: Services, turn_context: TurnContext, *args: Any) -> Any:
            known = await services.identities(turn_context)
            if not await services.core.support.allows(role, *known):
                raise Unrecognised() if refusal is None else NotAllowed(refusal)
            return await handler(services, turn_context, *args)

        _DECLARED[checked] = role
        return cast(Handler, checked)

    return declare


def role_of(handler: Callable[..., Any]) -> Role | None:
    """The role a handler declared, or None (then a test fails)."""
    return _DECLARED.get(handler)
