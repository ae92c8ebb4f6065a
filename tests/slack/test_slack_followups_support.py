"""Asking to talk and taking requests on, from a check-in DM, through the real server.

The check-in is sent by the messenger the server registered (as its
dispatcher would); the people then click what they see. Officers may be
listed by e-mail (looked up in Slack) and peer supporters by id; exactly one
person takes a request on; people outside the wellbeing team and outside
the debrief are refused kindly.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from harness import SlackApp
from sqlalchemy import select
from test_slack_flow import texts

from adapters.server import STATE
from adapters.slack.ids import Action, Callback, TalkBlock
from bot.models import SupportRequest, SupportStatus
from bot.port import FollowupDelivery
from bot.support import resources_for_person

LEAD, NURSE, STRANGER = "U0LEAD0001", "U0NURSE001", "U0STRANGR1"
OLIVE, OLIVE_EMAIL, PEER = "U0OLIVE001", "olive@hospital.example", "U0PEER0001"


@pytest.fixture
def slack_overrides() -> dict[str, Any]:
    return {"debrief_wellbeing_officers": OLIVE_EMAIL, "debrief_peer_supporters": PEER}


async def check_in(slack_app: SlackApp, user: str = NURSE) -> tuple[Any, dict]:
    """A debrief with the nurse, and the 24-hour check-in in the nurse's DM."""
    core, fake = slack_app.core, slack_app.fake
    debrief = await core.debriefs.start(
        platform="slack", workspace=fake.team_id, team="C0WARD0001", lead=LEAD, script_id="stop5",
        participants=[NURSE], label="Resus 2",
    )  # fmt: skip
    content = core.library.stages["24h"]
    messenger = slack_app.app[STATE].messengers["slack"]
    await messenger.send_followup(FollowupDelivery(
        followup_id=uuid.uuid4(), debrief_id=debrief.id, platform="slack", workspace=fake.team_id, user=user,
        stage="24h", late=False, message=content.message, content=content,
        resources=resources_for_person(core.resources), resources_title=core.resources.title, script_title="STOP5",
        label=debrief.label, support_available=core.support.available,
    ))  # fmt: skip
    return debrief, fake.dms_to(user)[-1]


async def ask_to_talk(slack_app: SlackApp, message: dict, user: str, when: str | None = None) -> str:
    """Click "I'd like to talk to someone", submit the form; the text of the view it ends on."""
    fake, slack = slack_app.fake, slack_app.slack
    before, updates = len(fake.calls_to("views.open")), len(fake.calls_to("views.update"))
    await slack.click(message, Action.TALK, user_id=user)
    await fake.wait_for("views.open", before + 1)
    form = fake.last_view(Callback.TALK)
    reply = await slack.submit(form, {TalkBlock.PREFERRED_TIME: when} if when else {}, user_id=user)
    assert reply.json()["response_action"] == "update"
    await fake.wait_for("views.update", updates + 1)
    return texts(fake.last("views.update")["view"]["blocks"])


def last_response(slack_app: SlackApp) -> str:
    return str(slack_app.fake.responses[-1][1].get("text"))


async def test_officer_by_e_mail_and_peer_supporter_are_told_and_one_takes_it_on(slack_app: SlackApp) -> None:
    fake, slack, core = slack_app.fake, slack_app.slack, slack_app.core
    fake.add_user(OLIVE, email=OLIVE_EMAIL)
    debrief, message = await check_in(slack_app)

    assert "usually reply within 4 hours" in await ask_to_talk(slack_app, message, NURSE, "any weekday morning")
    [to_olive], [to_peer] = fake.dms_to(OLIVE), fake.dms_to(PEER)
    assert "as a wellbeing officer" in texts(to_olive["blocks"]) and "as a peer supporter" in texts(to_peer["blocks"])
    assert all(f"<@{NURSE}>" in texts(m["blocks"]) and "Resus 2" in texts(m["blocks"]) for m in (to_olive, to_peer))

    # Someone outside the wellbeing team cannot take it on.
    await slack.click(to_olive, Action.CLAIM_SUPPORT, user_id=STRANGER)
    await fake.wait_for("response_url")
    assert "Only the wellbeing team" in last_response(slack_app)

    # The peer supporter takes it; the notice now says so, without its button.
    await slack.click(to_peer, Action.CLAIM_SUPPORT, user_id=PEER)
    await fake.wait_for("chat.update")
    redrawn = fake.message(to_peer["channel"], to_peer["ts"])
    assert f"Taken on by <@{PEER}>" in texts(redrawn["blocks"]) and "as a peer supporter" in texts(redrawn["blocks"])
    assert not any(block["type"] == "actions" for block in redrawn["blocks"])

    # Olive (known to the bot by e-mail) is told kindly that it is taken.
    responses = len(fake.responses)
    await slack.click(to_olive, Action.CLAIM_SUPPORT, user_id=OLIVE)
    await fake.wait_for("response_url", responses + 1)
    assert "already taken this request on" in last_response(slack_app)
    async with core.database.session() as session:
        [request] = (await session.execute(select(SupportRequest))).scalars().all()
    assert (request.status, request.claimed_by, request.preferred_time) == (
        SupportStatus.CLAIMED, PEER, "any weekday morning"
    )
    assert fake.violations == []


async def test_people_outside_the_debrief_cannot_ask_or_stop_for_it(slack_app: SlackApp) -> None:
    fake, slack = slack_app.fake, slack_app.slack
    _, message = await check_in(slack_app)
    assert "not part of this debrief" in await ask_to_talk(slack_app, message, STRANGER)
    await slack.click(message, Action.STOP_FOLLOWUPS, user_id=STRANGER)
    await fake.wait_for("response_url")
    assert "not part of this debrief" in last_response(slack_app)
    async with slack_app.core.database.session() as session:
        assert (await session.execute(select(SupportRequest))).first() is None


@pytest.mark.parametrize("slack_overrides", [{"debrief_wellbeing_officers": "29:1a-teams-officer"}])
async def test_a_request_nobody_on_slack_can_be_told_of_is_still_kept(slack_app: SlackApp) -> None:
    _, message = await check_in(slack_app)
    assert "Your request is saved" in await ask_to_talk(slack_app, message, NURSE)
    async with slack_app.core.database.session() as session:
        [request] = (await session.execute(select(SupportRequest))).scalars().all()
    assert request.user == NURSE and request.status == SupportStatus.OPEN
