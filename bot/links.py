"""Signed, expiring links to the officers' charts and CSV export: the link is the permission.

Slack and Teams fetch a chart from their own servers, without the officer's
credentials, and a tap on "Export" opens a browser that has none either. So
the link itself carries the right to see one picture: it is signed
(itsdangerous) with a key derived from the deployment secret under its own
salt, so it is never the receipt pepper itself, and it expires. It carries
what rebuilds the picture (which chart, which workspace, the report's
`until`), never who asked.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from bot.clock import Clock

LINK_LIFETIME = timedelta(hours=1)
"""Slack and Teams fetch an image once, when the message is shown, and keep their own copy; App
Home gets fresh links each time it is opened, and an ephemeral `/debrief summary` is gone when
Slack reloads. An hour leaves time to read the summary and tap Export; a forwarded link is dead
before the end of the shift."""
SALT = "debrief.links.v1"
EXPORT = "export"


class LinkInvalid(Exception):
    """Not a link this deployment signed, or altered since."""


class LinkExpired(Exception):
    """A genuine link, older than `LINK_LIFETIME`."""


@dataclass(frozen=True)
class Ticket:
    """What a link may show: a chart by name, or the export, of one workspace's report at `until`."""

    kind: str
    workspace: str | None
    until: datetime
    days: int = 30


class Links:
    def __init__(self, secret: bytes, clock: Clock, base_url: str | None, lifetime: timedelta = LINK_LIFETIME) -> None:
        class ClockSigner(TimestampSigner):
            """Ages links by the injected clock, so tests move time instead of sleeping."""

            def get_timestamp(self) -> int:
                return int(clock.now().timestamp())

        self._serializer = URLSafeTimedSerializer(
            secret, salt=SALT, signer=ClockSigner, signer_kwargs={"digest_method": hashlib.sha256}
        )
        self.base_url = base_url.rstrip("/") if base_url else None
        self.lifetime = lifetime

    def token(self, ticket: Ticket) -> str:
        return self._serializer.dumps(
            {"k": ticket.kind, "w": ticket.workspace or "", "u": int(ticket.until.timestamp()), "d": ticket.days}
        )

    def read(self, token: str) -> Ticket:
        """The ticket a token carries; `LinkInvalid` or `LinkExpired` otherwise."""
        try:
            data = self._serializer.loads(token, max_age=int(self.lifetime.total_seconds()))
        except SignatureExpired:
            raise LinkExpired from None
        except BadSignature:
            raise LinkInvalid from None
        try:
            return Ticket(kind=str(data["k"]), workspace=str(data["w"]) or None,
                          until=datetime.fromtimestamp(int(data["u"]), UTC), days=int(data["d"]))
        except (KeyError, TypeError, ValueError):  # signed by us, but not a ticket: never happens by accident
            raise LinkInvalid from None

    def chart_url(self, chart: str, workspace: str | None, until: datetime, fallback: str | None = None) -> str | None:
        """`BASE/charts/TOKEN.png`, or None when there is no address the platform can reach.

        BASE is DEBRIEF_PUBLIC_URL, else `fallback` (Teams local mode: this machine).
        """
        return self._url("charts", Ticket(chart, workspace, until), "png", fallback)

    def export_url(
        self, workspace: str | None, until: datetime, days: int = 30, fallback: str | None = None
    ) -> str | None:
        return self._url("exports", Ticket(EXPORT, workspace, until, days), "csv", fallback)

    def _url(self, folder: str, ticket: Ticket, suffix: str, fallback: str | None) -> str | None:
        base = (self.base_url or fallback or "").rstrip("/")
        return f"{base}/{folder}/{self.token(ticket)}.{suffix}" if base else None


def report_time(now: datetime) -> datetime:
    """The report's `until`, rounded up to the second.

    A link carries it in whole seconds and must rebuild the same report; up,
    not down, so that what happened earlier in this second is counted.
    """
    whole = now.replace(microsecond=0)
    return whole if whole == now else whole + timedelta(seconds=1)
