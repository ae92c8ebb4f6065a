"""Private channels through Microsoft Graph (app-only), for a debrief started in a team channel.

Only when MICROSOFT_GRAPH_ENABLED is true. The app's token comes from Azure
AD's client-credentials flow (msal, in a worker thread: msal is blocking);
then `POST {graph}/teams/{team-aad-group-id}/channels` with
`membershipType: private`, a name with no patient data in it
(`Debrief 2026-01-05 ab12`) and the people as `aadUserConversationMember`
(the lead as owner). Needs the application permissions Channel.Create and
ChannelMember.ReadWrite.All with admin consent.

Any refusal becomes `GraphRefused` with a kind sentence: the caller then runs
the debrief in the conversation where it started and says so. A name
conflict (409) is retried with a new suffix.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable, Sequence
from datetime import date

import aiohttp

from bot.settings import Settings

log = logging.getLogger("debrief.teams")

SCOPE = "https://graph.microsoft.com/.default"
USERS = "https://graph.microsoft.com/v1.0/users"
TokenProvider = Callable[[], Awaitable[str]]

NO_PERMISSION = ("I couldn't create a private channel: the bot has not been granted permission to "
                 "(ask your Teams administrator about Channel.Create), so the debrief runs here instead.")
TOO_MANY = ("I couldn't create a private channel: this team has reached its limit of channels, "
            "so the debrief runs here instead.")
NOT_NOW = "I couldn't create a private channel just now, so the debrief runs here instead."
NOT_A_TEAM = "Private channels can only be made in a team, so the debrief runs here in this conversation."


class GraphRefused(Exception):
    """Graph would not create the channel; `message` is what to tell the lead."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def channel_name(day: date, suffix: str | None = None) -> str:
    """`Debrief 2026-01-05 ab12`: a date and a random suffix, no patient data, at most 50 characters."""
    return f"Debrief {day.isoformat()} {suffix or secrets.token_hex(2)}"[:50]


def msal_token_provider(settings: Settings, authority: str | None = None) -> TokenProvider:
    """An app-only Graph token from Azure AD (client credentials), cached by msal; made on first use
    (msal reads the authority's metadata when built)."""
    made: list[object] = []

    def acquire() -> dict[str, object]:
        import msal

        if not made:
            made.append(msal.ConfidentialClientApplication(
                settings.microsoft_app_id,
                client_credential=settings.microsoft_app_password,
                authority=authority or f"https://login.microsoftonline.com/{settings.microsoft_app_tenant_id}",
            ))
        return made[0].acquire_token_for_client(scopes=[SCOPE])  # type: ignore[attr-defined]  # msal is untyped; the list holds its client

    async def token() -> str:
        result = await asyncio.to_thread(acquire)
        if "access_token" not in result:
            log.warning("graph: Azure AD gave no token: %s", result.get("error"))
            raise GraphRefused(NOT_NOW)
        return str(result["access_token"])

    return token


def member(aad_id: str, owner: bool = False) -> dict[str, object]:
    return {
        "@odata.type": "#microsoft.graph.aadUserConversationMember",
        "user@odata.bind": f"{USERS}('{aad_id}')",
        "roles": ["owner"] if owner else [],
    }


class Graph:
    def __init__(self, url: str, token: TokenProvider, attempts: int = 3) -> None:
        self.url = url.rstrip("/")
        self.token = token
        self.attempts = attempts

    async def create_private_channel(self, team_group_id: str, lead_aad: str, members_aad: Sequence[str],
                                     day: date) -> tuple[str, str]:
        """The new channel's id (`19:...@thread.tacv2`) and name; `GraphRefused` with a kind sentence otherwise."""
        try:
            bearer = await self.token()
        except GraphRefused:
            raise
        except Exception as error:
            log.warning("graph: no token: %s", type(error).__name__)
            raise GraphRefused(NOT_NOW) from error
        people = [member(lead_aad, owner=True)] + [member(aad) for aad in dict.fromkeys(members_aad) if aad != lead_aad]
        url = f"{self.url}/teams/{team_group_id}/channels"
        headers = {"Authorization": f"Bearer {bearer}"}
        try:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
                for _ in range(self.attempts):
                    name = channel_name(day)
                    body = {
                        "displayName": name,
                        "description": "A hot debrief",
                        "membershipType": "private",
                        "members": people,
                    }
                    async with session.post(url, json=body, headers=headers) as response:
                        if response.status in (200, 201):
                            return str((await response.json())["id"]), name
                        status = response.status
                    if status == 409:
                        continue  # the name is taken: a new suffix
                    log.warning("graph: creating a private channel answered %s", status)
                    if status in (401, 403):
                        raise GraphRefused(NO_PERMISSION, status)
                    if status == 400:
                        raise GraphRefused(TOO_MANY, status)
                    raise GraphRefused(NOT_NOW, status)
        except (TimeoutError, aiohttp.ClientError, OSError) as error:
            log.warning("graph: unreachable: %s", type(error).__name__)
            raise GraphRefused(NOT_NOW) from error
        log.warning("graph: every channel name was taken")
        raise GraphRefused(NOT_NOW, 409)
