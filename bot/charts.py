"""Two pictures for wellbeing officers, drawn from the suppressed report only.

A bar chart reads faster than a table of weeks, but a chart must not leak
what the table hides. So each chart is built in two steps: first the numbers
it may draw, taken from the shown cells of `bot.wellbeing.Report` and nothing
else; then the picture and its alt text, made from those numbers alone. A
hidden cell is drawn as hatched "hidden", never as zero: up to the week's
total when that is shown (the hidden bands make up the rest, which anyone
can already work out from the shown cells), else up to the top.

The distress chart has a panel per stage (at the debrief, then each
check-in), on one scale, so a team still struggling a week later shows.
The charts are PNGs drawn by matplotlib's Agg backend (no display needed),
big-lettered for a phone, in the Okabe-Ito colours that people with colour
blindness can tell apart, with a hatched grey for what is hidden.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from bot.scripts import DEBRIEF_STAGE
from bot.summary import BANDS
from bot.suppression import ALL
from bot.wellbeing import WEEKS, Report, period_name, week_name
from bot.wording import stage_name

DISTRESS = "distress"
PARTICIPATION = "participation"
PARTICIPATION_DAYS = 30

BAND_NAMES = tuple(name for name, _, _ in BANDS)
BAND_COLOURS = {"0-3": "#56B4E9", "4-6": "#E69F00", "7-10": "#D55E00"}
"""Okabe-Ito sky blue, orange and vermillion: told apart with every common colour blindness."""
BAND_WORDS = {"0-3": "0-3 (coping)", "4-6": "4-6", "7-10": "7-10 (very distressed)"}
ANSWERED_COLOUR = "#0072B2"
HIDDEN_COLOUR = "#EDEDED"
HIDDEN_EDGE = "#A6A6A6"
INK = "#222222"
MUTED = "#555555"

WIDTH, HEIGHT, DPI = 8.0, 5.0, 150
"""1200 x 750 pixels: Slack and Teams shrink it to a phone's width, so letters are drawn large."""
PANEL_HEIGHT, PANEL_NAME = 2.1, 0.55
"""Inches per stage of the distress chart, and for the stage's name above it."""
FONT = 16

_drawing = threading.Lock()
"""matplotlib is not thread-safe; charts are drawn in a worker thread, one at a time."""


@dataclass(frozen=True)
class Week:
    start: date
    bands: dict[str, int | None]
    """Answers per distress band as the report shows them; None where it hides one."""
    total: int | None
    """The week's answers, if the report shows that; else None."""

    @property
    def hidden(self) -> bool:
        """Nothing of this week can be shown."""
        return self.total is None and all(value is None for value in self.bands.values())

    @property
    def complete(self) -> bool:
        return self.total is not None and None not in self.bands.values()

    @property
    def shown(self) -> int:
        """Answers in the bands shown."""
        return sum(value or 0 for value in self.bands.values())


@dataclass(frozen=True)
class StageShare:
    stage: str
    invited: int | None
    answered: int | None
    """None when the report hides it."""

    @property
    def hidden(self) -> bool:
        return self.invited is None or self.answered is None

    @property
    def share(self) -> float | None:
        if self.hidden or not self.invited:
            return None
        return min(1.0, self.answered / self.invited)  # type: ignore[operator]  # `hidden` has ruled out None


@dataclass(frozen=True)
class Chart:
    name: str
    title: str
    alt: str
    png: bytes


def distress_weeks(report: Report, stage: str = DEBRIEF_STAGE) -> list[Week]:
    """The weekly distress bands of one stage, oldest week first, with exactly the cells the report shows."""
    figure = report.figures.get(f"{DISTRESS} {stage}")
    weeks = []
    for week in reversed(range(WEEKS)):
        start = (report.until - timedelta(days=7 * (week + 1))).date()
        if figure is None:
            weeks.append(Week(start, dict.fromkeys(BAND_NAMES, 0), 0))
            continue
        when = week_name(week)
        weeks.append(Week(start, {band: figure.get(when, ALL, band) for band in BAND_NAMES}, figure.get(when)))
    return weeks


def distress_stages(report: Report) -> list[tuple[str, list[Week]]]:
    """Each stage's weeks (the debrief, then its check-ins), for the chart's panels."""
    stages = [stage for stage in report.stages if f"{DISTRESS} {stage}" in report.figures] or [DEBRIEF_STAGE]
    return [(stage, distress_weeks(report, stage)) for stage in stages]


def participation(report: Report, days: int = PARTICIPATION_DAYS) -> list[StageShare]:
    """Per stage, people invited (check-ins sent) and answers over `days`, as shown in the report."""
    period = period_name(days)
    invited, responses = report.figures["invited"], report.figures["responses"]
    return [
        StageShare(stage, invited.get(period, ALL, stage), responses.get(period, ALL, stage))
        for stage in report.stages
        if stage in invited.columns
    ]


def _hidden_words(report: Report) -> str:
    return f"fewer than {report.min_group}"


def distress_alt(report: Report, stages: list[tuple[str, list[Week]]]) -> str:
    """Plain sentences with the figures the chart shows: one stage's, or each stage's after a heading."""
    if len(stages) == 1:
        weeks = stages[0][1]
        return _distress_words(report, weeks, f"How people felt after debriefs, week by week over the last {len(weeks)} weeks")
    head = f"How people felt after debriefs, week by week over the last {len(stages[0][1])} weeks, at each stage."
    return " ".join([head, *(_distress_words(report, weeks, stage_name(stage)) for stage, weeks in stages)])


def _distress_words(report: Report, weeks: list[Week], head: str) -> str:
    hidden = sum(week.hidden for week in weeks)
    partly = sum(not week.hidden and not week.complete for week in weeks)
    totals = [week.total for week in weeks if week.total is not None]
    bands = {band: sum(week.bands[band] or 0 for week in weeks) for band in BAND_NAMES}
    if not hidden and not partly and not sum(totals):
        return f"{head}: no answers yet."
    parts = [head + ":"]
    if sum(bands.values()):
        most = max(BAND_NAMES, key=lambda band: bands[band])
        parts.append(
            f"{sum(totals)} answers in the {len(totals)} weeks whose totals are shown; of the answers that can be "
            f"shown by band, most are {most} on the 0-10 distress scale "
            f"({', '.join(f'{band}: {bands[band]}' for band in BAND_NAMES)})."
        )
    elif totals:
        parts.append(f"{sum(totals)} answers in the {len(totals)} weeks whose totals are shown; no band can be shown.")
    else:
        parts.append("no numbers can be shown.")
    if hidden or partly:
        amount = " and ".join(
            words for words in (f"{hidden} {'week' if hidden == 1 else 'weeks'} hidden" if hidden else "",
                                f"{partly}{'' if hidden else ' week' if partly == 1 else ' weeks'} in part" if partly else "")
            if words
        )
        parts.append(f"{amount[0].upper()}{amount[1:]} because {_hidden_words(report)} people answered, "
                     "or showing them would reveal a smaller group.")
    return " ".join(parts)


def participation_alt(report: Report, shares: list[StageShare], days: int = PARTICIPATION_DAYS) -> str:
    parts = []
    for item in shares:
        name = stage_name(item.stage).lower()
        if item.hidden:
            parts.append(f"{name}: hidden ({_hidden_words(report)})")
        elif not item.invited:
            parts.append(f"{name}: nobody asked yet")
        else:
            parts.append(f"{name}: {item.answered} of {item.invited} ({item.share:.0%})")
    return f"Share of people asked who answered, last {days} days: " + "; ".join(parts) + "."


# -- drawing --------------------------------------------------------------------------------------


def _figure(
    title: str, subtitle: str, height: float = HEIGHT, legend: bool = False, panels: Sequence[str] = ("",)
) -> tuple[Figure, list[Axes]]:
    """A white page with the title and a one-line subtitle at the top, and one axes per panel below.

    Laid out by hand in inches rather than by matplotlib's layout engines, so
    that the title, the legend, the panels' names and the bars never overlap
    at any data. A panel with a name gets a line for it above its axes.
    """
    figure = Figure(figsize=(WIDTH, height), dpi=DPI, facecolor="white")
    FigureCanvasAgg(figure)
    inch = 1 / height
    figure.text(0.03, 1 - 0.18 * inch, title, ha="left", va="top", fontsize=FONT + 7, fontweight="bold", color=INK)
    figure.text(0.03, 1 - 0.72 * inch, subtitle, ha="left", va="top", fontsize=FONT - 3, color=MUTED)
    top, bottom = 1 - (1.55 if legend else 1.15) * inch, 0.5 * inch
    names = sum(bool(name) for name in panels) * PANEL_NAME * inch
    each = (top - bottom - names) / len(panels)
    all_axes = []
    for name in panels:
        if name:
            figure.text(0.03, top - 0.14 * inch, name, ha="left", va="top", fontsize=FONT + 1, fontweight="bold",
                        color=INK)
            top -= PANEL_NAME * inch
        axes = figure.add_axes((0.03, top - each, 0.94, each))
        top -= each
        for side in ("top", "right", "left"):
            axes.spines[side].set_visible(False)
        axes.tick_params(labelsize=FONT - 1, colors=INK, length=0)
        all_axes.append(axes)
    return figure, all_axes


def _png(figure: Figure) -> bytes:
    out = io.BytesIO()
    figure.savefig(out, format="png", metadata={"Software": None})
    return out.getvalue()


def _nothing(axes: Axes, words: str) -> None:
    axes.set_axis_off()
    axes.text(0.5, 0.5, words, ha="center", va="center", fontsize=FONT + 2, color=MUTED, transform=axes.transAxes)


def _hidden_label(axes: Axes, x: float, y: float, words: str, **extra: Any) -> None:
    axes.text(x, y, words, fontsize=FONT - 1, color=INK,
              bbox={"facecolor": HIDDEN_COLOUR, "edgecolor": "none", "pad": 2}, **extra)


def draw_distress(report: Report, stages: list[tuple[str, list[Week]]]) -> bytes:
    """Stacked bars of the bands shown, one panel per stage on one scale; hidden is hatched grey.

    Hatched up to the week's total if that is shown, else to the top.
    """
    many = len(stages) > 1
    figure, panels = _figure(
        "How people felt after debriefs",
        f"Answers each week, distress 0 (fine) to 10. Hidden: {_hidden_words(report)} answers.",
        height=1.55 + 0.5 + len(stages) * (PANEL_HEIGHT + PANEL_NAME) if many else HEIGHT,
        legend=True,
        panels=[stage_name(stage) for stage, _ in stages] if many else [""],
    )
    every_week = [week for _, weeks in stages for week in weeks]
    top = max([week.total or week.shown for week in every_week] + [report.min_group])
    for index, (axes, (_, weeks)) in enumerate(zip(panels, stages, strict=True)):
        _distress_panel(axes, report, weeks, top, dates=index == len(stages) - 1)
    handles = [Patch(facecolor=BAND_COLOURS[band], label=band) for band in BAND_NAMES]
    handles.append(Patch(facecolor=HIDDEN_COLOUR, edgecolor=HIDDEN_EDGE, hatch="//", label="hidden"))
    figure.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.02, 1 - 1.0 / figure.get_figheight()),
                  ncols=4, frameon=False, fontsize=FONT - 1, handlelength=1.3, columnspacing=1.4, handletextpad=0.5,
                  borderaxespad=0)
    return _png(figure)


def _distress_panel(axes: Axes, report: Report, weeks: list[Week], top: int, dates: bool) -> None:
    if not any(week.hidden or week.total or week.shown for week in weeks):
        _nothing(axes, f"No answers in the last {len(weeks)} weeks")
        return
    height = top * 1.1
    hatched: dict[str, Any] = {"color": HIDDEN_COLOUR, "edgecolor": HIDDEN_EDGE, "hatch": "//", "linewidth": 0.8, "width": 0.74}
    for index, week in enumerate(weeks):
        bottom = 0
        for band in BAND_NAMES:
            value = week.bands[band]
            if value:
                axes.bar(index, value, bottom=bottom, width=0.74, color=BAND_COLOURS[band], edgecolor="white",
                         linewidth=1)
                bottom += value
        if week.complete:
            rest = 0.0
        elif week.total is not None:  # the total is shown: the hidden bands make up the rest of it
            rest = week.total - bottom
        else:  # how many are hidden is hidden too: up to the top
            rest = height - bottom
        if rest > 0:
            axes.bar(index, rest, bottom=bottom, **hatched)
        if week.hidden:
            _hidden_label(axes, index, height / 2, "hidden", rotation=90, ha="center", va="center")
        elif week.total:
            axes.text(index, week.total + top * 0.015, str(week.total), ha="center", va="bottom",
                      fontsize=FONT - 3, color=MUTED)
    axes.set_ylim(0, height)
    axes.set_xlim(-0.6, len(weeks) - 0.35)
    axes.set_yticks([])
    positions = list(range(len(weeks)))
    if dates:
        axes.set_xticks(positions[::2], [f"{week.start.day} {week.start:%b}" for week in weeks][::2])
    else:
        axes.set_xticks([])


def draw_participation(report: Report, shares: list[StageShare], days: int = PARTICIPATION_DAYS) -> bytes:
    figure, (axes,) = _figure(
        "Who answered",
        f"Share of people asked who answered, last {days} days. Hidden: {_hidden_words(report)}.",
        height=1.75 + 0.95 * max(len(shares), 1),
    )
    if not shares or all(not item.hidden and not item.invited for item in shares):
        _nothing(axes, f"Nobody was asked in the last {days} days")
        return _png(figure)
    axes.set_axis_off()
    for row, item in enumerate(shares):
        y = -row
        axes.text(0, y + 0.32, stage_name(item.stage), ha="left", va="bottom", fontsize=FONT + 1, color=INK)
        axes.barh(y, 1.0, height=0.5, color="#EEEEEE")
        if item.hidden:
            axes.barh(y, 1.0, height=0.5, color=HIDDEN_COLOUR, edgecolor=HIDDEN_EDGE, hatch="//", linewidth=0.8)
            _hidden_label(axes, 0.015, y, f"hidden ({_hidden_words(report)})", ha="left", va="center")
        elif not item.invited:
            axes.text(0.015, y, "nobody asked yet", ha="left", va="center", fontsize=FONT - 1, color=MUTED)
        else:
            share = item.share or 0.0
            axes.barh(y, share, height=0.5, color=ANSWERED_COLOUR)
            words = f"{share:.0%}  ({item.answered} of {item.invited})"
            inside = share >= 0.42
            axes.text(0.015 if inside else share + 0.015, y, words, ha="left", va="center", fontsize=FONT,
                      fontweight="bold", color="white" if inside else INK)
    axes.set_xlim(0, 1)
    axes.set_ylim(-len(shares) + 0.62, 0.85)
    return _png(figure)


@dataclass(frozen=True)
class Kind:
    title: str
    alt: Callable[[Report], str]
    draw: Callable[[Report], bytes]


KINDS: dict[str, Kind] = {
    DISTRESS: Kind(
        "How people felt after debriefs",
        lambda report: distress_alt(report, distress_stages(report)),
        lambda report: draw_distress(report, distress_stages(report)),
    ),
    PARTICIPATION: Kind(
        "Who answered",
        lambda report: participation_alt(report, participation(report)),
        lambda report: draw_participation(report, participation(report)),
    ),
}
"""The charts by the name their links carry."""


def alt_text(name: str, report: Report) -> str:
    return KINDS[name].alt(report)


def render(name: str, report: Report) -> Chart:
    """Draw one chart (CPU-bound: call it in a worker thread)."""
    kind = KINDS[name]
    with _drawing:
        png = kind.draw(report)
    return Chart(name=name, title=kind.title, alt=kind.alt(report), png=png)
