"""Typed errors the core raises; each adapter maps them to a kind message.

The message on each error is written for the person in front of the screen
(short, plain, no blame); adapters may show it as is.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field


class DebriefError(Exception):
    """Base of everything the core refuses on purpose."""

    message = "Sorry, that didn't work. Please try again."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.message)
        if message:
            self.message = message


class NotFound(DebriefError):
    message = "I couldn't find that debrief. It may have been removed."


class NotAllowed(DebriefError):
    message = "Sorry, only the people this is meant for can do that."


class AlreadyAnswered(DebriefError):
    message = "You've already answered this one, thank you. Your first answer stands and stays anonymous."


class AlreadyAdded(DebriefError):
    """The same action-point form sent again (a double tap, a platform's retry): it was added the first time."""

    message = "That action point is already added."


class AlreadyClaimed(DebriefError):
    message = "Someone else on the wellbeing team has already taken this request on."


class FormExpired(DebriefError):
    message = "This form was open for a long time, so nothing was saved. Please open it again; it takes a moment."


class NoLongerOpen(DebriefError):
    message = "This debrief has closed, so it can't take answers any more. Support is still there for you."


@dataclass
class Finding:
    """One likely patient identifier: what kind, and where in the text.

    `where` is a rough pointer for a long answer ("near the start"), so the
    message can say where to look without quoting the identifier back.
    """

    kind: str
    start: int
    end: int
    field: str = ""
    where: str = dataclasses.field(default="", compare=False)

    def describe(self) -> str:
        name = KIND_NAMES.get(self.kind, self.kind)
        return f"{name} {self.where}" if self.where else name


KIND_NAMES = {
    "nhs_number": "an NHS number",
    "ssn": "a social security number",
    "ni_number": "a National Insurance number",
    "mrn": "a hospital or record number",
    "date_of_birth": "a date of birth",
    "phone": "a phone number",
    "email": "an e-mail address",
    "name": "a patient's name",
    "postcode": "a postcode",
    "address": "a home address",
    "age": "an age over 89",
}


def _listed(findings: list[Finding]) -> str:
    """Kinds in the order they appear, each once: "a name near the start and a postcode near the end"."""
    seen: list[str] = []
    for finding in sorted(findings, key=lambda f: f.start):
        if finding.describe() not in seen:
            seen.append(finding.describe())
    return ", ".join(seen[:-1]) + " and " + seen[-1] if len(seen) > 1 else seen[0]


@dataclass
class IdentifierFound(DebriefError):
    """Free text that looks like it names a patient; nothing was stored.

    The messages say which kind was found and roughly where, never the text
    itself: they reach the platform's record and, through `explain`, the log
    line names only the error's type.  `labels` maps a field's key to what the
    person sees above the box, for the one-line message.
    """

    findings: list[Finding] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        by_field: dict[str, list[Finding]] = {}
        for finding in self.findings:
            by_field.setdefault(finding.field, []).append(finding)
        parts = [
            (f"in '{self.labels[name]}', " if name in self.labels else "") + _listed(found)
            for name, found in by_field.items()
        ]
        self.message = (
            "This looks like it contains "
            + "; ".join(parts)
            + ". Please remove patient details (names count too); nothing has been saved yet."
        )
        Exception.__init__(self, self.message)

    def by_field(self) -> dict[str, str]:
        """One kind message per form field, for modal or card error display."""
        messages: dict[str, list[Finding]] = {}
        for finding in self.findings:
            messages.setdefault(finding.field, []).append(finding)
        return {
            name: "Looks like " + _listed(found) + ". Please remove patient details."
            for name, found in messages.items()
        }


@dataclass
class InvalidAnswer(DebriefError):
    """An answer that does not fit the form: field name -> what to fix."""

    problems: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.message = "Please check: " + "; ".join(self.problems.values())
        Exception.__init__(self, self.message)
