"""The anonymity attack: what an administrator, a log reader or the platform can tie to a person.

`tests/slack/test_slack_anonymity_attack.py` and
`tests/teams/test_teams_anonymity_attack.py` run a debrief through the real
server, each participant answering in random order with a free-text note
carrying a unique marker, then hand what an attacker could hold to
`attack()`:

* the database as files (SQLite: the main file and its `-wal`, read page by
  page and frame by frame, every cell by its offset) or as tables with their
  system columns (PostgreSQL: `xmin` and `ctid` of every row of every table);
* every log record of every logger, at DEBUG;
* what the fake platform recorded of the bot's calls, and what the bot
  answered each person.

Each channel turns into a guess of each answer's author: an order of answers
(where the answer's cell sits, its transaction id, ...) matched against the
order people answered in (given to the attacker: the platform knows it, and
so may a colleague in the room), or a person-naming row or log line nearest
to the answer. `linked` is how many guesses are right.

Chance level: answers are released in batches, shuffled. Within a batch no
channel can do better than a random match, so the number of right guesses
must look like the fixed points of a random permutation of each batch;
`p_value` is the probability of at least that many under that null, and a
channel fails below `SIGNIFICANT`. Before batched release, each answer was
its own transaction and every channel below linked every answer.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

SIGNIFICANT = 1e-4
"""A channel whose right guesses have a smaller probability than this under chance fails the suite."""

_MARKER_LETTERS = "bcdfghjkmnpqrstvwxz"


def marker() -> str:
    """A unique word to find an answer by: lowercase consonants only.

    Not hex: one hex marker in forty looks like a postcode (`kiwi-c241fa`) to
    the identifier screen, which then refuses the answer, and a run of 16
    answers failed one time in three, with a `KeyError` rather than a finding.
    No digits, no capital, no vowel: nothing the screen reads as a number,
    a postcode or a name (`tests/test_attack.py` checks it).
    """
    import secrets

    return "kiwi" + "".join(secrets.choice(_MARKER_LETTERS) for _ in range(8))


@dataclass
class Truth:
    """What really happened: who answered in which order, with which marker in their note."""

    order: list[str] = field(default_factory=list)
    markers: dict[str, str] = field(default_factory=dict)
    """marker -> author"""
    min_group: int = 5

    def add(self, person: str, marker: str) -> None:
        self.order.append(person)
        self.markers[marker] = person

    def batches(self) -> list[int]:
        """The sizes of the released batches: whole groups in answering order, then the rest at the window's end."""
        whole, rest = divmod(len(self.order), self.min_group)
        return [self.min_group] * whole + ([rest] if rest else [])


@dataclass
class Finding:
    channel: str
    linked: int
    total: int
    p_value: float
    detail: str = ""

    def line(self) -> str:
        verdict = "LINKS" if self.p_value < SIGNIFICANT else "chance"
        extra = f" ({self.detail})" if self.detail else ""
        return f"{self.channel:<44} linked {self.linked:>2}/{self.total}  p={self.p_value:.2g}  {verdict}{extra}"


# -- chance ------------------------------------------------------------------------------------


def _fixed_points(n: int) -> list[float]:
    """P(a uniform random permutation of n has exactly k fixed points), k = 0..n."""
    derangements = [1, 0]
    for m in range(2, n + 1):
        derangements.append((m - 1) * (derangements[-1] + derangements[-2]))
    return [math.comb(n, k) * derangements[n - k] / math.factorial(n) for k in range(n + 1)]


def p_value(linked: int, batches: Sequence[int]) -> float:
    """P(at least `linked` right guesses) when each batch is matched by a random permutation."""
    dist = [1.0]
    for size in batches:
        step = _fixed_points(size)
        out = [0.0] * (len(dist) + len(step) - 1)
        for i, a in enumerate(dist):
            for j, b in enumerate(step):
                out[i + j] += a * b
        dist = out
    return sum(dist[linked:]) if linked < len(dist) else 0.0


# -- SQLite files ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    where: str  # "file" or "wal"
    page: int
    offset: int
    data: bytes
    step: int = 0
    """WAL: the number of the commit that wrote it (in file order); file: 0."""


def _page_cells(page: bytes, number: int) -> list[tuple[int, bytes]]:
    """The cells of one b-tree page, by their offset in the page, and any other bytes as one pseudo-cell at -1."""
    header = 100 if number == 1 else 0
    kind = page[header] if len(page) > header else 0
    if kind not in (2, 5, 10, 13):
        return [(-1, page)]
    count = struct.unpack(">H", page[header + 3 : header + 5])[0]
    pointers_at = header + (8 if kind in (10, 13) else 12)
    offsets = sorted(
        struct.unpack(">H", page[pointers_at + 2 * i : pointers_at + 2 * i + 2])[0] for i in range(count)
    )
    cells = []
    for i, start in enumerate(offsets):
        end = offsets[i + 1] if i + 1 < len(offsets) else len(page)
        cells.append((start, page[start:end]))
    cells.append((-1, page[: offsets[0]] if offsets else page))  # free space and headers: deleted content lives here
    return cells


def file_cells(data: bytes) -> list[Cell]:
    if len(data) < 100:
        return []
    size = struct.unpack(">H", data[16:18])[0]
    size = 65536 if size == 1 else size
    cells = []
    for number in range(1, len(data) // size + 1):
        page = data[(number - 1) * size : number * size]
        cells += [Cell("file", number, offset, cell) for offset, cell in _page_cells(page, number)]
    return cells


def wal_cells(wal: bytes) -> list[Cell]:
    """Every frame's page image, oldest first: the cells each commit adds to a page.

    After a checkpoint SQLite starts the log again from its beginning with a
    new salt (the first salt one higher), so a log file can hold frames of
    several generations: the newest at the start, older ones after them.
    Frames are put in order by their first salt, then by position, as an
    attacker reading the file would.
    """
    if len(wal) < 32:
        return []
    size = struct.unpack(">I", wal[8:12])[0]
    frames = []
    position = 32
    while position + 24 + size <= len(wal):
        number, committed, salt = struct.unpack(">III", wal[position : position + 12])
        frames.append((salt, position, number, committed, wal[position + 24 : position + 24 + size]))
        position += 24 + size
    cells: list[Cell] = []
    seen: dict[int, set[bytes]] = {}
    commit = 1
    for _, _, number, committed, page in sorted(frames, key=lambda frame: frame[:2]):
        before = seen.setdefault(number, set())
        for offset, cell in _page_cells(page, number):
            if cell not in before:
                cells.append(Cell("wal", number, offset, cell, commit))
                before.add(cell)
        commit += 1 if committed else 0  # a commit's last frame holds the database size
    return cells


# -- the channels -------------------------------------------------------------------------------


def _aligned(answers_in_order: Sequence[str], people_in_order: Sequence[str]) -> dict[str, str]:
    """marker -> guessed author: the i-th answer stored is the i-th person to answer."""
    return dict(zip(answers_in_order, people_in_order, strict=False))


def _named(data: str, people: Iterable[str]) -> list[str]:
    return [person for person in people if person in data]


def _score(channel: str, guesses: Mapping[str, str | None], truth: Truth, detail: str = "") -> Finding:
    linked = sum(1 for marker, guess in guesses.items() if guess is not None and truth.markers.get(marker) == guess)
    return Finding(channel, linked, len(truth.markers), p_value(linked, truth.batches()), detail)


def sqlite_channels(main: bytes, wal: bytes, truth: Truth, names: Mapping[str, str]) -> list[Finding]:
    """The file read page by page, and the WAL frame by frame, as a copy of the directory would give them."""
    people = list(dict.fromkeys(truth.order))
    markers = list(truth.markers)
    findings = []

    findings.append(_score("sqlite file: cell offsets", _aligned(sqlite_answer_order(main, truth), truth.order), truth))

    frames = wal_cells(wal)
    first = {m: min(((c.step, -c.offset) for c in frames if m.encode() in c.data), default=None) for m in markers}
    stored = sorted((m for m in markers if first[m]), key=lambda m: first[m])
    findings.append(_score("sqlite wal: frame order", _aligned(stored, truth.order), truth))

    # The nearest write naming one person, before the frame where the answer first appears.
    naming = [(c.step, who[0]) for c in frames if len(who := _named_cell(c.data, people, names)) == 1]
    guesses: dict[str, str | None] = {}
    for marker in markers:
        if first[marker] is None:
            continue
        before = [(step, who) for step, who in naming if step <= first[marker][0]]
        guesses[marker] = max(before)[1] if before else None
    findings.append(_score("sqlite wal: nearest person-naming write", guesses, truth))
    return findings


def sqlite_answer_order(main: bytes, truth: Truth) -> list[str]:
    """The markers in the order the file suggests they were written: page, then the higher offset first."""
    cells = file_cells(main)
    placed = {m: max(((c.page, c.offset) for c in cells if m.encode() in c.data), default=None) for m in truth.markers}
    found = [m for m in truth.markers if placed[m]]
    return sorted(found, key=lambda m: _earlier_than(m, found, placed))


def _earlier_than(marker: str, found: Sequence[str], placed: Mapping[str, Any]) -> float:
    """How many answers were written before this one: those higher in the same page; half of those in other pages.

    A new cell goes below the cells already in its page; a page that split
    has its cells rewritten in key order, so this order is partial, and
    ranking by it is the attacker's best use of it.
    """
    page, offset = placed[marker]
    return sum((1.0 if placed[o][1] > offset else 0.0) if placed[o][0] == page else 0.5 for o in found if o != marker)


def _named_cell(data: bytes, people: Sequence[str], names: Mapping[str, str]) -> list[str]:
    text = data.decode("latin-1")
    return [person for person in people if person in text or (names.get(person) and names[person] in text)]


def postgres_channels(tables: Mapping[str, list[dict[str, Any]]], truth: Truth, names: Mapping[str, str]) -> list[Finding]:
    """`xmin` and `ctid` of every row of every table, as any reader of the tables can select them."""
    people = list(dict.fromkeys(truth.order))
    answers = _answer_rows(tables, truth)
    stored = postgres_answer_order(tables, truth)
    findings = [_score("postgres: xmin, ctid of answers", _aligned(stored, truth.order), truth)]
    stored = sorted(answers, key=lambda m: ctid(answers[m]))
    findings.append(_score("postgres: ctid alone", _aligned(stored, truth.order), truth))

    naming = []
    for table, rows in tables.items():
        for row in rows:
            who = _named_cell(str(row).encode("latin-1", "replace"), people, names)
            if len(who) == 1:
                naming.append((int(row["xmin"]), table, who[0]))
    guesses: dict[str, str | None] = {}
    for marker, row in answers.items():
        xmin = int(row["xmin"])
        nearest = min(naming, key=lambda n: (abs(n[0] - xmin), n[0] > xmin), default=None)
        guesses[marker] = nearest[2] if nearest else None
    findings.append(_score("postgres: nearest person-naming row by xmin", guesses, truth))
    return findings


ANSWER_TABLES = ("answers", "shared_lessons")
"""Where released answers live: the answers, and the lessons their authors agreed to share (`bot.lessons`)."""


def _answer_rows(tables: Mapping[str, list[dict[str, Any]]], truth: Truth) -> dict[str, dict[str, Any]]:
    return {marker: row for table in ANSWER_TABLES for row in tables.get(table, []) for marker in truth.markers
            if marker in str(row)}


def ctid(row: Mapping[str, Any]) -> tuple[int, int]:
    page, item = str(row["ctid"]).strip("()").split(",")
    return int(page), int(item)


def postgres_answer_order(tables: Mapping[str, list[dict[str, Any]]], truth: Truth) -> list[str]:
    answers = _answer_rows(tables, truth)
    return sorted(answers, key=lambda m: (int(answers[m]["xmin"]), ctid(answers[m])))


def column_channels(
    tables: Mapping[str, list[dict[str, Any]]], answer_order: Sequence[str], truth: Truth, names: Mapping[str, str]
) -> list[Finding]:
    """Every time-like or sequence-like column of every table: does it give the order people answered in?

    Rows naming one participant are sorted by the column; that order of
    people is matched against `answer_order`, the order the answers are
    stored in (what the file or `xmin` gives). The best column is reported.
    """
    people = list(dict.fromkeys(truth.order))
    best: Finding | None = None
    for table, rows in tables.items():
        columns = {key for row in rows for key, value in row.items() if _orderable(value) and key not in ("xmin", "ctid")}
        for column in sorted(columns):
            ordered = []
            for row in sorted((r for r in rows if _orderable(r.get(column))), key=lambda r: str(r[column]).zfill(32)):
                who = _named_cell(str(row).encode("latin-1", "replace"), people, names)
                if len(who) == 1 and who[0] not in ordered:
                    ordered.append(who[0])
            if len(ordered) < 2:
                continue
            found = _score("time- or sequence-like column", _aligned(answer_order, ordered), truth, f"{table}.{column}")
            if best is None or found.linked > best.linked:
                best = found
    return [best or _score("time- or sequence-like column", {}, truth, "none names people")]


def _orderable(value: object) -> bool:
    """A time (SQLite hands times back as text), a date, or a number."""
    from datetime import date, datetime

    if isinstance(value, str):
        try:
            datetime.fromisoformat(value)
        except ValueError:
            return False
        return True
    return isinstance(value, datetime | date) or (isinstance(value, int) and not isinstance(value, bool))


def log_channel(
    lines: Sequence[str], truth: Truth, names: Mapping[str, str], fingerprints: Mapping[str, str] | None = None
) -> Finding:
    """Any log line with an answer in it, or its receipt's fingerprint, tied to the nearest line naming a person.

    `fingerprints` (marker -> receipt digest) are what the database ties to
    each answer: the receipt written in the same transaction as it.
    """
    people = list(dict.fromkeys(truth.order))
    guesses: dict[str, str | None] = {}
    for marker in truth.markers:
        needles = [marker] + ([fingerprints[marker]] if fingerprints and marker in fingerprints else [])
        for index, line in enumerate(lines):
            if not any(needle in line for needle in needles):
                continue
            for earlier in reversed(lines[: index + 1]):
                who = _named(earlier, people) or [p for p in people if names.get(p) and names[p] in earlier]
                if len(who) == 1:
                    guesses[marker] = who[0]
                    break
            break
    return _score("logs (every logger, DEBUG)", guesses, truth)


def platform_channel(records: Sequence[tuple[str | None, str]], truth: Truth) -> Finding:
    """What the platform holds: each call of the bot (or answer to a person) with the person it concerns, if any."""
    people = list(dict.fromkeys(truth.order))
    guesses: dict[str, str | None] = {}
    for person, text in records:
        for marker in truth.markers:
            if marker in text:
                who = [person] if person else _named(text, people)
                if len(who) == 1:
                    guesses.setdefault(marker, who[0])
    return _score("platform records of the bot's calls", guesses, truth)


def talk_channel(shot: Snapshot, truth: Truth) -> Finding:
    """A request to talk names its author; is the answer written nearest to it (either side) theirs?

    A request made from the thank-you screen follows its author's answer by
    moments. The attacker takes each request's write (its WAL commit on
    SQLite, its `xmin` on PostgreSQL) and guesses that the answer written
    nearest to it is its author's. Under chance a guess is right with
    probability one in the size of the author's batch (`_chance_of`): a
    batch is released in one write, and the request says nothing about
    which answer of the batch came before it.
    """
    requests = shot.tables.get("support_requests", [])
    authors = {str(row["user"]) for row in requests}
    if shot.main:
        frames = wal_cells(shot.wal)
        first = {m: min(((c.step, -c.offset) for c in frames if m.encode() in c.data), default=None) for m in truth.markers}
        where = {m: at for m, at in first.items() if at is not None}
        asked = {}
        for row in requests:
            needle = uuid_text(row["id"])
            step = min((c.step for c in frames if needle.encode() in c.data), default=None)
            if step is not None:
                asked[str(row["user"])] = (step, 0)
    else:
        where = {m: (int(row["xmin"]), ctid(row)) for m, row in _answer_rows(shot.tables, truth).items()}
        asked = {str(row["user"]): (int(row["xmin"]), (0, 0)) for row in requests}
    linked = 0
    for author, (at, _) in asked.items():
        nearest = min(where, key=lambda m: (abs(where[m][0] - at), where[m]), default=None)
        linked += nearest is not None and truth.markers[nearest] == author
    chances = [_chance_of(author, truth) for author in sorted(authors) if author in truth.order]
    return Finding("a request to talk beside the nearest answer", linked, len(authors), _tail(linked, chances),
                   f"{len(asked)} of {len(authors)} requests placed")


def uuid_text(value: object) -> str:
    """A UUID as SQLite stores it (32 hex digits), whatever type the row handed back."""
    return str(value).replace("-", "")


def _chance_of(author: str, truth: Truth) -> float:
    """The probability that a guess of this person's answer within their batch is right by chance."""
    position, start = truth.order.index(author), 0
    for size in truth.batches():
        if position < start + size:
            return 1.0 / size
        start += size
    return 1.0


def _tail(linked: int, chances: Sequence[float]) -> float:
    """P(at least `linked` successes) for independent trials with these chances (Poisson binomial)."""
    dist = [1.0]
    for chance in chances:
        dist = [a * (1 - chance) + (dist[i - 1] * chance if i else 0.0) for i, a in enumerate([*dist, 0.0])]
    return sum(dist[linked:]) if linked < len(dist) else 0.0


def report(findings: Sequence[Finding], title: str) -> str:
    return "\n".join([f"anonymity attack, {title}:", *(finding.line() for finding in findings)])



# -- what the attacker holds -----------------------------------------------------------------------


@dataclass
class Snapshot:
    """A copy of the database at one moment: its files (SQLite) and every row of every table."""

    tables: dict[str, list[dict[str, Any]]]
    main: bytes = b""
    wal: bytes = b""


async def snapshot(database: Any) -> Snapshot:
    """What an administrator copies: SQLite's files as they are on disk, and every table with its system columns."""
    from pathlib import Path

    from sqlalchemy import inspect, text
    from sqlalchemy.engine import make_url

    async with database.engine.connect() as connection:
        names = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
        tables = {}
        for name in names:
            columns = "xmin::text::bigint AS xmin, ctid::text AS ctid, *" if not database.is_sqlite else "*"
            result = await connection.execute(text(f'SELECT {columns} FROM "{name}"'))
            tables[name] = [dict(row) for row in result.mappings()]
    if not database.is_sqlite:
        return Snapshot(tables)
    path = Path(make_url(database.url).database)
    wal = path.with_name(path.name + "-wal")
    return Snapshot(tables, path.read_bytes(), wal.read_bytes() if wal.exists() else b"")


def attack(
    snapshots: Sequence[Snapshot],
    truth: Truth,
    names: Mapping[str, str],
    logs: Sequence[str],
    platform: Sequence[tuple[str | None, str]],
) -> list[Finding]:
    """Every channel on every snapshot; for each channel its best result."""
    best: dict[str, Finding] = {}
    for shot in snapshots:
        if shot.main:
            found = sqlite_channels(shot.main, shot.wal, truth, names)
            order = sqlite_answer_order(shot.main, truth)
        else:
            found = postgres_channels(shot.tables, truth, names)
            order = postgres_answer_order(shot.tables, truth)
        found += column_channels(shot.tables, order, truth, names)
        found.append(talk_channel(shot, truth))
        for finding in found:
            if finding.channel not in best or finding.linked > best[finding.channel].linked:
                best[finding.channel] = finding
    findings = list(best.values())
    tied: dict[str, str] = {}
    for shot in snapshots:
        tied.update(fingerprints(shot, truth))
    findings.append(log_channel(logs, truth, names, tied))
    digests = {str(row["digest"]) for shot in snapshots for row in shot.tables.get("answer_receipts", [])}
    people = list(dict.fromkeys(truth.order))
    beside = sum(1 for line in logs if any(d in line for d in digests) or (
        any(p in line for p in people) and any(m in line for m in truth.markers)))
    findings.append(Finding("logs: a fingerprint, or a person beside an answer", beside, len(logs), 0.0 if beside else 1.0))
    findings.append(platform_channel(platform, truth))
    return findings


def fingerprints(shot: Snapshot, truth: Truth) -> dict[str, str]:
    """marker -> the digest of the receipt written in the same transaction as the answer (one of its kind), if any."""
    digests = [str(row["digest"]) for row in shot.tables.get("answer_receipts", [])]
    if shot.main:
        frames = wal_cells(shot.wal)
        step = lambda needle: min((c.step for c in frames if needle.encode() in c.data), default=None)  # noqa: E731
        by_step: dict[int, list[str]] = {}
        for digest in digests:
            if (at := step(digest)) is not None:
                by_step.setdefault(at, []).append(digest)
        found = {m: by_step.get(step(m) or -1, []) for m in truth.markers}
    else:
        receipts = {int(row["xmin"]): [] for row in shot.tables.get("answer_receipts", [])}
        for row in shot.tables.get("answer_receipts", []):
            receipts[int(row["xmin"])].append(str(row["digest"]))
        found = {m: receipts.get(int(row["xmin"]), []) for m, row in _answer_rows(shot.tables, truth).items()}
    return {marker: same[0] for marker, same in found.items() if len(same) == 1}


class LogCapture:
    """Every record of every logger, formatted as `serve` formats it, with logging configured as `serve` does.

    `level` is LOG_LEVEL (DEBUG unless told).
    """

    def __init__(self, level: str = "DEBUG") -> None:
        import logging

        self.level = level
        self.lines: list[str] = []
        capture = self

        class Handler(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                capture.lines.append(self.format(record))

        self.handler = Handler(level=logging.DEBUG)
        self.handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))

    def __enter__(self) -> LogCapture:
        import logging

        from adapters.logs import configure

        root = logging.getLogger()
        self._saved = root.level, {name: logging.getLogger(name).level for name in logging.root.manager.loggerDict}
        configure(self.level, handler=self.handler)
        return self

    def __exit__(self, *exc: object) -> None:
        import logging

        root = logging.getLogger()
        root.removeHandler(self.handler)
        root.setLevel(self._saved[0])
        for name, level in self._saved[1].items():
            logging.getLogger(name).setLevel(level)

