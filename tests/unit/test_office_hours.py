"""Office hours and working time (SPEC §4): what an absence takes out of the county's office time."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import partial
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain import office_hours
from app.domain.absence import Category, categorize
from app.domain.office_hours import DEFAULT, Session, working_days_away, working_time
from app.errors import InvalidInput

SHANGHAI = ZoneInfo("Asia/Shanghai")
MINUTE = timedelta(minutes=1)


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


measure = partial(working_time, hours=DEFAULT, zone=SHANGHAI, is_workday=chinese_calendar.is_workday)


def category(start: datetime, end: datetime, hours=DEFAULT) -> Category:
    return categorize(
        start,
        end,
        working=partial(working_time, hours=hours, zone=SHANGHAI, is_workday=chinese_calendar.is_workday),
    )


# 2026-12-04 is a Friday, 12-07 a Monday; 2026-10-01..07 is the National Day holiday, 09-28 Monday.
@pytest.mark.parametrize(
    ("start", "end", "expected", "kind"),
    [
        (at(2026, 12, 4, 16, 30), at(2026, 12, 7, 8, 30), timedelta(hours=1, minutes=30), Category.BRIEF),
        (at(2026, 12, 3, 17, 0), at(2026, 12, 4, 9, 0), timedelta(hours=1, minutes=30), Category.BRIEF),
        (at(2026, 12, 5, 8, 0), at(2026, 12, 6, 18, 0), timedelta(0), Category.NONE),  # a weekend trip
        (at(2026, 12, 4, 12, 0), at(2026, 12, 4, 14, 30), timedelta(0), Category.NONE),  # the lunch break
        (at(2026, 12, 4, 11, 40), at(2026, 12, 4, 14, 40), timedelta(minutes=30), Category.NONE),
        (at(2026, 12, 4, 11, 30), at(2026, 12, 4, 14, 31), timedelta(minutes=31), Category.BRIEF),
        (at(2026, 12, 4, 8, 0), at(2026, 12, 4, 12, 0), timedelta(hours=4), Category.BRIEF),  # one session
        (at(2026, 12, 4, 8, 0), at(2026, 12, 4, 14, 31), timedelta(hours=4, minutes=1), Category.LEAVE),
        (at(2026, 12, 3, 8, 0), at(2026, 12, 5, 8, 0), timedelta(hours=14), Category.LEAVE),
        (at(2026, 9, 30, 17, 0), at(2026, 10, 8, 8, 0), timedelta(minutes=30), Category.NONE),  # National Day
        (at(2026, 9, 30, 17, 0), at(2026, 10, 8, 9, 0), timedelta(hours=1, minutes=30), Category.BRIEF),
    ],
)
def test_working_time_and_category(start, end, expected, kind):
    assert measure(start, end) == expected
    assert category(start, end) is kind


def test_an_adjusted_working_sunday_counts():
    # 2026-09-20 is a Sunday worked for the National Day holiday (调休).
    assert chinese_calendar.is_workday(date(2026, 9, 20))
    assert measure(at(2026, 9, 20, 0, 0), at(2026, 9, 21, 0, 0)) == timedelta(hours=7)


def test_instants_in_other_zones_measure_the_same():
    start, end = at(2026, 12, 4, 16, 30), at(2026, 12, 7, 8, 30)
    assert measure(start.astimezone(ZoneInfo("UTC")), end.astimezone(ZoneInfo("America/New_York"))) == measure(
        start, end
    )


def test_seasonal_hours_apply_between_their_dates():
    hours = office_hours.parse(
        {
            "sessions": [["08:00", "12:00"], ["14:30", "17:30"]],
            "summer": {"from": "06-01", "to": "09-30", "sessions": [["08:00", "12:00"], ["15:00", "18:00"]]},
            "winter": {"from": "12-01", "to": "02-28", "sessions": [["08:30", "12:00"], ["14:00", "17:00"]]},
        }
    )
    assert hours.sessions_on(date(2026, 7, 1))[1].start == time(15, 0)
    assert hours.sessions_on(date(2026, 12, 4))[0].start == time(8, 30)
    assert hours.sessions_on(date(2027, 1, 15))[0].start == time(8, 30)  # the winter wraps the new year
    assert hours.sessions_on(date(2026, 11, 2))[0].start == time(8, 0)
    assert working_time(
        at(2026, 7, 1, 14, 30), at(2026, 7, 1, 15, 30), hours=hours, zone=SHANGHAI, is_workday=lambda d: True
    ) == timedelta(minutes=30)
    assert office_hours.parse(hours.as_json()) == hours


def test_round_the_clock_hours_are_allowed():
    hours = office_hours.parse({"sessions": [["00:00", "24:00"]]})
    assert hours.sessions == (Session(time(0, 0), None),)
    assert hours.as_json() == {"sessions": [["00:00", "24:00"]]}
    assert working_time(
        at(2026, 12, 3, 23, 0), at(2026, 12, 4, 1, 0), hours=hours, zone=SHANGHAI, is_workday=lambda d: True
    ) == timedelta(hours=2)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({}, "need sessions"),
        ({"sessions": []}, "1–4 sessions"),
        ({"sessions": [["8:00", "12:00"]]}, "use HH:MM"),
        ({"sessions": [["08:00", "25:00"]]}, "use HH:MM"),
        ({"sessions": [["12:00", "08:00"]]}, "must end after it starts"),
        ({"sessions": [["08:00", "12:00"], ["11:00", "17:00"]]}, "must not overlap"),
        ({"sessions": [["14:00", "17:00"], ["08:00", "12:00"]]}, "must be in order"),
        ({"sessions": [["24:00", "24:00"]]}, "cannot start at 24:00"),
        ({"sessions": [["08:00", "12:00"]], "spring": {}}, "unknown entries"),
        (
            {"sessions": [["08:00", "12:00"]], "summer": {"from": "06-01", "sessions": []}},
            "needs from, to and sessions",
        ),
        (
            {
                "sessions": [["08:00", "12:00"]],
                "summer": {"from": "13-01", "to": "09-30", "sessions": [["08:00", "12:00"]]},
            },
            "use MM-DD",
        ),
        ("08:00-12:00", "need sessions"),
    ],
)
def test_bad_office_hours_are_refused_with_a_reason(raw, message):
    with pytest.raises(InvalidInput, match=message):
        office_hours.parse(raw)


def test_no_setting_means_the_default_hours():
    assert office_hours.parse(None) == DEFAULT
    assert DEFAULT.as_json() == {"sessions": [["08:00", "12:00"], ["14:30", "17:30"]]}


# --- against an independent minute-by-minute count ---------------------------------------------------


def minutes_in_office(start: datetime, end: datetime) -> int:
    count, moment = 0, start
    while moment < end:
        local = moment.astimezone(SHANGHAI)
        clock = local.time()
        in_session = time(8, 0) <= clock < time(12, 0) or time(14, 30) <= clock < time(17, 30)
        count += in_session and chinese_calendar.is_workday(local.date())
        moment += MINUTE
    return count


instants = st.builds(
    lambda minutes: at(2026, 9, 25) + timedelta(minutes=minutes), st.integers(min_value=0, max_value=20 * 24 * 60)
)


@settings(max_examples=150, deadline=None)
@given(instants, st.integers(min_value=1, max_value=4 * 24 * 60))
def test_working_time_matches_a_minute_count(start, length):
    end = start + timedelta(minutes=length)
    assert measure(start, end) == timedelta(minutes=minutes_in_office(start, end))


# --- working days away (the evaluation's exclusion basis, SPEC §9) ----------------------------------------


days_away = partial(
    working_days_away,
    first=date(2026, 1, 1),
    last=date(2026, 12, 31),
    hours=DEFAULT,
    zone=SHANGHAI,
    is_workday=chinese_calendar.is_workday,
)


def test_a_one_hour_and_an_overnight_absence_are_fractions_not_three_days():
    one_hour = (at(2026, 12, 1, 9, 0), at(2026, 12, 1, 10, 0))
    overnight = (at(2026, 12, 2, 17, 0), at(2026, 12, 3, 9, 0))
    assert days_away([one_hour, overnight]) == Decimal("0.36")  # (60 + 30 + 60) / 420 minutes


def test_a_day_is_counted_once_however_many_notices_cover_it():
    week = (at(2026, 11, 30, 8, 0), at(2026, 12, 5, 0, 0))  # Monday to Friday
    morning = (at(2026, 12, 1, 8, 0), at(2026, 12, 1, 12, 0))
    assert days_away([week]) == Decimal(5)
    assert days_away([week, morning, week]) == Decimal(5)


def test_holidays_weekends_and_days_outside_the_year_count_nothing():
    national_day = (at(2026, 10, 1, 0, 0), at(2026, 10, 8, 0, 0))
    assert days_away([national_day]) == Decimal(0)
    across_the_year = (at(2025, 12, 29, 0, 0), at(2026, 1, 6, 0, 0))
    assert days_away([across_the_year]) == Decimal(2)  # 01-01..03 off; Sunday 01-04 worked (调休) and Monday 01-05
