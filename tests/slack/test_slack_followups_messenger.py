"""The Slack messenger on its own, against the fake Web API: sending, finding again, errors, tokens.

`SlackMessenger` is what the follow-up dispatcher and `bot.support` call; here
it is called directly, as they do, with deliveries built the way the
dispatcher builds them.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from fake_slack import FakeSlack
from harness import make_settings
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from test_slack_flow import texts

from adapters.slack.ids import FOLLOWUP_EVENT, Action
from adapters.slack.messenger import PERMANENT, SlackMessenger
from bot.core import Core
from bot.db import Database
from bot.port import FollowupDelivery, PermanentSendError, RateLimited, SupportNotice, TransientSendError
from bot.support import resources_for_person

USER = "U0NURSE001"



@pytest.fixture(autouse=True)
def _slack_would_accept_everything(fake_slack: FakeSlack) -> Iterator[None]:
    yield
    assert fake_slack.violations == [], "the bot sent Slack something it would refuse or that pings people"

@pytest.fixture
async def core(fake_slack: FakeSlack, db: Database) -> AsyncIterator[Core]:
    yield Core.build(make_settings(fake_slack, db.url), database=db)


@pytest.fixture
def messenger(core: Core) -> SlackMessenger:
    return SlackMessenger(core)


def delivery(core: Core, fake: FakeSlack, *, user: str = USER, stage: str = "24h", **overrides: Any) -> FollowupDelivery:
    content = core.library.stages[stage]
    values: dict[str, Any] = {
        "followup_id": uuid.uuid4(),
        "debrief_id": uuid.uuid4(),
        "platform": "slack",
        "workspace": fake.team_id,
        "user": user,
        "stage": stage,
        "late": False,
        "message": content.message,
        "content": content,
        "resources": resources_for_person(core.resources),
        "resources_title": core.resources.title,
        "script_title": "STOP5",
        "emergency": core.resources.emergency_number,
        "label": "Resus 2 <!channel>",
    }
    values.update(overrides)
    return FollowupDelivery(**values)


def buttons(message: dict) -> list[str]:
    return [element["action_id"] for block in message["blocks"] if block["type"] == "actions" for element in block["elements"]]


async def test_a_check_in_is_one_direct_message_carrying_its_follow_up_id(
    messenger: SlackMessenger, core: Core, fake_slack: FakeSlack
) -> None:
    sent = delivery(core, fake_slack)
    ref = await messenger.send_followup(sent)

    assert fake_slack.methods() == ["chat.postMessage"]  # no conversations.open round trip
    args = fake_slack.last("chat.postMessage")
    assert args["channel"] == USER
    assert args["metadata"] == {"event_type": FOLLOWUP_EVENT, "event_payload": {"followup_id": str(sent.followup_id)}}
    assert "Resus" not in args["text"]  # the notification names no event
    [message] = fake_slack.dms_to(USER)
    assert ref == f"{message['channel']}:{message['ts']}"
    shown = texts(message["blocks"])
    assert "thinking of you" in shown
    assert "988" in shown and "In danger: call 911" in shown  # the crisis line first, the emergency number
    assert "Physician Support Line" not in shown  # the rest is one tap away
    assert "Resus 2 &lt;!channel&gt;" in shown  # the label is shown, and pings nobody
    assert buttons(message) == [Action.ANSWER, Action.TALK, Action.RESOURCES, Action.STOP_FOLLOWUPS]
    first_screen = next(i for i, block in enumerate(message["blocks"]) if block["type"] == "actions")
    assert len(texts(message["blocks"][:first_screen])) <= 600  # fits a phone before the buttons
    assert fake_slack.violations == []


async def test_no_talk_button_without_anyone_to_talk_to(
    messenger: SlackMessenger, core: Core, fake_slack: FakeSlack
) -> None:
    await messenger.send_followup(delivery(core, fake_slack, support_available=False))
    assert buttons(fake_slack.dms_to(USER)[-1]) == [Action.ANSWER, Action.RESOURCES, Action.STOP_FOLLOWUPS]


async def test_find_delivered_finds_the_check_in_in_the_dm_and_nothing_else(
    messenger: SlackMessenger, core: Core, fake_slack: FakeSlack
) -> None:
    fake_slack.history_limit = 15  # as Slack pages it for apps outside the Marketplace
    sent = delivery(core, fake_slack)
    ref = await messenger.send_followup(sent)
    for number in range(40):  # later messages in the same DM push it to the third page
        await messenger.send_followup(delivery(core, fake_slack, message=f"another check-in {number}"))

    assert await messenger.find_delivered(sent) == ref
    history = fake_slack.calls_to("conversations.history")
    assert len(history) == 3 and all(call["channel"].startswith("D") for call in history)
    assert await messenger.find_delivered(delivery(core, fake_slack)) is None
    assert await messenger.find_delivered(delivery(core, fake_slack, user="U0SOMEONE9")) is None


@pytest.mark.parametrize("code", ["user_not_found", "account_inactive", "user_disabled", "channel_not_found",
                                  "cannot_dm_bot", "invalid_auth", "token_revoked", "invalid_blocks"])
async def test_errors_that_never_go_away_are_permanent(
    messenger: SlackMessenger, core: Core, fake_slack: FakeSlack, code: str
) -> None:
    assert code in PERMANENT
    fake_slack.fail_next("chat.postMessage", code)
    with pytest.raises(PermanentSendError, match=code):
        await messenger.send_followup(delivery(core, fake_slack))


async def test_rate_limits_and_slack_trouble_are_transient(
    messenger: SlackMessenger, core: Core, fake_slack: FakeSlack
) -> None:
    fake_slack.rate_limit_next("chat.postMessage", retry_after=7)
    with pytest.raises(RateLimited) as limited:
        await messenger.send_followup(delivery(core, fake_slack))
    assert limited.value.retry_after == 7
    assert len(fake_slack.calls_to("chat.postMessage")) == 1  # not retried inside: the dispatcher waits

    fake_slack.server_error_next("chat.postMessage", 503)
    with pytest.raises(TransientSendError, match="503") as failed:
        await messenger.send_followup(delivery(core, fake_slack))
    assert not isinstance(failed.value, RateLimited)

    fake_slack.fail_next("chat.postMessage", "internal_error")
    with pytest.raises(TransientSendError, match="internal_error"):
        await messenger.send_followup(delivery(core, fake_slack))

    fake_slack.rate_limit_next("conversations.history", retry_after=60)
    with pytest.raises(TransientSendError) as history:
        await messenger.find_delivered(delivery(core, fake_slack))
    assert history.value.retry_after == 60
    assert fake_slack.dms_to(USER) == []


async def test_slack_unreachable_is_transient(core: Core, fake_slack: FakeSlack) -> None:
    await fake_slack.stop()
    messenger = SlackMessenger(core)
    with pytest.raises(TransientSendError, match="no answer from Slack"):
        await messenger.send_followup(delivery(core, fake_slack))
    with pytest.raises(TransientSendError):
        await messenger.find_delivered(delivery(core, fake_slack))


async def test_time_zone_from_users_info(messenger: SlackMessenger, fake_slack: FakeSlack) -> None:
    fake_slack.add_user(USER, tz="America/Chicago", tz_offset=-21600)
    assert await messenger.user_timezone(fake_slack.team_id, USER) == "America/Chicago"
    fake_slack.missing_users.add("U0GONE0001")
    with pytest.raises(PermanentSendError):
        await messenger.user_timezone(fake_slack.team_id, "U0GONE0001")


async def test_support_notice_reaches_officers_by_id_or_e_mail_and_skips_other_platforms(
    messenger: SlackMessenger, fake_slack: FakeSlack
) -> None:
    fake_slack.add_user("U0OLIVE001", email="olive@hospital.example")
    notice = SupportNotice(uuid.uuid4(), "slack", fake_slack.team_id, USER, "after 6pm <!here>", "Resus 2")
    assert await messenger.notify_support_request(notice, "UOFFICER") is True
    assert await messenger.notify_support_request(notice, "olive@hospital.example") is True
    assert await messenger.notify_support_request(notice, "nobody@hospital.example") is False
    assert await messenger.notify_support_request(notice, "29:1teams-user-id") is False
    assert await messenger.notify_support_request(notice, "8c7e7c5e-1111-4b4b-9d9d-000000000001") is False
    for officer in ("UOFFICER", "U0OLIVE001"):
        [message] = fake_slack.dms_to(officer)
        shown = texts(message["blocks"])
        assert f"<@{USER}>" in shown and "after 6pm &lt;!here&gt;" in shown
        assert "nothing they answered is attached" in shown
        assert buttons(message) == [Action.CLAIM_SUPPORT]
        assert USER not in message["text"]
    fake_slack.fail_next("chat.postMessage", "user_not_found")
    assert await messenger.notify_support_request(notice, "U0LEFT0001") is False
    fake_slack.fail_next("chat.postMessage", "token_revoked")
    with pytest.raises(PermanentSendError):
        await messenger.notify_support_request(notice, "UOFFICER")
    assert fake_slack.violations == []


async def test_many_workspaces_each_use_their_own_installation(
    fake_slack: FakeSlack, db: Database
) -> None:
    settings = make_settings(fake_slack, db.url, slack_bot_token=None, slack_client_id="111.222",
                             slack_client_secret="secret")
    core = Core.build(settings, database=db)
    store = AsyncSQLAlchemyInstallationStore(client_id="111.222", engine=db.engine)
    token = "xoxb-T0SECOND01-token"
    fake_slack.add_token(token, team_id="T0SECOND01", user_id="U0BOTSECND")
    await store.async_save(Installation(app_id=fake_slack.app_id, team_id="T0SECOND01", user_id="U0INSTALL1",
                                        bot_token=token, bot_id="B0SECOND01", bot_user_id="U0BOTSECND"))
    messenger = SlackMessenger(core, installation_store=store)

    await messenger.send_followup(delivery(core, fake_slack, workspace="T0SECOND01"))
    assert fake_slack.dms_to(USER)[-1]["team"] == "T0SECOND01"  # sent with that workspace's bot token
    with pytest.raises(PermanentSendError, match="not installed"):
        await messenger.send_followup(delivery(core, fake_slack, workspace="T0UNKNOWN1"))

    fake_slack.revoke(token)  # the app was uninstalled there
    with pytest.raises(PermanentSendError, match="token_revoked"):
        await messenger.send_followup(delivery(core, fake_slack, workspace="T0SECOND01"))
    assert "T0SECOND01" not in messenger._tokens  # asked again next time, in case it was reinstalled


async def test_the_fakes_token_bucket_starts_empty_and_names_the_wait(
    messenger: SlackMessenger, core: Core, fake_slack: FakeSlack
) -> None:
    """The benchmark's limit (`limit_bucket`): refilled at the rate, empty at first; 429s carry Retry-After."""
    fake_slack.limit_per_second, fake_slack.limit_bucket = 4, True
    now = [1000.0]
    fake_slack.limit_clock = lambda: now[0]
    with pytest.raises(RateLimited) as limited:
        await messenger.send_followup(delivery(core, fake_slack))
    assert limited.value.retry_after == 1
    now[0] += 0.3  # about one token
    await messenger.send_followup(delivery(core, fake_slack))
    with pytest.raises(RateLimited):
        await messenger.send_followup(delivery(core, fake_slack))
    assert len(fake_slack.dms_to(USER)) == 1
