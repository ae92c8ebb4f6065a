"""The port: what the core asks an adapter to do, when the core starts it.

Everything the bot does on a platform because a person clicked something is
driven by the adapter. A few things start in the core instead: a follow-up
falling due, a support request that must reach the wellbeing team, the
officers' weekly digest. For those the core calls a `Messenger`, one per
platform, which each adapter implements and renders natively (Block Kit on
Slack, an Adaptive Card on Teams). The core never formats platform UI; it
hands over a `FollowupDelivery`, a `SupportNotice` or a `WeeklyDigest` with
everything needed to render it.

Errors: a messenger raises `TransientSendError` for what may work later
(5xx, timeouts, connection errors), `RateLimited` (a kind of transient
error) when the platform refused the request *before doing anything*
(HTTP 429), and `PermanentSendError` for what never will (user deactivated,
app uninstalled, channel not found). Anything else it raises is treated as
transient.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from bot.models import ActionPoint, Debrief
from bot.scripts import Question, Resource, Stage


class SendError(Exception):
    """A message could not be sent; `cause` is a short, person-free reason for logs."""

    def __init__(self, cause: str) -> None:
        super().__init__(cause)
        self.cause = cause


class TransientSendError(SendError):
    """May work later: retried with exponential backoff, at least `retry_after` seconds later.

    The request may or may not have reached the platform (a timeout, a 5xx):
    the next attempt asks `find_delivered` before sending again.
    """

    def __init__(self, cause: str, retry_after: float | None = None) -> None:
        super().__init__(cause)
        self.retry_after = retry_after


class RateLimited(TransientSendError):
    """The platform refused the request unprocessed (HTTP 429): nothing was delivered.

    The dispatcher pauses every send to this platform for `retry_after`
    seconds and then tries the same message again; it does not count as a
    failed attempt.
    """

    def __init__(self, retry_after: float, cause: str = "rate limited") -> None:
        super().__init__(cause, retry_after)


class PermanentSendError(SendError):
    """Will never work (user deactivated, app uninstalled, channel not found): recorded, not retried."""


@dataclass(frozen=True)
class ShownResource:
    """A support resource as a person should see it.

    `audience` is set for resources meant for some professions only, e.g.
    "For doctors and medical students"; render it next to the name.
    """

    resource: Resource
    audience: str | None = None


@dataclass(frozen=True)
class FollowupDelivery:
    """One follow-up (a caring contact) for one person, with everything needed to render it.

    `message` is what to say: the stage's `late_message` when `late`, else
    its `message`. `questions` are asked through the same anonymous path as
    the debrief's (`Debriefs.record_answer(debrief_id, stage, user, ...)`),
    all optional. Render the resources, a "Stop these check-ins" button
    (`Debriefs.stop_followups`) and, when `support_available`, an "I'd like
    to talk to someone" button (`bot.support.Support.request`).

    `followup_id` is the idempotency key: store it with the message (Slack
    message metadata, a Teams activity property) so that `find_delivered`
    can find it again.
    """

    followup_id: uuid.UUID
    debrief_id: uuid.UUID
    platform: str
    workspace: str
    user: str
    stage: str
    late: bool
    message: str
    content: Stage
    resources: tuple[ShownResource, ...]
    resources_title: str
    script_title: str
    label: str | None = None
    support_available: bool = True
    emergency: str = "your local emergency number"
    """The region's emergency number (`ResourceSet.emergency_number`), named on the check-in's first screen."""

    @property
    def questions(self) -> tuple[Question, ...]:
        return tuple(self.content.questions)


@dataclass(frozen=True)
class SupportNotice:
    """A person asked to talk to someone; tell one wellbeing officer or peer supporter.

    This is the one identified path: `user` is the person's platform id, and
    they chose to share it with the wellbeing team. Show it as a mention
    (their name), with the preferred time, and a way to claim the request
    (`bot.support.Support.claim(request_id, ...)`).
    """

    request_id: uuid.UUID
    platform: str
    workspace: str
    user: str
    preferred_time: str | None
    debrief_label: str | None = None
    recipient_role: str = "wellbeing officer"
    """"wellbeing officer", "peer supporter" or "member of the on-call team" (DEBRIEF_SUPPORT_ONCALL)."""
    waiting: str | None = None
    """Set when nobody took the request on in time (`4 hours`): say it is still waiting, and for how long."""


@dataclass(frozen=True)
class RequesterNotice:
    """A person whose request to talk nobody could be told of: tell them so, with the crisis lines.

    Render `bot.wording.nobody_reached`; send it by direct message to `user`.
    """

    request_id: uuid.UUID
    platform: str
    workspace: str
    user: str


@dataclass(frozen=True)
class WeeklyDigest:
    """A wellbeing officer's weekly digest: the last 7 days of one workspace, suppressed.

    Every figure comes from `bot.wellbeing.Wellbeing.report` for all teams
    together; None means the report hides it (below `min_group`, or it would
    let someone work out a smaller group): render it as hidden, never as a
    number. It names nobody and no team. Point to the `requests` command when
    requests are open, and to `summary` for more.
    """

    digest_id: uuid.UUID
    platform: str
    workspace: str
    recipient: str
    """The officer's id or e-mail, as configured or added."""
    since: datetime
    until: datetime
    min_group: int
    debriefs_held: int | None
    debriefs_skipped: int | None
    invited: int | None
    """People invited to the debriefs themselves."""
    answers: int | None
    """Of them, how many answered the debrief's own questions."""
    distress: tuple[tuple[str, int | None], ...]
    """(band, count) of the debriefs' distress ratings; empty when nobody rated."""
    support_open: int
    """Requests to talk not yet taken on, whenever made: the true count, never hidden (those people gave their names)."""


@dataclass(frozen=True)
class ActionDelivery:
    """An action point's message (`bot.actions`): a reminder to its owner, or its "you said, we did" note.

    `kind` is `reminder` (a direct message to `point.owner`, with buttons to
    mark it done, drop it or hand it on) or `closed` (the note, in the
    debrief's conversation `debrief.space`; where that is archived or gone,
    in the one it was started from, `debrief.team`). Render the words of
    `bot.actions`. `message_id` is the idempotency key: store it with the
    message so `find_action_message` can find it again.
    """

    message_id: uuid.UUID
    kind: str
    stage: str
    platform: str
    workspace: str
    point: ActionPoint
    debrief: Debrief


@runtime_checkable
class Messenger(Protocol):
    """What an adapter implements for the messages the core initiates."""

    platform: str
    """The `Debrief.platform` value it serves: "slack", "teams"."""

    async def send_followup(self, delivery: FollowupDelivery) -> str:
        """Send the follow-up by direct message; return the platform's message reference.

        Store `delivery.followup_id` with the message so `find_delivered` can
        find it. Raise `RateLimited`, `TransientSendError` or `PermanentSendError`.
        Do not sleep on a 429 inside: raise `RateLimited(retry_after)` and the
        dispatcher waits (it holds the message's lease meanwhile).
        """
        ...

    async def find_delivered(self, delivery: FollowupDelivery) -> str | None:
        """The reference of this follow-up if the platform already has it, else None.

        Called only before a message is sent again after an attempt that may
        have reached the platform (a crash between "sent" and "marked sent",
        a timeout). Slack: `conversations.history` of the DM, looking for the
        message whose metadata carries `delivery.followup_id`. Raise
        `TransientSendError` if the platform cannot answer now: the core then
        waits rather than risk sending twice.
        """
        ...

    async def user_timezone(self, workspace: str, user: str) -> str | None:
        """The person's IANA time zone (Slack `users.info` `tz`), or None if unknown."""
        ...

    async def notify_support_request(self, notice: SupportNotice, recipient: str) -> bool:
        """Tell `recipient` (an officer or peer supporter id or e-mail) by direct message.

        Return False when `recipient` is not someone on this platform (an id
        of another platform, an unknown e-mail), True once delivered. Raise
        `TransientSendError` or `PermanentSendError` otherwise.
        """
        ...

    async def tell_requester(self, notice: RequesterNotice) -> str:
        """Tell the person who asked to talk that nobody could be reached (`bot.wording.nobody_reached`).

        Return the message reference; raise `TransientSendError` or `PermanentSendError`.
        """
        ...

    async def send_digest(self, digest: WeeklyDigest) -> str | None:
        """Send the weekly digest to `digest.recipient` by direct message; return the message reference.

        Return None when the recipient is not someone on this platform (an
        id of another platform, an unknown e-mail). Raise `RateLimited`,
        `TransientSendError` or `PermanentSendError` (no conversation with an
        officer the bot cannot open one with) as for follow-ups. Store
        `digest.digest_id` with the message so `find_digest` can find it.
        """
        ...

    async def find_digest(self, digest: WeeklyDigest) -> str | None:
        """The reference of this digest if the platform already has it, else None: `find_delivered` for digests.

        Asked before a digest is sent again after an attempt that may have
        reached the platform. A platform whose bot cannot read its messages
        back (Teams) returns None: the digest may then, rarely, arrive twice.
        """
        ...

    async def send_action_reminder(self, delivery: ActionDelivery) -> str:
        """Remind `delivery.point.owner` of their open action point by direct message; return the reference."""
        ...

    async def post_action_note(self, delivery: ActionDelivery) -> str:
        """Post "you said, we did" in the debrief's conversation, or where it was started if that is archived."""
        ...

    async def find_action_message(self, delivery: ActionDelivery) -> str | None:
        """`find_delivered` for action-point messages: the reference if the platform has it, else None."""
        ...
