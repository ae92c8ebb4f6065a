"""The messages in the debrief channel: the script, action points, results, the closing summary.

The script message is rendered from the debrief row alone (status, label,
the counter last shown), so the same function draws it when it is posted,
when the batched counter moves and when the debrief closes.
"""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement, ConfirmObject, DividerBlock

from adapters.slack.ids import Action, MessageBlock
from adapters.slack.metadata import DebriefRef
from adapters.slack.render.actions import point_buttons
from adapters.slack.render.common import Blocks, context, header, md, packed, plain, section
from adapters.slack.text import MAX_MESSAGE_BLOCKS, clip_escaped, escape, mention
from bot.anonymity import describe_count
from bot.models import ActionPoint, Debrief, DebriefStatus
from bot.results import StageAggregate
from bot.scripts import Script
from bot.wording import day, humanise, plural

PRIVACY = (
    "*What stays private*\n"
    "• *Anonymous:* your answers carry no name. Nobody can see whose they are: not the lead, not IT.\n"
    "• *Confidential:* anything you write goes only to the wellbeing team, unless you tick "
    "“Share with the team”. Even then it is shown without your name.\n"
    "• *The one time your name is shared:* if you ask to talk to someone, the wellbeing team "
    "sees who asked, so they can reach you."
)


def _button(text: str, action: Action, ref: DebriefRef, style: str | None = None, confirm: ConfirmObject | None = None) -> ButtonElement:
    return ButtonElement(text=plain(text, 75), action_id=action, value=ref.dump(), style=style, confirm=confirm)


def resources_button(ref: DebriefRef) -> ButtonElement:
    return _button("Support resources", Action.RESOURCES, ref)


def answer_button(ref: DebriefRef, text: str = "Answer anonymously") -> ButtonElement:
    return _button(text, Action.ANSWER, ref, style="primary")


CLOSE_CONFIRM = ConfirmObject(
    title=plain("Close the debrief?", 100),
    text=md(
        "I'll post a short summary here. Nobody can answer after that, "
        "but everyone keeps their support and their private check-ins."
    ),
    confirm=plain("Close it", 30),
    deny=plain("Not yet", 30),
)


def script_message(debrief: Debrief, script: Script, min_group: int, shown: int | None = None) -> Blocks:
    """The script with its live counter and buttons; closed debriefs keep only support."""
    ref = DebriefRef(debrief=debrief.id)
    shown = debrief.shown_count if shown is None else shown
    blocks: Blocks = [header(script.title)]
    if debrief.label:
        blocks.append(context(f"About: {clip_escaped(debrief.label, 200)}"))
    blocks.append(section(f"*Why:* {escape(script.why)}  _(about {script.minutes} minutes)_"))
    blocks.append(section(f"*Start by reading this aloud*\n>{escape(script.intro)}"))
    for number, step in enumerate(script.steps, 1):
        blocks.append(section(f"*{number}. {escape(step.key)}: {escape(step.title)}*\n{escape(step.prompt)}"))
    if script.lead_tips:
        tips = "\n".join(f"• {escape(tip)}" for tip in script.lead_tips)
        blocks.append(section(f"*Tips for whoever leads*\n{tips}"))
    blocks.append(DividerBlock())
    blocks.append(section(PRIVACY))
    blocks.append(context(describe_count(shown, min_group).capitalize(), block_id=MessageBlock.COUNTER))
    if debrief.status == DebriefStatus.OPEN:
        buttons: list[ButtonElement] = [
            answer_button(ref),
            _button("Add an action point", Action.ADD_ACTION_POINT, ref),
            resources_button(ref),
        ]
        if shown >= min_group:
            buttons.append(_button("Post the team's results", Action.POST_RESULTS, ref))
        buttons.append(_button("Close the debrief", Action.CLOSE, ref, style="danger", confirm=CLOSE_CONFIRM))
        blocks.append(ActionsBlock(block_id=MessageBlock.BUTTONS, elements=buttons))
    else:
        blocks.append(context("*This debrief is closed.* Thank you, everyone. Support is still here for you."))
        blocks.append(ActionsBlock(block_id=MessageBlock.BUTTONS, elements=[resources_button(ref)]))
    return blocks


def script_fallback(script: Script) -> str:
    """The notification text: bot words only, never user text."""
    return f"Debrief: {script.title}"


def placeholder_message() -> Blocks:
    return [section("Setting up a debrief here…")]


def action_point_line(point: ActionPoint) -> str:
    due = f", due {day(point.due_on)}" if point.due_on else ""
    return f"• {clip_escaped(point.text, 600)}: {mention(point.owner)}{due}"


def action_point_message(point: ActionPoint) -> Blocks:
    return [section(f"*New action point*\n{action_point_line(point)}"), point_buttons(point)]


def results_blocks(aggregate: StageAggregate, *, max_blocks: int) -> Blocks:
    """The team's view: numbers, and only the text its authors chose to share, sorted, with no names."""
    if aggregate.suppressed:
        return [context(f"Results appear once {aggregate.min_group} or more people have answered.")]
    blocks: Blocks = [section(f"*The team's anonymous results* ({plural(aggregate.responses, 'answer')})")]
    for result in aggregate.questions:
        budget = max_blocks - len(blocks)
        if budget < 2:
            break
        label = f"*{escape(result.label)}*"
        if result.kind == "scale":
            if result.mean is None:
                blocks.append(section(f"{label}\nNo answers."))
                continue
            bands = " · ".join(f"{band}: {count}" for band, count in result.counts.items())
            blocks.append(section(f"{label}\nAverage {result.mean} out of 10  ({bands})"))
        elif result.kind == "choice":
            counts = " · ".join(f"{escape(option)}: {count}" for option, count in result.counts.items())
            blocks.append(section(f"{label}\n{counts}"))
        else:
            if not result.texts:
                blocks.append(section(f"{label}\nNobody chose to share a note with the team."))
                continue
            lines = ["• " + clip_escaped(text, 2900) for text in result.texts]
            blocks.append(section(f"{label}  _(shared by their authors, without names)_"))
            blocks += packed(lines, max_blocks=budget - 1, more="more notes")
    return blocks


def results_message(aggregate: StageAggregate) -> Blocks:
    return results_blocks(aggregate, max_blocks=MAX_MESSAGE_BLOCKS)


def closing_summary(
    debrief: Debrief,
    script: Script,
    points: Sequence[ActionPoint],
    answers: int,
    min_group: int,
    aggregate: StageAggregate | None,
) -> Blocks:
    """What the channel sees when the debrief closes."""
    blocks: Blocks = [header("Debrief closed")]
    blocks.append(section(f"{escape(script.title)}: thank you, everyone."))
    if points:
        blocks += packed([action_point_line(point) for point in points], max_blocks=20, title="Action points", more="more action points")
    else:
        blocks.append(section("*Action points*\nNone were recorded."))
    blocks.append(context(describe_count(answers, min_group).removesuffix(" so far").capitalize() + "."))
    if aggregate is not None and not aggregate.suppressed:
        blocks += results_blocks(aggregate, max_blocks=MAX_MESSAGE_BLOCKS - len(blocks) - 1)
    later = humanise(debrief.schedule)
    care = "Support is still here whenever you want it: tap *Support resources* above or open my *Home* tab."
    if later:
        care += f" I'll check in with each of you privately after {later}."
    blocks.append(context(care))
    return blocks


def as_blocks(blocks: Sequence[Block]) -> list[dict]:
    return [block.to_dict() for block in blocks]
