"""Conversation references: how the bot reaches people and conversations later.

Teams lets a bot message someone only through a conversation it knows, so
every turn stores (best effort, never failing the turn) a reference for the
person who sent it: their personal chat with the bot when the turn comes from
it, else the conversation they were seen in, which is enough to open the
personal chat later (`Messaging.personal_chat`). The conversation a debrief
runs in is stored too, so that the counter, the closing summary and the
neutral resources card can be posted there from any turn or from the
follow-up dispatcher, with its title ("Ward 7 › Nights", a group chat's
topic), so that officers read a team's name where Slack would show `#ward-7`,
not a conversation id.

References are botbuilder's `ConversationReference`, serialized as JSON,
without the id of the activity they came from: proactive messages are new
posts, not replies to an old message. A small in-process cache skips the
write when nothing changed, so an ordinary message costs no database write.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from botbuilder.core import TurnContext
from botbuilder.core.teams.teams_activity_extensions import teams_get_channel_data
from botbuilder.schema import Activity, ChannelAccount, ConversationAccount, ConversationReference
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from bot.clock import Clock
from bot.db import Database
from bot.identifiers import find_identifiers
from bot.models import TeamsReference

log = logging.getLogger("debrief.teams")

PERSON = "person"
CONVERSATION = "conversation"
NOTICE = "notice"
CACHE_SIZE = 10_000


@dataclass(frozen=True)
class Person:
    """What the adapter knows about someone it has seen."""

    id: str
    name: str | None = None
    aad_object_id: str | None = None
    email: str | None = None
    tenant: str | None = None
    timezone: str | None = None


def tenant_of(activity: Activity) -> str | None:
    conversation = activity.conversation
    if conversation is not None and conversation.tenant_id:
        return str(conversation.tenant_id)
    tenant = ((activity.channel_data or {}).get("tenant") or {}) if isinstance(activity.channel_data, dict) else {}
    return str(tenant["id"]) if tenant.get("id") else None


def conversation_title(activity: Activity) -> str | None:
    """What Teams calls the conversation: the team and its channel, or a group chat's topic (None without one).

    Officers see it, and the learning digest may show it to the whole
    organisation; a chat's topic is whatever its members typed, so one that
    looks like it holds patient details (`bot.identifiers`) is not kept.
    """
    data = teams_get_channel_data(activity) if isinstance(activity.channel_data, dict) else None
    team = data.team.name if data is not None and data.team is not None else None
    channel = data.channel.name if data is not None and data.channel is not None else None
    if not team:  # a group chat's topic is whatever its members typed, often people's names: never kept
        title = None
    elif channel and channel != team:
        title = f"{team} \u203a {channel}"
    else:
        title = team
    if not title or find_identifiers(str(title)):
        return None
    return str(title)[:255]


def is_personal(activity: Activity) -> bool:
    conversation = activity.conversation
    return bool(conversation is not None and conversation.conversation_type == "personal")


def timezone_of(activity: Activity) -> str | None:
    """The person's IANA zone, as the Teams client reports it (activity or clientInfo entity)."""
    candidates = [getattr(activity, "local_timezone", None)]
    for entity in activity.entities or []:
        props = entity.additional_properties if hasattr(entity, "additional_properties") else {}
        if getattr(entity, "type", None) == "clientInfo":
            candidates.append((props or {}).get("timezone"))
    for zone in candidates:
        if not zone or not isinstance(zone, str) or len(zone) > 64:
            continue
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            continue
        return zone
    return None


def reference_of(activity: Activity) -> ConversationReference:
    reference = TurnContext.get_conversation_reference(activity)
    reference.activity_id = None
    return reference


def dump(reference: ConversationReference) -> str:
    return json.dumps(reference.serialize(), separators=(",", ":"), sort_keys=True)


def load(text: str) -> ConversationReference:
    return ConversationReference.deserialize(json.loads(text))


def with_conversation(reference: ConversationReference, conversation_id: str, kind: str) -> ConversationReference:
    """A copy of `reference` pointing at another conversation (e.g. a new personal chat)."""
    copy = ConversationReference.deserialize(reference.serialize())
    tenant = copy.conversation.tenant_id if copy.conversation else None
    copy.conversation = ConversationAccount(id=conversation_id, conversation_type=kind, tenant_id=tenant)
    copy.activity_id = None
    return copy


class References:
    """The `teams_references` table, behind a small cache."""

    def __init__(self, database: Database, clock: Clock) -> None:
        self.database = database
        self.clock = clock
        self._seen: dict[str, tuple[bool, str | None, str | None]] = {}

    # -- remembering ---------------------------------------------------------------------

    def knows(self, user: str) -> bool:
        """Whether this process has stored the person already (no e-mail look-up needed)."""
        return user in self._seen

    async def remember_turn(self, activity: Activity, email: str | None = None) -> None:
        """Store a reference for the sender of this activity, if it adds anything. Never raises."""
        sender = activity.from_property
        if sender is None or not sender.id or activity.recipient is not None and sender.id == activity.recipient.id:
            return
        personal = is_personal(activity)
        zone = timezone_of(activity)
        cached = self._seen.get(sender.id)
        if cached is not None and (cached[0] or not personal) and (zone is None or cached[1] == zone) \
                and (not sender.name or cached[2] == sender.name) and not email:
            return
        person = Person(id=sender.id, name=sender.name, aad_object_id=sender.aad_object_id, email=email,
                        tenant=tenant_of(activity), timezone=zone)
        try:
            await self.remember_person(person, reference_of(activity), personal=personal)
        except Exception as error:  # noqa: BLE001 - a turn never fails because of this
            log.warning("could not store a conversation reference: %s", type(error).__name__)

    async def remember_person(self, person: Person, reference: ConversationReference, *, personal: bool) -> None:
        """Upsert a person; a personal-chat reference is never replaced by a shared one."""
        now = self.clock.now()
        for attempt in (1, 2):
            try:
                async with self.database.session() as session:
                    found = await self._get(session, PERSON, person.id)
                    row = found if found is not None else TeamsReference(kind=PERSON, key=person.id, updated_at=now)
                    if personal or not row.personal:
                        row.reference = dump(reference)
                        row.personal = personal or row.personal
                    row.tenant = person.tenant or row.tenant
                    row.aad_object_id = person.aad_object_id or row.aad_object_id
                    row.email = (person.email or "").lower() or row.email
                    row.name = person.name or row.name
                    row.timezone = person.timezone or row.timezone
                    row.updated_at = now
                    session.add(row)
                break
            except IntegrityError:  # another replica inserted the same person just now
                if attempt == 2:
                    raise
        self._remember_cache(person.id, row.personal, row.timezone, row.name)

    async def remember_roster(self, reference: ConversationReference, tenant: str | None,
                              members: Iterable[ChannelAccount]) -> None:
        """The people picked for a debrief: seen in this conversation, with their names and e-mail."""
        for member in members:
            email = getattr(member, "email", None) or getattr(member, "user_principal_name", None)
            person = Person(id=member.id, name=member.name, aad_object_id=member.aad_object_id,
                            email=email, tenant=tenant)
            if self._seen.get(member.id, (False,))[0]:
                continue
            await self.remember_person(person, reference, personal=False)

    async def remember_conversation(self, conversation_id: str, reference: ConversationReference,
                                    tenant: str | None, title: str | None = None) -> None:
        now = self.clock.now()
        async with self.database.session() as session:
            row = await self._get(session, CONVERSATION, conversation_id)
            if row is None:
                row = TeamsReference(kind=CONVERSATION, key=conversation_id, updated_at=now)
            row.reference = dump(reference)
            row.tenant = tenant
            row.name = title or row.name
            row.updated_at = now
            session.add(row)

    async def first_notice(self, key: str) -> bool:
        """True once per key, across every replica: the caller may post a one-off notice."""
        try:
            async with self.database.session() as session:
                session.add(TeamsReference(kind=NOTICE, key=key[:255], updated_at=self.clock.now()))
        except IntegrityError:
            return False
        return True

    def _remember_cache(self, user: str, personal: bool, zone: str | None, name: str | None) -> None:
        if len(self._seen) >= CACHE_SIZE:
            self._seen.clear()
        self._seen[user] = (personal, zone, name)

    # -- reading -------------------------------------------------------------------------

    async def person(self, user: str) -> TeamsReference | None:
        async with self.database.session() as session:
            return await self._get(session, PERSON, user)

    async def find(self, identity: str) -> TeamsReference | None:
        """A person by Teams id, Azure AD object id or e-mail (case-insensitive)."""
        wanted = identity.strip().lower()
        async with self.database.session() as session:
            rows = await session.execute(
                select(TeamsReference).where(
                    col(TeamsReference.kind) == PERSON,
                    or_(
                        func.lower(TeamsReference.key) == wanted,
                        func.lower(TeamsReference.aad_object_id) == wanted,
                        col(TeamsReference.email) == wanted,
                    ),
                ).order_by(col(TeamsReference.personal).desc(), col(TeamsReference.updated_at).desc())
            )
            return rows.scalars().first()

    async def conversation(self, conversation_id: str) -> TeamsReference | None:
        async with self.database.session() as session:
            return await self._get(session, CONVERSATION, conversation_id)

    async def started_in(self, team: str) -> TeamsReference | None:
        """The conversation a debrief was started in (`Debrief.team`: its id without `;messageid=...`)."""
        async with self.database.session() as session:
            rows = await session.execute(
                select(TeamsReference).where(
                    col(TeamsReference.kind) == CONVERSATION,
                    or_(col(TeamsReference.key) == team, col(TeamsReference.key).startswith(team + ";", autoescape=True)),
                ).order_by(col(TeamsReference.updated_at))
            )
            return rows.scalars().first()

    async def titles(self, teams: Iterable[str]) -> dict[str, str]:
        """The titles of the conversations debriefs were started in (`Debrief.team`), where Teams gave one."""
        wanted = set(teams)
        if not wanted:
            return {}
        async with self.database.session() as session:
            rows = await session.execute(
                select(col(TeamsReference.key), col(TeamsReference.name))
                .where(col(TeamsReference.kind) == CONVERSATION, col(TeamsReference.name).is_not(None))
                .order_by(col(TeamsReference.updated_at))
            )
            titles: dict[str, str] = {}
            for key, name in rows.all():
                team = key.split(";")[0]
                if team in wanted and name:
                    titles[team] = name  # the latest title wins
            return titles

    async def any_conversation(self) -> TeamsReference | None:
        """The latest stored conversation reference: its service URL and tenant reach another channel of the org."""
        async with self.database.session() as session:
            rows = await session.execute(
                select(TeamsReference).where(col(TeamsReference.kind) == CONVERSATION, col(TeamsReference.reference).is_not(None))
                .order_by(col(TeamsReference.updated_at).desc()).limit(1)
            )
            return rows.scalars().first()

    async def names(self, users: Iterable[str]) -> dict[str, str]:
        wanted = list(dict.fromkeys(users))
        if not wanted:
            return {}
        async with self.database.session() as session:
            rows = await session.execute(
                select(col(TeamsReference.key), col(TeamsReference.name)).where(
                    col(TeamsReference.kind) == PERSON, col(TeamsReference.key).in_(wanted)
                )
            )
            return {key: name for key, name in rows.all() if name}

    @staticmethod
    async def _get(session, kind: str, key: str) -> TeamsReference | None:
        rows = await session.execute(select(TeamsReference).where(col(TeamsReference.kind) == kind, col(TeamsReference.key) == key))
        return rows.scalars().first()
