"""Every command, button and form declares the role it needs, where it is registered, and the table below says which.

A new Slack listener or Teams handler without a declared role, or with a
role other than the one written here, fails this test: adding one means
deciding who may use it, and writing it down twice (there and here).
"""

from __future__ import annotations

import pytest

from adapters.slack.access import Requires
from adapters.slack.app import build_app
from adapters.teams.access import role_of
from adapters.teams.handlers.buttons import BUTTONS
from adapters.teams.handlers.commands import COMMANDS
from adapters.teams.handlers.dialogs import FETCH, SUBMIT
from bot.clock import FakeClock
from bot.core import Core
from bot.officers import Role
from bot.settings import Settings

ANYONE, SUPPORTER, OFFICER = Role.ANYONE, Role.SUPPORTER, Role.OFFICER

SLACK = sorted([
    # /debrief: the words that need a role first, then one listener for the rest
    ("adapters.slack.listeners.commands.summary", OFFICER),
    ("adapters.slack.listeners.queue.show", SUPPORTER),
    ("adapters.slack.listeners.commands.officers", OFFICER),
    ("adapters.slack.listeners.notes.notes_command", OFFICER),  # the notes written for the wellbeing team
    ("adapters.slack.listeners.commands.debrief_command", ANYONE),
    ("adapters.slack.listeners.commands.export_tapped", ANYONE),
    # the debrief's forms and buttons: the core checks membership and who leads
    ("adapters.slack.listeners.views.answer_submitted", ANYONE),
    ("adapters.slack.listeners.views.setup_submitted", ANYONE),
    ("adapters.slack.listeners.views.action_point_submitted", ANYONE),
    ("adapters.slack.listeners.views.skip_submitted", ANYONE),
    ("adapters.slack.listeners.actions.answer", ANYONE),
    ("adapters.slack.listeners.actions.add_action_point", ANYONE),
    ("adapters.slack.listeners.actions.resources", ANYONE),
    ("adapters.slack.listeners.actions.post_team_results", ANYONE),
    ("adapters.slack.listeners.actions.close", ANYONE),
    ("adapters.slack.listeners.events.home_opened", ANYONE),  # the summary in it only for an officer
    # action points: the core lets only the owner or the debrief's lead change one (OWNER_OR_LEAD below)
    ("adapters.slack.listeners.points.done_tapped", ANYONE),
    ("adapters.slack.listeners.points.drop_tapped", ANYONE),
    ("adapters.slack.listeners.points.hand_on_tapped", ANYONE),
    ("adapters.slack.listeners.points.close_submitted", ANYONE),
    ("adapters.slack.listeners.points.hand_on_submitted", ANYONE),
    ("adapters.slack.listeners.notes.notes_tapped", OFFICER),  # its notes button, shown to officers only
    # check-ins and support
    ("adapters.slack.listeners.followups.talk", ANYONE),
    ("adapters.slack.listeners.followups.talk_submitted", ANYONE),
    ("adapters.slack.listeners.followups.stop_followups", ANYONE),
    ("adapters.slack.listeners.followups.claim", SUPPORTER),
    ("adapters.slack.listeners.queue.take", SUPPORTER),
    ("adapters.slack.listeners.queue.done", SUPPORTER),
    # what no other listener claimed: acknowledged and logged
    ("adapters.slack.listeners.fallback.unknown_action", ANYONE),
    ("adapters.slack.listeners.fallback.unknown_view", ANYONE),
    ("adapters.slack.listeners.fallback.unknown_view", ANYONE),
    ("adapters.slack.listeners.fallback.unknown_shortcut", ANYONE),
])

TEAMS = sorted([
    ("command start", ANYONE),
    ("command skip", ANYONE),
    ("command help", ANYONE),
    ("command summary", OFFICER),
    ("command requests", SUPPORTER),
    ("command notes", OFFICER),
    ("command officers", OFFICER),
    ("command actions", ANYONE),  # lists only the person's own points and their debriefs'
    ("button followup.stop", ANYONE),
    ("button support.claim", SUPPORTER),
    ("button support.close", SUPPORTER),
    *((f"dialog fetch {verb}", ANYONE) for verb in (
        "debrief.setup", "debrief.answer", "debrief.action_point", "debrief.results", "debrief.close",
        "debrief.resources", "support.talk", "debrief.skip", "point.done", "point.drop", "point.hand_on",
    )),
    *((f"dialog submit {verb}", ANYONE) for verb in (
        "debrief.setup", "debrief.answer", "debrief.action_point", "debrief.results", "debrief.close",
        "support.talk", "debrief.skip", "point.done", "point.drop", "point.hand_on",
    )),
])


@pytest.fixture
def bolt(tmp_path):
    settings = Settings.load(
        slack_bot_token="xoxb-test", slack_signing_secret="test", debrief_secret="test",
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'access.db'}", debrief_digest="off",
    )
    return build_app(Core.build(settings, clock=FakeClock()))


def test_every_slack_listener_declares_one_role_and_it_is_the_one_written_here(bolt) -> None:
    declared = []
    for listener in bolt._async_listeners:
        function = listener.ack_function
        name = f"{function.__module__}.{function.__name__}"
        roles = [middleware.role for middleware in listener.middleware if isinstance(middleware, Requires)]
        assert len(roles) == 1, f"{name} declares {len(roles)} roles: register it with middleware=[Requires(role)]"
        declared.append((name, roles[0]))
    assert sorted(declared) == SLACK


def test_every_teams_handler_declares_a_role_and_it_is_the_one_written_here() -> None:
    tables = {"command": COMMANDS, "button": BUTTONS, "dialog fetch": FETCH, "dialog submit": SUBMIT}
    declared = []
    for kind, table in tables.items():
        for key, handler in table.items():
            role = role_of(handler)
            assert role is not None, f"{kind} {key}: put it in the table as requires(role)(handler)"
            declared.append((f"{kind} {getattr(key, 'value', key)}", role))
    assert sorted(declared) == TEAMS


async def test_the_core_check_ranks_the_roles(db) -> None:
    """An officer is a supporter too; a peer supporter is not an officer; anyone is anyone."""
    settings = Settings.load(
        debrief_secret="test", database_url=db.url, debrief_wellbeing_officers="UOFFICER",
        debrief_peer_supporters="UPEER", debrief_digest="off",
    )
    core = Core.build(settings, clock=FakeClock(), database=db)
    await core.officers.add(["UOFFICER"], "UOFFICER", "UADDED")
    allowed = [(who, role) for who in ("UOFFICER", "UADDED", "UPEER", "USTAFF") for role in Role
               if await core.support.allows(role, who)]
    assert allowed == [
        ("UOFFICER", ANYONE), ("UOFFICER", SUPPORTER), ("UOFFICER", OFFICER),
        ("UADDED", ANYONE), ("UADDED", SUPPORTER), ("UADDED", OFFICER),
        ("UPEER", ANYONE), ("UPEER", SUPPORTER),
        ("USTAFF", ANYONE),
    ]


async def test_only_an_action_points_owner_or_its_debriefs_lead_may_change_it(db) -> None:
    """The core's check behind every action-point button and form (`bot.actions.may_change`), on both platforms.

    An officer, a participant who does not own it and a stranger are all
    refused, for done, dropped and hand on alike; nothing changes.
    """
    from bot.errors import NotAllowed
    from bot.models import ActionStatus

    settings = Settings.load(debrief_secret="test", database_url=db.url, debrief_wellbeing_officers="UOFFICER",
                             debrief_digest="off")
    core = Core.build(settings, clock=FakeClock(), database=db)
    debrief = await core.debriefs.start(platform="slack", workspace="T1", team="C1", lead="ULEAD",
                                        script_id="stop5", participants=["UOWNER", "UOTHER"])
    point = await core.debriefs.add_action_point(debrief.id, text="Restock the airway trolley", owner="UOWNER",
                                                 due_on=None, actor="ULEAD")
    for who in ("UOTHER", "UOFFICER", "USTRANGER"):
        with pytest.raises(NotAllowed):
            await core.actions.for_change(point.id, who)
        with pytest.raises(NotAllowed):
            await core.actions.close(point.id, who, ActionStatus.DONE, None)
        with pytest.raises(NotAllowed):
            await core.actions.close(point.id, who, ActionStatus.DROPPED, "not needed")
        with pytest.raises(NotAllowed):
            await core.actions.hand_on(point.id, who, who)
    assert (await core.actions.get(point.id)).point.status == ActionStatus.OPEN
    assert (await core.actions.for_change(point.id, "UOWNER")).id == point.id
    assert (await core.actions.hand_on(point.id, "ULEAD", "UOTHER")).point.owner == "UOTHER"
    with pytest.raises(NotAllowed):  # handed on: the old owner is now just a participant
        await core.actions.close(point.id, "UOWNER", ActionStatus.DONE, None)
    assert (await core.actions.close(point.id, "UOTHER", ActionStatus.DONE, "Trolley checked daily")).newly
