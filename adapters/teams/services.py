"""What every handler needs, built once per process by `app.build`."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import CloudAdapter

from adapters.teams import roster
from adapters.teams.graph import Graph
from adapters.teams.messaging import Messaging
from adapters.teams.references import References
from bot.core import Core

PLATFORM = "teams"


@dataclass
class Services:
    core: Core
    adapter: CloudAdapter
    references: References
    messaging: Messaging
    app_id: str | None
    graph: Graph | None = None
    """Private channels through Microsoft Graph, when MICROSOFT_GRAPH_ENABLED."""
    background: set[asyncio.Task[Any]] = field(default_factory=set)

    def in_background(self, work: Coroutine[Any, Any, Any]) -> None:
        """Run `work` after the invoke has been answered (it must not raise); kept until done."""
        task = asyncio.get_running_loop().create_task(work)
        self.background.add(task)
        task.add_done_callback(self.background.discard)

    async def drain(self) -> None:
        """Wait for background work (at shutdown, and in tests)."""
        while self.background:
            await asyncio.gather(*list(self.background), return_exceptions=True)

    @property
    def emails_matter(self) -> bool:
        """Whether officers or peer supporters are listed by e-mail (so people's e-mail must be known)."""
        settings = self.core.settings
        return any("@" in person for person in [*settings.debrief_wellbeing_officers, *settings.debrief_peer_supporters])

    async def remember(self, turn_context: TurnContext) -> None:
        """Store the sender's reference; the first time, with their e-mail when supporters are listed by e-mail.

        Never on the answer path (opening or sending an answer form): a
        person-naming write there would sit next to their answer in the
        database's write order. Their reference is stored when they are
        picked for the debrief and refreshed on any other turn.
        """
        activity = turn_context.activity
        if on_answer_path(activity):
            return
        sender = activity.from_property
        email = None
        if sender is not None and sender.id and self.emails_matter and not self.references.knows(sender.id) \
                and (activity.recipient is None or sender.id != activity.recipient.id):
            email = roster.email_of(await roster.member(turn_context, sender.id))
        await self.references.remember_turn(activity, email)

    async def identities(self, turn_context: TurnContext) -> list[str]:
        """Every id of the sender that a list of supporters may use (e-mail looked up only if needed)."""
        sender = turn_context.activity.from_property
        ids = [sender.id, sender.aad_object_id or ""]
        if await self.core.support.lists_emails():
            ids.append(roster.email_of(await roster.member(turn_context, sender.id)) or "")
        return [identity for identity in ids if identity]


def on_answer_path(activity: object) -> bool:
    """An answer form opening or being sent: a dialog invoke, or (local mode) a card's button, of the answer verb."""
    from adapters.teams.ids import VERB, Verb

    value = getattr(activity, "value", None)
    if isinstance(value, dict) and isinstance(value.get("data"), dict):
        value = value["data"]
    return isinstance(value, dict) and value.get(VERB) == Verb.ANSWER.value


def workspace_of(turn_context: TurnContext) -> str:
    """The tenant: Teams' counterpart of a Slack workspace."""
    from adapters.teams.references import tenant_of

    return tenant_of(turn_context.activity) or "unknown"
