"""App Home: your open debriefs, the cold debriefs you are invited to, support, and (for wellbeing officers) the anonymised overview."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import ActionsBlock, ButtonElement
from slack_sdk.models.views import View

from adapters.slack.cold import when
from adapters.slack.ids import Action
from adapters.slack.metadata import DebriefRef
from adapters.slack.render.actions import home_section
from adapters.slack.render.common import Blocks, context, header, plain, section
from adapters.slack.render.lessons import LessonAction
from adapters.slack.render.script import answer_button
from adapters.slack.render.support import resource_blocks
from adapters.slack.text import MAX_VIEW_BLOCKS, and_more, channel_link, clip_escaped, escape
from bot.actions import Point
from bot.models import Debrief
from bot.scripts import Library, ResourceSet
from bot.wording import day

MAX_LISTED = 15
MAX_BOOKED = 5


def _debrief_line(debrief: Debrief, library: Library, moment: str) -> str:
    script = library.scripts.get(debrief.script_id)
    title = escape(script.title) if script else "Debrief"
    parts = [f"*{title}*"]
    if debrief.label:
        parts.append(clip_escaped(debrief.label, 150))
    parts.append(moment)
    if debrief.space:
        parts.append(f"in {channel_link(debrief.space)}")
    return " · ".join(parts)


def home_view(
    debriefs: Sequence[Debrief],
    library: Library,
    resources: ResourceSet,
    summary: Blocks | None = None,
    points: Sequence[Point] = (),
    booked: Sequence[Debrief] = (),
) -> dict:
    """`summary`: the officers' overview (`adapters.slack.officer_summary`), for wellbeing officers only;
    `points`: the person's open action points and their debriefs' (`Actions.mine`); `booked`: the cold
    debriefs they are invited to that have not started (`Debriefs.open_debriefs_for`)."""
    blocks: Blocks = [header("Your debriefs")]
    if debriefs:
        for debrief in debriefs[:MAX_LISTED]:
            blocks.append(section(_debrief_line(debrief, library, f"started {day(debrief.started_at.date())}"), accessory=answer_button(DebriefRef(debrief=debrief.id))))
        if len(debriefs) > MAX_LISTED:
            blocks.append(context(and_more(len(debriefs) - MAX_LISTED, "more open debriefs")))
        blocks.append(context("Your answers are anonymous: nobody can see whose they are, not the lead, not IT."))
    else:
        blocks.append(section("No open debriefs for you right now. Type `/debrief` in any channel to start one."))
    if booked:
        blocks.append(header("Cold debriefs you are invited to"))
        blocks += [section(_debrief_line(debrief, library, when(debrief.started_at))) for debrief in booked[:MAX_BOOKED]]
        if len(booked) > MAX_BOOKED:
            blocks.append(context(and_more(len(booked) - MAX_BOOKED, "more cold debriefs")))
        blocks.append(context("A longer, facilitated look back with the team. Its script is posted in the channel when it starts."))
    blocks += home_section(points, max_blocks=31)
    blocks.append(header("Support"))
    blocks += resource_blocks(resources, max_blocks=20)
    if summary is not None:
        blocks.append(header("For the wellbeing team"))
        notes = ButtonElement(text=plain("Read the notes for the wellbeing team"), action_id=Action.NOTES, value="notes")
        lessons = ButtonElement(text=plain("Review shared lessons"), action_id=LessonAction.OPEN, value="lessons")
        blocks.append(ActionsBlock(block_id="home.notes", elements=[notes, lessons]))
        blocks += summary
    return View(type="home", blocks=blocks[:MAX_VIEW_BLOCKS]).to_dict()


UNAVAILABLE = "I couldn't load your debriefs just now. Please look again in a minute. Support is below, any time."


def unavailable_home(resources: ResourceSet) -> dict:
    """Home while the debriefs cannot be read: say so, and still show where support is."""
    blocks: Blocks = [header("Your debriefs"), section(UNAVAILABLE)]
    blocks.append(header("Support"))
    blocks += resource_blocks(resources, max_blocks=20)
    return View(type="home", blocks=blocks).to_dict()
