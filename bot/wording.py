"""Plain words the bot uses on every platform: counts, dates, schedules, stage and reason names, the digest.

These are wording, not layout: each adapter puts them into its own Block Kit
or Adaptive Card, so Slack and Teams say the same thing the same way, and a
wording change is made here once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from bot.care import Signal
from bot.debriefs import SKIP_REASON_LABELS, SkipReason
from bot.models import SinceEvent
from bot.port import FollowupDelivery, ShownResource, WeeklyDigest
from bot.scripts import DEBRIEF_STAGE, ResourceSet
from bot.settings import Settings, parse_duration
from bot.support import humanise_duration, resources_for_person


def plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


def day(value: date) -> str:
    """`Tue 14 Jan 2025`: short, unambiguous in every English locale."""
    return f"{value:%a} {value.day} {value:%b %Y}"


def humanise(schedule: str) -> str:
    """`24h,7d` -> `24 hours and 7 days`, for people rather than operators."""
    words = []
    for part in [item for item in schedule.split(",") if item.strip()]:
        delay = parse_duration(part)
        words.append("24 hours" if delay.total_seconds() == 86400 else humanise_duration(delay))
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def stage_name(stage: str) -> str:
    """`debrief` -> `At the debrief`; `7d` -> `After 7 days`."""
    if stage == DEBRIEF_STAGE:
        return "At the debrief"
    try:
        return f"After {humanise(stage)}"
    except ValueError:
        return stage


def skip_reason(value: str) -> str:
    """The words for a stored skip reason (the stored value if it is not one we know)."""
    try:
        return SKIP_REASON_LABELS[SkipReason(value)]
    except ValueError:
        return value


SINCE_EVENT_SHORT = {
    SinceEvent.UNDER_1H: "under 1 h",
    SinceEvent.HOURS_1_4: "1-4 h",
    SinceEvent.HOURS_4_12: "4-12 h",
    SinceEvent.HOURS_12_24: "12-24 h",
    SinceEvent.DAYS_1_3: "1-3 days",
    SinceEvent.OVER_3D: "over 3 days",
}


def since_event(value: str) -> str:
    """Short words for a time-from-event band in the report ("not given" when the lead left it blank)."""
    try:
        return SINCE_EVENT_SHORT[SinceEvent(value)]
    except ValueError:
        return value.replace("_", " ")


def answered(responses: int, minimum: int) -> str:
    """`7 answers`, or `fewer than 5 answers` below the minimum group (never the small number)."""
    return plural(responses, "answer") if responses >= minimum else f"fewer than {minimum} answers"


def clip(text: str, limit: int) -> str:
    """At most `limit` characters, ending with an ellipsis when cut."""
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


HIDDEN = "–"
"""A figure the report hides: below the minimum group, or it would let someone work out a smaller one."""


def cell(value: int | None) -> str:
    """A figure as shown: the number, or `HIDDEN` (never a number for a hidden one)."""
    return HIDDEN if value is None else str(value)


DIGEST_TITLE = "Your weekly debrief digest"


def digest_heading(digest: WeeklyDigest) -> str:
    """`Your weekly debrief digest: Mon 1 Dec 2025 to Sun 7 Dec 2025`: the notification line, the card's fallback."""
    return f"{DIGEST_TITLE}: {day(digest.since.date())} to {day(digest.until.date())}"


@dataclass(frozen=True)
class DigestWords:
    period: str
    lines: list[str]
    hidden_note: str


def digest_words(digest: WeeklyDigest, requests: str, summary: str) -> DigestWords:
    """The weekly digest in words; `requests` and `summary` are the commands as typed on the platform."""
    period = f"{day(digest.since.date())} to {day(digest.until.date())}"
    lines = [
        f"Debriefs held: {cell(digest.debriefs_held)}",
        f"Events with no debrief: {cell(digest.debriefs_skipped)}",
        f"Answers at the debriefs: {cell(digest.answers)} of {cell(digest.invited)} people invited",
    ]
    if digest.distress:
        lines.append("How distressed people felt (0-10): "
                     + " / ".join(f"{band}: {cell(count)}" for band, count in digest.distress))
    if digest.support_open == 0:
        lines.append("Requests to talk waiting: none")
    else:
        lines.append(f"Requests to talk waiting: {cell(digest.support_open)}. Type {requests} to take them on")
    return DigestWords(
        period=f"{period}, all teams, anonymised",
        lines=lines,
        hidden_note=(f"{HIDDEN} : hidden, because it is below {digest.min_group} or would let someone work out a "
                     f"smaller group. Type {summary} for the last 30 days, team by team."),
    )


QUEUE_EMPTY = "Nobody is waiting to talk to someone right now. \U0001f499"


def queue_summary(waiting: int) -> str:
    """The support queue in one line: the notification text, the card's fallback."""
    return f"Support requests: {waiting} waiting" if waiting else "No support requests waiting"


# --- what the bot says to a person about their own care: written once, rendered by each adapter ---------------
#
# Plain text only (no markup): an adapter escapes it, emphasises `Screen.heading`,
# lists `Screen.resources` its own way and puts the buttons after. Every sentence
# here is a promise; `bot.care` and `bot.support` are the code that keeps it.

ANONYMOUS_THANKS = "Thank you. Your answers are in, with no name attached."
NOBODY_TOLD = (
    "Because your answers are anonymous, nobody has been told about them, "
    "and nobody will contact you unless you ask."
)
TALK_OFFER = (
    "Would you like to talk to someone from the wellbeing team? Only if you choose it: it shares your name "
    "with them, and nobody else. Your answers stay anonymous either way."
)
TALK_BUTTON = "I'd like to talk to someone"
SUPPORT_BUTTON = "All support contacts"
CHECK_IN_BUTTON = "Check in (anonymous)"
CHECKIN_QUESTIONS = "Every question is anonymous and optional."
STOPPED = (
    "Done: you won't get any more check-ins from this debrief. "
    "Support is still there whenever you want it."
)


@dataclass(frozen=True)
class Screen:
    """Words for one screen a person sees about their own care, before any buttons.

    `resources` come after `lines`, under `resources_title`; `danger` (the
    emergency number) after them, emphasised; `talk` (the offer of a
    conversation) last, before the talk button, when anyone would receive it.
    """

    title: str
    heading: str
    lines: tuple[str, ...] = ()
    resources_title: str | None = None
    resources: tuple[ShownResource, ...] = ()
    danger: str | None = None
    talk: str | None = None


TEAM_SEES_TOTALS = (
    "The team will see the totals of how people are (how many chose each answer, never who), "
    "once at least {minimum} people have answered."
)


def form_intro(intro: str | None, settings: Settings, stage: str) -> str | None:
    """The answer form's opening words: the check-in's message, and at the debrief whether the team sees totals."""
    if stage == DEBRIEF_STAGE and settings.debrief_team_distress:
        note = TEAM_SEES_TOTALS.format(minimum=settings.debrief_min_group)
        return f"{intro}\n\n{note}" if intro else note
    return intro


def in_danger(resource_set: ResourceSet) -> str:
    """`If you are in danger, call 999 now.`: the region's number, or "your local emergency number"."""
    return f"If you are in danger, call {resource_set.emergency_number} now."


def thanks(signal: Signal, resource_set: ResourceSet, talk_available: bool) -> Screen:
    """The screen after an anonymous answer is stored, for what it signalled (`bot.care`).

    Every version offers the conversation, so that a request to talk never
    says which kind of answer came before it.
    """
    talk = TALK_OFFER if talk_available else None
    if signal is Signal.CRISIS:
        return Screen(
            title="Thank you",
            heading=ANONYMOUS_THANKS,
            lines=(
                NOBODY_TOLD,
                "It sounds like things are really hard right now. You don't have to carry this alone. "
                "These lines are there to listen, right now, any time:",
            ),
            resources=resources_for_person(resource_set, crisis_only=True),
            danger=in_danger(resource_set),
            talk=talk,
        )
    if signal is Signal.SUPPORT:
        return Screen(
            title="Thank you",
            heading=ANONYMOUS_THANKS,
            lines=(
                "Your answers suggest the last two weeks have been hard. That is common after a case like this, "
                "and talking to someone helps. " + NOBODY_TOLD,
            ),
            resources_title=resource_set.title,
            resources=resources_for_person(resource_set),
            danger=in_danger(resource_set),
            talk=talk,
        )
    return Screen(
        title="Thank you",
        heading=ANONYMOUS_THANKS,
        lines=("Look after yourself today. Support is there whenever you want it.",),
        talk=talk,
    )


def first_crisis_line(resources: Sequence[ShownResource]) -> str | None:
    """The crisis line a check-in shows on its first screen: the first in the file."""
    crisis = next((shown.resource for shown in resources if shown.resource.crisis and not shown.resource.placeholder),
                  None)
    if crisis is None:
        return None
    return f"If you need someone now: {crisis.name}, {crisis.contact} ({crisis.hours})."


def checkin(delivery: FollowupDelivery, emergency: str) -> Screen:
    """A check-in's first screen: the stage's message, the first crisis line, the emergency number.

    Short enough for a phone (about 600 characters before the buttons); the
    other contacts are one tap away ("All support contacts").
    """
    lines = [delivery.message]
    if delivery.questions:
        lines.append(CHECKIN_QUESTIONS)
    crisis = first_crisis_line(delivery.resources)
    return Screen(
        title="Check-in",
        heading=f"Checking in after your debrief · {delivery.script_title}",
        lines=tuple(lines),
        danger=" ".join(part for part in (crisis, f"In danger: call {emergency}.") if part),
    )


def help_reply(resource_set: ResourceSet, talk_available: bool) -> Screen:
    """The answer to a message the bot did not understand that asks for help or uses crisis words."""
    return Screen(
        title="Support",
        heading="You don't have to carry this alone.",
        lines=("These lines are there to listen, right now, any time. I haven't told anyone that you asked.",),
        resources=resources_for_person(resource_set, crisis_only=True),
        danger=in_danger(resource_set),
        talk=TALK_OFFER if talk_available else None,
    )


def response_time(settings: Settings) -> str:
    """`within 4 hours`, from DEBRIEF_SUPPORT_RESPONSE."""
    return "within " + humanise(settings.debrief_support_response)


def talk_sent(reached: bool, settings: Settings, resource_set: ResourceSet) -> Screen:
    """What a person is told once their request to talk is stored: the promise, or the truth."""
    crisis = resources_for_person(resource_set, crisis_only=True)
    phone = settings.oncall_phone
    if reached:
        lines = [
            f"The wellbeing team has your request. They usually reply {response_time(settings)}; "
            "at night it may be the next morning.",
            "If nobody has taken it on by then, it goes to everyone on the team again"
            + (" and to the on-call contact." if settings.debrief_support_oncall else "."),
        ]
        if phone:
            lines.append(f"If you need someone sooner, call the on-call team on {phone}, or:")
        else:
            lines.append("If you need someone sooner:")
        return Screen(title="Talk to someone", heading="Done.", lines=tuple(lines), resources=crisis,
                      danger=in_danger(resource_set))
    lines = [
        "Your request is saved, but I couldn't reach anyone on the wellbeing team just now, so nobody knows yet. "
        "I'll keep trying. Please don't wait for us if you need someone:",
    ]
    if phone:
        lines.append(f"The on-call team: call {phone}.")
    return Screen(title="Talk to someone", heading="Nobody could be told yet.", lines=tuple(lines), resources=crisis,
                  danger=in_danger(resource_set))


def still_waiting(waiting: str) -> str:
    """The line on a support notice sent again: `Still waiting after 4 hours: nobody has taken this on yet.`"""
    return f"Still waiting after {waiting}: nobody has taken this on yet. Please take it on, or make sure someone does."


def nobody_reached(settings: Settings, resource_set: ResourceSet) -> Screen:
    """Sent to a person whose request nobody has taken on in time and nobody could be told of again."""
    lines = [
        "I'm sorry: nobody on the wellbeing team has taken on your request to talk yet, and I couldn't reach "
        "anyone just now. Please don't wait for us if you need someone:",
    ]
    if settings.oncall_phone:
        lines.append(f"The on-call team: call {settings.oncall_phone}.")
    return Screen(title="Talk to someone", heading="Your request to talk is still waiting.", lines=tuple(lines),
                  resources=resources_for_person(resource_set, crisis_only=True), danger=in_danger(resource_set))
