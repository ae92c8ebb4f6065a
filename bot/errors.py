"""Typed errors the core raises; each adapter maps them to a kind message.

The message on each error is written for the person in front of the screen
(short, plain, no blame); adapters may show it as is.
"""

from __future__ import annotations

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
    """One likely patient identifier: what kind, and where in the text."""

    kind: str
    start: int
    end: int
    field: str = ""

    def describe(self) -> str:
        return KIND_NAMES.get(self.kind, self.kind)


KIND_NAMES = {
    "nhs_number": "an NHS number",
    "ssn": "a social security number",
    "mrn": "a hospital or record number",
    "date_of_birth": "a date of birth",
    "phone": "a phone number",
    "email": "an e-mail address",
}


@dataclass
class IdentifierFound(DebriefError):
    """Free text that looks like it names a patient; nothing was stored."""

    findings: list[Finding] = field(default_factory=list)

    def __post_init__(self) -> None:
        kinds = sorted({finding.describe() for finding in self.findings})
        self.message = (
            "This looks like it contains "
            + " and ".join(kinds)
            + ". Please remove patient details; nothing has been saved yet."
        )
        Exception.__init__(self, self.message)

    def by_field(self) -> dict[str, str]:
        """One kind message per form field, for modal or card error display."""
        messages: dict[str, list[str]] = {}
        for finding in self.findings:
            messages.setdefault(finding.field, []).append(finding.describe())
        return {
            name: "Looks like " + " and ".join(sorted(set(kinds))) + ". Please remove patient details."
            for name, kinds in messages.items()
        }


@dataclass
class InvalidAnswer(DebriefError):
    """An answer that does not fit the form: field name -> what to fix."""

    problems: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.message = "Please check: " + "; ".join(self.problems.values())
        Exception.__init__(self, self.message)
