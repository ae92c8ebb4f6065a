"""Support requests (the one identified path) and the resources a person is shown."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from bot.clock import FakeClock
from bot.core import Core
from bot.errors import AlreadyClaimed, IdentifierFound, NotAllowed
from bot.models import AuditEvent, SupportRequest, SupportStatus, WellbeingOfficer
from bot.port import PermanentSendError, SupportNotice, TransientSendError
from bot.scripts import Library
from bot.settings import Settings
from bot.support import profession_label, resources_for_person

LEAD, ALEX = "ULEAD", "UALEX"
OFFICER, PEER = "UWELL", "UPEER"


class Notifier:
    platform = "slack"

    def __init__(self) -> None:
        self.told: list[tuple[str, SupportNotice]] = []
        self.failures: dict[str, list[Exception]] = {}

    async def notify_support_request(self, notice: SupportNotice, recipient: str) -> bool:
        if self.failures.get(recipient):
            raise self.failures[recipient].pop(0)
        if "@" in recipient:
            return False  # not someone this platform can find
        self.told.append((recipient, notice))
        return True


@pytest.fixture
def notifier() -> Notifier:
    return Notifier()


@pytest.fixture
def core(db, notifier) -> Core:
    settings = Settings.load(
        database_url=db.url,
        debrief_secret="s",
        debrief_wellbeing_officers=f"{OFFICER},wellbeing@example.org",
        debrief_peer_supporters=f"{PEER},{OFFICER}",
    )
    core = Core.build(settings, clock=FakeClock(), database=db)
    core.support.messengers["slack"] = notifier
    return core


async def debrief(core: Core):
    return await core.debriefs.start(
        platform="slack", workspace="T1", team="C1", lead=LEAD, script_id="stop5", participants=[ALEX], label="Resus 2"
    )


async def audit(core: Core) -> list[tuple[str, str]]:
    async with core.database.session() as session:
        rows = await session.execute(select(AuditEvent.actor, AuditEvent.action).order_by(AuditEvent.at))
        return [tuple(row) for row in rows if row[1].startswith("support.")]


async def test_a_request_is_stored_audited_and_reaches_officers_and_peer_supporters(core, notifier):
    started = await debrief(core)
    done = await core.support.request(
        platform="slack", workspace="T1", user=ALEX, debrief_id=started.id, preferred_time=" after 3pm "
    )
    assert done.reached_someone and done.notified == 2
    assert [(who, notice.recipient_role) for who, notice in notifier.told] == [
        (OFFICER, "wellbeing officer"),
        (PEER, "peer supporter"),
    ]  # the officer who is also a peer supporter is told once
    notice = notifier.told[0][1]
    assert notice.user == ALEX and notice.preferred_time == "after 3pm" and notice.debrief_label == "Resus 2"
    assert notice.request_id == done.request.id and notice.workspace == "T1"
    assert await audit(core) == [(ALEX, "support.requested")]
    (stored,) = await core.support.open_requests(OFFICER)
    assert stored.user == ALEX and stored.status == SupportStatus.OPEN and stored.debrief_id == started.id


async def test_a_request_survives_a_platform_that_cannot_deliver(core, notifier, caplog):
    notifier.failures = {OFFICER: [TransientSendError("HTTP 503")] * 3, PEER: [PermanentSendError("user_disabled")]}
    with caplog.at_level(logging.WARNING, logger="debrief.support"):
        done = await core.support.request(platform="slack", workspace="T1", user=ALEX)
    assert not done.reached_someone
    assert "reached nobody" in caplog.text and ALEX not in caplog.text
    assert [r.id for r in await core.support.open_requests(PEER)] == [done.request.id]


async def test_a_transient_failure_is_retried(core, notifier):
    notifier.failures = {OFFICER: [TransientSendError("HTTP 503", retry_after=0.01)]}
    done = await core.support.request(platform="slack", workspace="T1", user=ALEX)
    assert done.notified == 2


async def test_only_the_debriefs_people_may_ask_from_it_and_without_patient_details(core):
    started = await debrief(core)
    with pytest.raises(NotAllowed):
        await core.support.request(platform="slack", workspace="T1", user="USTRANGER", debrief_id=started.id)
    with pytest.raises(IdentifierFound):
        await core.support.request(platform="slack", workspace="T1", user=ALEX, preferred_time="NHS 943 476 5919")
    async with core.database.session() as session:
        assert (await session.execute(select(SupportRequest))).first() is None


async def test_claim_and_close_by_the_wellbeing_team_only(core):
    done = await core.support.request(platform="slack", workspace="T1", user=ALEX)
    request_id = done.request.id
    with pytest.raises(NotAllowed):
        await core.support.open_requests(ALEX)
    with pytest.raises(NotAllowed):
        await core.support.claim(request_id, LEAD)
    claimed = await core.support.claim(request_id, "U0TEAMSID", "Wellbeing@Example.org")  # listed by e-mail
    assert claimed.status == SupportStatus.CLAIMED and claimed.claimed_by == "U0TEAMSID"
    assert (await core.support.claim(request_id, "U0TEAMSID", "wellbeing@example.org")).status == SupportStatus.CLAIMED
    with pytest.raises(AlreadyClaimed):
        await core.support.claim(request_id, PEER)
    closed = await core.support.close(request_id, PEER)
    assert closed.newly_closed and closed.request.status == SupportStatus.CLOSED and closed.request.closed_at is not None
    again = await core.support.close(request_id, PEER)
    assert not again.newly_closed and again.request.status == SupportStatus.CLOSED
    assert await core.support.open_requests(OFFICER) == []
    assert await audit(core) == [
        (ALEX, "support.requested"), ("U0TEAMSID", "support.claimed"), (PEER, "support.closed"),
        (OFFICER, "support.listed"),
    ]


async def test_without_a_messenger_the_request_waits_in_the_list(db):
    settings = Settings.load(database_url=db.url, debrief_secret="s", debrief_wellbeing_officers=OFFICER)
    core = Core.build(settings, clock=FakeClock(), database=db)
    done = await core.support.request(platform="teams", workspace="T1", user=ALEX)
    assert done.notified == 0 and await core.support.available()
    assert len(await core.support.open_requests(OFFICER)) == 1


def test_everyone_sees_every_resource_with_profession_ones_labelled():
    us = Library.load().resources_for("us")
    shown = resources_for_person(us)
    assert len(shown) == len(us.resources)
    assert [s.resource.name for s in shown][-1] == "Physician Support Line"
    assert all(s.audience is None for s in shown[:-1])
    assert shown[-1].audience == "For doctors and medical students only"
    crisis = resources_for_person(us, crisis_only=True)
    assert [s.resource.name for s in crisis] == ["988 Suicide & Crisis Lifeline", "Crisis Text Line"]


def test_profession_labels():
    assert profession_label(["nurse"]) == "For nurses only"
    assert profession_label(["doctor", "nurse", "midwife"]) == "For doctors, nurses and midwives only"
    assert profession_label(["radiographer"]) == "For radiographers only"
    assert profession_label([]) == ""


async def test_officers_added_earlier_still_take_requests_when_the_configured_list_is_emptied(db):
    first = Core.build(
        Settings.load(database_url=db.url, debrief_secret="s", debrief_wellbeing_officers=OFFICER),
        clock=FakeClock(), database=db,
    )
    assert await first.officers.add([OFFICER], OFFICER, "UNEWOFFICER")
    later = Core.build(Settings.load(database_url=db.url, debrief_secret="s"), clock=FakeClock(), database=db)
    assert await later.support.available()  # the "talk to someone" button stays
    done = await later.support.request(platform="teams", workspace="T1", user=ALEX)
    assert [r.id for r in await later.support.open_requests("UNEWOFFICER")] == [done.request.id]

    async with db.session() as session:
        for officer in (await session.execute(select(WellbeingOfficer))).scalars():
            await session.delete(officer)
    assert not await later.support.available()  # nobody would receive one: no button
