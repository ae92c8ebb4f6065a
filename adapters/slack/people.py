"""Who someone is, as far as the bot needs to know: a wellbeing officer or not.

Officers may be listed by Slack id or by e-mail (DEBRIEF_WELLBEING_OFFICERS);
the e-mail is looked up (users.info, `users:read.email`) only when the list
holds an e-mail address and the Slack id alone did not match.
"""

from __future__ import annotations

import logging

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.errors import cause
from bot.core import Core

log = logging.getLogger("debrief.slack")


async def is_officer(core: Core, client: AsyncWebClient, user: str) -> bool:
    if await core.is_officer_async(user):
        return True
    if not await core.officers.any_email():
        return False
    try:
        info = await client.users_info(user=user)
    except Exception as error:  # noqa: BLE001 - best effort: one log line, never fatal
        log.warning("could not look up a user's e-mail to check the officer list: %s", cause(error))
        return False
    email = ((info.get("user") or {}).get("profile") or {}).get("email")
    return await core.is_officer_async(user, email)
