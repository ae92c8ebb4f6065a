"""The officers' charts draw only what the report shows, and their links are signed and expire."""

from __future__ import annotations

from datetime import timedelta

import pytest
from reports import UNTIL, crafted_report

from bot import charts
from bot.clock import FakeClock
from bot.links import EXPORT, LinkExpired, LinkInvalid, Links, Ticket
from bot.settings import Settings, SettingsError
from bot.suppression import ALL
from bot.wellbeing import WEEKS, week_name

PNG = b"\x89PNG\r\n\x1a\n"


def test_the_distress_chart_takes_exactly_the_shown_cells_and_draws_hidden_ones_as_hidden_never_as_zero():
    weeks: list = [(9, 6, 5)] * WEEKS
    weeks[0] = None  # newest week: every band and the total hidden
    weeks[4] = (7, 0, 0)
    report = crafted_report(weeks)
    figure = report.figures["distress debrief"]
    figure.cells[(ALL, week_name(7), "7-10")] = None  # week 7: one band hidden (and so another), total shown
    figure.cells[(ALL, week_name(7), "4-6")] = None
    drawn = dict(zip(reversed(range(WEEKS)), charts.distress_weeks(report), strict=True))  # oldest first
    for week, shown in drawn.items():  # every number the chart has is a cell the report shows, or None
        assert shown.bands == {band: figure.get(week_name(week), ALL, band) for band in ("0-3", "4-6", "7-10")}
        assert shown.total == figure.get(week_name(week))
    assert drawn[0].hidden and not drawn[0].complete
    assert not drawn[7].hidden and not drawn[7].complete and drawn[7].shown == 9 and drawn[7].total == 20
    assert drawn[4].complete and drawn[4].bands == {"0-3": 7, "4-6": 0, "7-10": 0}  # a shown zero stays a zero
    assert drawn[0].start == (UNTIL - timedelta(days=7)).date()


def test_participation_uses_only_shown_cells_and_hides_a_stage_if_either_count_is_hidden():
    report = crafted_report(shares={"debrief": (40, 30), "24h": (30, None), "7d": (0, 0)})
    shares = {item.stage: item for item in charts.participation(report)}
    assert shares["debrief"].share == 0.75
    assert shares["24h"].hidden and shares["24h"].share is None
    assert not shares["7d"].hidden and shares["7d"].share is None


def test_alt_text_says_what_is_shown_and_how_much_is_hidden():
    weeks = [(9, 6, 5)] * WEEKS
    weeks[2] = weeks[3] = None
    report = crafted_report(weeks, shares={"debrief": (40, 30), "24h": (None, 18), "7d": (0, 0)})
    report.figures["distress debrief"].cells[(ALL, week_name(5), "7-10")] = None
    distress = charts.alt_text(charts.DISTRESS, report)
    assert "220 answers in the 11 weeks whose totals are shown" in distress
    assert "0-3: 99, 4-6: 66, 7-10: 50" in distress
    assert "2 weeks hidden and 1 in part because fewer than 5 people answered" in distress
    participation = charts.alt_text(charts.PARTICIPATION, report)
    assert "at the debrief: 30 of 40 (75%)" in participation
    assert "after 24 hours: hidden (fewer than 5)" in participation and "18" not in participation
    assert "At the debrief: no answers yet." in charts.alt_text(charts.DISTRESS, crafted_report([(0, 0, 0)] * WEEKS))


def test_the_distress_chart_has_a_panel_per_stage_each_from_its_own_figure():
    report = crafted_report()
    for week in range(WEEKS):  # the check-ins' answers a day later: every week hidden in part, its total shown
        report.figures["distress 24h"].cells[(ALL, week_name(week), "7-10")] = None
    stages = charts.distress_stages(report)
    assert [stage for stage, _ in stages] == ["debrief", "24h", "7d"]
    assert all(not week.complete for week in stages[1][1]) and all(week.complete for week in stages[0][1])
    alt = charts.alt_text(charts.DISTRESS, report)
    assert alt.index("At the debrief:") < alt.index("After 24 hours:") < alt.index("After 7 days:")
    assert "13 weeks in part because fewer than 5" in alt
    assert charts.render(charts.DISTRESS, report).png.startswith(PNG)


@pytest.mark.parametrize(
    "report",
    [
        crafted_report(),
        crafted_report([None] * WEEKS, {"debrief": (None, None), "24h": (None, None), "7d": (None, None)}),
        crafted_report([(0, 0, 0)] * WEEKS, {"debrief": (0, 0), "24h": (0, 0), "7d": (0, 0)}, default=0),
    ],
    ids=["shown", "all hidden", "no data"],
)
def test_every_chart_renders_a_png_with_alt_text(report):
    for name in charts.KINDS:
        chart = charts.render(name, report)
        assert chart.png.startswith(PNG) and chart.alt and chart.title


def test_a_week_shown_in_part_renders():
    report = crafted_report()
    cells = report.figures["distress debrief"].cells
    cells[(ALL, week_name(1), "7-10")] = cells[(ALL, week_name(1), "4-6")] = None  # total shown
    cells[(ALL, week_name(2), "7-10")] = cells[(ALL, week_name(2), ALL)] = None  # total hidden too
    assert charts.render(charts.DISTRESS, report).png.startswith(PNG)


def test_links_read_back_what_they_carry_and_nothing_about_who_asked():
    clock = FakeClock()
    links = Links(b"deployment-secret", clock, "https://debrief.example.org/")
    url = links.chart_url(charts.DISTRESS, "T1", UNTIL)
    assert url is not None and url.startswith("https://debrief.example.org/charts/") and url.endswith(".png")
    token = url.rsplit("/", 1)[1].removesuffix(".png")
    assert links.read(token) == Ticket(charts.DISTRESS, "T1", UNTIL)
    export = links.export_url(None, UNTIL, 90)
    assert export is not None and export.endswith(".csv")
    assert links.read(export.rsplit("/", 1)[1].removesuffix(".csv")) == Ticket(EXPORT, None, UNTIL, 90)
    assert Links(b"s", clock, None).chart_url(charts.DISTRESS, "T1", UNTIL) is None
    assert Links(b"s", clock, None).chart_url(charts.DISTRESS, "T1", UNTIL, "http://127.0.0.1:3978").startswith(
        "http://127.0.0.1:3978/charts/")


def test_an_altered_link_or_one_from_another_deployment_is_invalid_and_an_old_one_expired():
    clock = FakeClock()
    links = Links(b"deployment-secret", clock, "https://h.example")
    token = links.token(Ticket(charts.DISTRESS, "T1", UNTIL))
    altered = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    for bad in (altered, "not-a-token", Links(b"another-secret", clock, None).token(Ticket(charts.DISTRESS, "T1", UNTIL))):
        with pytest.raises(LinkInvalid):
            links.read(bad)
    clock.advance(timedelta(minutes=59))
    assert links.read(token).kind == charts.DISTRESS
    clock.advance(timedelta(minutes=2))
    with pytest.raises(LinkExpired):
        links.read(token)


@pytest.mark.parametrize("value", ["http://debrief.example.org", "debrief.example.org", "https://", "ftp://x"])
def test_a_bad_public_url_is_one_line_naming_the_variable(monkeypatch, value):
    monkeypatch.setenv("DEBRIEF_PUBLIC_URL", value)
    with pytest.raises(SettingsError) as refused:
        Settings.load()
    assert str(refused.value).startswith("DEBRIEF_PUBLIC_URL: ") and "\n" not in str(refused.value)


def test_a_public_url_is_https_or_this_machine():
    assert Settings.load(debrief_public_url="https://debrief.example.org/").debrief_public_url == "https://debrief.example.org"
    assert Settings.load(debrief_public_url="http://127.0.0.1:3978").debrief_public_url == "http://127.0.0.1:3978"
    assert Settings.load(debrief_public_url=" ").debrief_public_url is None
