"""The dialogs (task modules) and the small cards that open them.

Every input's id comes from `ids`, so the submit handlers read values and
place errors by the same names. A dialog shown again after a refusal keeps
what the person typed and says, above the box, what to change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from adapters.teams.cards.common import (
    Element,
    bullets,
    card,
    choice_input,
    container,
    date_input,
    dialog_button,
    submit,
    text,
    text_input,
    toggle,
    warning,
)
from adapters.teams.cards.support import resources_elements
from adapters.teams.ids import (
    ActionPointInput,
    SetupInput,
    SkipInput,
    Verb,
    question_input,
    share_input,
)
from bot.debriefs import ACTION_LENGTH, LABEL_LENGTH, SINCE_EVENT_LABELS, SKIP_REASON_LABELS
from bot.identifiers import PATIENT_DETAILS_HINT
from bot.scripts import ChoiceQuestion, Library, Question, ResourceSet, ScaleQuestion, Script, TextQuestion
from bot.support import resources_for_person
from bot.wording import in_danger

DEFAULT_SCRIPT = "stop5"
ANONYMOUS_LINE = "\U0001f512 **Anonymous:** your answers carry no name. Nobody can see whose they are, not the lead, not IT."
MAX_ROSTER = 100

Values = Mapping[str, str]
Problems = Mapping[str, str]


# --- cards in the conversation that open a dialog ---------------------------------------------


def start_card() -> dict[str, Any]:
    return card(
        [
            text("**Start a debrief**", size="Medium"),
            text("Pick the people who were there and a script. It takes under a minute; the debrief itself about ten."),
        ],
        [dialog_button("Set up the debrief", Verb.SETUP, style="positive")],
        fallback="Start a debrief",
    )


def skip_start_card() -> dict[str, Any]:
    return card(
        [text("No debrief this time? That's all right. Recording why helps the wellbeing team see the pattern.")],
        [dialog_button("Record why", Verb.SKIP)],
        fallback="No debrief this time",
    )


HELP = [
    "**debrief**: start one (takes under a minute)",
    "**skip**: record that there was no debrief this time, and why",
    "**summary**: the anonymised 30-day overview, for the wellbeing team",
    "**requests**: the people who asked to talk, to take on and close, for the wellbeing team",
    "**notes**: the notes people wrote for the wellbeing team, without names, for the wellbeing team",
    "**actions**: your action points and those of debriefs you led: mark them done, drop or hand them on",
    "**help**: this message",
]


def help_card(in_channel: bool, greeting: str | None = None, resources: ResourceSet | None = None) -> dict[str, Any]:
    """What the bot does, and (with `resources`) the support contacts, crisis lines first."""
    how = "In a channel or group chat, @mention me first, e.g. **@Debrief debrief**." if in_channel else (
        "To include your team, start it in their channel or group chat (@mention me there)."
    )
    return card(
        [
            *([text(greeting, size="Medium")] if greeting else []),
            text("**Debrief** runs a short debrief after a hard event: pick the people, I post the steps, "
                 "and each person answers a few questions anonymously."),
            bullets(HELP),
            text(how, subtle=True),
            text("Answers are anonymous: nobody can see whose they are, not the lead, not IT. "
                 "Type **help** any time; support contacts are one tap away on every debrief.", subtle=True),
            *(resources_elements(resources.title, resources_for_person(resources)) if resources else []),
            *([text(in_danger(resources), weight="Bolder")] if resources else []),
        ],
        fallback="How Debrief works",
    )


# --- set-up ------------------------------------------------------------------------------------


@dataclass
class SetupChoice:
    """What the lead picked, to show the dialog again with a notice when something is refused."""

    script_id: str = DEFAULT_SCRIPT
    participants: list[str] = field(default_factory=list)
    label: str | None = None
    since_event: str | None = None
    audience: list[str] = field(default_factory=list)


def setup_dialog(
    library: Library,
    roster: Sequence[tuple[str, str]],
    request_key: str,
    choice: SetupChoice | None = None,
    problems: Problems | None = None,
    roster_note: str | None = None,
    private_channel: bool = False,
    audiences: Sequence[tuple[str, str]] = (),
) -> dict[str, Any]:
    """The set-up form: script, people (from this conversation's roster), optional label.

    `audiences`: (value, label) of the resource file's nations and professions (`bot.support.audience_choices`),
    offered as an optional "who is the team" so that check-ins list their contacts first.
    """
    choice = choice or SetupChoice()
    problems = problems or {}
    scripts = sorted(library.scripts.values(), key=lambda script: (script.id != DEFAULT_SCRIPT, script.title))
    body: list[Element] = []
    if general := problems.get(""):
        body.append(warning(general))
    body.append(
        choice_input(
            SetupInput.SCRIPT,
            "Script",
            [(_script_title(script), script.id) for script in scripts],
            value=choice.script_id if choice.script_id in library.scripts else DEFAULT_SCRIPT,
            required=True,
        )
    )
    if problem := problems.get("participants"):
        body.append(warning(problem))
    if roster:
        body.append(
            choice_input(
                SetupInput.PARTICIPANTS,
                "Who was there?",
                list(roster[:MAX_ROSTER]),
                multi=True,
                value=",".join(choice.participants) or None,
                placeholder="Pick the people involved",
            )
        )
        body.append(text("You're included already. Each person answers privately.", subtle=True, spacing="Small"))
    else:
        body.append(text("Nobody else is in this conversation yet, so the debrief will have just you. "
                         "Start it in your team's channel or group chat to include them.", subtle=True))
    if roster_note:
        body.append(text(roster_note, subtle=True, spacing="Small"))
    if problem := problems.get("since_event"):
        body.append(warning(problem))
    body.append(
        choice_input(
            SetupInput.SINCE_EVENT,
            "When did it happen? (optional)",
            [(label, value.value) for value, label in SINCE_EVENT_LABELS.items()],
            value=choice.since_event,
            placeholder="Pick one",
        )
    )
    body.append(text("Roughly is fine. It helps the wellbeing team see how soon debriefs happen.",
                     subtle=True, spacing="Small"))
    if audiences:
        if problem := problems.get("audience"):
            body.append(warning(problem))
        body.append(choice_input(SetupInput.AUDIENCE, "Who is the team? (optional)",
                                 [(label, value) for value, label in audiences], multi=True,
                                 value=",".join(choice.audience) or None, placeholder="Nation or profession"))
        body.append(text("Check-ins then list the support contacts for them first.", subtle=True, spacing="Small"))
    if problem := problems.get("label"):
        body.append(warning(problem))
    body.append(
        text_input(
            SetupInput.LABEL,
            "A short label (optional)",
            max_length=LABEL_LENGTH,
            placeholder="e.g. 'Resus 2, Tuesday night'",
            value=choice.label,
        )
    )
    body.append(text("Something only the team will recognise. No patient names, numbers or dates of birth.",
                     subtle=True, spacing="Small"))
    if private_channel:
        body.append(text("I'll make a private channel for the people picked and post the steps there; "
                         "each person answers privately.", subtle=True))
    else:
        body.append(text("It runs here, in this conversation (a private channel needs Microsoft Graph permissions "
                         "that aren't set up). I'll post the steps; each person answers privately.", subtle=True))
    return card(body, [submit("Start", Verb.SETUP, style="positive", k=request_key)])


def _script_title(script: Script) -> str:
    return f"{script.title} \u00b7 {script.minutes} min"


# --- anonymous answers -------------------------------------------------------------------------


def _question_inputs(question: Question, values: Values, problems: Problems) -> list[Element]:
    input_id = question_input(question.id)
    elements: list[Element] = []
    if problem := problems.get(question.id):
        elements.append(warning(problem))
    required = not question.optional
    if isinstance(question, ScaleQuestion):
        choices = [
            (f"{n}: {question.low}" if n == 0 else f"{n}: {question.high}" if n == 10 else str(n), str(n))
            for n in range(11)
        ]
        elements.append(choice_input(input_id, question.label, choices, value=values.get(input_id),
                                     placeholder="Pick 0 to 10", required=required))
        elements.append(text(f"0 means {question.low.lower()}, 10 means {question.high.lower()}.",
                             subtle=True, size="Small", spacing="None"))
    elif isinstance(question, ChoiceQuestion):
        choices = [(option.label, option.value) for option in question.options]
        elements.append(choice_input(input_id, question.label, choices, expanded=True, value=values.get(input_id),
                                     required=required))
    else:
        assert isinstance(question, TextQuestion)
        elements.append(text_input(input_id, question.label, multiline=True, max_length=question.max_length,
                                   placeholder=question.hint, value=values.get(input_id), required=required))
        if question.visibility == "ask":
            elements.append(toggle(share_input(question.id), "Share with the team (without my name)",
                                   value=values.get(share_input(question.id)) == "true"))
            elements.append(text("Unticked, only the wellbeing team sees it. Either way, never with your name.",
                                 subtle=True, size="Small", spacing="None"))
        else:
            elements.append(text("Only the wellbeing team sees what you write here, never with your name.",
                                 subtle=True, size="Small", spacing="None"))
    return [container(elements, spacing="Medium")]


def answer_dialog(
    questions: Sequence[Question],
    ref: Mapping[str, Any],
    intro: str | None = None,
    values: Values | None = None,
    problems: Problems | None = None,
) -> dict[str, Any]:
    values, problems = values or {}, problems or {}
    body: list[Element] = [text(ANONYMOUS_LINE, subtle=True)]
    if any(isinstance(question, TextQuestion) for question in questions):
        body.append(text(PATIENT_DETAILS_HINT, subtle=True, size="Small", spacing="None"))
    if general := problems.get(""):
        body.append(warning(general))
    if intro:
        body.append(text(intro))
    for question in questions:
        body += _question_inputs(question, values, problems)
    if all(question.optional for question in questions):
        body.append(text("Every question is optional. Answer only what you want to.", subtle=True))
    return card(body, [submit("Send anonymously", Verb.ANSWER, style="positive", **ref)])


def notice_dialog(*paragraphs: str, extra: Sequence[Element] = ()) -> dict[str, Any]:
    """A dialog that only says something, with a button that closes it."""
    body = [text(paragraph) for paragraph in paragraphs if paragraph] + list(extra)
    return card(body, [submit("Done", Verb.DONE)])


# --- action points, skipping, closing, results ------------------------------------------------------


def action_point_dialog(
    ref: Mapping[str, Any],
    people: Sequence[tuple[str, str]],
    today: str,
    request_key: str,
    values: Values | None = None,
    problems: Problems | None = None,
) -> dict[str, Any]:
    """`request_key` goes back with the form, the same when it is shown again: a form sent twice adds one point."""
    values, problems = values or {}, problems or {}
    body: list[Element] = []
    if general := problems.get(""):
        body.append(warning(general))
    if problem := problems.get("text"):
        body.append(warning(problem))
    body.append(text_input(ActionPointInput.TEXT, "What should change?", multiline=True, max_length=ACTION_LENGTH,
                           value=values.get(ActionPointInput.TEXT), required=True,
                           error="Please say what should change."))
    body.append(text("About the system, not a person. No patient details.", subtle=True, size="Small", spacing="None"))
    if problem := problems.get("owner"):
        body.append(warning(problem))
    body.append(choice_input(ActionPointInput.OWNER, "Who owns it?", list(people), value=values.get(ActionPointInput.OWNER),
                             required=True, placeholder="Pick one person", error="Please choose who owns this."))
    if problem := problems.get("due_on"):
        body.append(warning(problem))
    body.append(date_input(ActionPointInput.DUE_ON, "By when? (optional)", minimum=today,
                           value=values.get(ActionPointInput.DUE_ON)))
    return card(body, [submit("Add", Verb.ACTION_POINT, style="positive", k=request_key, **ref)])


def skip_dialog(values: Values | None = None, problems: Problems | None = None) -> dict[str, Any]:
    values, problems = values or {}, problems or {}
    body: list[Element] = [text("Recording why helps the wellbeing team see the pattern. It names no patient.")]
    if problem := problems.get("reason") or problems.get(""):
        body.append(warning(problem))
    body.append(choice_input(SkipInput.REASON, "Why not?", [(label, reason.value) for reason, label in SKIP_REASON_LABELS.items()],
                             expanded=True, value=values.get(SkipInput.REASON), required=True))
    if problem := problems.get("detail"):
        body.append(warning(problem))
    body.append(text_input(SkipInput.DETAIL, "Anything to add? (optional)", multiline=True, max_length=ACTION_LENGTH,
                           value=values.get(SkipInput.DETAIL)))
    return card(body, [submit("Record it", Verb.SKIP, style="positive")])


def close_dialog(ref: Mapping[str, Any]) -> dict[str, Any]:
    return card(
        [
            text("**Close the debrief?**", size="Medium"),
            text("I'll post a short summary in the conversation. Nobody can answer after that, "
                 "but everyone keeps their support and their private check-ins."),
        ],
        [submit("Close it", Verb.CLOSE, style="destructive", **ref), submit("Not yet", Verb.DONE)],
    )


def results_dialog(ref: Mapping[str, Any], preview: Sequence[Element]) -> dict[str, Any]:
    return card(
        [text("This is what the conversation will see. Nothing here names anyone."),
         container(list(preview), style="emphasis")],
        [submit("Post to the team", Verb.RESULTS, style="positive", **ref), submit("Not now", Verb.DONE)],
    )


def skipped_dialog(reason_label: str) -> dict[str, Any]:
    return notice_dialog(f"Recorded: {reason_label}. Thank you.",
                         "If anyone would still like to talk, support contacts are there any time: type **help**.")


def setup_done_dialog(unknown: int = 0, channel: str | None = None, note: str | None = None) -> dict[str, Any]:
    where = f"in a new private channel, {channel}, for the people picked" if channel else "in this conversation"
    paragraphs = [f"\u2705 Done: the debrief is posted {where}. Start with the steps at the top."]
    if note:
        paragraphs.append(note)
    if unknown:
        paragraphs.append(f"{unknown} of the people you picked are no longer here, so I left them out.")
    return notice_dialog(*paragraphs)
