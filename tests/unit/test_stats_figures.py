"""The figures' pure rules: periods, groupings, rates, totals, ranking, months, charts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from app.domain import figures
from app.domain.figures import (
    COUNTY_GROUPINGS,
    REGION_GROUPINGS,
    By,
    Figures,
    Period,
    by_month,
    grouping,
    median,
    merged,
    month_period,
    percent,
    period,
    ranking,
    total,
)
from app.errors import InvalidInput
from app.stats import charts

TODAY = date(2026, 12, 4)


def test_the_default_period_is_this_year_to_today():
    assert period(None, None, TODAY) == Period(date(2026, 1, 1), TODAY)
    assert period("2026-03-01", "", TODAY) == Period(date(2026, 3, 1), TODAY)
    assert period("2027-01-05", None, TODAY) == Period(date(2027, 1, 5), date(2027, 1, 5))


@pytest.mark.parametrize(
    ("start", "end", "says"),
    [
        ("2026-13-01", None, "from"),
        (None, "yesterday", "to"),
        ("2026-05-02", "2026-05-01", "after"),
        ("2020-01-01", "2026-01-01", "three years"),
    ],
)
def test_bad_periods_say_what_is_wrong(start, end, says):
    with pytest.raises(InvalidInput, match=says):
        period(start, end, TODAY)


def test_months_of_a_period_and_a_month_as_a_period():
    assert Period(date(2025, 11, 30), date(2026, 2, 1)).months == ["2025-11", "2025-12", "2026-01", "2026-02"]
    assert month_period("2024-02", TODAY) == Period(date(2024, 2, 1), date(2024, 2, 29))
    assert month_period("2026-12", TODAY) == Period(date(2026, 12, 1), date(2026, 12, 31))
    assert month_period(None, date(2026, 1, 15)) == Period(date(2025, 12, 1), date(2025, 12, 31))
    with pytest.raises(InvalidInput):
        month_period("2026-13", TODAY)


def test_each_reader_groups_only_as_it_may():
    assert grouping("county", REGION_GROUPINGS) is By.COUNTY
    assert grouping("handler", COUNTY_GROUPINGS) is By.HANDLER
    for refused, allowed in (("handler", REGION_GROUPINGS), ("county", COUNTY_GROUPINGS), ("", REGION_GROUPINGS)):
        with pytest.raises(InvalidInput):
            grouping(refused, allowed)


def test_the_on_time_rate_is_exact_to_four_places_and_null_when_nothing_closed():
    assert Figures("a", "a", closed=3, closed_on_time=2).on_time_rate == Decimal("0.6667")
    assert Figures("a", "a", closed=8, closed_on_time=1).on_time_rate == Decimal("0.1250")
    assert Figures("a", "a", received=4).on_time_rate is None
    assert Figures("a", "a", received=4).as_json()["on_time_rate"] is None
    assert Figures("a", "a", closed=2, closed_on_time=2).as_json()["on_time_rate"] == "1.0000"
    assert percent(Decimal("0.8125")) == "81.3%" and percent(None) == "—"


def test_totals_ranking_and_months():
    rows = [
        Figures("a", "甲", received=4, closed=4, closed_on_time=2, open_overdue=1, extensions=1),
        Figures("b", "乙", received=2, closed=2, closed_on_time=2),
        Figures("c", "丙", received=1),
        Figures("d", "丁", received=9, closed=4, closed_on_time=4),
    ]
    assert total(rows, "合计") == Figures("total", "合计", 16, 10, 8, 1, 1)
    # Equal rates: more closed first; nothing closed: last.
    assert [row.key for row in ranking(rows)] == ["d", "b", "a", "c"]
    filled = by_month([Figures("2026-02", "2026-02", received=1)], ["2026-01", "2026-02", "2026-03"])
    assert [(row.key, row.received) for row in filled] == [("2026-01", 0), ("2026-02", 1), ("2026-03", 0)]


def test_charts_are_titled_svg_with_escaped_labels_and_written_values():
    bars = charts.rate_bars([("<b>县", Decimal("0.5")), ("乙县", None)], "排名 & 比较")
    assert bars.startswith("<svg") and "<title>排名 &amp; 比较</title>" in bars
    assert "&lt;b&gt;县" in bars and "<b>" not in bars
    assert "50.0%" in bars and "—" in bars
    trend = charts.rate_trend([("2026-01", Decimal("1")), ("2026-02", None), ("2026-03", Decimal("0.5"))], "趋势")
    assert trend.count("<circle") == 2 and "<polyline" not in trend  # a month with no rate breaks the line
    joined = charts.rate_trend([("2026-01", Decimal("1")), ("2026-02", Decimal("0.5"))], "趋势")
    assert joined.count("<polyline") == 1


@pytest.mark.parametrize(
    ("histogram", "expected"),
    [
        ({}, None),
        ({4: 1}, Decimal(4)),
        ({1: 1, 5: 1, 6: 1}, Decimal(5)),
        ({1: 1, 6: 1}, Decimal("3.5")),
        ({2: 3, 9: 1}, Decimal(2)),
        ({2: 2, 9: 2}, Decimal("5.5")),
    ],
)
def test_median_of_a_histogram(histogram, expected):
    assert median(histogram) == expected


def test_medians_of_groups_are_taken_from_their_merged_histograms_not_averaged():
    rows = [Figures("a", "A", closed=3, closing_days=((1, 3),)), Figures("b", "B", closed=1, closing_days=((9, 1),))]
    assert merged(row.closing_days for row in rows) == ((1, 3), (9, 1))
    assert total(rows, "合计").median_days == Decimal(1)
    assert total(rows, "合计").as_json()["median_working_days"] == "1"


def test_a_period_splits_into_whole_months_and_its_partial_edges():
    today = date(2026, 3, 20)
    whole = figures.split_months(Period(date(2026, 1, 1), date(2026, 2, 28)), today)
    assert (whole.first, whole.last, whole.edges) == ("2026-01", "2026-02", ())
    edges = figures.split_months(Period(date(2026, 1, 15), date(2026, 3, 10)), date(2026, 4, 1))
    assert (edges.first, edges.last) == ("2026-02", "2026-02")
    assert edges.edges == (Period(date(2026, 1, 15), date(2026, 1, 31)), Period(date(2026, 3, 1), date(2026, 3, 10)))
    # Up to today (or after): the running month is whole, no case is received later.
    running = figures.split_months(Period(date(2025, 12, 1), today), today)
    assert (running.first, running.last, running.edges) == ("2025-12", "2026-03", ())
    inside = figures.split_months(Period(date(2026, 2, 3), date(2026, 2, 20)), today)
    assert (inside.first, inside.edges) == (None, (Period(date(2026, 2, 3), date(2026, 2, 20)),))


def test_counts_of_disjoint_cases_combine_group_by_group():
    a = Figures(key="aa", label="甲", received=2, closed=2, closed_on_time=1, closing_days=((1, 1), (4, 1)))
    b = Figures(key="aa", label="甲", received=1, closed=1, closed_on_time=1, closing_days=((4, 1),))
    c = Figures(key="bb", label="乙", received=1)
    assert figures.combined([[c], [a], [b]]) == [
        Figures(key="aa", label="甲", received=3, closed=3, closed_on_time=2, closing_days=((1, 1), (4, 2))),
        c,
    ]


def test_a_histogram_is_stored_as_text_and_joined_texts_add_up():
    stored = figures.histogram_text(((0, 2), (5, 1), (12, 3)))
    assert stored == "0:2,5:1,12:3"
    assert figures.histogram_of(stored) == ((0, 2), (5, 1), (12, 3))
    assert figures.histogram_of(",".join([stored, "", "5:4,1:1"])) == ((0, 2), (1, 1), (5, 5), (12, 3))
    assert figures.histogram_of("") == ()
