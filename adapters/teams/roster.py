"""Who is in a conversation, and who someone is: through TeamsInfo's paged roster calls.

`TeamsInfo.get_members` loses the Azure AD object ids against the Agents
Playground (botbuilder 4.17.1), so the roster comes from
`get_paged_members` (page after page) and single people from `get_member`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from botbuilder.core import TurnContext
from botbuilder.core.teams import TeamsInfo
from botbuilder.schema.teams import TeamsChannelAccount

log = logging.getLogger("debrief.teams")

PAGE_SIZE = 200
MAX_MEMBERS = 1000


async def roster(turn_context: TurnContext, limit: int = MAX_MEMBERS) -> list[TeamsChannelAccount]:
    """The people in this conversation (the team, for a channel), the bot left out.

    Outside Teams (the Bot Framework Emulator) there is no Teams roster: nobody else.
    """
    if turn_context.activity.channel_id != "msteams":
        return []
    members: list[TeamsChannelAccount] = []
    token: str | None = None
    bot = turn_context.activity.recipient.id if turn_context.activity.recipient else None
    while len(members) < limit:
        page = await TeamsInfo.get_paged_members(turn_context, token, PAGE_SIZE)
        members += [member for member in page.members or [] if member.id and member.id != bot]
        token = page.continuation_token
        if not token:
            break
    return members[:limit]


async def member(turn_context: TurnContext, user_id: str) -> TeamsChannelAccount | None:
    """One person as Teams describes them (name, Azure AD id, e-mail), or None if Teams won't say."""
    try:
        return await TeamsInfo.get_member(turn_context, user_id)
    except Exception as error:  # noqa: BLE001 - best effort: one log line, never fatal
        log.warning("could not look a person up in the conversation's roster: %s", type(error).__name__)
        return None


def choices(members: Sequence[TeamsChannelAccount], leave_out: str | None = None) -> list[tuple[str, str]]:
    """(name, id) pairs for a choice set, sorted by name."""
    pairs = [(member.name or "Someone", member.id) for member in members if member.id != leave_out]
    return sorted(pairs, key=lambda pair: pair[0].lower())


def email_of(account: TeamsChannelAccount | None) -> str | None:
    if account is None:
        return None
    return account.email or account.user_principal_name or None
