"""Private channels through Microsoft Graph (MICROSOFT_GRAPH_ENABLED), through the real server.

A loopback fake of Graph (`FakeGraph`) checks the app's bearer token and the
shape of `POST /teams/{group}/channels` (a private channel, a name with no
patient data, the people as aadUserConversationMember, the lead as owner) and
records every call. The fake Bot Connector learns one more thing Teams does:
`POST /v3/conversations` with `isGroup` and `channelData.channel` starts a
thread in a channel with the bot's first message. Azure AD is stood in for
by a token provider that hands out GRAPH_TOKEN (msal is not called).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from adaptive_cards import validate
from aiohttp import web
from fake_connector import TENANT_ID, FakeConnector, Posted, _error
from sqlalchemy import select
from teams_harness import Chat, TeamsApp, card_text

from adapters.teams.graph import NO_PERMISSION, channel_name
from bot.models import Debrief

GRAPH_TOKEN = "graph-app-token"
TEAM = "19:ward7general@thread.tacv2"
TEAM_GROUP = "00000000-0000-4000-8000-0000000000a7"  # the harness's aadGroupId for a team
CHANNEL = Chat(f"{TEAM};messageid=1700000000001", "channel", team=TEAM)
USERS = "https://graph.microsoft.com/v1.0/users"


class FakeGraph:
    """`POST /teams/{id}/channels` as Microsoft Graph answers it; `fail` scripts one status for every call."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.problems: list[str] = []
        self.channels: dict[str, dict[str, Any]] = {}
        self.fail: int | None = None
        self.conflicts = 0
        self._ids = itertools.count(1)
        self.url = ""

    async def __aenter__(self) -> FakeGraph:
        app = web.Application()
        app.router.add_post("/v1.0/teams/{team}/channels", self._create)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/v1.0"  # type: ignore[union-attr]
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._runner.cleanup()

    def _problem(self, text: str) -> None:
        self.problems.append(text)

    async def _create(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.calls.append({"team": request.match_info["team"], "body": body,
                           "authorization": request.headers.get("Authorization")})
        if request.headers.get("Authorization") != f"Bearer {GRAPH_TOKEN}":
            return web.json_response({"error": {"code": "InvalidAuthenticationToken"}}, status=401)
        name = body.get("displayName") or ""
        if body.get("membershipType") != "private":
            self._problem(f"membershipType {body.get('membershipType')!r}")
        if not (0 < len(name) <= 50) or not re.fullmatch(r"Debrief \d{4}-\d{2}-\d{2} [0-9a-f]{4}", name):
            self._problem(f"displayName {name!r}")
        members = body.get("members") or []
        for member in members:
            if member.get("@odata.type") != "#microsoft.graph.aadUserConversationMember" \
                    or not re.fullmatch(re.escape(USERS) + r"\('[0-9a-f-]{36}'\)", member.get("user@odata.bind", "")) \
                    or member.get("roles") not in ([], ["owner"]):
                self._problem(f"member {member}")
        if not any(member.get("roles") == ["owner"] for member in members):
            self._problem("a private channel created with application permissions needs an owner")
        if self.fail:
            return web.json_response({"error": {"code": "Forbidden", "message": "scripted"}}, status=self.fail)
        if self.conflicts:
            self.conflicts -= 1
            return web.json_response({"error": {"code": "NameAlreadyExists"}}, status=409)
        channel_id = f"19:private{next(self._ids)}@thread.tacv2"
        self.channels[channel_id] = body
        return web.json_response({"id": channel_id, "displayName": name, "membershipType": "private"}, status=201)


class ChannelConnector(FakeConnector):
    """The fake Bot Connector, also starting a thread in a channel (`isGroup`, `channelData.channel`)."""

    graph: FakeGraph

    async def _conversations(self, request: web.Request) -> web.Response:
        if request.method != "POST":
            return await super()._conversations(request)
        body = await request.json()
        channel = ((body.get("channelData") or {}).get("channel") or {}).get("id")
        if not body.get("isGroup") or not channel:
            return await FakeConnector._conversations(self, _Replayed(request, body))  # type: ignore[arg-type]
        await self._begin(request)
        self.created.append(body)
        if channel not in self.graph.channels:
            return _error(404, "ConversationNotFound", "no such channel")
        activity = body.get("activity") or {}
        problem = self._check(activity, "send")
        if problem:
            return _error(400, "BadArgument", problem)
        new_id = str(next(self._ids))
        conversation_id = f"{channel};messageid={new_id}"
        conversation = self.conversations.get(channel) or self.add_conversation(channel, [], kind="channel")
        conversation.activities[new_id] = activity
        self.posted.append(Posted("send", conversation_id, new_id, activity))
        self._touch()
        return web.json_response({"id": conversation_id, "activityId": new_id}, status=201)


class _Replayed:
    """A request whose JSON body has already been read."""

    def __init__(self, request: web.Request, body: dict[str, Any]) -> None:
        self._request, self._body = request, body
        self.method, self.path, self.headers = request.method, request.path, request.headers

    async def json(self) -> dict[str, Any]:
        return self._body


@pytest.fixture
async def graph() -> AsyncIterator[FakeGraph]:
    async with FakeGraph() as fake:
        yield fake


@pytest.fixture
async def connector(graph: FakeGraph) -> AsyncIterator[FakeConnector]:
    async with ChannelConnector(card_validator=validate) as fake:
        fake.graph = graph
        yield fake


@pytest.fixture
def teams_overrides(graph: FakeGraph) -> dict[str, Any]:
    return {"debrief_min_group": 3, "microsoft_graph_enabled": True, "microsoft_graph_url": graph.url,
            "microsoft_app_tenant_id": TENANT_ID}


@pytest.fixture
async def graph_app(teams_app: TeamsApp) -> TeamsApp:
    from adapters.teams.app import SERVICES

    async def token() -> str:
        return GRAPH_TOKEN

    services = teams_app.app[SERVICES]
    assert services.graph is not None, "MICROSOFT_GRAPH_ENABLED did not turn Graph on"
    services.graph.token = token  # Azure AD's client-credentials flow, stood in for
    return teams_app


async def set_up(app: TeamsApp, lead, people) -> str:  # type: ignore[no-untyped-def]
    teams, connector = app.teams, app.connector
    await teams.say(lead, "<at>Debrief</at> debrief", CHANNEL)
    start = [p.card for p in connector.sent_to(CHANNEL.id) if p.cards][-1]
    dialog = (await teams.open_dialog(lead, CHANNEL, start, "Set up the debrief")).card
    assert "private channel for the people picked" in card_text(dialog)
    done = await teams.submit_dialog(lead, CHANNEL, dialog, {"setup.participants": [p.id for p in people],
                                                            "setup.label": "Resus 2"})
    return card_text(done.card)


async def test_a_private_channel_with_the_lead_as_owner_and_the_script_in_it(graph_app: TeamsApp, graph: FakeGraph) -> None:
    app, connector, core = graph_app, graph_app.connector, graph_app.core
    graph.conflicts = 1  # the first name is taken: a new suffix
    lead = app.person("lead", "Alex Lead", [CHANNEL])
    staff = [app.person(f"s{i}", name, [CHANNEL]) for i, name in enumerate(["Bo Nurse", "Cy Doctor", "Di Porter"])]

    done = await set_up(app, lead, staff)

    assert graph.problems == [] and len(graph.calls) == 2
    assert graph.calls[0]["body"]["displayName"] != graph.calls[1]["body"]["displayName"]
    call = graph.calls[-1]
    assert call["team"] == TEAM_GROUP and call["authorization"] == f"Bearer {GRAPH_TOKEN}"
    members = {m["user@odata.bind"]: m["roles"] for m in call["body"]["members"]}
    assert members == {f"{USERS}('{lead.aad}')": ["owner"], **{f"{USERS}('{p.aad}')": [] for p in staff}}
    assert "Resus 2" not in call["body"]["displayName"]
    name = call["body"]["displayName"]
    assert f"new private channel, {name}" in done

    [channel_id] = graph.channels
    [thread] = [c for c in connector.created if (c.get("channelData") or {}).get("channel")]
    assert thread["isGroup"] and thread["channelData"]["channel"]["id"] == channel_id
    [script] = [p for p in connector.posted if p.conversation.startswith(channel_id)]
    assert "Answer anonymously" in card_text(script.card) and "this private channel" in card_text(script.card)
    assert not any("Answer anonymously" in card_text(p.card) for p in connector.sent_to(CHANNEL.id) if p.cards)
    assert all(not p.text for p in connector.sent_to(CHANNEL.id))  # nothing said where it started

    async with core.database.session() as session:
        debrief = (await session.execute(select(Debrief))).scalars().one()
    assert debrief.space == script.conversation and debrief.script_message == script.activity_id
    assert debrief.team == TEAM

    # Everything later posted in the debrief's conversation (closing, resources) goes to the private channel.
    from adapters.teams.app import SERVICES

    await app.app[SERVICES].messaging.redraw_script(debrief, 2)
    assert connector.updates_of(script.activity_id), "the counter is not redrawn in the private channel"
    await app.app[SERVICES].messaging.post_in_space(debrief, script.card, "Debrief")
    assert connector.posted[-1].conversation.startswith(channel_id)


async def test_graph_refusing_runs_the_debrief_here_and_says_so(graph_app: TeamsApp, graph: FakeGraph) -> None:
    app, connector, core = graph_app, graph_app.connector, graph_app.core
    graph.fail = 403
    lead = app.person("lead", "Alex Lead", [CHANNEL])
    staff = [app.person(f"s{i}", name, [CHANNEL]) for i, name in enumerate(["Bo Nurse", "Cy Doctor", "Di Porter"])]

    done = await set_up(app, lead, staff)

    assert len(graph.calls) == 1 and graph.problems == []
    assert "posted in this conversation" in done and NO_PERMISSION in done
    said = [p.text for p in connector.sent_to(CHANNEL.id) if not p.cards]
    assert NO_PERMISSION in said
    script = connector.sent_to(CHANNEL.id)[-1]
    assert "Answer anonymously" in card_text(script.card) and "private channel needs Microsoft Graph" in card_text(script.card)
    assert not [c for c in connector.created if (c.get("channelData") or {}).get("channel")]
    async with core.database.session() as session:
        debrief = (await session.execute(select(Debrief))).scalars().one()
    assert debrief.space == CHANNEL.id and debrief.script_message == script.activity_id


def test_channel_names_carry_no_patient_data_and_fit() -> None:
    from datetime import date

    name = channel_name(date(2026, 1, 5), "ab12")
    assert name == "Debrief 2026-01-05 ab12" and len(name) <= 50
