"""Action points to closure in the core: reminders through the outbox, closing once, the report and export.

Real database (SQLite, or PostgreSQL with TEST_DATABASE_URL), a fake clock,
an in-memory messenger. What is claimed here, and attacked:

* a reminder goes out once per DEBRIEF_ACTION_REMINDERS delay, in the
  owner's waking hours, and not at all once the point is closed, even when
  it was already claimed when the point closed;
* after downtime, a reminder whose next one is due is skipped (never two at once);
* a send that may have reached the platform is looked for before it is sent again;
* two closes at once close the point once and write one note;
* the officers' report counts opened, done, dropped, still open and overdue
  per team, hides small cells, and the export and both renderers show it.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from adapters.slack.render.summary import summary_blocks
from adapters.teams.cards.summary import summary_card
from adapters.teams.text import UNTITLED
from bot.actions import CLOSED, REMINDER
from bot.clock import FakeClock
from bot.core import Core
from bot.errors import IdentifierFound, InvalidAnswer
from bot.export import to_csv
from bot.followups import Dispatcher
from bot.models import ActionMessage, ActionStatus, FollowupStatus
from bot.overview import action_point_words
from bot.port import ActionDelivery, FollowupDelivery, SupportNotice, TransientSendError
from bot.settings import Settings
from bot.suppression import ALL as ALL_COLUMN

LEAD, ALEX, SAM = "ULEAD", "UALEX", "USAM"
DAY = timedelta(days=1)


class Messenger:
    """The platform in memory, for action-point messages."""

    platform = "slack"

    def __init__(self, timezones: dict[str, str] | None = None) -> None:
        self.reminders: list[ActionDelivery] = []
        self.notes: list[ActionDelivery] = []
        self.lookups: list[uuid.UUID] = []
        self.timezones = timezones or {}
        self.failures: list[BaseException] = []

    async def send_action_reminder(self, delivery: ActionDelivery) -> str:
        if self.failures:
            raise self.failures.pop(0)
        self.reminders.append(delivery)
        return f"r-{delivery.message_id}"

    async def post_action_note(self, delivery: ActionDelivery) -> str:
        self.notes.append(delivery)
        return f"n-{delivery.message_id}"

    async def find_action_message(self, delivery: ActionDelivery) -> str | None:
        self.lookups.append(delivery.message_id)
        sent = [d.message_id for d in self.reminders + self.notes]
        return f"found-{delivery.message_id}" if delivery.message_id in sent else None

    async def user_timezone(self, workspace: str, user: str) -> str | None:
        return self.timezones.get(user)

    async def send_followup(self, delivery: FollowupDelivery) -> str:  # not used here: check-ins are off
        raise AssertionError("no check-ins in these tests")

    async def find_delivered(self, delivery: FollowupDelivery) -> str | None:
        return None

    async def notify_support_request(self, notice: SupportNotice, recipient: str) -> bool:
        return True


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()  # Monday 5 January 2026, 14:00 UTC


def make_core(db, clock, **settings) -> Core:
    values = dict(database_url=db.url, debrief_secret="s", debrief_followups="off", debrief_digest="off",
                  debrief_min_group=3)
    values.update(settings)
    return Core.build(Settings.load(**values), clock=clock, database=db)


def dispatcher(core: Core, messenger: Messenger, **options) -> Dispatcher:
    return Dispatcher(core, {messenger.platform: messenger}, rng=random.Random(4), **options)  # type: ignore[dict-item]


async def debrief_with_point(core: Core, team: str = "C1", owner: str = ALEX, due_on: date | None = None):
    debrief = await core.debriefs.start(platform="slack", workspace="T1", team=team, lead=LEAD, script_id="stop5",
                                        participants=[ALEX, SAM])
    point = await core.debriefs.add_action_point(debrief.id, text="Restock the airway trolley", owner=owner,
                                                 due_on=due_on, actor=LEAD)
    return debrief, point


async def messages(core: Core) -> dict[tuple[str, str], ActionMessage]:
    async with core.database.session() as session:
        rows = (await session.execute(select(ActionMessage))).scalars().all()
    return {(row.kind, row.stage): row for row in rows}


async def test_reminders_go_out_once_each_and_stop_when_the_point_closes(db, clock) -> None:
    core = make_core(db, clock)
    messenger = Messenger()
    send = dispatcher(core, messenger)
    _, point = await debrief_with_point(core)
    assert {key: row.status for key, row in (await messages(core)).items()} == {
        (REMINDER, "7d"): FollowupStatus.PENDING, (REMINDER, "14d"): FollowupStatus.PENDING}
    assert await send.run_once() == 0  # nothing is due yet
    clock.advance(7 * DAY)
    assert await send.run_once() == 1
    assert await send.run_once() == 0  # once
    [reminder] = messenger.reminders
    assert (reminder.point.owner, reminder.stage, reminder.kind) == (ALEX, "7d", REMINDER)
    closing = await core.actions.close(point.id, ALEX, ActionStatus.DONE, "  Trolley   checked daily ")
    assert closing.newly and closing.point.outcome == "Trolley checked daily"
    state = await messages(core)
    assert state[(REMINDER, "14d")].status == FollowupStatus.STOPPED and state[(CLOSED, "")].due_at == clock.now()
    assert await send.run_once() == 1  # the note, at once
    [note] = messenger.notes
    assert note.point.status == ActionStatus.DONE and note.point.outcome == "Trolley checked daily"
    clock.advance(14 * DAY)
    assert await send.run_once() == 0
    assert len(messenger.reminders) == 1 and len(messenger.notes) == 1


async def test_a_reminder_claimed_as_its_point_closes_is_not_sent(db, clock) -> None:
    core = make_core(db, clock)
    messenger = Messenger()
    _, point = await debrief_with_point(core)
    clock.advance(7 * DAY)
    send = dispatcher(core, messenger)
    [claim] = await send.action_outbox.claim(10, ["slack"])  # claimed, then the owner closes it
    await core.actions.close(point.id, LEAD, ActionStatus.DROPPED, "Done another way")
    [job] = await send.action_outbox.load([claim])
    from bot.followups.dispatcher import _ActionJob

    await send._run_job(_ActionJob(*job))
    assert messenger.reminders == []
    assert (await messages(core))[(REMINDER, "7d")].status == FollowupStatus.STOPPED


async def test_a_reminder_due_at_night_waits_for_the_owners_morning(db, clock) -> None:
    core = make_core(db, clock, debrief_timezone="Asia/Tokyo")
    messenger = Messenger(timezones={ALEX: "America/Los_Angeles"})
    send = dispatcher(core, messenger)
    await debrief_with_point(core)
    clock.advance(7 * DAY)  # 14:00 UTC: 06:00 in Los Angeles
    assert await send.run_once() == 1
    assert messenger.reminders == []
    assert (await messages(core))[(REMINDER, "7d")].due_at == clock.now() + timedelta(hours=2)
    clock.advance(timedelta(hours=2))
    assert await send.run_once() == 1 and len(messenger.reminders) == 1


async def test_after_downtime_only_the_latest_reminder_goes(db, clock) -> None:
    core = make_core(db, clock)
    messenger = Messenger()
    await debrief_with_point(core)
    clock.advance(15 * DAY)  # both are due: the first is skipped, so nobody gets two at once
    assert await dispatcher(core, messenger).run_once() == 2
    assert [d.stage for d in messenger.reminders] == ["14d"]
    assert (await messages(core))[(REMINDER, "7d")].status == FollowupStatus.SKIPPED


async def test_a_send_that_may_have_arrived_is_looked_for_before_sending_again(db, clock) -> None:
    core = make_core(db, clock)
    messenger = Messenger()
    await debrief_with_point(core)
    clock.advance(7 * DAY)
    first = dispatcher(core, messenger, worker_id="first")
    [claim] = await first.action_outbox.claim(10, ["slack"])  # this process "sends" and dies before marking it
    [(_, message, point, debrief)] = await first.action_outbox.load([claim])
    messenger.reminders.append(ActionDelivery(message.id, message.kind, message.stage, "slack", "T1", point, debrief))
    clock.advance(timedelta(seconds=20))  # its lease expires
    assert await dispatcher(core, messenger, worker_id="second").run_once() == 1
    assert messenger.lookups == [message.id] and len(messenger.reminders) == 1
    assert (await messages(core))[(REMINDER, "7d")].message_ref == f"found-{message.id}"


async def test_a_transient_failure_is_retried_and_sent_once(db, clock) -> None:
    core = make_core(db, clock)
    messenger = Messenger()
    messenger.failures.append(TransientSendError("Slack answered HTTP 503"))
    send = dispatcher(core, messenger)
    await debrief_with_point(core)
    clock.advance(7 * DAY)
    assert await send.run_once() == 1 and messenger.reminders == []
    clock.advance(timedelta(hours=1))
    assert await send.run_once() == 1 and len(messenger.reminders) == 1


async def test_two_closes_at_once_close_it_once_with_one_note(db, clock) -> None:
    core = make_core(db, clock)
    _, point = await debrief_with_point(core)
    results = await asyncio.gather(
        core.actions.close(point.id, ALEX, ActionStatus.DONE, "Checked daily"),
        core.actions.close(point.id, LEAD, ActionStatus.DROPPED, "Not needed"),
        core.actions.close(point.id, ALEX, ActionStatus.DONE, "Checked daily"),
    )
    assert sorted(result.newly for result in results) == [False, False, True]
    notes = [row for (kind, _), row in (await messages(core)).items() if kind == CLOSED]
    assert len(notes) == 1
    winner = next(result for result in results if result.newly)
    assert all(result.point.status == winner.point.status for result in results)


async def test_the_closing_line_is_checked_before_anything_is_stored(db, clock) -> None:
    core = make_core(db, clock)
    _, point = await debrief_with_point(core)
    with pytest.raises(IdentifierFound):
        await core.actions.close(point.id, ALEX, ActionStatus.DONE, "Fixed for the patient born 03/04/1961")
    with pytest.raises(InvalidAnswer):
        await core.actions.close(point.id, ALEX, ActionStatus.DROPPED, "   ")
    with pytest.raises(InvalidAnswer):
        await core.actions.close(point.id, ALEX, ActionStatus.DONE, "x" * 201)
    with pytest.raises(InvalidAnswer):
        await core.actions.close(point.id, ALEX, "open", None)
    assert (await core.actions.get(point.id)).point.status == ActionStatus.OPEN
    assert [kind for kind, _ in await messages(core)] == [REMINDER, REMINDER]


async def _points(core: Core, clock: FakeClock, team: str, done: int, dropped: int, open_: int, late: int) -> None:
    """A debrief of `team` with points in each state; `late` of them will be overdue 15 days on (past their date)."""
    debrief = await core.debriefs.start(platform="slack", workspace="T1", team=team, lead=LEAD, script_id="stop5",
                                        participants=[ALEX, SAM])
    today = clock.now().date()
    for n in range(done + dropped + open_ + late):
        due = today + timedelta(days=3) if n >= done + dropped + open_ else today + timedelta(days=30)
        if n == done + dropped + open_ + late - 1 and late:
            due = None  # no date: overdue once its owner's last reminder (14d) has passed
        point = await core.debriefs.add_action_point(debrief.id, text=f"Change {n}", owner=ALEX, actor=LEAD,
                                                     due_on=due)
        if n < done:
            await core.actions.close(point.id, ALEX, ActionStatus.DONE, None)
        elif n < done + dropped:
            await core.actions.close(point.id, LEAD, ActionStatus.DROPPED, "Not needed")


async def test_the_report_counts_closure_per_team_and_the_export_and_both_renderers_show_it(db, clock) -> None:
    core = make_core(db, clock, debrief_action_reminders="7d,14d")
    await _points(core, clock, "CWARD7", done=3, dropped=4, open_=3, late=3)
    await _points(core, clock, "CTHEATRE", done=5, dropped=0, open_=3, late=0)
    clock.advance(15 * DAY)
    report = await core.wellbeing.report(clock.now(), workspace="T1")
    figure = report.figures["action points"]
    columns = (ALL_COLUMN, "done", "dropped", "open", "overdue")
    assert [figure.get("30d", "CWARD7", column) for column in columns] == [13, 3, 4, 3, 3]
    assert [figure.get("30d", "CTHEATRE", column) for column in columns] == [8, 5, 0, 3, 0]
    words = action_point_words(report, 30, "CWARD7")
    assert words == "13 opened, 3 done, 4 dropped, 3 still open, 3 overdue"
    assert action_point_words(report, 30) == "21 opened, 8 done, 4 dropped, 6 still open, 3 overdue"

    # The export has the same cells for each team.
    rows = [line.split(",") for line in to_csv(report, 30).splitlines() if ",action points,30d," in line]
    assert {row[4]: row[5] for row in rows if row[3] == "CWARD7"} == {
        "all": "13", "open": "3", "overdue": "3", "done": "3", "dropped": "4"}
    assert {row[4]: row[5] for row in rows if row[3] == "CTHEATRE"}["done"] == "5"

    # Both renderers show closure per team, in the same words.
    slack = str([block.to_dict() for block in summary_blocks(report, 30)])
    assert "Action points by team" in slack and f"<#CWARD7>: {words}" in slack
    teams = str(summary_card(report, 30, titles={"CWARD7": "Ward 7 \u203a Nights"}))
    assert "Action points by team" in teams and f"Ward 7 \u203a Nights: {words}" in teams
    assert "CWARD7" not in teams and "CTHEATRE" not in teams and UNTITLED in teams  # a title, never an id


async def test_a_small_closure_count_is_hidden_in_the_report_and_marked_in_the_export(db, clock) -> None:
    core = make_core(db, clock, debrief_action_reminders="7d,14d")
    await _points(core, clock, "CWARD7", done=3, dropped=4, open_=3, late=3)
    await _points(core, clock, "CTHEATRE", done=5, dropped=1, open_=3, late=0)  # one dropped point: a person's
    clock.advance(15 * DAY)
    report = await core.wellbeing.report(clock.now(), workspace="T1")
    figure = report.figures["action points"]
    assert figure.get("30d", "CTHEATRE", "dropped") is None
    # ...and it cannot be worked out from the totals either: some cell in its row and in its column is hidden too
    assert None in [figure.get("30d", "CTHEATRE", column) for column in (ALL_COLUMN, "done", "open", "overdue")]
    assert None in [figure.get("30d", team, "dropped") for team in ("CWARD7", ALL_COLUMN)]
    rows = [line.split(",") for line in to_csv(report, 30).splitlines() if ",action points,30d,CTHEATRE,dropped," in line]
    assert rows and rows[0][5:] == ["", "yes"]
    assert "–" in action_point_words(report, 30, "CTHEATRE")


async def test_a_point_handed_on_is_reminded_to_its_new_owner(db, clock) -> None:
    core = make_core(db, clock)
    messenger = Messenger()
    send = dispatcher(core, messenger)
    _, point = await debrief_with_point(core)
    clock.advance(7 * DAY)
    assert await send.run_once() == 1
    await core.actions.hand_on(point.id, ALEX, SAM)
    clock.advance(7 * DAY)
    assert await send.run_once() == 1
    assert [(d.stage, d.point.owner) for d in messenger.reminders] == [("7d", ALEX), ("14d", SAM)]
