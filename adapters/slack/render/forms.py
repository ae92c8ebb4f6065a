"""The modals: set-up, anonymous answers (any stage), action point, skip, and the views that follow them.

Inputs are built so that Slack itself enforces what it can (max_length,
required fields) and the core checks the rest; each input block's id comes
from `ids`, so the submission handlers read values and place errors by the
same names.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from slack_sdk.models.blocks import (
    CheckboxesElement,
    DatePickerElement,
    InputBlock,
    Option,
    PlainTextInputElement,
    RadioButtonsElement,
    StaticMultiSelectElement,
    StaticSelectElement,
    UserMultiSelectElement,
    UserSelectElement,
)

from adapters.slack.ids import (
    SHARED,
    VALUE,
    ActionPointBlock,
    Callback,
    SetupBlock,
    SkipBlock,
    Where,
    question_block,
    share_block,
)
from adapters.slack.metadata import DebriefRef, Origin
from adapters.slack.render.common import Blocks, context, notice, plain, section, view
from adapters.slack.text import MAX_OPTION, channel_link, escape, mention
from bot import lessons
from bot.debriefs import ACTION_LENGTH, LABEL_LENGTH, MAX_PARTICIPANTS, SINCE_EVENT_LABELS, SKIP_REASON_LABELS
from bot.identifiers import PATIENT_DETAILS_HINT
from bot.scripts import ChoiceQuestion, Library, Question, ScaleQuestion, Script, TextQuestion
from bot.wording import clip

DEFAULT_SCRIPT = "stop5"
ANONYMOUS_LINE = "🔒 Anonymous: your answers carry no name. Nobody can see whose they are, not the lead, not IT."


def _option(value: str, text: str) -> Option:
    return Option(value=value, text=plain(text, MAX_OPTION))


# --- set-up ------------------------------------------------------------------------------------


@dataclass
class SetupChoice:
    """What the lead picked, to show the form again with a notice when Slack refuses something."""

    script_id: str = DEFAULT_SCRIPT
    participants: list[str] = field(default_factory=list)
    label: str | None = None
    where: Where = Where.NEW_CHANNEL
    since_event: str | None = None
    audience: list[str] = field(default_factory=list)


def _script_option(script: Script) -> Option:
    minutes = f" · {script.minutes} min"
    return _option(script.id, clip(script.title, MAX_OPTION - len(minutes)) + minutes)


WHERE_OPTIONS = {
    Where.NEW_CHANNEL: "A new private channel (recommended)",
    Where.THIS_CHANNEL: "This channel",
}


_blank_setup: list[tuple[Library, tuple[tuple[str, str], ...], dict]] = []
"""The set-up form as first shown, per library and resource tags: built once, since /debrief must answer fast."""


def setup_modal(
    library: Library, origin: Origin, choice: SetupChoice | None = None, problem: str | None = None,
    audiences: Sequence[tuple[str, str]] = (),
) -> dict:
    """`audiences`: (value, label) of the resource file's nations and professions (`bot.support.audience_choices`)."""
    tags = tuple(audiences)
    if choice is None and problem is None:
        blank = next((view for known, known_tags, view in _blank_setup if known is library and known_tags == tags), None)
        if blank is None:
            blank = _build_setup(library, origin, SetupChoice(), None, tags)
            _blank_setup[:] = [(library, tags, blank)]
        return {**blank, "private_metadata": origin.dump()}
    return _build_setup(library, origin, choice or SetupChoice(), problem, tags)


def _build_setup(
    library: Library, origin: Origin, choice: SetupChoice, problem: str | None, audiences: Sequence[tuple[str, str]]
) -> dict:
    scripts = sorted(library.of_kind("hot"), key=lambda script: (script.id != DEFAULT_SCRIPT, script.title))
    options = [_script_option(script) for script in scripts[:100]]
    initial = next((option for option in options if option.value == choice.script_id), options[0] if options else None)
    where = [_option(value, text) for value, text in WHERE_OPTIONS.items()]
    since = [_option(value, text) for value, text in SINCE_EVENT_LABELS.items()]
    blocks: Blocks = []
    if problem:
        blocks.append(section(f"⚠️ {escape(problem)}"))
    blocks += [
        InputBlock(
            block_id=SetupBlock.SCRIPT,
            label=plain("Script"),
            element=StaticSelectElement(action_id=VALUE, options=options, initial_option=initial),
        ),
        InputBlock(
            block_id=SetupBlock.PARTICIPANTS,
            label=plain("Who was there?"),
            optional=True,
            hint=plain("You're included already. Each person answers privately."),
            element=UserMultiSelectElement(
                action_id=VALUE,
                placeholder=plain("Pick the people involved"),
                initial_users=choice.participants or None,
                max_selected_items=MAX_PARTICIPANTS - 1,
            ),
        ),
        InputBlock(
            block_id=SetupBlock.SINCE_EVENT,
            label=plain("When did it happen?"),
            optional=True,
            hint=plain("Roughly is fine. It helps the wellbeing team see how soon debriefs happen."),
            element=StaticSelectElement(
                action_id=VALUE,
                placeholder=plain("Pick one"),
                options=since,
                initial_option=next((option for option in since if option.value == choice.since_event), None),
            ),
        ),
        *([_audience_input(audiences, choice)] if audiences else []),
        InputBlock(
            block_id=SetupBlock.LABEL,
            label=plain("A short label (optional)"),
            optional=True,
            hint=plain("Something only the team will recognise. No patient names, numbers or dates of birth."),
            element=PlainTextInputElement(
                action_id=VALUE,
                placeholder=plain("e.g. 'Resus 2, Tuesday night'"),
                initial_value=choice.label or None,
                max_length=LABEL_LENGTH,
            ),
        ),
        InputBlock(
            block_id=SetupBlock.WHERE,
            label=plain("Where should it happen?"),
            element=RadioButtonsElement(
                action_id=VALUE,
                options=where,
                initial_option=next(option for option in where if option.value == choice.where),
            ),
        ),
        context("It takes a few minutes. I'll post the steps, and each person answers a few questions anonymously."),
    ]
    return view(
        title="Start a debrief",
        blocks=blocks,
        callback_id=Callback.SETUP,
        submit="Start",
        close="Cancel",
        private_metadata=origin.dump(),
    )


def _audience_input(audiences: Sequence[tuple[str, str]], choice: SetupChoice) -> InputBlock:
    options = [_option(value, label) for value, label in audiences[:100]]
    return InputBlock(
        block_id=SetupBlock.AUDIENCE,
        label=plain("Who is the team? (optional)"),
        optional=True,
        hint=plain("Check-ins then list the support contacts for them first."),
        element=StaticMultiSelectElement(
            action_id=VALUE,
            placeholder=plain("Nation or profession"),
            options=options,
            initial_options=[option for option in options if option.value in choice.audience] or None,
        ),
    )


def working(text: str) -> dict:
    return notice("Debrief", f"⏳ {text}")


def setup_done(channel: str, uninvited: Sequence[str] = ()) -> dict:
    paragraphs = [f"✅ Done: your debrief is in {channel_link(channel)}."]
    if uninvited:
        people = ", ".join(mention(user) for user in list(uninvited)[:20])
        more = f" and {len(uninvited) - 20} more" if len(uninvited) > 20 else ""
        paragraphs.append(f"I couldn't add {people}{more}. You can add them from the channel's member list.")
    paragraphs.append("Start with the script at the top. The steps are short; the buttons do the rest.")
    return notice("Debrief", *paragraphs)


# --- anonymous answers (the debrief itself, or any follow-up stage) ------------------------------


def _question_input(question: Question) -> Blocks:
    block_id = question_block(question.id)
    optional = question.optional
    if isinstance(question, ScaleQuestion):
        options = [
            _option(str(number), f"{number}: {question.low}" if number == 0 else f"{number}: {question.high}" if number == 10 else str(number))
            for number in range(11)
        ]
        return [
            InputBlock(
                block_id=block_id,
                label=plain(question.label, 2000),
                optional=optional,
                hint=plain(f"0 means {question.low.lower()}, 10 means {question.high.lower()}."),
                element=StaticSelectElement(action_id=VALUE, placeholder=plain("Pick 0 to 10"), options=options),
            )
        ]
    if isinstance(question, ChoiceQuestion):
        return [
            InputBlock(
                block_id=block_id,
                label=plain(question.label, 2000),
                optional=optional,
                element=RadioButtonsElement(
                    action_id=VALUE, options=[_option(option.value, option.label) for option in question.options]
                ),
            )
        ]
    assert isinstance(question, TextQuestion)
    blocks: Blocks = [
        InputBlock(
            block_id=block_id,
            label=plain(question.label, 2000),
            optional=optional,
            hint=plain(question.hint) if question.hint else None,
            element=PlainTextInputElement(action_id=VALUE, multiline=True, max_length=question.max_length),
        )
    ]
    if question.visibility == "ask":
        blocks.append(
            InputBlock(
                block_id=share_block(question.id),
                label=plain("Who sees what you write?"),
                optional=True,
                hint=plain("Unticked, only the wellbeing team sees it. Either way, never with your name."),
                element=CheckboxesElement(action_id=VALUE, options=[_option(SHARED, "Share with the team (without my name)")]),
            )
        )
    elif question.visibility == "lesson":  # a separate consent tick, unticked (`bot.lessons`)
        blocks.append(
            InputBlock(
                block_id=share_block(question.id),
                label=plain("Share this lesson?"),
                optional=True,
                hint=plain(lessons.CONSENT_HINT),
                element=CheckboxesElement(action_id=VALUE, options=[_option(SHARED, lessons.CONSENT)]),
            )
        )
        blocks.append(context(lessons.FORM_NOTE))
    else:
        blocks.append(context("Only the wellbeing team sees what you write here, never with your name."))
    return blocks


def answer_modal(ref: DebriefRef, questions: Sequence[Question], intro: str | None = None) -> dict:
    blocks: Blocks = [context(ANONYMOUS_LINE)]
    if any(isinstance(question, TextQuestion) for question in questions):
        blocks.append(context(PATIENT_DETAILS_HINT))
    if intro:
        blocks.append(section(escape(intro)))
    for question in questions:
        blocks += _question_input(question)
    if all(question.optional for question in questions):
        blocks.append(context("Every question is optional. Answer only what you want to."))
    return view(
        title="Anonymous answers",
        blocks=blocks,
        callback_id=Callback.ANSWER,
        submit="Send anonymously",
        close="Cancel",
        private_metadata=ref.dump(),
    )


def already_answered(message: str) -> dict:
    return notice("Anonymous answers", f"💙 {escape(message)}", "If you'd like support, tap *Support resources*.")


# --- action points and skipping ---------------------------------------------------------------


def action_point_modal(ref: DebriefRef) -> dict:
    blocks: Blocks = [
        InputBlock(
            block_id=ActionPointBlock.TEXT,
            label=plain("What should change?"),
            hint=plain("About the system, not a person. No patient details."),
            element=PlainTextInputElement(action_id=VALUE, multiline=True, max_length=ACTION_LENGTH),
        ),
        InputBlock(
            block_id=ActionPointBlock.OWNER,
            label=plain("Who owns it?"),
            hint=plain("One named owner gets it done."),
            element=UserSelectElement(action_id=VALUE, placeholder=plain("Pick one person")),
        ),
        InputBlock(
            block_id=ActionPointBlock.DUE_ON,
            label=plain("By when? (optional)"),
            optional=True,
            element=DatePickerElement(action_id=VALUE),
        ),
    ]
    return view(
        title="Add an action point",
        blocks=blocks,
        callback_id=Callback.ACTION_POINT,
        submit="Add",
        close="Cancel",
        private_metadata=ref.dump(),
    )


def skip_modal(origin: Origin) -> dict:
    reasons = [_option(reason.value, label) for reason, label in SKIP_REASON_LABELS.items()]
    blocks: Blocks = [
        section("No debrief this time? That's all right. Recording why helps the wellbeing team see the pattern."),
        InputBlock(
            block_id=SkipBlock.REASON,
            label=plain("Why not?"),
            element=RadioButtonsElement(action_id=VALUE, options=reasons),
        ),
        InputBlock(
            block_id=SkipBlock.DETAIL,
            label=plain("Anything to add? (optional)"),
            optional=True,
            hint=plain("No patient details, please."),
            element=PlainTextInputElement(action_id=VALUE, multiline=True, max_length=ACTION_LENGTH),
        ),
    ]
    return view(
        title="No debrief this time",
        blocks=blocks,
        callback_id=Callback.SKIP,
        submit="Record",
        close="Cancel",
        private_metadata=origin.dump(),
    )


def skipped(reason_label: str) -> dict:
    return notice(
        "Recorded",
        f"✅ Recorded: no debrief this time ({escape(reason_label.lower())}).",
        "Thank you. If anyone wants support, my *Home* tab lists it, and `/debrief` starts a debrief any time.",
    )
