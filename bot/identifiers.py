"""Screen free text for likely patient identifiers before anything is stored.

Why this exists: a debrief lives in a chat tool, and patient details do not
belong there (DESIGN.md, "Anonymity model").  Free text and event labels pass
through `screen` first; if it finds something the author is asked to remove it
and nothing is saved.

Why it looks the way it does: clinical free text is full of numbers that are
not identifiers (doses, times, observations, bleep, bed and bay numbers,
years).  So a bare number is reported only when its shape is specific: an NHS
number must carry a valid check digit, an SSN must be grouped 3-2-4 and fall in
the issued ranges, a phone number must follow a real numbering plan.  Looser
shapes (record numbers, 9-digit SSNs, dates) count only next to a label that
says what they are.  Unlabelled dates are never flagged: "on 12/03 at 14:00"
is how incidents are described.

Platform-neutral and standard library only.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from bot.errors import Finding, IdentifierFound

__all__ = ["find_identifiers", "screen"]

# What people type between digit groups: spaces (also no-break and thin) and hyphens or dashes.
_GAP = "[ \u00a0\u2009\u202f\\-\u2010\u2011\u2012\u2013]"
_NO_DIGIT_BEFORE = r"(?<!\d)"
_NO_DIGIT_AFTER = r"(?!\d)"

NHS_NUMBER = re.compile(
    rf"{_NO_DIGIT_BEFORE}(?P<id>\d{{3}}{_GAP}?\d{{3}}{_GAP}?\d{{4}}){_NO_DIGIT_AFTER}"
)

SSN_GROUPED = re.compile(rf"{_NO_DIGIT_BEFORE}(?P<id>\d{{3}}{_GAP}\d{{2}}{_GAP}\d{{4}}){_NO_DIGIT_AFTER}")

# Nine plain digits are too common to flag on their own; only after an SSN label.
SSN_LABELLED = re.compile(
    r"\b(?:ssn|ss\#|social\s+security(?:\s+(?:no|num|number|\#))?)(?![a-z])\.?\s*[:\#=.-]?\s*"
    r"(?P<id>\d{9})(?!\d)",
    re.IGNORECASE,
)

MRN_LABELLED = re.compile(
    r"""
    \b(?: mrn | m\.r\.n
        | (?:medical\s+)?record\s+(?:no|num|number|\#)
        | hosp(?:ital)?\.?\s*(?:no|num|number|\#)
        | (?:patient|pt)\.?\s*(?:no|num|number|id|\#)
        | unit\s+(?:no|num|number|\#)
        | chi(?:\s+(?:no|num|number))?
        | nhs\s+(?:no|num|number|\#)
        | id\s+(?:no|num|number|\#)
    )(?![a-z])\.?\s*[:\#=.-]?\s*
    (?P<id>[a-z0-9]+(?:[-/][a-z0-9]+)*)(?![a-z0-9])
    """,
    re.IGNORECASE | re.VERBOSE,
)

_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)(?![a-z])\.?"
)
_DATE = rf"""(?:
      \d{{1,2}}[/.-]\d{{1,2}}[/.-](?:\d{{4}}|\d{{2}})
    | \d{{4}}[/.-]\d{{1,2}}[/.-]\d{{1,2}}
    | \d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH},?\s+\d{{2,4}}
    | {_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}
    )(?!\d)"""

# A date is a date of birth only when a birth label sits right before it.
DATE_OF_BIRTH = re.compile(
    rf"""
    \b(?: d\.?\s?o\.?\s?b\b\.? | date\s+of\s+birth | birth\s?date | born )
    [\s:=,.-]*(?:(?:is|was|on|of)\s+)?
    (?P<id>{_DATE})
    """,
    re.IGNORECASE | re.VERBOSE,
)

PHONE_INTERNATIONAL = re.compile(r"(?<![\w+])(?P<id>\+[1-9][\d \-.()]{6,22}\d)(?!\d)")

# UK: trunk 0, then a geographic (01/02), non-geographic (03/05/08/09) or mobile (07) range.
PHONE_UK = re.compile(
    rf"(?<![\d+])(?P<id>(?:\(0[1235789]\d{{1,3}}\)|0[1235789]\d{{1,3}})(?:{_GAP}?\d{{3,4}}){{1,2}}){_NO_DIGIT_AFTER}"
)

# US: area code in brackets or followed by a separator; 3-4 split always separated.
_US_SEP = "[ .\u00a0\\-\u2010\u2011\u2013]"
PHONE_US = re.compile(
    rf"(?<![\d+])(?P<id>(?:1{_US_SEP})?(?:\([2-9]\d\d\){_US_SEP}?|[2-9]\d\d{_US_SEP})\d{{3}}{_US_SEP}\d{{4}}){_NO_DIGIT_AFTER}"
)

PHONE_LABELLED = re.compile(
    r"\b(?:tel|telephone|phone|mobile|mob|cell|cellphone)(?:\s*(?:no|num|number|\#))?(?![a-z])\.?\s*[:\#=.-]?\s*"
    r"(?P<id>\+?\(?\d[\d \-.()]{5,18}\d)(?!\d)",
    re.IGNORECASE,
)

EMAIL = re.compile(
    r"(?<![\w.+%-])(?P<id>[\w.+%-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,})(?![\w-])",
    re.IGNORECASE,
)

# A number followed by a unit is a dose or an observation, never a phone number.
_UNIT_AFTER = re.compile(
    r"\s*(?:mg|mcg|micrograms?|µg|ug|g|kg|ml|l|mmol|units?|iu|%|mmhg|kpa|bpm|j|joules?"
    r"|mins?|minutes?|secs?|seconds?|hrs?|hours?|days?|weeks?)(?![a-z])",
    re.IGNORECASE,
)

# Overlaps keep the most specific kind: a check digit beats a labelled shape beats a phone plan.
_SPECIFICITY = {"nhs_number": 0, "ssn": 1, "email": 2, "date_of_birth": 3, "mrn": 4, "phone": 5}


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def _nhs_check_digit(first_nine: str) -> int | None:
    """Mod-11 check digit of an NHS number; None when the number cannot exist."""
    total = sum(int(digit) * weight for digit, weight in zip(first_nine, range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        return 0
    return None if check == 10 else check


def _valid_nhs(match: re.Match[str]) -> bool:
    digits = _digits(match["id"])
    return _nhs_check_digit(digits[:9]) == int(digits[9])


def _valid_ssn(match: re.Match[str]) -> bool:
    """The SSA never issues area 000, 666 or 9xx, group 00 or serial 0000."""
    digits = _digits(match["id"])
    area, group, serial = digits[:3], digits[3:5], digits[5:]
    return area not in ("000", "666") and area[0] != "9" and group != "00" and serial != "0000"


def _valid_mrn(match: re.Match[str]) -> bool:
    """A record number has at least four digits ("patient no 4 in bay 2" is a count)."""
    return len(_digits(match["id"])) >= 4


def _phone_digits(low: int, high: int) -> Callable[[re.Match[str]], bool]:
    def valid(match: re.Match[str]) -> bool:
        if _UNIT_AFTER.match(match.string, match.end()):
            return False
        return low <= len(_digits(match["id"])) <= high

    return valid


def _always(match: re.Match[str]) -> bool:
    return True


_DETECTORS: list[tuple[str, re.Pattern[str], Callable[[re.Match[str]], bool]]] = [
    ("nhs_number", NHS_NUMBER, _valid_nhs),
    ("ssn", SSN_GROUPED, _valid_ssn),
    ("ssn", SSN_LABELLED, _valid_ssn),
    ("mrn", MRN_LABELLED, _valid_mrn),
    ("date_of_birth", DATE_OF_BIRTH, _always),
    ("phone", PHONE_INTERNATIONAL, _phone_digits(8, 15)),
    ("phone", PHONE_UK, _phone_digits(10, 11)),
    ("phone", PHONE_US, _phone_digits(10, 11)),
    ("phone", PHONE_LABELLED, _phone_digits(7, 15)),
    ("email", EMAIL, _always),
]


def find_identifiers(text: str, field: str = "") -> list[Finding]:
    """Likely patient identifiers in `text`, sorted by start offset, never overlapping.

    Each finding spans the identifier itself (not its label), as character
    offsets into `text`, and carries `field` so a form can point at the box.
    """
    candidates: list[Finding] = []
    for kind, pattern, valid in _DETECTORS:
        for match in pattern.finditer(text):
            if valid(match):
                candidates.append(Finding(kind, match.start("id"), match.end("id"), field))
    candidates.sort(key=lambda f: (_SPECIFICITY[f.kind], f.start - f.end, f.start))
    kept: list[Finding] = []
    for candidate in candidates:
        if all(candidate.end <= other.start or other.end <= candidate.start for other in kept):
            kept.append(candidate)
    return sorted(kept, key=lambda f: f.start)


def screen(fields: Mapping[str, str | None]) -> None:
    """Refuse a form whose free text looks like it names a patient.

    Runs `find_identifiers` over every non-empty field and raises
    `IdentifierFound` with all findings (each tagged with its field name), so
    the caller can show a kind message per field and store nothing.
    """
    findings = [
        finding
        for name, text in fields.items()
        if text
        for finding in find_identifiers(text, name)
    ]
    if findings:
        raise IdentifierFound(findings)
