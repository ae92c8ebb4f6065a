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
    ("adapters.slack.listeners.lessons.lessons_command", OFFICER),  # shared lessons waiting for review
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
    ("adapters.slack.listeners.notes.notes_tapped", OFFICER),  # its notes button, shown to officers only
    ("adapters.slack.listeners.lessons.lessons_tapped", OFFICER),  # its lessons button, shown to officers only
    ("adapters.slack.listeners.lessons.review_tapped", OFFICER),  # a lesson's Review, in the queue modal
    ("adapters.slack.listeners.lessons.review_submitted", OFFICER),  # approve, edit or decline
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
    ("command lessons", OFFICER),
    ("dialog fetch lesson.review", OFFICER),
    ("dialog submit lesson.review", OFFICER),
    ("command officers", OFFICER),
    ("button followup.stop", ANYONE),
    ("button support.claim", SUPPORTER),
    ("button support.close", SUPPORTER),
    *((f"dialog fetch {verb}", ANYONE) for verb in (
        "debrief.setup", "debrief.answer", "debrief.action_point", "debrief.results", "debrief.close",
        "debrief.resources", "support.talk", "debrief.skip",
    )),
    *((f"dialog submit {verb}", ANYONE) for verb in (
        "debrief.setup", "debrief.answer", "debrief.action_point", "debrief.results", "debrief.close",
        "support.talk", "debrief.skip",
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
