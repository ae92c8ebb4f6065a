"""The dispatcher: claims due follow-ups with a lease, sends them, marks them sent.

Every `serve` process runs one. They share nothing but the database and
the platform, and between them every follow-up is delivered once.

The officers' weekly digest (`bot.followups.digest`) goes through the same
machinery from its own outbox table (`digests`): each loop enqueues the
week's rows once the slot has come (idempotently), and a digest row is
claimed, leased, fenced, retried, rate limited and failed exactly as a
follow-up is (steps 1, 2, 5 and 6 below). It has no quiet hours (its time
is the organisation's choice); its `find_delivered` is the messenger's
`find_digest` (Slack reads the officer's DM back; Teams cannot, so there a
digest whose send timed out may, rarely, arrive twice). One is never lost.

Action points' messages (`bot.actions`, table `action_messages`) go the
same way: an owner's reminder is stopped if its point closed meanwhile,
skipped if the next reminder is already due, and waits out the owner's
quiet hours; the "you said, we did" note has no quiet hours (a post in the
team's conversation). `find_action_message` is asked before a second attempt.
The monthly learning digest (`bot.lessons`, DEBRIEF_LEARNING_DIGEST) goes
the same way from `learning_digests`: enqueued idempotently once the 1st of
the month at 09:00 (DEBRIEF_TIMEZONE) has come, for each destination, then
claimed and sent by one dispatcher; a month with no approved lesson is
skipped. Its `find_delivered` is the messenger's `find_learning_digest`
(Slack reads the channel back; Teams cannot). It is a channel post, not a
person's message, so it has no quiet hours.

How one follow-up moves
-----------------------
1. **Claim** (one transaction). PostgreSQL: `SELECT id ... FOR UPDATE SKIP
   LOCKED` over due rows (pending and due, or `sending` with an expired
   lease), then `UPDATE ... SET status='sending', lease_until=now+lease,
   leased_by=me, attempts=attempts+1` on exactly those rows, in the same
   transaction: two processes never claim the same row, and neither waits
   for the other. SQLite (one writer at a time): a single conditional
   `UPDATE ... WHERE id IN (SELECT ... due ...) RETURNING` does the same.
   `(leased_by, attempts)` is this claim's fencing token: every later write
   of this process to the row is conditional on it, so a process that lost
   its lease can never overwrite the row of the process that took it over.
2. **Keep the lease** while working: a heartbeat extends the lease of every
   row held, every third of the lease. A process that cannot renew (it
   died, it lost the database) stops starting sends once its lease is
   within a third of expiring (`_holds`).
3. **Ask before re-sending**: a row claimed with `attempts > 1` was claimed
   before, and that claim may have delivered it and died before marking it
   (SIGKILL between "sent" and "marked sent"), or timed out waiting for
   the platform's answer. The messenger's `find_delivered` asks the
   platform for a message carrying this follow-up's id (Slack: message
   metadata in the DM's history); if it is there, the row is marked sent
   and nothing is sent again. If the platform cannot answer, the row waits
   (backoff) rather than risk a second message.
4. **Decide** (`schedule.decide`): stopped, skipped (too late), waits for
   the end of quiet hours, or goes out (in its late version if overdue).
5. **Send** through the messenger of the debrief's platform, at most
   `concurrency` at once per process. `RateLimited` (HTTP 429) pauses every
   send to that platform for Retry-After and retries the same row in the
   same claim; it costs no attempt. `TransientSendError`: back to pending,
   due again after exponential backoff with jitter (at least Retry-After);
   after `max_attempts`, failed. `PermanentSendError`: failed at once.
6. **Mark sent**, conditional on the fencing token.

Why this loses nothing
----------------------
A row leaves `pending`/`sending` only by a deliberate write: sent (the
platform returned a reference, or `find_delivered` found it), stopped,
skipped (too late), or failed (a permanent error, or `max_attempts`
transient ones: recorded with `last_error`, never silent). A process that
dies leaves its rows `sending` with a lease that expires within `lease`
(15 s), after which any process's claim query picks them up again. A
database outage during marking has the same effect. Rows stay in the
database, so a restart loses nothing either.

Why this sends nothing twice
----------------------------
Only the holder of a live lease sends. A second send of the same row could
only come from a later claim, which happens only after the first claim's
lease has expired, and that later claim asks `find_delivered` first. So a
duplicate needs the first claim's request to be stored by the platform
*after* the second claim's `find_delivered` looked. The first process
starts a send only while at least a third of its lease is left (`_holds`:
5 s of 15) and the heartbeat keeps the lease alive while the request runs;
the second claims only once the lease has expired. The residual window is
therefore: the first process stops renewing (a stall such as a frozen VM
or a long pause, or it is cut off from the database but not from the
platform) while a request it started reaches the platform more than that
third of a lease later; or a platform whose history lags behind its own
writes at the moment of the check. A SIGKILL is not in the window: the
killed process sends nothing after it dies, and whatever it had sent is in
the platform's history long before its lease expires. `send_timeout` (at
most two thirds of the lease) bounds how long this process waits for one
answer. Leases are compared with each process's own clock, so process
clocks must agree to within a few seconds (NTP).

What `due_at` means here: at first, the debrief's start plus the stage's
delay; quiet hours and backoff move it later (they depend on the platform
and the person's time zone, never on anything the person answered). The
stage's own due time is always `debrief.started_at + stage`, and that is
what lateness is measured from.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import col

from bot import cold
from bot.actions import CLOSED as ACTION_CLOSED
from bot.core import Core
from bot.failures import cause as _cause
from bot.followups import schedule
from bot.followups.content import stage_content
from bot.followups.digest import Digests, latest_slot, week_of, weekly_digest
from bot.followups.outbox import (
    ActionOutbox,
    Claim,
    DigestOutbox,
    EscalationOutbox,
    FollowupOutbox,
    LearningDigestOutbox,
    Outbox,
    claim_in_turn,
    default_worker_id,
)
from bot.lessons import LearningPoster, latest_month_slot
from bot.metrics import FOLLOWUPS_SENT
from bot.models import (
    ActionMessage,
    ActionPoint,
    ActionStatus,
    Debrief,
    Digest,
    Followup,
    FollowupStatus,
    LearningDigest,
    Participant,
    SupportEscalation,
)
from bot.port import ActionDelivery, FollowupDelivery, Messenger, PermanentSendError, RateLimited, TransientSendError
from bot.scripts import Stage
from bot.settings import parse_duration
from bot.support import resources_for_person
from bot.wellbeing import Report

log = logging.getLogger("debrief.followups")

ERROR_LENGTH = 500


@dataclass
class _Gate:
    """A pause shared by every send to one platform after it said 429."""

    open_at: float = 0.0

    async def wait(self) -> None:
        loop = asyncio.get_running_loop()
        while (delay := self.open_at - loop.time()) > 0:
            await asyncio.sleep(delay)

    def close_for(self, seconds: float) -> None:
        loop = asyncio.get_running_loop()
        self.open_at = max(self.open_at, loop.time() + max(seconds, 0.0))


@dataclass
class _Claimed:
    """What every claimed outbox row carries: its claim (lease and fence), and since when its platform has said 429."""

    claim: Claim
    rate_limited_since: float | None = field(default=None, kw_only=True)


@dataclass
class _Job(_Claimed):
    """A claimed follow-up."""

    followup: Followup
    participant: Participant
    debrief: Debrief

    @property
    def platform(self) -> str:
        return self.debrief.platform

    @property
    def name(self) -> str:
        """How logs name it: never the person."""
        return f"follow-up {self.claim.id} ({self.platform}, stage {self.followup.stage})"


@dataclass
class _DigestJob(_Claimed):
    """A claimed weekly digest."""

    digest: Digest

    @property
    def platform(self) -> str:
        return self.digest.platform

    @property
    def name(self) -> str:
        return f"digest {self.claim.id} ({self.platform})"


@dataclass
class _EscalationJob(_Claimed):
    """A claimed request to talk whose response time has passed."""

    escalation: SupportEscalation

    @property
    def platform(self) -> str:
        return self.escalation.platform

    @property
    def name(self) -> str:
        return f"support escalation {self.claim.id} ({self.platform})"


@dataclass
class _ActionJob(_Claimed):
    """A claimed action-point message: an owner's reminder, or a "you said, we did" note."""

    message: ActionMessage
    point: ActionPoint
    debrief: Debrief

    @property
    def platform(self) -> str:
        return self.message.platform

    @property
    def name(self) -> str:
        return f"action-point {self.message.kind} {self.claim.id} ({self.platform})"


@dataclass
class _ColdJob(_Claimed):
    """A claimed cold-debrief reminder (`participant` set) or script post (`bot.cold`)."""

    message: Any
    participant: Participant | None
    debrief: Debrief

    @property
    def platform(self) -> str:
        return self.debrief.platform

    @property
    def name(self) -> str:
        return f"cold debrief {self.message.stage} {self.claim.id} ({self.platform})"


@dataclass
class _LearningJob(_Claimed):
    """A claimed monthly learning digest (`bot.lessons`)."""

    digest: LearningDigest

    @property
    def platform(self) -> str:
        return self.digest.platform

    @property
    def name(self) -> str:
        return f"learning digest {self.claim.id} ({self.platform})"


_AnyJob = _Job | _DigestJob | _EscalationJob | _ActionJob | _ColdJob | _LearningJob

NOT_HERE = "skipped: not someone on this platform"


class Dispatcher:
    """Delivers due follow-ups through the messenger of each debrief's platform.

    `run_forever()` is what `serve` runs; `run_once()` claims one batch,
    finishes it and returns how many rows it dealt with (for tests and tools).
    Rows of a platform with no messenger here are left for a process that has one.
    """

    def __init__(
        self,
        core: Core,
        messengers: Mapping[str, Messenger],
        worker_id: str | None = None,
        *,
        lease: timedelta = timedelta(seconds=15),
        batch: int = 50,
        concurrency: int = 16,
        max_attempts: int = 10,
        backoff: timedelta = timedelta(seconds=30),
        max_backoff: timedelta = timedelta(hours=1),
        poll_interval: float = 1.0,
        send_timeout: float = 30.0,
        rate_limit_patience: float = 120.0,
        rng: random.Random | None = None,
    ) -> None:
        self.core = core
        self.database = core.database
        self.clock = core.clock
        self.settings = core.settings
        self.messengers = dict(messengers)
        self.worker_id = (worker_id or default_worker_id())[:64]
        self.lease = lease
        self.outbox = FollowupOutbox(core.database, core.clock, self.worker_id, lease)
        self.digest_outbox = DigestOutbox(core.database, core.clock, self.worker_id, lease)
        self.escalation_outbox = EscalationOutbox(core.database, core.clock, self.worker_id, lease)
        self.action_outbox = ActionOutbox(core.database, core.clock, self.worker_id, lease)
        self.cold_outbox = cold.ColdOutbox(core.database, core.clock, self.worker_id, lease)
        self.digests = Digests(core.database, core.officers)
        self.learning_outbox = LearningDigestOutbox(core.database, core.clock, self.worker_id, lease)
        self._learning_enqueued: datetime | None = None
        self.batch = max(1, batch)
        self.concurrency = max(1, concurrency)
        self.max_attempts = max(1, max_attempts)
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.poll_interval = poll_interval
        self.send_timeout = min(send_timeout, lease.total_seconds() * 2 / 3)
        self.rate_limit_patience = rate_limit_patience
        self.rng = rng or random.Random()
        self._held: dict[uuid.UUID, Claim] = {}
        self._gates: dict[str, _Gate] = {platform: _Gate() for platform in self.messengers}
        self._timezones: dict[tuple[str, str, str], str | None] = {}
        self._resources = resources_for_person(core.resources)
        self._resources_title = core.resources.title
        self._emergency = core.resources.emergency_number
        self._quiet = self.settings.quiet_hours
        self._digest_at = self.settings.digest
        self._digest_zone = schedule.zone(self.settings.debrief_timezone)
        self._digest_enqueued: datetime | None = None
        self._reports: dict[tuple[str, datetime], asyncio.Future[Report]] = {}
        self._next_release = 0.0

    # -- running -------------------------------------------------------------

    async def run_once(self) -> int:
        """Claim up to one batch of due rows, deal with all of them, return how many."""
        await self._enqueue_digests()
        await self._enqueue_learning()
        jobs = await self._claim_jobs(min(self.batch, self.concurrency))
        if not jobs:
            return 0
        heartbeat = asyncio.create_task(self._heartbeat_forever())
        try:
            await asyncio.gather(*(self._run_job(job) for job in jobs))
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat
        return len(jobs)

    async def run_forever(self) -> None:
        """Keep up to `concurrency` follow-ups in flight until cancelled."""
        if not self.messengers:
            log.info("follow-up dispatcher: no platform can send follow-ups; not running")
            return
        log.info("follow-up dispatcher %s running for %s", self.worker_id, ", ".join(sorted(self.messengers)))
        heartbeat = asyncio.create_task(self._heartbeat_forever())
        running: set[asyncio.Task[None]] = set()
        failing = False
        try:
            while True:
                free = self.concurrency - len(running)
                claimed = 0
                if free >= max(1, min(self.batch, self.concurrency) // 2) or not running:
                    try:
                        await self._release_answers()
                        await self._enqueue_digests()
                        await self._enqueue_learning()
                        jobs = await self._claim_jobs(min(free, self.batch))
                        failing = False
                    except Exception as exc:  # noqa: BLE001 - a database outage: keep trying
                        if not failing:
                            log.warning("follow-up dispatcher cannot claim rows: %s", _cause(exc))
                        failing = True
                        jobs = []
                    claimed = len(jobs)
                    for job in jobs:
                        running.add(asyncio.create_task(self._run_job(job)))
                if running and (claimed == 0 or len(running) >= self.concurrency):
                    done, running = await asyncio.wait(
                        running, timeout=self.poll_interval, return_when=asyncio.FIRST_COMPLETED
                    )
                    running = set(running)
                elif not running:
                    await asyncio.sleep(self.poll_interval)
        finally:
            heartbeat.cancel()
            for task in running:
                task.cancel()
            await asyncio.gather(heartbeat, *running, return_exceptions=True)
            await asyncio.shield(self._release_unsent())

    async def _release_answers(self) -> None:
        """At most once a poll interval: the batches of anonymous answers now due (`Debriefs.release_due`).

        Here because this loop runs in every process and already keeps time:
        a stage whose window ends while nobody answers still has its waiting
        answers released. Each form moves once however many processes run
        this (its rows are locked and deleted by the release that moves them).
        """
        now = asyncio.get_running_loop().time()
        if now < self._next_release:
            return
        self._next_release = now + self.poll_interval
        moved = await self.core.debriefs.release_due()
        if moved:
            log.info("released %d anonymous answer forms in shuffled batches", moved)

    # -- claiming and leases (the database side is bot.followups.outbox) ----------

    async def _claim_jobs(self, limit: int) -> list[_AnyJob]:
        """Requests to talk waiting too long first, then follow-ups, then the rest, within `limit`; one transaction."""
        kinds: list[tuple[Outbox, Callable[..., _AnyJob]]] = [
            (self.escalation_outbox, _EscalationJob),
            (self.outbox, _Job),
            (self.action_outbox, _ActionJob),
            (self.cold_outbox, _ColdJob),
            (self.digest_outbox, _DigestJob),
            (self.learning_outbox, _LearningJob),
        ]
        claimed = await claim_in_turn(self.database, [outbox for outbox, _ in kinds], limit, list(self.messengers))
        jobs: list[_AnyJob] = []
        for (outbox, job), claims in zip(kinds, claimed, strict=True):
            if claims:
                jobs += [job(*row) for row in await self._hold(claims, outbox.load)]
        return jobs

    async def _hold(self, claims: list[Claim], load: Callable[[list[Claim]], Awaitable[list[Any]]]) -> list[Any]:
        """Load claimed rows; their claims are held (renewed) until their job ends."""
        for held in claims:
            self._held[held.id] = held
        try:
            loaded = await load(claims)
        except BaseException:
            for held in claims:  # their leases expire and someone claims them again
                self._held.pop(held.id, None)
            raise
        for missing in {held.id for held in claims} - {row[0].id for row in loaded}:
            self._held.pop(missing, None)  # deleted with its debrief meanwhile
        return loaded

    async def _enqueue_digests(self) -> None:
        """Once the week's digest slot has come, enqueue its rows (idempotent across replicas)."""
        if self._digest_at is None or not self.messengers:
            return
        slot = latest_slot(self.clock.now(), *self._digest_at, self._digest_zone)
        if slot == self._digest_enqueued:
            return
        try:
            await self.digests.enqueue(slot, week_of(slot, self._digest_zone), list(self.messengers))
        except Exception as exc:  # noqa: BLE001 - a database outage: the next loop tries again
            log.warning("cannot enqueue the weekly digests: %s", _cause(exc))
            return
        self._digest_enqueued = slot

    def _learning_platforms(self) -> list[str]:
        return [platform for platform, messenger in self.messengers.items() if isinstance(messenger, LearningPoster)]

    async def _enqueue_learning(self) -> None:
        """Once the month's slot (the 1st, 09:00 in DEBRIEF_TIMEZONE) has come, enqueue the learning digests."""
        if not self.settings.learning_digest or not self._learning_platforms():
            return
        slot, month = latest_month_slot(self.clock.now(), self._digest_zone)
        if slot == self._learning_enqueued:
            return
        try:
            await self.core.lessons.enqueue(slot, month, self._learning_platforms())
        except Exception as exc:  # noqa: BLE001 - a database outage: the next loop tries again
            log.warning("cannot enqueue the learning digests: %s", _cause(exc))
            return
        self._learning_enqueued = slot

    async def _heartbeat_forever(self) -> None:
        interval = max(self.lease.total_seconds() / 3, 0.05)
        while True:
            await asyncio.sleep(interval)
            try:
                await self._renew()
            except Exception as exc:  # noqa: BLE001 - a failed renewal is logged; the next tick renews again
                log.warning("follow-up dispatcher cannot renew its leases: %s", _cause(exc))

    async def _renew(self) -> None:
        held = [claim for claim in self._held.values() if not claim.lost]
        for outbox in (self.outbox, self.digest_outbox, self.escalation_outbox, self.action_outbox, self.cold_outbox,
                       self.learning_outbox):
            for claim in await outbox.renew([claim for claim in held if claim.outbox is outbox]):
                if claim.id in self._held:
                    claim.lost = True

    def _holds(self, claim: Claim) -> bool:
        return self.outbox.holds(claim)

    async def _write(self, claim: Claim, **values: object) -> bool:
        return await (claim.outbox or self.outbox).write(claim, **values)

    async def _release_unsent(self) -> None:
        """On shutdown, give back rows not yet being sent, so nobody waits for their lease."""
        unsent = [claim for claim in self._held.values() if not claim.sending and not claim.lost]
        for claim in unsent:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(
                    self._write(claim, status=FollowupStatus.PENDING, lease_until=None, attempts=claim.attempts - 1),
                    2.0,
                )
            self._held.pop(claim.id, None)

    # -- one row ---------------------------------------------------------------

    async def _run_job(self, job: _AnyJob) -> None:
        try:
            if isinstance(job, _EscalationJob):
                await self._escalate(job)
            elif isinstance(job, _DigestJob):
                await self._deliver_digest(job)
            elif isinstance(job, _ActionJob):
                await self._deliver_action(job)
            elif isinstance(job, _ColdJob):
                await self._deliver_cold(job)
            elif isinstance(job, _LearningJob):
                await self._deliver_learning(job)
            else:
                await self._deliver(job)
        except asyncio.CancelledError:
            # Shutting down. A row not yet being sent stays held so that
            # `_release_unsent` gives it back at once; one mid-send is let go,
            # its lease expires, and the next claim checks the platform first.
            if job.claim.sending:
                self._held.pop(job.claim.id, None)
            raise
        except Exception:
            log.exception("%s: unexpected error; it will be retried when its lease expires", job.name)
            self._held.pop(job.claim.id, None)
        else:
            self._held.pop(job.claim.id, None)

    async def _deliver(self, job: _Job) -> None:
        claim, followup, participant, debrief = job.claim, job.followup, job.participant, job.debrief
        messenger = self.messengers[debrief.platform]
        now = self.clock.now()
        try:
            content, title = self._content(debrief, followup.stage)
            caught = schedule.catch_up(debrief.started_at, debrief.schedule, followup.stage, now, debrief.key_expires_at)
        except (KeyError, ValueError):
            await self._fail(job, f"no content for follow-up stage {followup.stage!r}", permanent=True)
            return
        support = await self.core.support.available()  # the "talk to someone" button, or not
        delivery = self._delivery(job, content, title, late=caught.late, support_available=support)

        if claim.attempts > 1 and await self._delivered_before(
            job, lambda: messenger.find_delivered(delivery), delivery.late
        ):
            return

        tz = await self._timezone(messenger, debrief.workspace, participant) if self._quiet_on else None
        decision = schedule.decide(
            started_at=debrief.started_at,
            schedule=debrief.schedule,
            stage=followup.stage,
            now=self.clock.now(),
            stopped=participant.followups_stopped,
            tz=schedule.zone(tz, self.settings.debrief_timezone),
            quiet=self._quiet,
            answers_close=debrief.key_expires_at,
        )
        if decision.action == schedule.Action.STOP:
            await self._finish(job, FollowupStatus.STOPPED, decision.reason)
            return
        if decision.action == schedule.Action.SKIP:
            await self._finish(job, FollowupStatus.SKIPPED, decision.reason)
            log.info("follow-up %s (stage %s) %s", claim.id, followup.stage, decision.reason)
            return
        if decision.action == schedule.Action.WAIT:
            assert decision.until is not None
            await self._release(job, decision.until)
            return
        if decision.late != delivery.late:
            delivery = self._delivery(job, content, title, late=decision.late, support_available=support)
        await self._send(job, lambda: messenger.send_followup(delivery), delivery.late)

    async def _escalate(self, job: _EscalationJob) -> None:
        """Nobody took the request on in time: everyone again and the on-call contact, or else the person.

        `Support.escalate` tells people directly (with its own retries); the
        row is then marked, fenced, so one claim acts on it. A process that
        dies in between leaves the row to be claimed again when its lease
        expires: some may then be told twice, nobody is left untold.
        """
        claim = job.claim
        if not self._holds(claim):
            return
        claim.sending = True
        try:
            told = await self.core.support.escalate(job.escalation.request_id)
        except (TimeoutError, TransientSendError, OSError) as exc:
            await self._retry_later(job, _cause(exc), getattr(exc, "retry_after", None))
            return
        except PermanentSendError as exc:
            await self._fail(job, exc.cause, permanent=True)
            return
        if told is None:
            await self._finish(job, FollowupStatus.SKIPPED, "taken on or closed in time")
            return
        await self._write(claim, status=FollowupStatus.SENT, sent_at=self.clock.now(), lease_until=None,
                          last_error=None if told else "nobody could be told; the person was")

    async def _deliver_digest(self, job: _DigestJob) -> None:
        """The week's figures from the report ending at the slot (one report per workspace and week)."""
        digest = job.digest
        key = (digest.workspace, digest.due_at)
        if key not in self._reports:  # shared by the officers' digests running at once
            self._reports = {k: v for k, v in self._reports.items() if k[1] == digest.due_at}  # this week's only
            self._reports[key] = asyncio.ensure_future(self.core.wellbeing.report(digest.due_at, digest.workspace))
        try:
            report = await asyncio.shield(self._reports[key])
        except Exception as exc:  # noqa: BLE001 - a database hiccup: the next attempt asks again
            self._reports.pop(key, None)
            await self._retry_later(job, f"could not read the report: {_cause(exc)}", None)
            return
        try:
            waiting = await self.core.support.waiting(digest.platform, digest.workspace)
        except Exception as exc:  # noqa: BLE001 - a database hiccup: the next attempt counts again
            await self._retry_later(job, f"could not count the waiting requests: {_cause(exc)}", None)
            return
        delivery = weekly_digest(digest, report, waiting)
        messenger = self.messengers[digest.platform]
        if job.claim.attempts > 1 and await self._delivered_before(job, lambda: messenger.find_digest(delivery), None):
            return
        await self._send(job, lambda: messenger.send_digest(delivery), None)

    async def _deliver_action(self, job: _ActionJob) -> None:
        """A reminder (to the owner, in their waking hours, only while the point is open) or the closing note.

        A reminder whose point closed meanwhile is stopped; one whose next
        reminder is already due (the process was down) is skipped, so nobody
        gets two at once. The note has no quiet hours: it is a post in the
        team's conversation, not a message to one person.
        """
        message, point, debrief = job.message, job.point, job.debrief
        messenger = self.messengers[message.platform]
        delivery = ActionDelivery(message_id=message.id, kind=message.kind, stage=message.stage,
                                  platform=message.platform, workspace=debrief.workspace, point=point, debrief=debrief)
        if message.kind == ACTION_CLOSED:
            if job.claim.attempts > 1 and await self._delivered_before(
                job, lambda: messenger.find_action_message(delivery), None
            ):
                return
            await self._send(job, lambda: messenger.post_action_note(delivery), None)
            return
        if point.status != ActionStatus.OPEN:
            await self._finish(job, FollowupStatus.STOPPED, "stopped: the point was closed")
            return
        now = self.clock.now()
        later = [parse_duration(stage) for stage in self._action_stages if parse_duration(stage) > _delay(message.stage)]
        if later and now >= debrief.started_at + min(later):
            await self._finish(job, FollowupStatus.SKIPPED, "skipped: the next reminder is already due")
            return
        if job.claim.attempts > 1 and await self._delivered_before(
            job, lambda: messenger.find_action_message(delivery), None
        ):
            return
        if self._quiet_on:
            tz = await self._user_timezone(messenger, debrief.workspace, point.owner)
            until = schedule.quiet_until(now, schedule.zone(tz, self.settings.debrief_timezone), self._quiet)
            if until is not None and until > now:
                await self._release(job, until)
                return
        await self._send(job, lambda: messenger.send_action_reminder(delivery), None)

    @property
    def _action_stages(self) -> list[str]:
        return [part.strip() for part in self.settings.debrief_action_reminders.split(",")
                if part.strip() and part.strip() != "off"]

    async def _deliver_cold(self, job: _ColdJob) -> None:
        """A cold debrief's reminder (quiet hours as `cold.decide_reminder` says) or its script, posted on time."""
        messenger = self.messengers[job.platform]
        script = self.core.library.scripts.get(job.debrief.script_id)
        if not isinstance(messenger, cold.ColdMessenger) or script is None:
            await self._fail(job, "this platform or script cannot run cold debriefs", permanent=True)
            return
        service = self.core.cold
        if job.participant is None:  # the post: open the debrief, then put its script in the space
            post = cold.ColdPost(job.message.id, job.debrief, script)
            if job.claim.attempts > 1:
                try:
                    found = await asyncio.wait_for(messenger.find_cold_script(post), self.send_timeout)
                except Exception as exc:  # noqa: BLE001 - cannot tell: wait rather than post twice
                    await self._retry_later(job, f"could not check for an earlier post: {_cause(exc)}", None)
                    return
                if found:
                    await service.posted(job.debrief.id, found)
                    await self._sent(job, found, None, found=True)
                    return
            opened = await service.open_now(job.debrief.id)
            if opened is None:
                await self._finish(job, FollowupStatus.SKIPPED, "skipped: cancelled")
                return
            post = cold.ColdPost(job.message.id, opened, script)

            async def send() -> str:
                ref = await messenger.post_cold_script(post)
                with contextlib.suppress(Exception):  # the script is up; only its later redraws would miss it
                    await service.posted(opened.id, ref)
                return ref

            await self._send(job, send, None)
            return
        reminder = service.reminder(job.message, job.participant, job.debrief)
        if job.claim.attempts > 1 and await self._delivered_before(
            job, lambda: messenger.find_cold_reminder(reminder), None
        ):
            return
        tz = await self._timezone(messenger, job.debrief.workspace, job.participant) if self._quiet_on else None
        decision = cold.decide_reminder(
            starts_at=reminder.starts_at, offset=reminder.offset, offsets=service.offsets(job.message),
            now=self.clock.now(), tz=schedule.zone(tz, self.settings.debrief_timezone), quiet=self._quiet,
        )
        if decision.action == schedule.Action.SKIP:
            await self._finish(job, FollowupStatus.SKIPPED, decision.reason)
            log.info("%s %s", job.name, decision.reason)
            return
        if decision.action == schedule.Action.WAIT:
            assert decision.until is not None
            await self._release(job, decision.until)
            return
        await self._send(job, lambda: messenger.send_cold_reminder(reminder), None)

    async def _deliver_learning(self, job: _LearningJob) -> None:
        """The month's approved lessons, read when it is sent; a month with none is skipped, not posted."""
        try:
            content = await self.core.lessons.digest(job.digest)
        except Exception as exc:  # noqa: BLE001 - a database hiccup: the next attempt reads again
            await self._retry_later(job, f"could not read the lessons: {_cause(exc)}", None)
            return
        if not content.count:
            await self._finish(job, FollowupStatus.SKIPPED, "no lessons approved that month")
            return
        messenger = self.messengers[job.platform]
        assert isinstance(messenger, LearningPoster)
        if job.claim.attempts > 1 and await self._delivered_before(
            job, lambda: messenger.find_learning_digest(content), None
        ):
            return
        await self._send(job, lambda: messenger.post_learning_digest(content), None)

    async def _delivered_before(
        self, job: _AnyJob, find: Callable[[], Awaitable[str | None]], late: bool | None
    ) -> bool:
        """Before sending again after an attempt that may have reached the platform: True if the row is dealt with.

        Dealt with: the platform has the message (the row is marked sent), or
        it could not say (the row is failed, or put back to try later, rather
        than risk a second message). False: nothing was found; send it.
        """
        try:
            ref = await asyncio.wait_for(find(), self.send_timeout)
        except PermanentSendError as exc:
            await self._fail(job, exc.cause, permanent=True)
            return True
        except Exception as exc:  # noqa: BLE001 - any failure of one delivery is retried later, never fatal to the worker
            await self._retry_later(job, f"could not check for an earlier delivery: {_cause(exc)}",
                                    getattr(exc, "retry_after", None))
            return True
        if ref:
            await self._sent(job, ref, late, found=True)
            return True
        return False

    async def _send(self, job: _AnyJob, send: Callable[[], Awaitable[str | None]], late: bool | None) -> None:
        """Send through `send` under the platform's rate-limit gate; `late` is None for a digest."""
        claim = job.claim
        gate = self._gates[job.platform]
        loop = asyncio.get_running_loop()
        while True:
            await gate.wait()
            if not self._holds(claim):
                log.warning("%s: lease lost before sending; leaving it to whoever holds it", job.name)
                return
            claim.sending = True
            try:
                ref = await asyncio.wait_for(send(), self.send_timeout)
            except RateLimited as exc:
                claim.sending = False
                gate.close_for(exc.retry_after or 1.0)
                job.rate_limited_since = job.rate_limited_since or loop.time()
                if loop.time() - job.rate_limited_since > self.rate_limit_patience:
                    later = self.clock.now() + timedelta(seconds=exc.retry_after or 1.0)
                    await self._release(job, later)
                    log.warning("%s: rate limited for over %.0fs; put back until %s",
                                job.name, self.rate_limit_patience, later.isoformat(timespec="seconds"))
                    return
                continue
            except PermanentSendError as exc:
                await self._fail(job, exc.cause, permanent=True)
                return
            except TransientSendError as exc:
                await self._retry_later(job, exc.cause, exc.retry_after)
                return
            except TimeoutError:
                await self._retry_later(job, f"no answer from the platform within {self.send_timeout:.0f}s", None)
                return
            except Exception as exc:  # noqa: BLE001 - any failure of one delivery is retried later, never fatal to the worker
                await self._retry_later(job, _cause(exc), None)
                return
            if ref is None:  # a digest for someone on another platform
                await self._finish(job, FollowupStatus.SKIPPED, NOT_HERE)
                return
            await self._sent(job, ref, late)
            return

    # -- outcomes --------------------------------------------------------------

    async def _sent(self, job: _AnyJob, ref: str, late: bool | None, found: bool = False) -> None:
        values: dict[str, object] = dict(
            status=FollowupStatus.SENT, sent_at=self.clock.now(), message_ref=(ref or "")[:255] or None,
            lease_until=None, last_error=None,
        )  # fmt: skip
        if late is not None:
            values["late"] = late
        marked = await self._write(job.claim, **values)
        if not found and isinstance(job, _Job):
            FOLLOWUPS_SENT.labels(job.platform).inc()
        if found and marked:
            log.info("%s was already delivered by an earlier attempt; marked sent, not sent again", job.name)
        if not marked:
            log.warning("%s was delivered, but its lease had passed to another process, "
                        "which will find the delivery before sending", job.name)

    async def _finish(self, job: _AnyJob, status: FollowupStatus, reason: str) -> None:
        await self._write(job.claim, status=status, lease_until=None, last_error=reason[:ERROR_LENGTH])

    async def _release(self, job: _AnyJob, until: datetime) -> None:
        """Back to pending until `until`, and this claim does not count as an attempt."""
        await self._write(
            job.claim, status=FollowupStatus.PENDING, due_at=until, lease_until=None, attempts=job.claim.attempts - 1
        )

    async def _fail(self, job: _AnyJob, cause: str, *, permanent: bool) -> None:
        text = f"permanent: {cause}" if permanent else cause
        await self._write(job.claim, status=FollowupStatus.FAILED, lease_until=None, last_error=text[:ERROR_LENGTH])
        log.error("%s failed for good: %s", job.name, text)

    async def _retry_later(self, job: _AnyJob, cause: str, retry_after: float | None) -> None:
        claim = job.claim
        if claim.attempts >= self.max_attempts:
            await self._fail(job, f"gave up after {claim.attempts} attempts: {cause}", permanent=False)
            return
        delay = self.backoff_delay(claim.attempts, retry_after)
        await self._write(
            claim,
            status=FollowupStatus.PENDING,
            due_at=self.clock.now() + delay,
            lease_until=None,
            last_error=cause[:ERROR_LENGTH],
        )
        log.warning("%s: attempt %d failed, retrying in %.0fs: %s",
                    job.name, claim.attempts, delay.total_seconds(), cause)

    def backoff_delay(self, attempts: int, retry_after: float | None = None) -> timedelta:
        """Exponential backoff with 'equal jitter', never sooner than the platform's Retry-After."""
        ceiling = min(self.backoff * (2 ** max(attempts - 1, 0)), self.max_backoff)
        delay = ceiling / 2 + ceiling / 2 * self.rng.random()
        if retry_after:
            delay = max(delay, timedelta(seconds=retry_after))
        return delay

    # -- what to send ------------------------------------------------------------

    @property
    def _quiet_on(self) -> bool:
        start, end = self._quiet
        return start != end

    def _content(self, debrief: Debrief, stage: str) -> tuple[Stage, str]:
        return stage_content(self.core.library, debrief.script_id, debrief.schedule, stage)

    def _delivery(
        self, job: _Job, content: Stage, title: str, *, late: bool, support_available: bool
    ) -> FollowupDelivery:
        message = content.late_message if late and content.late_message else content.message
        return FollowupDelivery(
            followup_id=job.followup.id,
            debrief_id=job.debrief.id,
            platform=job.debrief.platform,
            workspace=job.debrief.workspace,
            user=job.participant.user,
            stage=job.followup.stage,
            late=late,
            message=message,
            content=content,
            resources=(resources_for_person(self.core.resources, audience=job.debrief.audience.split(","))
                       if job.debrief.audience else self._resources),
            resources_title=self._resources_title,
            script_title=title,
            label=job.debrief.label,
            support_available=support_available,
            emergency=self._emergency,
        )

    async def _timezone(self, messenger: Messenger, workspace: str, participant: Participant) -> str | None:
        """The person's zone: stored on the participant, else asked once per process and stored."""
        if participant.timezone is not None:
            return participant.timezone or None
        asked_before = (messenger.platform, workspace, participant.user) in self._timezones
        tz = await self._user_timezone(messenger, workspace, participant.user)
        if not asked_before and (messenger.platform, workspace, participant.user) in self._timezones:
            with contextlib.suppress(Exception):
                async with self.database.session() as session:
                    await session.execute(
                        update(Participant).where(col(Participant.id) == participant.id).values(timezone=tz or ""),
                        execution_options={"synchronize_session": False},
                    )
        return tz

    async def _user_timezone(self, messenger: Messenger, workspace: str, user: str) -> str | None:
        """Anyone's zone (an action point's owner need not be a participant), asked once per process."""
        key = (messenger.platform, workspace, user)
        if key not in self._timezones:
            try:
                tz = await asyncio.wait_for(messenger.user_timezone(workspace, user), self.send_timeout)
            except Exception as exc:  # noqa: BLE001 - no time zone is never a reason to fail: DEBRIEF_TIMEZONE is used
                log.info("time zone lookup failed (%s); using DEBRIEF_TIMEZONE this time", _cause(exc))
                return None
            self._timezones[key] = (tz or "")[:64] or None
        return self._timezones[key]


def _delay(stage: str) -> timedelta:
    try:
        return parse_duration(stage)
    except ValueError:
        return timedelta(0)
