"""The one error handler: every failure becomes a kind message where the person is, and one log line.

Where the person is: in a dialog, the dialog shows the message (their
typing stays in the form when it is a form problem); after a typed command
or a button in their personal chat, a reply says it.

What is logged: the kind of failure and its cause in one line, never the
text a person typed and never who answered what. SQLAlchemy errors print
their SQL parameters (answer text included), so only the driver's own error
is logged. A database or network outage and an unexpected bug both say
"nothing was stored, try again in a minute": the core's services are one
transaction each, so that is true.
"""

from __future__ import annotations

import logging

from adapters.teams.messaging import Unreachable, status_of
from adapters.teams.metadata import StaleRequest
from bot import failures
from bot.errors import DebriefError

log = logging.getLogger("debrief.teams")

OUTAGE = "I couldn't save that just now; nothing was stored. Please try again in a minute."
TEAMS_REFUSED = "Teams didn't let me do that just now. Please try again in a minute."
UNREACHABLE = "I can't open a private chat with you yet. Open a chat with me once (search for Debrief in Teams' apps), then try again."


def cause(error: BaseException) -> str:
    """The failure in one line, without SQL parameters or anything a person typed (`bot.failures`)."""
    status = status_of(error)
    if status is not None:
        return f"{type(error).__name__}: Bot Connector answered {status}"
    return failures.cause(error)


def explain(error: BaseException, where: str) -> str:
    """Log one line for the operator and return the kind message for the person."""
    if isinstance(error, DebriefError):
        log.info("%s: refused kindly (%s)", where, type(error).__name__)
        return error.message
    if isinstance(error, StaleRequest):
        log.warning("%s: stale or malformed card data (%s)", where, error)
        return StaleRequest.message
    if isinstance(error, Unreachable):
        log.info("%s: no personal chat (%s)", where, error)
        return UNREACHABLE
    if status_of(error) is not None:
        log.warning("%s: %s", where, cause(error))
        return TEAMS_REFUSED
    if failures.is_outage(error):
        log.error("%s: database or network unavailable: %s", where, cause(error))
        return OUTAGE
    log.error("%s: unexpected error: %s", where, cause(error))
    return OUTAGE
