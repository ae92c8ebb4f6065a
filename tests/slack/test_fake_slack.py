"""The Slack fake and the signing harness, tested with slack_sdk's own client and verifier.

If the fake answered differently from Slack, every adapter test built on it
would prove the wrong thing, so these tests pin its behaviour to what Slack
documents: argument checks, error names, response shapes, trigger ids,
Block Kit limits, rate limits.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Awaitable

import aiohttp
import pytest
from fake_slack import BOT_USER_ID, FakeSlack, validate_blocks
from harness import SIGNING_SECRET, SlackApp, SlackClient, make_settings, running_app, state_values
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient


@pytest.fixture
async def client(fake_slack: FakeSlack) -> AsyncIterator[AsyncWebClient]:
    yield AsyncWebClient(token="xoxb-test", base_url=fake_slack.api_url)


def section(text: str, kind: str = "mrkdwn", **extra: object) -> dict:
    return {"type": "section", "text": {"type": kind, "text": text}, **extra}


def modal(blocks: list[dict], title: str = "Debrief", **extra: object) -> dict:
    return {"type": "modal", "title": {"type": "plain_text", "text": title}, "blocks": blocks, **extra}


async def refused(call: Awaitable[object]) -> dict:
    """The body of a Slack error answer (SlackApiError), for asserting on its `error`."""
    with pytest.raises(SlackApiError) as caught:
        await call
    return caught.value.response.data


async def error_of(call: Awaitable[object]) -> str:
    return (await refused(call))["error"]


# -- authentication and transport ------------------------------------------------------


async def test_auth_test_answers_with_the_bots_identity(client: AsyncWebClient, fake_slack: FakeSlack) -> None:
    answer = await client.auth_test()
    assert answer["team_id"] == fake_slack.team_id
    assert answer["user_id"] == BOT_USER_ID
    assert answer["bot_id"] == fake_slack.bot_id
    assert answer["url"].startswith("https://") and answer["team"]


async def test_a_call_needs_a_bot_or_user_token(fake_slack: FakeSlack) -> None:
    assert await error_of(AsyncWebClient(base_url=fake_slack.api_url).auth_test()) == "not_authed"
    bad = AsyncWebClient(token="not-a-token", base_url=fake_slack.api_url)
    assert await error_of(bad.auth_test()) == "invalid_auth"
    user = AsyncWebClient(token="xoxp-person", base_url=fake_slack.api_url)
    assert (await user.auth_test())["ok"]
    fake_slack.revoke("xoxp-person")
    assert await error_of(user.auth_test()) == "token_revoked"


async def test_form_encoded_json_and_query_arguments_all_arrive(client: AsyncWebClient, fake_slack: FakeSlack) -> None:
    blocks = [section("from a form")]
    await client.api_call("chat.postMessage", data={"channel": "C1", "text": "x", "blocks": json.dumps(blocks)})
    await client.chat_postMessage(channel="C1", text="y", blocks=[section("as JSON")])  # slack_sdk sends JSON
    await client.conversations_create(name="from-the-query")  # slack_sdk sends these as URL parameters
    form, as_json = fake_slack.calls_to("chat.postMessage")
    assert form["blocks"] == blocks and as_json["blocks"] == [section("as JSON")]
    assert fake_slack.last("conversations.create") == {"name": "from-the-query"}
    assert all("token" not in args for _, args in fake_slack.calls)
    assert fake_slack.methods() == ["chat.postMessage", "chat.postMessage", "conversations.create"]


async def test_an_unimplemented_method_is_a_violation(client: AsyncWebClient, fake_slack: FakeSlack) -> None:
    assert await error_of(client.api_call("pins.add", json={"channel": "C1"})) == "unknown_method"
    assert fake_slack.violations == ["pins.add: FakeSlack does not implement this method"]


async def test_wait_for_returns_once_the_calls_were_answered(client: AsyncWebClient, fake_slack: FakeSlack) -> None:
    await client.chat_postMessage(channel="C1", text="one")
    assert len(await fake_slack.wait_for("chat.postMessage")) == 1
    with pytest.raises(AssertionError, match="saw 1"):
        await fake_slack.wait_for("chat.postMessage", count=2, timeout=0.05)


# -- conversations ---------------------------------------------------------------------------


async def test_a_private_channel_is_created_with_the_bot_in_it(client: AsyncWebClient, fake_slack: FakeSlack) -> None:
    channel = (await client.conversations_create(name="debrief-2026-01-05", is_private=True))["channel"]
    assert channel["id"].startswith("C") and channel["name"] == "debrief-2026-01-05"
    assert channel["is_private"] is True and channel["is_member"] is True
    assert fake_slack.channels[channel["id"]].members == [BOT_USER_ID]
    info = (await client.conversations_info(channel=channel["id"]))["channel"]
    assert info["is_private"] is True


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("", "invalid_name_required"),
        ("Debrief", "invalid_name_specials"),
        ("debrief ward 7", "invalid_name_specials"),
        ("débrief", "invalid_name_specials"),
        ("---", "invalid_name_punctuation"),
        ("d" * 81, "invalid_name_maxlength"),
    ],
)
async def test_channel_names_follow_slacks_rules(client: AsyncWebClient, name: str, error: str) -> None:
    assert await error_of(client.conversations_create(name=name)) == error


async def test_a_name_is_taken_once(client: AsyncWebClient, fake_slack: FakeSlack) -> None:
    await client.conversations_create(name="d" * 80)
    assert await error_of(client.conversations_create(name="d" * 80, is_private=True)) == "name_taken"
    fake_slack.add_channel("ward-7")
    assert await error_of(client.conversations_create(name="ward-7")) == "name_taken"
    assert fake_slack.errors() == [("conversations.create", "name_taken")] * 2


async def test_invite_checks_who_is_invited(client: AsyncWebClient, fake_slack: FakeSlack) -> None:
    channel = (await client.conversations_create(name="debrief", is_private=True))["channel"]["id"]
    answer = await client.conversations_invite(channel=channel, users=["U1", "U2"])
    assert answer["channel"]["num_members"] == 3
    assert fake_slack.last("conversations.invite")["users"] == "U1,U2"

    self_invite = await refused(client.conversations_invite(channel=channel, users=f"U3,{BOT_USER_ID}"))
    assert self_invite["error"] == "cant_invite_self"
    again = await refused(client.conversations_invite(channel=channel, users="U1"))
    assert again["error"] == "already_in_channel" and again["errors"][0]["user"] == "U1"
    forced = await client.conversations_invite(channel=channel, users="U1,U4", force=True)
    assert forced["errors"] == [{"user": "U1", "ok": False, "error": "already_in_channel"}]
    assert fake_slack.channels[channel].members == [BOT_USER_ID, "U1", "U2", "U4"]

    assert await error_of(client.conversations_invite(channel=channel, users="")) == "no_user"
    outside = fake_slack.add_channel("ward-7", bot_is_member=False)
    assert await error_of(client.conversations_invite(channel=outside.id, users="U1")) == "not_in_channel"
    fake_slack.strict_channels = True
    assert await error_of(client.conversations_invite(channel="C404", users="U1")) == "channel_not_found"


async def test_members_are_paged_with_slacks_cursor(client: AsyncWebClient, fake_slack: FakeSlack) -> None:
    channel = fake_slack.add_channel("big", members=[f"U{n}" for n in range(5)])
    pages = [page["members"] async for page in await client.conversations_members(channel=channel.id, limit=2)]
    assert pages == [["U0", "U1"], ["U2", "U3"], ["U4", BOT_USER_ID]]


# -- chat ---------------------------------------------------------------------------------------


async def test_a_user_id_as_channel_is_a_direct_message(client: AsyncWebClient, fake_slack: FakeSlack) -> None:
    first = await client.chat_postMessage(channel="U1", text="How are you doing?")
    second = await client.chat_postMessage(channel="U1", text="Again")
    assert first["channel"].startswith("D") and first["channel"] == second["channel"]
    assert first["ts"] < second["ts"] and first["message"]["text"] == "How are you doing?"
    assert [m["text"] for m in fake_slack.dms_to("U1")] == ["How are you doing?", "Again"]
    assert fake_slack.dms_to("U2") == []


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
async def test_a_message_needs_content_and_a_channel_the_bot_is_in(
    client: AsyncWebClient, fake_slack: FakeSlack
) -> None:
    assert await error_of(client.chat_postMessage(channel="C1")) == "no_text"
    assert await error_of(client.chat_postMessage(channel="", text="x")) == "channel_not_found"
    outside = fake_slack.add_channel("ward-7", bot_is_member=False)
    assert await error_of(client.chat_postMessage(channel=outside.id, text="x")) == "not_in_channel"
    assert await error_of(client.chat_postMessage(channel="C1", text="x" * 40001)) == "msg_too_long"


async def test_fifty_blocks_fit_in_a_message_and_fifty_one_do_not(
    client: AsyncWebClient, fake_slack: FakeSlack
) -> None:
    await client.chat_postMessage(channel="C1", text="ok", blocks=[section(f"line {n}") for n in range(50)])
    answer = await refused(client.chat_postMessage(channel="C1", text="x", blocks=[section("x")] * 51))
    assert answer["error"] == "invalid_blocks"
    assert len(fake_slack.violations) == 1 and "51 blocks" in fake_slack.violations[0]


async def test_a_text_object_holds_3000_characters(client: AsyncWebClient, fake_slack: FakeSlack) -> None:
    await client.chat_postMessage(channel="C1", text="ok", blocks=[section("a" * 3000)])
    assert fake_slack.violations == []
    context = {"type": "context", "elements": [{"type": "plain_text", "text": "b" * 3001}]}
    answer = await refused(client.chat_postMessage(channel="C1", text="x", blocks=[context]))
    assert answer["error"] == "invalid_blocks"
    assert "3001 characters" in fake_slack.violations[0]


@pytest.mark.parametrize(
    ("blocks", "reason"),
    [
        ([{"type": "carousel_of_doom"}], "unknown block type"),
        ([section("x", block_id="same"), section("y", block_id="same")], "duplicate block_id"),
        ([section("x", block_id="b" * 256)], "block_id"),
        ([section("x", colour="red")], "unknown or empty field 'colour'"),
        ([{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}], "150"),
        (
            [{"type": "actions", "elements": [
                {"type": "button", "action_id": "a", "text": {"type": "plain_text", "text": "x"}},
                {"type": "button", "action_id": "a", "text": {"type": "plain_text", "text": "y"}},
            ]}],
            "duplicate action_id",
        ),
        (
            [{"type": "section", "text": {"type": "plain_text", "text": "pick"}, "accessory": {
                "type": "static_select", "action_id": "s",
                "options": [{"text": {"type": "plain_text", "text": "o" * 76}, "value": "1"}],
            }}],
            "75",
        ),
    ],
)
def test_block_kit_rules_that_slack_enforces(blocks: list[dict], reason: str) -> None:
    problems = validate_blocks(blocks, "message")
    assert problems and any(reason in problem for problem in problems), problems


async def test_mentions_are_violations_even_though_slack_would_send_them(
    client: AsyncWebClient, fake_slack: FakeSlack
) -> None:
    await client.chat_postMessage(channel="C1", text="answer: &lt;!channel&gt;", blocks=[section("&lt;!here&gt;")])
    await client.chat_postMessage(channel="C1", text="x", blocks=[section("<!channel> said", "plain_text")])
    await client.chat_postMessage(channel="C1", text="x", blocks=[section("due <!date^1767225600^{date}|1 Jan>")])
    assert fake_slack.violations == []

    await client.chat_postMessage(channel="C1", text="x", blocks=[section("someone wrote <!channel>")])
    await client.chat_postMessage(channel="C1", text="hi <!here>")
    await client.chat_postMessage(channel="C1", text="x", link_names=True)
    await client.chat_postMessage(channel="C1", text="x", parse="full")
    await client.chat_postEphemeral(channel="C1", user="U1", text="x", blocks=[section("<!everyone>")])
    broadcast = {"type": "rich_text", "elements": [
        {"type": "rich_text_section", "elements": [{"type": "broadcast", "range": "channel"}]}
    ]}
    await client.chat_postMessage(channel="C1", text="x", blocks=[broadcast])
    assert len(fake_slack.violations) == 6, fake_slack.violations
    kinds = ("mention", "link_names", "parse=full", "broadcast")
    assert all(any(kind in violation for kind in kinds) for violation in fake_slack.violations)


async def test_update_replaces_a_message_the_bot_posted(client: AsyncWebClient, fake_slack: FakeSlack) -> None:
    posted = await client.chat_postMessage(channel="C1", text="3 answers", blocks=[section("3 answers")])
    channel, ts = posted["channel"], posted["ts"]
    await client.chat_update(channel=channel, ts=ts, text="5 answers", blocks=[section("5 answers")])
    message = fake_slack.message(posted["channel"], posted["ts"])
    assert message["text"] == "5 answers" and message["blocks"] == [section("5 answers")]
    missing = await refused(client.chat_update(channel=posted["channel"], ts="1.000001", text="x"))
    assert missing["error"] == "message_not_found"


async def test_an_ephemeral_message_goes_to_one_member(client: AsyncWebClient, fake_slack: FakeSlack) -> None:
    ward = fake_slack.add_channel("ward-7", members=["ULEAD"])
    answer = await client.chat_postEphemeral(channel=ward.id, user="ULEAD", text="Only you can see this")
    assert answer["message_ts"] and fake_slack.ephemerals[0]["user"] == "ULEAD"
    assert await error_of(client.chat_postEphemeral(channel=ward.id, user="U9", text="x")) == "user_not_in_channel"


# -- views and trigger ids -----------------------------------------------------------------------------


async def test_a_trigger_id_opens_one_view(client: AsyncWebClient, fake_slack: FakeSlack) -> None:
    trigger = fake_slack.new_trigger_id("ULEAD")
    view = (await client.views_open(trigger_id=trigger, view=modal([section("Start")], callback_id="setup")))["view"]
    assert view["id"].startswith("V") and view["hash"] and view["callback_id"] == "setup"
    assert view["root_view_id"] == view["id"] and view["state"] == {"values": {}}
    assert fake_slack.last_view() == view
    again = await refused(client.views_open(trigger_id=trigger, view=modal([section("Again")])))
    assert again["error"] == "exchanged_trigger_id"


async def test_an_old_or_unknown_trigger_id_is_refused(client: AsyncWebClient, fake_slack: FakeSlack) -> None:
    view = modal([section("x")])
    expired = fake_slack.new_trigger_id("ULEAD", expired=True)
    assert await error_of(client.views_open(trigger_id=expired, view=view)) == "expired_trigger_id"
    fake_slack.trigger_ttl = 0.05
    slow = fake_slack.new_trigger_id("ULEAD")
    time.sleep(0.1)  # the adapter did database work before views.open
    assert await error_of(client.views_open(trigger_id=slow, view=view)) == "expired_trigger_id"
    assert await error_of(client.views_open(trigger_id="made.up", view=view)) == "invalid_trigger_id"
    assert await error_of(client.views_open(trigger_id="", view=view)) == "invalid_arguments"


@pytest.mark.parametrize(
    ("view", "reason"),
    [
        (modal([section("x")], title="A title longer than 24 ch"), "title"),
        (modal([section("x")] * 101), "100"),
        (modal([section("x")], private_metadata="m" * 3001), "private_metadata"),
        (modal([{"type": "input", "block_id": "q", "label": {"type": "plain_text", "text": "Q"},
                 "element": {"type": "plain_text_input", "action_id": "v"}}]), "submit"),
        (modal([section("x")], callback_id="c" * 256), "callback_id"),
        (modal([section("x" * 3001)]), "3000 characters"),
        ({"type": "home", "blocks": [section("x")]}, "type"),
        (modal([section("x")], flavour="mint"), "unknown field 'flavour'"),
    ],
)
async def test_a_view_is_checked_like_slack_does(
    client: AsyncWebClient, fake_slack: FakeSlack, view: dict, reason: str
) -> None:
    answer = await refused(client.views_open(trigger_id=fake_slack.new_trigger_id(), view=view))
    assert answer["error"] == "invalid_arguments"
    assert any(reason in violation for violation in fake_slack.violations), fake_slack.violations


async def test_a_refused_view_leaves_the_trigger_usable(client: AsyncWebClient, fake_slack: FakeSlack) -> None:
    trigger = fake_slack.new_trigger_id()
    await refused(client.views_open(trigger_id=trigger, view=modal([section("x")] * 101)))
    assert (await client.views_open(trigger_id=trigger, view=modal([section("x")])))["ok"]


async def test_update_by_id_or_external_id_with_hash(client: AsyncWebClient, fake_slack: FakeSlack) -> None:
    saving = modal([section("Saving…")], external_id="ext-1")
    opened = (await client.views_open(trigger_id=fake_slack.new_trigger_id(), view=saving))["view"]
    saved = modal([section("Saved")], external_id="ext-1")
    updated = (await client.views_update(view_id=opened["id"], hash=opened["hash"], view=saved))["view"]
    assert updated["id"] == opened["id"] and updated["hash"] != opened["hash"]
    stale = client.views_update(view_id=opened["id"], hash=opened["hash"], view=saved)
    assert await error_of(stale) == "hash_conflict"
    again = modal([section("Again")], external_id="ext-1")
    by_external = (await client.views_update(external_id="ext-1", view=again))["view"]
    assert by_external["id"] == opened["id"]
    assert await error_of(client.views_update(view_id="VNOPE", view=modal([section("x")]))) == "not_found"
    nameless = client.api_call("views.update", json={"view": modal([section("x")])})
    assert await error_of(nameless) == "invalid_arguments"


async def test_views_stack_three_deep(client: AsyncWebClient, fake_slack: FakeSlack) -> None:
    root = (await client.views_open(trigger_id=fake_slack.new_trigger_id(), view=modal([section("1")])))["view"]
    top = root
    for depth in (2, 3):
        trigger = fake_slack.new_trigger_id(view_id=top["id"])
        pushed = (await client.views_push(trigger_id=trigger, view=modal([section(str(depth))])))["view"]
        assert pushed["root_view_id"] == root["id"] and pushed["previous_view_id"] == top["id"]
        top = pushed
    trigger = fake_slack.new_trigger_id(view_id=top["id"])
    assert await error_of(client.views_push(trigger_id=trigger, view=modal([section("4")]))) == "push_limit_reached"


async def test_app_home_is_published_per_person(client: AsyncWebClient, fake_slack: FakeSlack) -> None:
    home = {"type": "home", "blocks": [section("Your debriefs")]}
    first = (await client.views_publish(user_id="U1", view=home))["view"]
    second = (await client.views_publish(user_id="U1", view=home, hash=first["hash"]))["view"]
    assert first["id"] == second["id"] and fake_slack.home_tabs["U1"]["type"] == "home"
    assert await error_of(client.views_publish(user_id="U1", view=home, hash=first["hash"])) == "hash_conflict"
    not_home = client.views_publish(user_id="U1", view=modal([section("x")]))
    assert await error_of(not_home) == "invalid_arguments"
    fake_slack.violations.clear()


# -- users and OAuth ---------------------------------------------------------------------------------------


async def test_users_info_has_time_zone_and_email(client: AsyncWebClient, fake_slack: FakeSlack) -> None:
    fake_slack.add_user(
        "U1", real_name="Ada Nurse", email="ada@hospital.example", tz="America/Chicago", tz_offset=-21600
    )
    user = (await client.users_info(user="U1"))["user"]
    assert (user["tz"], user["tz_offset"], user["profile"]["email"], user["real_name"]) == (
        "America/Chicago", -21600, "ada@hospital.example", "Ada Nurse"
    )
    assert (await client.users_info(user="U2"))["user"]["profile"]["email"]
    fake_slack.missing_users.add("U3")
    assert await error_of(client.users_info(user="U3")) == "user_not_found"


async def test_oauth_exchanges_a_code_once_for_a_workspace_token(fake_slack: FakeSlack) -> None:
    anonymous = AsyncWebClient(base_url=fake_slack.api_url)
    fake_slack.client_id, fake_slack.client_secret = "111.222", "shh"
    code = fake_slack.new_oauth_code(team_id="T0SECOND01", user_id="UINSTALLER")
    bad = await refused(anonymous.oauth_v2_access(client_id="111.222", client_secret="wrong", code=code))
    assert bad["error"] == "bad_client_secret"
    granted = await anonymous.oauth_v2_access(client_id="111.222", client_secret="shh", code=code)
    assert granted["access_token"].startswith("xoxb-") and granted["team"]["id"] == "T0SECOND01"
    assert granted["bot_user_id"] and granted["app_id"] == fake_slack.app_id
    assert granted["authed_user"]["id"] == "UINSTALLER"
    again = await refused(anonymous.oauth_v2_access(client_id="111.222", client_secret="shh", code=code))
    assert again["error"] == "invalid_code"
    installed = AsyncWebClient(token=granted["access_token"], base_url=fake_slack.api_url)
    identity = await installed.auth_test()
    assert identity["team_id"] == "T0SECOND01" and identity["user_id"] == granted["bot_user_id"]
    assert "client_secret" not in fake_slack.last("oauth.v2.access")


# -- scripted trouble -----------------------------------------------------------------------------------------


async def test_fail_next_answers_the_scripted_error(client: AsyncWebClient, fake_slack: FakeSlack) -> None:
    fake_slack.fail_next("conversations.create", "restricted_action", times=2)
    for _ in range(2):
        assert await error_of(client.conversations_create(name="debrief")) == "restricted_action"
    assert (await client.conversations_create(name="debrief"))["ok"]


async def test_a_429_is_waited_out_by_the_rate_limit_retry_handler(fake_slack: FakeSlack) -> None:
    patient = AsyncWebClient(
        token="xoxb-test",
        base_url=fake_slack.api_url,
        retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=1)],
    )
    fake_slack.rate_limit_next("chat.postMessage", retry_after=1)
    started = time.monotonic()
    answer = await patient.chat_postMessage(channel="U1", text="24-hour check-in")
    assert answer["ok"] and time.monotonic() - started >= 1.0
    first, second = fake_slack.exchanges
    assert (first.status, second.status) == (429, 200) and second.at - first.at >= 1.0
    assert len(fake_slack.dms_to("U1")) == 1


async def test_a_429_without_a_retry_handler_is_an_error(client: AsyncWebClient, fake_slack: FakeSlack) -> None:
    fake_slack.rate_limit_next("chat.postMessage", retry_after=7)
    with pytest.raises(SlackApiError) as caught:
        await client.chat_postMessage(channel="C1", text="x")
    assert caught.value.response.status_code == 429
    assert caught.value.response.headers["Retry-After"] == "7"


async def test_the_enforced_rate_limit_answers_429_above_it(client: AsyncWebClient, fake_slack: FakeSlack) -> None:
    fake_slack.limit_per_second = 2
    await client.chat_postMessage(channel="C1", text="1")
    await client.chat_postMessage(channel="C1", text="2")
    with pytest.raises(SlackApiError) as caught:
        await client.chat_postMessage(channel="C1", text="3")
    assert caught.value.response.status_code == 429
    assert (await client.auth_test())["ok"]  # other methods are not limited
    assert len(fake_slack.messages_in("C1")) == 2


async def test_latency_delays_every_answer(client: AsyncWebClient, fake_slack: FakeSlack) -> None:
    fake_slack.latency = 0.2
    started = time.monotonic()
    await client.auth_test()
    assert time.monotonic() - started >= 0.2


async def test_a_response_url_post_is_recorded_and_checked(fake_slack: FakeSlack) -> None:
    async with aiohttp.ClientSession() as session:
        url = fake_slack.url + "/response/1"
        async with session.post(url, json={"text": "Only you", "response_type": "ephemeral"}) as res:
            assert res.status == 200
        async with session.post(url, json={"text": "x", "blocks": [section("<!here>")]}) as res:
            assert res.status == 200
    assert [args["text"] for args in fake_slack.calls_to("response_url")] == ["Only you", "x"]
    assert len(fake_slack.violations) == 1 and "mention" in fake_slack.violations[0]


# -- the harness: signing, modal state, the running server -----------------------------------------------------


def test_requests_are_signed_the_way_slack_signs(fake_slack: FakeSlack) -> None:
    slack = SlackClient(None, "http://127.0.0.1:1", fake_slack)  # type: ignore[arg-type]
    verifier = SignatureVerifier(SIGNING_SECRET)
    body = "command=%2Fdebrief&text="

    def valid(client: SlackClient) -> bool:
        headers = client.signed_headers(body)
        return verifier.is_valid(body, headers.get("X-Slack-Request-Timestamp"), headers.get("X-Slack-Signature"))

    assert valid(slack)
    assert not valid(slack.forged())
    assert not valid(slack.expired())
    assert not valid(slack.unsigned())
    old = slack.expired().signed_headers(body)
    assert int(time.time()) - int(old["X-Slack-Request-Timestamp"]) > 300
    timestamp = old["X-Slack-Request-Timestamp"]
    assert old["X-Slack-Signature"] == verifier.generate_signature(timestamp=timestamp, body=body)


def test_modal_state_is_filled_in_as_slack_reports_it() -> None:
    view = modal(
        [
            {"type": "input", "block_id": "q.feeling", "label": {"type": "plain_text", "text": "How?"},
             "element": {"type": "radio_buttons", "action_id": "value", "options": [
                 {"text": {"type": "plain_text", "text": str(n)}, "value": str(n)} for n in range(3)]}},
            {"type": "input", "block_id": "q.note", "optional": True, "label": {"type": "plain_text", "text": "Note"},
             "element": {"type": "plain_text_input", "action_id": "value"}},
            {"type": "input", "block_id": "who", "label": {"type": "plain_text", "text": "Who"},
             "element": {"type": "multi_users_select", "action_id": "value"}},
        ],
        submit={"type": "plain_text", "text": "Send"},
    )
    values = state_values(view, {"q.feeling": "2", "who": ["U1", "U2"]})
    assert values["q.feeling"]["value"]["selected_option"]["value"] == "2"
    assert values["q.note"] == {"value": {"type": "plain_text_input", "value": None}}
    assert values["who"]["value"] == {"type": "multi_users_select", "selected_users": ["U1", "U2"]}
    with pytest.raises(AssertionError, match="required input 'who'"):
        state_values(view, {"q.feeling": "2"})
    with pytest.raises(AssertionError, match="no option '7'"):
        state_values(view, {"q.feeling": "7", "who": ["U1"]})


async def test_the_server_runs_on_loopback_and_is_healthy(fake_slack: FakeSlack, database_url: str) -> None:
    settings = make_settings(fake_slack, database_url, slack_bot_token=None)  # without the Slack adapter
    async with running_app(settings, fake_slack) as running:
        assert running.url.startswith("http://127.0.0.1:")
        assert (await running.get("/healthz")).status == 200
        assert (await running.slack.command("/debrief")).status == 404


def _adapter_mounted() -> bool:
    try:
        from adapters.slack import mount  # noqa: F401
    except ImportError:
        return False
    return True


needs_adapter = pytest.mark.skipif(not _adapter_mounted(), reason="the Slack adapter is not in adapters/slack yet")


@needs_adapter
async def test_the_bot_takes_signed_requests_and_refuses_forged_or_replayed_ones(slack_app: SlackApp) -> None:
    slack = slack_app.slack
    verified = await slack.url_verification("challenge-1")
    assert verified.status == 200 and "challenge-1" in verified.text
    for impostor in (slack.forged(), slack.expired(), slack.unsigned()):
        assert (await impostor.command("/debrief", "")).status == 401
        assert (await impostor.url_verification("challenge-2")).status == 401
    assert slack_app.fake.calls_to("views.open") == []


async def test_idle_waits_for_the_work_a_listener_does_after_its_ack(slack_app: SlackApp) -> None:
    """`SlackApp.idle()` (tests/request_work.py) is what flow tests use for "nothing more happens"; it must wait."""
    from adapters.slack.ids import Callback, SetupBlock, Where

    fake, slack = slack_app.fake, slack_app.slack
    await slack.command("/debrief", "", user_id="ULEAD00001", channel_id="CWARD00001")
    await fake.wait_for("views.open", where=lambda args: args["view"].get("callback_id") == Callback.SETUP)
    view = fake.last_view(Callback.SETUP)
    reply = await slack.submit(view, {SetupBlock.SCRIPT: "stop5", SetupBlock.PARTICIPANTS: ["UNURSE0001"],
                                      SetupBlock.WHERE: Where.NEW_CHANNEL}, user_id="ULEAD00001")
    assert reply.status == 200  # acked with "Saving…"; the channel and the script come after
    await slack_app.idle()
    assert {"conversations.create", "conversations.invite", "views.update"} <= set(fake.methods())
    assert slack_app.work.tasks == set()
