"""Answers held back until they can be released in a shuffled batch.

An accepted answer is not written to `answers` at once: that would put it,
alone, in its own transaction (`xmin` on PostgreSQL, a WAL commit and the
next lower cell offset on SQLite), in the order people answered. Instead
the submission stores the receipt and one `pending_answers` row holding the
form's answers sealed (AES-GCM, key derived from DEBRIEF_SECRET, padded to
one size per form so its length says nothing about what was typed), and
nothing else.

`release` moves the pending answers of one debrief and stage into `answers`
once at least DEBRIEF_MIN_GROUP of them wait, or whatever waits once the
stage's window is over: in one transaction, in random order, with new
random ids, deleting the sealed rows in the same transaction. A lesson its
author agreed to share goes, in the same shuffled transaction, to
`shared_lessons` instead (`bot.lessons`). On SQLite
`secure_delete` zeroes the deleted rows in the file and the write-ahead log
is then checkpointed and truncated within seconds (`Database.erase_wal_soon`). Several
processes may release at once: the rows are locked (`FOR UPDATE SKIP
LOCKED` on PostgreSQL; SQLite's single writer) and deleted by the release
that moved them, so an answer is released exactly once.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import os
import secrets
import struct
import uuid
from collections.abc import Sequence
from datetime import date

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Executable, bindparam, delete, insert, select
from sqlalchemy.engine import Connection

from bot.lessons import is_lesson, release_lessons
from bot.models import Answer, PendingAnswer
from bot.scripts import Question, TextQuestion

_shuffle = secrets.SystemRandom().shuffle
NONCE = 12


def sealing_key(deployment_secret: bytes) -> bytes:
    """The AES key for pending answers: HMAC(DEBRIEF_SECRET, purpose); never stored."""
    return hmac.new(deployment_secret, b"debrief-bot pending answers v1", hashlib.sha256).digest()


def sealed_size(questions: Sequence[Question]) -> int:
    """One plaintext size for every answer to this form, enough for its longest possible answer.

    JSON writes a character in at most 6 bytes (`\\u001f`), so 6 bytes per
    allowed character of text, and room for every other question.
    """
    texts = sum(question.max_length for question in questions if isinstance(question, TextQuestion))
    return 6 * texts + 128 * len(questions) + 64


def seal(key: bytes, rows: list[dict[str, object]], size: int, context: bytes) -> bytes:
    """The answer rows as nonce || AES-GCM(length || JSON || zero padding to `size`), bound to `context`."""
    plain = json.dumps(rows, separators=(",", ":")).encode()
    padded = struct.pack(">I", len(plain)) + plain
    padded += bytes(max(size - len(padded), 0))
    nonce = os.urandom(NONCE)
    return nonce + AESGCM(key).encrypt(nonce, padded, context)


def unseal(key: bytes, sealed: bytes, context: bytes) -> list[dict[str, object]]:
    padded = AESGCM(key).decrypt(sealed[:NONCE], sealed[NONCE:], context)
    (length,) = struct.unpack(">I", padded[:4])
    return list(json.loads(padded[4 : 4 + length]))


def context_of(debrief_id: uuid.UUID, stage: str) -> bytes:
    """What a sealed row is bound to: it cannot be moved to another debrief or stage."""
    return f"{debrief_id}\x00{stage}".encode()


class TooFew(Exception):
    """Fewer forms than asked for were free to release: the transaction is rolled back, they wait."""


_columns = PendingAnswer.__table__.c  # type: ignore[attr-defined]  # SQLModel does not declare the __table__ SQLAlchemy maps
_DEBRIEF = bindparam("debrief", type_=_columns.debrief_id.type)
_STAGE = bindparam("stage", type_=_columns.stage.type)


@functools.cache
def _taking(postgresql: bool) -> Executable:
    """The DELETE .. RETURNING that takes a stage's waiting forms; built once, compiled once per dialect.

    PostgreSQL: only the rows no other release holds (`FOR UPDATE SKIP
    LOCKED` in a subquery). SQLite has one writer at a time: the plain DELETE.
    """
    mine = (_columns.debrief_id == _DEBRIEF) & (_columns.stage == _STAGE)
    if not postgresql:
        return delete(PendingAnswer.__table__).where(mine).returning(_columns.sealed)  # type: ignore[attr-defined]  # SQLModel does not declare the __table__ SQLAlchemy maps
    free = select(_columns.id).where(mine).with_for_update(skip_locked=True)
    return delete(PendingAnswer.__table__).where(_columns.id.in_(free)).returning(_columns.sealed)  # type: ignore[attr-defined]  # SQLModel does not declare the __table__ SQLAlchemy maps


_INSERT_ANSWERS = insert(Answer.__table__)  # type: ignore[attr-defined]  # SQLModel does not declare the __table__ SQLAlchemy maps


def release(
    connection: Connection, key: bytes, debrief_id: uuid.UUID, stage: str, at_least: int, *, today: date
) -> int:
    """Move the waiting forms of one debrief and stage into `answers`, shuffled; raises `TooFew` below `at_least`.

    Returns how many forms moved; `today` is the day a consented lesson's
    batch is recorded under (`shared_lessons.released_on`). Runs inside the caller's transaction: the
    DELETE .. RETURNING takes the rows (on PostgreSQL only those no other
    release holds: `FOR UPDATE SKIP LOCKED`), and the answers go in with it
    or not at all.
    """
    taking = _taking(connection.dialect.name == "postgresql")
    taken = connection.execute(taking, {"debrief": debrief_id, "stage": stage}).scalars().all()
    if len(taken) < max(at_least, 1):
        raise TooFew()
    context = context_of(debrief_id, stage)
    rows = [row for sealed in taken for row in unseal(key, sealed, context)]
    _shuffle(rows)
    shared = [row for row in rows if is_lesson(row)]  # consented lessons go to the review queue (`bot.lessons`)
    if shared:
        rows = [row for row in rows if not is_lesson(row)]
        release_lessons(connection, debrief_id, [str(row["text"]) for row in shared], today)
    for row in rows:
        row.update(id=uuid.uuid4(), debrief_id=debrief_id, stage=stage)
    if rows:
        connection.execute(_INSERT_ANSWERS, rows)
    return len(taken)
