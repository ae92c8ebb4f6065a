"""Who someone is, as far as the wellbeing lists need to know: their Slack id, and their e-mail if needed.

Officers and peer supporters may be listed by Slack id or by e-mail
(DEBRIEF_WELLBEING_OFFICERS, DEBRIEF_PEER_SUPPORTERS, officers added here);
the e-mail is looked up (users.info, `users:read.email`) only when a list
holds an e-mail address.
"""

from __future__ import annotations

import logging

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.errors import cause
from bot.core import Core

log = logging.getLogger("debrief.slack")


async def identities(core: Core, client: AsyncWebClient, user: str) -> list[str]:
    """The ids the wellbeing lists may name this person by: the Slack id, and the e-mail when a list holds one."""
    if not await core.support.lists_emails():
        return [user]
    try:
        info = await client.users_info(user=user)
    except Exception as error:  # noqa: BLE001 - without the e-mail the Slack id still counts; one log line
        log.warning("could not look up a user's e-mail to check the wellbeing lists: %s", cause(error))
        return [user]
    email = ((info.get("user") or {}).get("profile") or {}).get("email")
    return [user, str(email)] if email else [user]
