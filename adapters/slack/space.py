"""The private channel a debrief runs in: create it, invite people, take it down if set-up fails.

Channel names are `debrief-YYYYMMDD-xxxx`: lowercase, far under Slack's 80
characters, and the random suffix is drawn again when Slack answers
`name_taken`. The bot creates the channel, so it is already a member;
it never invites itself (Slack refuses with `cant_invite_self`).
"""

from __future__ import annotations

import logging
import secrets
import string
from collections.abc import Iterable
from datetime import date

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.errors import cause, slack_code

log = logging.getLogger("debrief.slack")

NAME_ATTEMPTS = 5
_ALPHABET = string.ascii_lowercase + string.digits
_NOT_A_FAILURE = {"already_in_channel", "cant_invite_self"}


def channel_name(day: date) -> str:
    suffix = "".join(secrets.choice(_ALPHABET) for _ in range(4))
    return f"debrief-{day:%Y%m%d}-{suffix}"


async def create_private_channel(client: AsyncWebClient, day: date) -> str:
    """Create the channel and return its id; Slack's error propagates for the caller to explain."""
    for attempt in range(1, NAME_ATTEMPTS + 1):
        try:
            response = await client.conversations_create(name=channel_name(day), is_private=True)
            return str(response["channel"]["id"])
        except SlackApiError as error:
            if slack_code(error) != "name_taken" or attempt == NAME_ATTEMPTS:
                raise
    raise AssertionError("unreachable")


async def invite(client: AsyncWebClient, channel: str, users: Iterable[str], bot_user: str | None) -> list[str]:
    """Invite everyone but the bot; return the people Slack would not add (the debrief goes on without them)."""
    people = [user for user in dict.fromkeys(users) if user and user != bot_user]
    if not people:
        return []
    try:
        response = await client.conversations_invite(channel=channel, users=",".join(people), force=True)
        per_user, error = response.get("errors") or [], None
    except SlackApiError as failure:
        data = failure.response.data if isinstance(failure.response.data, dict) else {}
        per_user, error = data.get("errors") or [], failure
    if per_user:  # with force=true Slack adds whoever it can and lists the rest
        failed = [item.get("user") for item in per_user if item.get("error") not in _NOT_A_FAILURE and item.get("user")]
    elif error is not None and slack_code(error) not in _NOT_A_FAILURE:
        failed = people
    else:
        failed = []
    if failed:
        reason = cause(error) if error else ", ".join(sorted({str(item.get("error")) for item in per_user}))
        log.warning("could not invite %d of %d people to a debrief channel: %s", len(failed), len(people), reason)
    return [user for user in failed if user in people]


async def archive_quietly(client: AsyncWebClient, channel: str) -> None:
    """Undo a channel made for a set-up that failed before anything was stored (it holds only the bot)."""
    try:
        await client.conversations_archive(channel=channel)
    except Exception as error:  # noqa: BLE001 - best effort: one log line, never fatal
        log.warning("could not archive the unused channel %s: %s", channel, cause(error))


async def delete_quietly(client: AsyncWebClient, channel: str, ts: str) -> None:
    try:
        await client.chat_delete(channel=channel, ts=ts)
    except Exception as error:  # noqa: BLE001 - best effort: one log line, never fatal
        log.warning("could not remove the set-up placeholder: %s", cause(error))
