"""The one error handler: every failure becomes a kind message where the user is, and one log line.

Where the user is:
* a modal being submitted: `response_action: errors` on a block (their typing
  stays in the form) or, once the submission was acknowledged, the modal is
  updated to say what happened;
* a slash command: the ack itself carries an ephemeral message, or, once
  acked, an ephemeral reply through the command's response_url;
* a button: an ephemeral reply (response_url), else a small modal (while the
  trigger id is fresh), else a direct message.

What is logged: the kind of failure and its cause in one line, never the
text a person typed and never who answered what. SQLAlchemy errors print
their SQL parameters (answer text included), so only the driver's own error
is logged. A database or network outage and an unexpected bug both tell the
user "nothing was stored, try again in a minute": the debrief services are
one transaction each, so that is true.

Listeners never let an exception escape to Bolt: with slack_bolt 1.30 a
listener that raises just after `ack()` can turn the HTTP answer into a 404
(the runner resets the acknowledged response), so `listener()` wraps each one.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import traceback
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from pydantic import ValidationError
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from adapters.slack.metadata import StaleRequest
from adapters.slack.render.common import notice
from bot.errors import DebriefError, IdentifierFound, InvalidAnswer

log = logging.getLogger("debrief.slack")

OUTAGE = "I couldn't save that just now; nothing was stored. Please try again in a minute."

SLACK_ERRORS: dict[str, str] = {
    "expired_trigger_id": "Sorry, that took a moment too long and Slack closed the form. Please try again.",
    "trigger_exchanged": "Sorry, that form was already opened. Please try again.",
    "restricted_action": (
        "Your workspace only lets admins create private channels. "
        "Pick 'This channel', or ask IT to allow it."
    ),
    "max_channels": "This workspace has reached its limit of channels. Pick 'This channel', or ask IT to archive old ones.",
    "too_many_channels": "This workspace has reached its limit of channels. Pick 'This channel', or ask IT to archive old ones.",
    "channel_not_found": (
        "I can't post in this channel. Add me first (type /invite @Debrief), "
        "or pick 'A new private channel'."
    ),
    "not_in_channel": (
        "I'm not in this channel yet. Add me first (type /invite @Debrief), "
        "or pick 'A new private channel'."
    ),
    "is_archived": "This channel is archived. Pick 'A new private channel' instead.",
    "missing_scope": "I'm missing a Slack permission for that. Please ask IT to reinstall me from the manifest.",
    "not_allowed_token_type": "I'm missing a Slack permission for that. Please ask IT to reinstall me from the manifest.",
    "ratelimited": "Slack is busy right now. Please try again in a minute.",
    "team_access_not_granted": "I'm not allowed in that workspace. Please ask IT to install me there.",
}
SLACK_DEFAULT = "Slack didn't let me do that just now; nothing was stored. Please try again in a minute."


def slack_code(error: BaseException) -> str | None:
    if isinstance(error, SlackApiError):
        data = error.response.data if isinstance(error.response.data, dict) else {}
        return str(data.get("error") or "unknown_error")
    return None


def is_outage(error: BaseException) -> bool:
    """The database or the network is down, rather than a bug or a refusal."""
    return isinstance(error, (DBAPIError, ConnectionError, OSError, TimeoutError, asyncio.TimeoutError))


def cause(error: BaseException) -> str:
    """The failure in one line, without SQL parameters or anything a person typed."""
    if isinstance(error, DBAPIError) and error.orig is not None:
        driver = error.orig
        first = str(driver).strip().splitlines()[0] if str(driver).strip() else ""
        return f"{type(error).__name__} ({type(driver).__name__}: {first[:200]})"
    if isinstance(error, SQLAlchemyError):
        return f"{type(error).__name__}: {str(error).splitlines()[0][:200] if str(error) else ''}"
    if isinstance(error, ValidationError):
        return f"ValidationError: {error.error_count()} problem(s) in {error.title}"
    if isinstance(error, SlackApiError):
        api = getattr(error.response, "api_url", "").rsplit("/", 1)[-1]
        return f"Slack {api or 'API'} answered {slack_code(error)}"
    text = str(error).strip().splitlines()[0][:200] if str(error).strip() else ""
    frames = traceback.extract_tb(error.__traceback__)
    place = f" at {frames[-1].filename.rsplit('/', 2)[-1]}:{frames[-1].lineno}" if frames else ""
    return f"{type(error).__name__}: {text}{place}" if text else f"{type(error).__name__}{place}"


def explain(error: BaseException, where: str) -> str:
    """Log one line for the operator and return the kind message for the person."""
    if isinstance(error, DebriefError):
        log.info("%s: refused kindly (%s)", where, type(error).__name__)
        return error.message
    if isinstance(error, StaleRequest):
        log.warning("%s: stale or malformed state from Slack (%s)", where, error)
        return StaleRequest.message
    if isinstance(error, SlackApiError):
        code = slack_code(error) or ""
        log.warning("%s: %s", where, cause(error))
        return SLACK_ERRORS.get(code, SLACK_DEFAULT)
    if is_outage(error):
        log.error("%s: database or network unavailable: %s", where, cause(error))
        return OUTAGE
    log.error("%s: unexpected error: %s", where, cause(error))
    return OUTAGE


def form_errors(error: InvalidAnswer | IdentifierFound, block_for: Callable[[str], str | None], fallback: str) -> dict[str, str]:
    """Per-field messages of a typed core error, placed on the form's input blocks."""
    problems: Mapping[str, str] = error.problems if isinstance(error, InvalidAnswer) else error.by_field()
    errors: dict[str, str] = {}
    for field, message in problems.items():
        block = block_for(field) or fallback
        errors[block] = f"{errors[block]} {message}" if block in errors else message
    return errors or {fallback: error.message}


def first_input_block(body: Mapping[str, Any]) -> str | None:
    for block in (body.get("view") or {}).get("blocks") or []:
        if block.get("type") == "input" and block.get("block_id"):
            return str(block["block_id"])
    return None


def _user(body: Mapping[str, Any]) -> str | None:
    return (body.get("user") or {}).get("id") or body.get("user_id")


async def deliver(message: str, *, ack: Any, body: Mapping[str, Any], client: Any, respond: Any) -> None:
    """Show `message` to the person where they are; never raises."""
    try:
        kind = body.get("type")
        if kind == "view_submission":
            block = first_input_block(body)
            if ack.response is None and block:
                await ack(response_action="errors", errors={block: message})
            elif ack.response is None:
                await ack(response_action="update", view=notice("Sorry", message))
            else:
                await client.views_update(view_id=body["view"]["id"], view=notice("Sorry", message))
            return
        if ack.response is None:
            if "command" in body:
                await ack(text=message)
                return
            await ack()
        if respond is not None and (body.get("response_url") or body.get("response_urls")):
            await respond(text=message, response_type="ephemeral", replace_original=False)
            return
        trigger = body.get("trigger_id")
        if kind == "block_actions" and trigger:
            try:
                await client.views_open(trigger_id=trigger, view=notice("Sorry", message))
                return
            except SlackApiError:
                pass
        user = _user(body)
        if user:
            await client.chat_postMessage(channel=user, text=message)
    except Exception as exc:  # noqa: BLE001 - the error path must not raise into Bolt
        log.warning("could not show an error message to the user: %s", cause(exc))


Listener = Callable[..., Awaitable[None]]
BOLT_ARGS = ("ack", "body", "client", "context", "respond")


def where(body: Mapping[str, Any]) -> str:
    if "command" in body:
        return f"command {body.get('command')}"
    if body.get("type") == "view_submission":
        return f"view {(body.get('view') or {}).get('callback_id')}"
    if body.get("type") == "block_actions":
        actions = body.get("actions") or [{}]
        return f"action {actions[0].get('action_id')}"
    if body.get("type") == "event_callback":
        return f"event {(body.get('event') or {}).get('type')}"
    return str(body.get("type") or "request")


def listener(func: Listener) -> Listener:
    """Wrap a listener so that nothing escapes to Bolt and every failure is reported kindly.

    The wrapped function declares the arguments it wants by name, as Bolt
    listeners do (`ack`, `body`, `client`, `context`, `respond`), plus `core`.
    """
    wanted = set(inspect.signature(func).parameters)

    async def run(ack: Any, body: dict, client: Any, context: Any, respond: Any) -> None:
        given = {"ack": ack, "body": body, "client": client, "context": context, "respond": respond, "core": context.get("core")}
        try:
            await func(**{name: value for name, value in given.items() if name in wanted})
        except Exception as error:  # noqa: BLE001 - explain() gives any failure a kind message and the operator one log line
            message = explain(error, where(body))
            await deliver(message, ack=ack, body=body, client=client, respond=respond)
        finally:
            if ack.response is None and body.get("type") != "event_callback" and "event" not in body:
                await ack()

    run.__name__ = run.__qualname__ = func.__name__
    run.__module__ = func.__module__
    return run
