"""Receipts: how the bot knows *that* someone answered without knowing *what*.

A receipt is HMAC(receipt key, stage || user). The receipt key is derived
from two halves that live in different places:

* a per-debrief random key in the `debrief_keys` table, deleted when the
  debrief's last follow-up stage is over, after which no receipt can ever
  be tested against a person again, by anyone;
* the deployment secret (DEBRIEF_SECRET, or on a single SQLite install a
  generated one in DEBRIEF_SECRET_FILE, outside the database's directory),
  which never enters the database, so that a database administrator
  holding a copy of the tables cannot test receipts even while a debrief is
  still open.

The stage is part of the HMAC input so that one person's receipts for the
24-hour and 7-day check-ins cannot be linked to each other.

A receipt is written in the same transaction as its person's sealed,
waiting answer (`bot.pending`), never with the answer itself: answers move
later, in shuffled batches. The form carries a `FormTokens` token from the
moment it opens, so the submission needs no look-up of the person.

Minimum-group rules live here too: below `min_group` nothing is counted out
loud, and live counters move only in whole batches so that nobody watching
the channel can match a new number to the person who just tapped.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets


def new_debrief_key() -> bytes:
    return secrets.token_bytes(32)


def receipt_digest(deployment_secret: bytes, debrief_key: bytes, stage: str, user: str) -> str:
    """The receipt for `user` answering `stage`; hex, 64 characters."""
    key = hmac.new(deployment_secret, debrief_key, hashlib.sha256).digest()
    return hmac.new(key, f"{stage}\x00{user}".encode(), hashlib.sha256).hexdigest()


def batched_count(count: int, min_group: int) -> int | None:
    """What a live counter may show: None below the minimum, else whole batches.

    With a minimum group of 5, counts 0-4 show nothing ("fewer than 5"), 5-9
    show 5, 10-14 show 10: the number moves only after several new answers.
    """
    if count < min_group:
        return None
    return count - count % min_group


def describe_count(count: int, min_group: int) -> str:
    """The counter as words, for any platform."""
    shown = batched_count(count, min_group)
    if shown is None:
        return f"fewer than {min_group} anonymous answers so far"
    return f"{shown} or more anonymous answers so far"


FORM_TOKEN_AGE = 6 * 3600
"""How long an answer form stays good for after it opened, in seconds (a long note, an interrupted shift)."""


class FormTokens:
    """The signed, expiring token an answer form carries from opening to submission.

    When a form opens, the core checks that the person belongs to the
    debrief and has not answered yet, and signs (debrief, stage) with a key
    derived from DEBRIEF_SECRET, bound to the person (the user id is part
    of the signature's salt, not of the token, so the token names no one).
    The submission then checks the token instead of looking the person up:
    nothing on the answer path queries anything by user id.
    """

    def __init__(self, deployment_secret: bytes) -> None:
        from itsdangerous import URLSafeTimedSerializer

        self._serializer = URLSafeTimedSerializer(deployment_secret, salt="debrief-bot answer form")

    def issue(self, debrief_id: object, stage: str, user: str) -> str:
        return self._serializer.dumps({"d": str(debrief_id), "s": stage}, salt=f"answer form\x00{user}")

    def check(self, token: str | None, debrief_id: object, stage: str, user: str) -> bool:
        """Whether `token` was issued to `user` for this debrief and stage; raises `FormExpired` when too old."""
        from itsdangerous import BadSignature, SignatureExpired

        from bot.errors import FormExpired

        if not token:
            return False
        try:
            found = self._serializer.loads(token, max_age=FORM_TOKEN_AGE, salt=f"answer form\x00{user}")
        except SignatureExpired:
            raise FormExpired() from None
        except BadSignature:
            return False
        return found == {"d": str(debrief_id), "s": stage}
