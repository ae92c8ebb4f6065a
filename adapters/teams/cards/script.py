"""The cards in the debrief's conversation: the script, action points, results, the closing summary.

The script card is drawn from the debrief row alone (status, label, the
counter last shown), so the same function draws it when it is posted, when
the batched counter moves and when the debrief closes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from adapters.teams.cards.actions import point_buttons
from adapters.teams.cards.common import (
    Element,
    bullets,
    card,
    container,
    dialog_button,
    heading,
    subheading,
    text,
    user_text,
)
from adapters.teams.ids import Verb
from bot.anonymity import describe_count
from bot.models import ActionPoint, Debrief, DebriefStatus
from bot.results import StageAggregate
from bot.scripts import Script
from bot.wording import day, humanise, plural

COUNTER_ID = "counter"
PRIVACY = [
    "**Anonymous:** your answers carry no name. Nobody can see whose they are: not the lead, not IT.",
    "**Confidential:** anything you write goes only to the wellbeing team, unless you tick "
    "\u201cShare with the team\u201d. Even then it is shown without your name.",
    "**The one time your name is shared:** if you ask to talk to someone, the wellbeing team "
    "sees who asked, so they can reach you.",
]
WHERE = (
    "This debrief runs here, in this conversation: a private channel needs Microsoft Graph permissions "
    "that aren't set up. Answers never appear here; each person gives them privately."
)
WHERE_PRIVATE = (
    "This debrief runs in this private channel: only the people picked can see it. "
    "Answers never appear here; each person gives them privately."
)
MAX_LISTED_POINTS = 20
MAX_NOTES = 40
NOTES_BUDGET = 8000
"""Characters of shared notes on one card: Teams refuses a message over about 28 KB."""


def script_fallback(script: Script) -> str:
    """The notification text: the bot's words only, never user text."""
    return f"Debrief: {script.title}"


def in_private_channel(debrief: Debrief) -> bool:
    """Run in a channel made for it (through Graph) rather than where it was started."""
    return bool(debrief.space) and str(debrief.space).split(";")[0] != debrief.team


def script_card(debrief: Debrief, script: Script, min_group: int, shown: int | None = None,
                private: bool | None = None) -> dict[str, Any]:
    """The script with its live counter and buttons; a closed debrief keeps only support."""
    private = in_private_channel(debrief) if private is None else private
    shown = debrief.shown_count if shown is None else shown
    ref: dict[str, Any] = {"d": debrief.id}
    body: list[Element] = [heading(script.title)]
    if debrief.label:
        body.append(user_text(debrief.label, limit=150, prefix="About: ", subtle=True))
    body.append(text(f"**Why:** {script.why} _(about {script.minutes} minutes)_"))
    body.append(subheading("Start by reading this aloud"))
    body.append(text(script.intro, subtle=True, spacing="Small"))
    for number, step in enumerate(script.steps, 1):
        body.append(subheading(f"{number}. {step.key}: {step.title}"))
        body.append(text(step.prompt, spacing="Small"))
    if script.lead_tips:
        body.append(subheading("Tips for whoever leads"))
        body.append(bullets(script.lead_tips))
    body.append(container([subheading("What stays private"), bullets(PRIVACY)], separator=True, spacing="Medium"))
    body.append(text(describe_count(shown, min_group).capitalize() + ".", subtle=True, element_id=COUNTER_ID))
    if debrief.status == DebriefStatus.OPEN:
        body.append(text(WHERE_PRIVATE if private else WHERE, subtle=True, size="Small"))
        actions = [
            dialog_button("Answer anonymously", Verb.ANSWER, style="positive", **ref),
            dialog_button("Add an action point", Verb.ACTION_POINT, **ref),
            dialog_button("Support resources", Verb.RESOURCES, **ref),
        ]
        if shown >= min_group:
            actions.append(dialog_button("Post the team's results", Verb.RESULTS, **ref))
        actions.append(dialog_button("Close the debrief", Verb.CLOSE, style="destructive", **ref))
    else:
        body.append(text("**This debrief is closed.** Thank you, everyone. Support is still here for you."))
        actions = [dialog_button("Support resources", Verb.RESOURCES, **ref)]
    return card(body, actions, fallback=script_fallback(script))


def action_point_lines(point: ActionPoint, owner_name: str | None, limit: int = 600) -> list[Element]:
    due = f", due {day(point.due_on)}" if point.due_on else ""
    return [
        user_text(point.text, limit=limit, prefix="\u2022 "),
        user_text(owner_name or "the person chosen", limit=100, prefix="Owner: ", subtle=True),
    ] + ([text(due.removeprefix(", ").capitalize(), subtle=True, spacing="None", size="Small")] if due else [])


def action_point_card(point: ActionPoint, owner_name: str | None) -> dict[str, Any]:
    """With Done, Drop and Hand on for its owner and the lead (`adapters.teams.cards.actions`)."""
    return card([subheading("New action point"), *action_point_lines(point, owner_name)], point_buttons(point),
                fallback="New action point")


def results_elements(aggregate: StageAggregate) -> list[Element]:
    """The team's view: numbers, and only the text its authors chose to share, sorted, without names."""
    if aggregate.suppressed:
        return [text(f"Results appear once {aggregate.min_group} or more people have answered.", subtle=True)]
    body: list[Element] = [subheading(f"The team's anonymous results ({plural(aggregate.responses, 'answer')})")]
    notes = used = left_out = 0
    for result in aggregate.questions:
        body.append(text(f"**{result.label}**", spacing="Medium"))
        if result.kind == "scale":
            if result.mean is None:
                body.append(text("No answers.", subtle=True))
                continue
            bands = " \u00b7 ".join(f"{band}: {count}" for band, count in result.counts.items())
            body.append(text(f"Average {result.mean} out of 10  ({bands})"))
        elif result.kind == "choice":
            body.append(text(" \u00b7 ".join(f"{option}: {count}" for option, count in result.counts.items())))
        elif not result.texts:
            body.append(text("Nobody chose to share a note with the team.", subtle=True))
        else:
            body.append(text("_Shared by their authors, without names._", subtle=True, size="Small"))
            for note in result.texts:
                if notes >= MAX_NOTES or used + min(len(note), 1500) > NOTES_BUDGET:
                    left_out += 1
                    continue
                body.append(user_text(note, limit=1500, prefix="\u2022 "))
                notes += 1
                used += min(len(note), 1500)
    if left_out:
        body.append(text(f"{plural(left_out, 'more note')} not shown here, to keep this short.", subtle=True))
    return body


def results_card(aggregate: StageAggregate) -> dict[str, Any]:
    return card(results_elements(aggregate), fallback="The team's anonymous results")


def closing_card(
    debrief: Debrief,
    script: Script,
    points: Sequence[ActionPoint],
    owners: Mapping[str, str],
    answers: int,
    min_group: int,
    aggregate: StageAggregate | None,
) -> dict[str, Any]:
    """What the conversation sees when the debrief closes."""
    body: list[Element] = [heading("Debrief closed"), text(f"{script.title}: thank you, everyone.")]
    body.append(subheading("Action points"))
    if points:
        for point in points[:MAX_LISTED_POINTS]:
            body += action_point_lines(point, owners.get(point.owner), limit=300)
        if len(points) > MAX_LISTED_POINTS:
            body.append(text(f"\u2026and {len(points) - MAX_LISTED_POINTS} more action points.", subtle=True))
    else:
        body.append(text("None were recorded.", subtle=True))
    body.append(text(describe_count(answers, min_group).removesuffix(" so far").capitalize() + ".", subtle=True))
    if aggregate is not None and not aggregate.suppressed:
        body += results_elements(aggregate)
    care = "Support is still here whenever you want it: tap **Support resources** on the debrief above."
    later = humanise(debrief.schedule)
    if later:
        care += f" I'll check in with each of you privately after {later}."
    body.append(text(care, separator=True))
    return card(body, fallback="The debrief is closed")
