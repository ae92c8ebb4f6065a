"""The Teams side of `bot.cold.ColdMessenger`, mixed into `TeamsMessenger`: reminders and the script, proactively.

A reminder goes to the person's personal chat (`Messaging.send_private`),
the script into the debrief's conversation (`Messaging.post_in_space`),
drawn by the same `script_card` as a hot debrief's. A Teams bot cannot read
a chat back (see `adapters.teams.messenger`), so `find_cold_*` answers None:
a reminder whose send timed out may, rarely, arrive twice; none is lost.
"""

from __future__ import annotations

from typing import Protocol

from adapters.teams.cards.cold import reminder_card
from adapters.teams.cards.script import script_card
from adapters.teams.messaging import Unreachable
from adapters.teams.services import Services
from bot import cold
from bot.port import PermanentSendError, SendError


class _Messenger(Protocol):
    services: Services


def _classify(error: BaseException) -> Exception:
    from adapters.teams.messenger import classify  # here: the messenger module mixes this class in

    return classify(error)


class TeamsColdMessages:
    async def send_cold_reminder(self: _Messenger, reminder: cold.ColdReminder) -> str:
        try:
            return await self.services.messaging.send_private(reminder.user, reminder_card(reminder),
                                                              cold.REMINDER_HEADING)
        except Unreachable as unreachable:
            raise PermanentSendError(f"no personal chat: {unreachable}") from None
        except SendError:
            raise
        except Exception as error:  # noqa: BLE001 - any failure to reach the platform becomes a send error the dispatcher retries or gives up on
            raise _classify(error) from None

    async def find_cold_reminder(self: _Messenger, reminder: cold.ColdReminder) -> str | None:
        return None

    async def post_cold_script(self: _Messenger, post: cold.ColdPost) -> str:
        settings = self.services.core.settings
        try:
            posted = await self.services.messaging.post_in_space(
                post.debrief, script_card(post.debrief, post.script, settings.debrief_min_group, 0),
                cold.posted_text(post.script))
        except Exception as error:  # noqa: BLE001 - any failure to reach the platform becomes a send error the dispatcher retries or gives up on
            raise _classify(error) from None
        if posted is None:
            raise PermanentSendError("the bot has no reference to the debrief's conversation")
        return posted

    async def find_cold_script(self: _Messenger, post: cold.ColdPost) -> str | None:
        return None
