"""`/debrief requests`: the wellbeing team's queue, through the real server with signed requests.

Officers (configured and added) and peer supporters see who asked; anyone
else is refused kindly. "I'll take it" and "Done" redraw the list in place;
a tap that came too late gets a kind line; every step is in the audit trail.
"""

from __future__ import annotations

from typing import Any

import pytest
from harness import OFFICER, SlackApp
from sqlalchemy import select
from test_slack_flow import texts

from adapters.slack.render.queue import QueueAction
from bot.models import AuditEvent, SupportRequest, SupportStatus

NURSE, MIDWIFE, PEER, ADDED, STRANGER = "U0NURSE001", "U0MIDWIF01", "U0PEER0001", "U0ADDED001", "U0STRANGR1"


@pytest.fixture
def slack_overrides() -> dict[str, Any]:
    return {"debrief_peer_supporters": PEER}


async def ask(slack_app: SlackApp, user: str, when: str | None = None) -> None:
    debrief = await slack_app.core.debriefs.start(
        platform="slack", workspace=slack_app.fake.team_id, team="C0WARD0001", lead="U0LEAD0001", script_id="stop5",
        participants=[user], label="Resus 2",
    )  # fmt: skip
    await slack_app.core.support.request(
        platform="slack", workspace=slack_app.fake.team_id, user=user, debrief_id=debrief.id, preferred_time=when
    )


async def command(slack_app: SlackApp, user: str) -> dict:
    before = len(slack_app.fake.calls_to("response_url"))
    await slack_app.slack.command("/debrief", "requests", user_id=user)
    await slack_app.fake.wait_for("response_url", before + 1)
    return slack_app.fake.last("response_url")


def button(message: dict, action: str, user: str) -> str:
    """The value of `action`'s button on the line about `user`'s request."""
    blocks = message["blocks"]
    for index, block in enumerate(blocks):
        if block["type"] == "section" and f"<@{user}>" in block["text"]["text"].split("\n")[0]:
            for element in blocks[index + 1]["elements"]:
                if element["action_id"] == action:
                    return element["value"]
    raise AssertionError(f"no {action} button for {user}")


async def tap(slack_app: SlackApp, message: dict, action: str, about: str, user: str) -> dict:
    before = len(slack_app.fake.calls_to("response_url"))
    await slack_app.slack.block_action(action, button(message, action, about), user_id=user)
    await slack_app.fake.wait_for("response_url", before + 1)
    redrawn = slack_app.fake.last("response_url")
    assert redrawn.get("replace_original") is True
    return redrawn


async def audit(slack_app: SlackApp) -> list[tuple[str, str]]:
    async with slack_app.core.database.session() as session:
        rows = await session.execute(select(AuditEvent.actor, AuditEvent.action).order_by(AuditEvent.at))
        return [(actor, action) for actor, action in rows if action.startswith("support.")]


async def test_someone_outside_the_wellbeing_team_is_refused_kindly(slack_app: SlackApp) -> None:
    await ask(slack_app, NURSE)
    shown = await command(slack_app, STRANGER)
    assert "for the wellbeing team" in shown["text"] and NURSE not in str(shown)
    assert ("U0STRANGR1", "support.listed") not in await audit(slack_app)


async def test_take_on_and_close_with_late_taps_told_kindly(slack_app: SlackApp) -> None:
    await ask(slack_app, NURSE, "after 5pm")
    await ask(slack_app, MIDWIFE)
    queue = await command(slack_app, OFFICER)
    shown = texts(queue["blocks"])
    assert f"<@{NURSE}>" in shown and f"<@{MIDWIFE}>" in shown and "after 5pm" in shown and "Resus 2" in shown
    assert "Nobody has taken this on yet" in shown

    # The peer supporter takes the nurse's request on; the list now says so, without its "I'll take it".
    taken = await tap(slack_app, await command(slack_app, PEER), QueueAction.TAKE, NURSE, PEER)
    assert f"Taken on by <@{PEER}>" in texts(taken["blocks"])
    with pytest.raises(AssertionError):
        button(taken, QueueAction.TAKE, NURSE)

    # The officer's older list still has the button: too late, told kindly, and the list is redrawn.
    late = await tap(slack_app, queue, QueueAction.TAKE, NURSE, OFFICER)
    assert "already taken this request on" in texts(late["blocks"]) and f"Taken on by <@{PEER}>" in texts(late["blocks"])

    # Done: the request leaves the list; a second "Done" from the old list is a kind line.
    closed = await tap(slack_app, late, QueueAction.DONE, NURSE, OFFICER)
    assert f"<@{NURSE}>" not in texts(closed["blocks"]) and f"<@{MIDWIFE}>" in texts(closed["blocks"])
    again = await tap(slack_app, late, QueueAction.DONE, NURSE, PEER)
    assert "already marked done" in texts(again["blocks"])

    async with slack_app.core.database.session() as session:
        stored = {r.user: r for r in (await session.execute(select(SupportRequest))).scalars()}
    assert (stored[NURSE].status, stored[NURSE].claimed_by) == (SupportStatus.CLOSED, PEER)
    assert stored[MIDWIFE].status == SupportStatus.OPEN
    steps = await audit(slack_app)
    assert steps.count((PEER, "support.claimed")) == 1 and steps.count((OFFICER, "support.closed")) == 1
    assert (OFFICER, "support.claimed") not in steps and (PEER, "support.closed") not in steps
    assert (OFFICER, "support.listed") in steps and (PEER, "support.listed") in steps


async def test_an_added_officer_sees_takes_on_and_is_told_of_new_requests(slack_app: SlackApp) -> None:
    fake, slack = slack_app.fake, slack_app.slack
    await slack.command("/debrief", f"officers add <@{ADDED}>", user_id=OFFICER)
    await fake.wait_for("response_url")
    await ask(slack_app, NURSE)
    assert any("Someone asked to talk" in m.get("text", "") for m in fake.dms_to(ADDED))  # notified
    queue = await command(slack_app, ADDED)
    taken = await tap(slack_app, queue, QueueAction.TAKE, NURSE, ADDED)
    assert f"Taken on by <@{ADDED}>" in texts(taken["blocks"])
    closed = await tap(slack_app, taken, QueueAction.DONE, NURSE, ADDED)
    assert "Nobody is waiting" in texts(closed["blocks"])
    assert {(ADDED, "support.claimed"), (ADDED, "support.closed")} <= set(await audit(slack_app))
