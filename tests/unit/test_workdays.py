"""Working days and due dates (限时办结制度 第十条): real 2024–2026 schedules, overrides, unknown years, properties."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.workdays import (
    MAX_WORKING_DAYS,
    DayInfo,
    DayOverride,
    DueDate,
    WorkCalendar,
    years_needing_entry,
)
from app.errors import InvalidInput

CAL = WorkCalendar()
FAST = settings(max_examples=200, deadline=None)
ONE_DAY = timedelta(days=1)


def d(text: str) -> date:
    return date.fromisoformat(text)


def reference_is_workday(day: date) -> bool:
    """Independent of the module: the package where it knows the year, else Monday–Friday."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < 5


def reference_due(received_on: date, n: int) -> date:
    """Brute force: list the days after receipt, keep the working ones, take the N-th."""
    following = [received_on + timedelta(days=i) for i in range(1, 4 * n + 40)]
    return [day for day in following if reference_is_workday(day)][n - 1]


def brute_force_due(calendar: WorkCalendar, received_on: date, n: int) -> date:
    """Day-by-day count with the calendar's own is_workday."""
    day, counted = received_on, 0
    while counted < n:
        day += ONE_DAY
        if calendar.is_workday(day):
            counted += 1
    return day


# ---- the package's facts these tests rely on -----------------------------------------------------------------------


def test_the_installed_package_is_the_release_these_facts_come_from():
    assert chinese_calendar.__version__ == "1.11.0"
    assert CAL.known_years() == range(2004, 2027)


HOLIDAYS = [
    ("2024-01-01", "元旦"),
    ("2024-02-10", "春节"),
    ("2024-02-17", "春节"),
    ("2024-04-04", "清明"),
    ("2024-05-01", "劳动节"),
    ("2024-05-05", "劳动节"),
    ("2024-06-10", "端午"),
    ("2024-09-16", "中秋"),
    ("2024-09-17", "中秋"),
    *[(f"2024-10-0{i}", "国庆节") for i in range(1, 8)],
    ("2025-01-01", "元旦"),
    *[(f"2025-01-{i}", "春节") for i in range(28, 32)],
    *[(f"2025-02-0{i}", "春节") for i in range(1, 5)],
    ("2025-04-04", "清明"),
    ("2025-05-05", "劳动节"),
    ("2025-06-02", "端午"),
    ("2025-10-01", "国庆节"),
    ("2025-10-06", "中秋"),
    ("2025-10-08", "国庆节"),
    ("2026-01-02", "元旦"),
    ("2026-02-16", "春节"),
    ("2026-02-23", "春节"),
    ("2026-04-06", "清明"),
    ("2026-05-05", "劳动节"),
    ("2026-06-19", "端午"),
    ("2026-09-25", "中秋"),
    ("2026-10-01", "国庆节"),
    ("2026-10-07", "国庆节"),
]

ADJUSTED_WORKING_DAYS = [  # 调休: a Saturday or Sunday that is worked
    ("2024-02-04", "春节"),
    ("2024-02-18", "春节"),
    ("2024-04-07", "清明"),
    ("2024-04-28", "劳动节"),
    ("2024-05-11", "劳动节"),
    ("2024-09-14", "中秋"),
    ("2024-09-29", "国庆节"),
    ("2024-10-12", "国庆节"),
    ("2025-01-26", "春节"),
    ("2025-02-08", "春节"),
    ("2025-04-27", "劳动节"),
    ("2025-09-28", "国庆节"),
    ("2025-10-11", "国庆节"),
    ("2026-01-04", "元旦"),
    ("2026-02-14", "春节"),
    ("2026-02-28", "春节"),
    ("2026-05-09", "劳动节"),
    ("2026-09-20", "国庆节"),
    ("2026-10-10", "国庆节"),
]


@pytest.mark.parametrize(("day", "name"), HOLIDAYS)
def test_statutory_holidays_are_days_off_named_in_chinese(day, name):
    assert chinese_calendar.is_holiday(d(day))
    assert CAL.day(d(day)) == DayInfo(d(day), workday=False, source="statutory", note=name, provisional=False)
    assert not CAL.is_workday(d(day))


@pytest.mark.parametrize(("day", "name"), ADJUSTED_WORKING_DAYS)
def test_adjusted_weekend_days_are_working_days(day, name):
    assert d(day).weekday() >= 5
    assert chinese_calendar.is_workday(d(day))
    assert CAL.day(d(day)) == DayInfo(d(day), workday=True, source="statutory", note=name, provisional=False)


@pytest.mark.parametrize(
    ("day", "workday"),
    [("2024-10-08", True), ("2024-10-13", False), ("2025-03-15", False), ("2025-03-17", True), ("2026-12-31", True)],
)
def test_ordinary_days_follow_the_package_with_an_empty_note(day, workday):
    assert CAL.day(d(day)) == DayInfo(d(day), workday=workday, source="statutory", note="", provisional=False)


# ---- due dates worked out by hand ----------------------------------------------------------------------------------

DUE_DATES = [
    # 国庆 2024: 10-01..07 off, Sunday 09-29 and Saturday 10-12 worked.
    ("2024-09-30", 1, "2024-10-08"),  # last day before a long holiday
    ("2024-09-30", 10, "2024-10-18"),
    ("2024-09-29", 1, "2024-09-30"),  # received on an adjusted working Sunday
    ("2024-09-29", 5, "2024-10-11"),
    ("2024-10-03", 1, "2024-10-08"),  # received on a holiday
    ("2024-10-03", 5, "2024-10-12"),  # ... and due on the adjusted Saturday
    ("2024-10-03", 10, "2024-10-18"),
    ("2024-10-03", 15, "2024-10-25"),
    ("2024-10-12", 1, "2024-10-14"),  # received on an adjusted working Saturday
    # An ordinary weekend.
    ("2024-11-16", 1, "2024-11-18"),
    ("2024-11-16", 5, "2024-11-22"),
    ("2024-11-16", 10, "2024-11-29"),
    ("2024-11-16", 15, "2024-12-06"),
    # 春节 2024: 02-10..17 off, Sundays 02-04 and 02-18 worked.
    ("2024-02-09", 1, "2024-02-18"),
    ("2024-02-09", 5, "2024-02-22"),
    # 清明 2024: 04-04..06 off, Sunday 04-07 worked.
    ("2024-04-03", 1, "2024-04-07"),
    ("2024-04-03", 5, "2024-04-11"),
    # 中秋 2024: 09-15..17 off, Saturday 09-14 worked.
    ("2024-09-13", 1, "2024-09-14"),
    ("2024-09-13", 2, "2024-09-18"),
    # 元旦 2025: one day.
    ("2024-12-31", 1, "2025-01-02"),
    # 春节 2025: 01-28..02-04 off, Sunday 01-26 and Saturday 02-08 worked.
    ("2025-01-27", 1, "2025-02-05"),
    ("2025-01-27", 5, "2025-02-10"),
    ("2025-01-27", 10, "2025-02-17"),
    ("2025-01-27", 15, "2025-02-24"),
    ("2025-01-25", 1, "2025-01-26"),  # received on an ordinary Saturday, due on the adjusted Sunday
    ("2025-01-25", 2, "2025-01-27"),
    ("2025-01-25", 3, "2025-02-05"),
    ("2025-01-26", 1, "2025-01-27"),
    ("2025-01-26", 5, "2025-02-08"),
    # 清明, 劳动节, 端午 2025.
    ("2025-04-03", 1, "2025-04-07"),
    ("2025-04-30", 1, "2025-05-06"),
    ("2025-04-27", 5, "2025-05-07"),
    ("2025-05-30", 1, "2025-06-03"),
    # 国庆 + 中秋 2025: 10-01..08 off, Sunday 09-28 and Saturday 10-11 worked.
    ("2025-09-30", 1, "2025-10-09"),
    ("2025-09-30", 10, "2025-10-21"),
    ("2025-10-06", 1, "2025-10-09"),
    # 元旦 2026: 01-01..03 off, Sunday 01-04 worked.
    ("2025-12-31", 1, "2026-01-04"),
    ("2025-12-31", 5, "2026-01-08"),
    # 春节 2026: 02-15..23 off, Saturdays 02-14 and 02-28 worked.
    ("2026-02-13", 1, "2026-02-14"),
    ("2026-02-13", 5, "2026-02-27"),
    ("2026-02-13", 10, "2026-03-05"),
    ("2026-02-13", 15, "2026-03-12"),
    ("2026-02-14", 1, "2026-02-24"),
    # 清明, 劳动节, 端午, 中秋 2026.
    ("2026-04-03", 1, "2026-04-07"),
    ("2026-04-30", 1, "2026-05-06"),
    ("2026-04-30", 5, "2026-05-11"),
    ("2026-06-18", 1, "2026-06-22"),
    ("2026-09-24", 1, "2026-09-28"),
    # 国庆 2026: 10-01..07 off, Sunday 09-20 and Saturday 10-10 worked.
    ("2026-09-30", 10, "2026-10-20"),
]


@pytest.mark.parametrize(("received_on", "n", "due_on"), DUE_DATES)
def test_due_date_is_the_nth_working_day_after_receipt(received_on, n, due_on):
    assert CAL.due_date(d(received_on), n) == DueDate(d(due_on), provisional=False)
    assert CAL.add_working_days(d(received_on), n) == DueDate(d(due_on), provisional=False)
    assert CAL.working_days_between(d(received_on), d(due_on)) == n


def test_the_day_of_receipt_never_counts_even_when_it_is_a_working_day():
    assert CAL.is_workday(d("2024-10-08"))
    assert CAL.due_date(d("2024-10-08"), 1).due_on == d("2024-10-09")


def test_a_datetime_is_taken_as_its_date():
    assert CAL.day(datetime(2024, 10, 1, 9, 30)).day == d("2024-10-01")
    assert CAL.due_date(datetime(2024, 9, 30, 17, 59), 10).due_on == d("2024-10-18")
    assert CAL.working_days_between(datetime(2024, 9, 30, 8), datetime(2024, 10, 8, 18)) == 1


# ---- the find_workday pitfall --------------------------------------------------------------------------------------


def test_find_workday_from_a_holiday_is_one_working_day_late():
    assert chinese_calendar.find_workday(1, d("2024-10-03")) == d("2024-10-09")
    assert CAL.due_date(d("2024-10-03"), 1).due_on == d("2024-10-08")


@pytest.mark.parametrize("received_on", ["2024-10-03", "2024-11-16", "2025-01-25", "2026-02-15"])
@pytest.mark.parametrize("n", [1, 5, 10, 15])
def test_from_a_non_working_day_we_are_one_working_day_earlier_than_find_workday(received_on, n):
    assert not CAL.is_workday(d(received_on))
    ours = CAL.due_date(d(received_on), n).due_on
    theirs = chinese_calendar.find_workday(n, d(received_on))
    assert ours < theirs
    assert CAL.working_days_between(ours, theirs) == 1
    assert CAL.due_date(ours, 1).due_on == theirs


@pytest.mark.parametrize("received_on", ["2024-09-29", "2024-09-30", "2025-01-27", "2026-02-14"])
@pytest.mark.parametrize("n", [1, 5, 10, 15])
def test_from_a_working_day_we_agree_with_find_workday(received_on, n):
    assert CAL.is_workday(d(received_on))
    assert CAL.due_date(d(received_on), n).due_on == chinese_calendar.find_workday(n, d(received_on))


# ---- properties ----------------------------------------------------------------------------------------------------

known_dates = st.dates(min_value=date(2024, 1, 1), max_value=date(2026, 12, 20))
counts = st.integers(min_value=1, max_value=30)


@FAST
@given(known_dates, counts)
def test_due_date_matches_an_independent_brute_force_count(received_on, n):
    due = CAL.due_date(received_on, n)
    assert due.due_on == reference_due(received_on, n)
    assert due.due_on == brute_force_due(CAL, received_on, n)
    assert due.due_on > received_on
    assert CAL.is_workday(due.due_on)
    assert CAL.working_days_between(received_on, due.due_on) == n
    assert CAL.working_days_between(received_on, due.due_on - ONE_DAY) == n - 1
    assert due.provisional == (due.due_on.year > 2026)
    assert CAL.add_working_days(received_on, n) == due


@FAST
@given(st.dates(min_value=date(2024, 1, 1), max_value=date(2026, 10, 31)), counts)
def test_find_workday_is_right_from_working_days_and_one_late_from_others(received_on, n):
    ours = CAL.due_date(received_on, n).due_on
    if chinese_calendar.is_workday(received_on):
        assert chinese_calendar.find_workday(n, received_on) == ours
    else:
        assert chinese_calendar.find_workday(n - 1, received_on) == ours


@FAST
@given(st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31)))
def test_every_day_agrees_with_the_package_or_monday_to_friday(day):
    info = CAL.day(day)
    assert info.workday == reference_is_workday(day)
    assert info.provisional == (day.year > 2026)
    assert info.source == ("weekday-fallback" if day.year > 2026 else "statutory")


@FAST
@given(known_dates, known_dates, known_dates)
def test_working_days_between_adds_up(a, b, c):
    a, b, c = sorted((a, b, c))
    assert CAL.working_days_between(a, b) + CAL.working_days_between(b, c) == CAL.working_days_between(a, c)
    assert CAL.working_days_between(c, a) == 0


overrides = st.builds(
    DayOverride,
    day=st.dates(min_value=date(2026, 12, 1), max_value=date(2027, 1, 31)),
    workday=st.booleans(),
    note=st.sampled_from(["", "元旦", "调休上班", "防汛值班"]),
)


@FAST
@given(
    st.lists(overrides, max_size=12), st.lists(overrides, max_size=12), st.dates(date(2026, 12, 1), date(2027, 1, 31))
)
def test_county_beats_global_beats_the_package(county, global_, day):
    info = WorkCalendar(county, global_).day(day)
    mine = [o for o in county if o.day == day]
    everyone = [o for o in global_ if o.day == day]
    if mine:
        assert (info.workday, info.source, info.note) == (mine[-1].workday, "override", mine[-1].note)
    elif everyone:
        assert (info.workday, info.source, info.note) == (everyone[-1].workday, "global", everyone[-1].note)
    else:
        assert info.workday == CAL.day(day).workday
        assert info.source == CAL.day(day).source  # overrides alone never mark a year as entered
    assert info.provisional == (info.source == "weekday-fallback")


@FAST
@given(st.lists(overrides, max_size=20), st.dates(date(2026, 11, 20), date(2027, 1, 20)), counts)
def test_due_dates_with_overrides_match_the_brute_force_and_provisional_means_a_guessed_day(county, received_on, n):
    calendar = WorkCalendar(county)
    due = calendar.due_date(received_on, n)
    assert due.due_on == brute_force_due(calendar, received_on, n)
    on_the_way = [calendar.day(received_on + timedelta(days=i)) for i in range(1, (due.due_on - received_on).days + 1)]
    assert due.provisional == any(info.provisional for info in on_the_way)


# ---- years the package does not know ------------------------------------------------------------------------------


def test_an_unknown_year_counts_monday_to_friday_provisionally():
    assert 2027 not in CAL.known_years()
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(d("2027-01-04"))
    assert CAL.day(d("2027-01-04")) == DayInfo(d("2027-01-04"), True, "weekday-fallback", "", provisional=True)
    assert CAL.day(d("2027-01-02")) == DayInfo(d("2027-01-02"), False, "weekday-fallback", "", provisional=True)
    assert CAL.due_date(d("2030-03-01"), 10) == DueDate(d("2030-03-15"), provisional=True)


def test_a_due_date_crossing_into_an_unknown_year_is_provisional():
    assert CAL.due_date(d("2026-12-30"), 1) == DueDate(d("2026-12-31"), provisional=False)
    assert CAL.due_date(d("2026-12-30"), 2) == DueDate(d("2027-01-01"), provisional=True)
    assert CAL.due_date(d("2026-12-31"), 10) == DueDate(d("2027-01-14"), provisional=True)


def test_entering_a_holiday_moves_the_due_date_but_it_stays_provisional_while_later_days_are_guessed():
    new_year = [DayOverride(d("2027-01-01"), workday=False, note="元旦")]
    assert CAL.due_date(d("2026-12-31"), 1) == DueDate(d("2027-01-01"), provisional=True)
    assert WorkCalendar(new_year).due_date(d("2026-12-31"), 1) == DueDate(d("2027-01-04"), provisional=True)


ENTERED_2027 = [
    DayOverride(d("2027-01-01"), workday=False, note="元旦"),
    DayOverride(d("2027-01-02"), workday=False),
    DayOverride(d("2027-01-03"), workday=False),
    DayOverride(d("2027-01-04"), workday=True),
]


@pytest.mark.parametrize("who", ["county", "global"])
def test_entering_every_day_involved_makes_the_due_date_final(who):
    calendar = WorkCalendar(county_overrides=ENTERED_2027) if who == "county" else WorkCalendar((), ENTERED_2027)
    # Days decided are final; a day nobody decided stays a guess until the year is marked entered.
    assert calendar.due_date(d("2026-12-31"), 1) == DueDate(d("2027-01-04"), provisional=False)
    assert calendar.due_date(d("2026-12-30"), 2) == DueDate(d("2027-01-04"), provisional=False)
    assert calendar.due_date(d("2026-12-30"), 3).provisional  # 2027-01-05 is still a guess
    assert calendar.day(d("2027-01-01")).note == "元旦"
    assert not calendar.day(d("2027-01-01")).provisional


def test_once_a_year_is_marked_entered_the_days_it_leaves_out_are_ordinary_weekdays():
    published = [*ENTERED_2027, DayOverride(d("2027-02-06"), workday=False, note="春节")]
    for calendar in (
        WorkCalendar(published, (), {2027}),
        WorkCalendar((), published, {2027}),
        WorkCalendar(published[:2], published[2:], {2027}),
        WorkCalendar((), (), {2027}),
    ):
        assert calendar.day(d("2027-01-05")) == DayInfo(d("2027-01-05"), True, "weekday", "", provisional=False)
        assert calendar.day(d("2027-01-09")) == DayInfo(d("2027-01-09"), False, "weekday", "", provisional=False)
        assert calendar.day(d("2028-01-04")).provisional  # the next year is still a guess
    assert WorkCalendar(published, (), {2027}).due_date(d("2026-12-30"), 3) == DueDate(d("2027-01-05"), False)


def test_any_number_of_overrides_without_the_mark_leaves_the_year_provisional():
    # A county entering local days (here a whole month of them) has not entered the State Council's schedule.
    january = [DayOverride(date(2027, 1, 1) + timedelta(days=i), workday=i % 7 < 5) for i in range(31)]
    calendar = WorkCalendar(january, january)
    assert calendar.day(d("2027-02-01")) == DayInfo(d("2027-02-01"), True, "weekday-fallback", "", provisional=True)
    assert calendar.due_date(d("2027-01-25"), 10).provisional


def test_an_unknown_day_of_receipt_does_not_make_the_due_date_provisional():
    calendar = WorkCalendar(ENTERED_2027)
    assert calendar.day(d("2027-01-01")).provisional is False
    assert WorkCalendar(ENTERED_2027[1:]).due_date(d("2027-01-01"), 1) == DueDate(d("2027-01-04"), provisional=False)
    assert CAL.day(d("2027-01-01")).provisional  # the day of receipt itself is a guess, but never counted


def test_adding_zero_working_days_gives_the_start_with_its_own_certainty():
    assert CAL.add_working_days(d("2024-10-03"), 0) == DueDate(d("2024-10-03"), provisional=False)
    assert CAL.add_working_days(d("2027-01-04"), 0) == DueDate(d("2027-01-04"), provisional=True)
    assert WorkCalendar(ENTERED_2027).add_working_days(d("2027-01-04"), 0) == DueDate(d("2027-01-04"), False)


# ---- overrides -----------------------------------------------------------------------------------------------------


def test_a_county_can_make_a_holiday_a_working_day():
    calendar = WorkCalendar([DayOverride(d("2024-10-03"), workday=True, note="防汛值班")])
    assert calendar.day(d("2024-10-03")) == DayInfo(d("2024-10-03"), True, "override", "防汛值班", provisional=False)
    assert calendar.due_date(d("2024-10-02"), 1) == DueDate(d("2024-10-03"), provisional=False)
    assert calendar.due_date(d("2024-09-30"), 10) == DueDate(d("2024-10-17"), provisional=False)


def test_a_county_can_make_a_working_day_a_holiday():
    calendar = WorkCalendar([DayOverride(d("2024-10-08"), workday=False, note="县庆")])
    assert calendar.day(d("2024-10-08")) == DayInfo(d("2024-10-08"), False, "override", "县庆", provisional=False)
    assert calendar.due_date(d("2024-09-30"), 1) == DueDate(d("2024-10-09"), provisional=False)


def test_the_superadmin_overrides_the_package_for_every_county():
    calendar = WorkCalendar(global_overrides=[DayOverride(d("2024-10-08"), workday=False, note="全省停工")])
    assert calendar.day(d("2024-10-08")) == DayInfo(d("2024-10-08"), False, "global", "全省停工", provisional=False)
    assert calendar.due_date(d("2024-09-30"), 1).due_on == d("2024-10-09")


def test_the_county_overrides_the_superadmin():
    calendar = WorkCalendar(
        county_overrides=[DayOverride(d("2024-10-08"), workday=True, note="本县照常上班")],
        global_overrides=[DayOverride(d("2024-10-08"), workday=False, note="全省停工")],
    )
    assert calendar.day(d("2024-10-08")) == DayInfo(d("2024-10-08"), True, "override", "本县照常上班", False)
    assert calendar.due_date(d("2024-09-30"), 1).due_on == d("2024-10-08")


def test_the_last_override_of_a_day_wins_and_any_iterable_will_do():
    edits = (DayOverride(d("2024-10-08"), workday=value) for value in (False, True, False))
    assert not WorkCalendar(edits).is_workday(d("2024-10-08"))


def test_overrides_elsewhere_do_not_change_a_day():
    calendar = WorkCalendar([DayOverride(d("2024-10-09"), workday=False)], [DayOverride(d("2024-10-10"), False)])
    assert calendar.day(d("2024-10-08")) == CAL.day(d("2024-10-08"))


# ---- bad input -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [0, MAX_WORKING_DAYS + 1, -1, -5])
def test_a_time_limit_outside_one_to_sixty_is_refused_in_chinese(n):
    with pytest.raises(InvalidInput) as caught:
        CAL.due_date(d("2024-09-30"), n)
    assert caught.value.localized() == f"办结时限须为 1–60 个工作日，不是 {n}"
    assert caught.value.in_language("en") == f"the time limit must be 1-60 working days, not {n}"


def test_sixty_working_days_is_allowed():
    assert CAL.due_date(d("2024-09-30"), MAX_WORKING_DAYS).due_on == reference_due(d("2024-09-30"), 60)


@pytest.mark.parametrize("n", [5.0, "5", True, None])
def test_a_time_limit_that_is_not_a_whole_number_is_refused(n):
    with pytest.raises(InvalidInput) as caught:
        CAL.due_date(d("2024-09-30"), n)
    assert caught.value.localized() == f"办结时限须为整数个工作日，不是 {n}"


@pytest.mark.parametrize("n", [-1, MAX_WORKING_DAYS + 1])
def test_adding_a_negative_or_too_large_number_of_working_days_is_refused(n):
    with pytest.raises(InvalidInput) as caught:
        CAL.add_working_days(d("2024-09-30"), n)
    assert caught.value.localized() == f"工作日数须为 0–60，不是 {n}"


@pytest.mark.parametrize(("year", "month"), [(2025, 0), (2025, 13), (0, 1), (10000, 1)])
def test_a_month_that_does_not_exist_is_refused(year, month):
    with pytest.raises(InvalidInput) as caught:
        CAL.month(year, month)
    assert caught.value.localized() == f"没有这个月份：{year} 年 {month} 月"


def test_working_days_between_is_zero_when_the_end_is_not_after_the_start():
    assert CAL.working_days_between(d("2024-10-08"), d("2024-10-08")) == 0
    assert CAL.working_days_between(d("2024-10-18"), d("2024-10-08")) == 0
    assert CAL.working_days_between(d("2024-09-28"), d("2024-09-30")) == 2
    assert CAL.working_days_between(d("2024-09-30"), d("2024-10-08")) == 1


# ---- the month page ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("year", "month", "length"), [(2024, 2, 29), (2025, 2, 28), (2025, 10, 31), (2026, 4, 30)])
def test_a_month_lists_every_day_in_order(year, month, length):
    days = CAL.month(year, month)
    assert [info.day for info in days] == [date(year, month, 1) + timedelta(days=i) for i in range(length)]
    assert {info.source for info in days} == {"statutory"}
    assert not any(info.provisional for info in days)


def test_a_month_carries_the_holiday_names():
    october = {info.day.day: info for info in CAL.month(2025, 10)}
    assert "国庆" in october[1].note
    assert not october[1].workday
    assert october[6].note == "中秋"
    assert october[11].workday and october[11].note == "国庆节"
    assert october[13].workday and october[13].note == ""
    assert sum(info.workday for info in october.values()) == 18


def test_a_month_of_an_unknown_year_is_provisional_except_entered_days():
    calendar = WorkCalendar(ENTERED_2027[:1], [DayOverride(d("2027-01-04"), workday=True, note="上班")])
    january = calendar.month(2027, 1)
    assert len(january) == 31
    assert [(info.source, info.provisional) for info in january[:5]] == [
        ("override", False),
        ("weekday-fallback", True),
        ("weekday-fallback", True),
        ("global", False),
        ("weekday-fallback", True),
    ]
    assert sum(info.workday for info in january) == 20


# ---- known years and asking for next year's schedule ---------------------------------------------------------------


def test_known_years_are_detected_from_the_package():
    years = CAL.known_years()
    assert {2024, 2025, 2026} <= set(years)
    for year in years:
        chinese_calendar.is_workday(date(year, 6, 1))
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(years.stop, 6, 1))
    assert WorkCalendar().known_years() is years


def test_next_year_needs_entry_until_it_is_marked_entered():
    assert years_needing_entry(d("2026-06-01"), []) == [2027]
    assert years_needing_entry(d("2026-06-01"), {2028}) == [2027]
    assert years_needing_entry(d("2026-06-01"), {2027}) == []


def test_known_years_never_need_entry():
    assert years_needing_entry(d("2025-12-01"), []) == []
    assert years_needing_entry(datetime(2024, 3, 1, 8), []) == []


def test_this_year_and_next_can_both_need_entry():
    assert years_needing_entry(d("2027-03-01"), {2026}) == [2027, 2028]
    assert years_needing_entry(d("2027-03-01"), [2027, 2027]) == [2028]


# ---- the types -----------------------------------------------------------------------------------------------------


def test_results_are_frozen():
    for value in (CAL.day(d("2024-10-01")), CAL.due_date(d("2024-09-30"), 1), DayOverride(d("2024-10-01"), True)):
        with pytest.raises(dataclasses.FrozenInstanceError):
            value.note = "changed"  # type: ignore[misc]


def test_an_override_note_defaults_to_empty():
    assert DayOverride(d("2027-01-01"), workday=False).note == ""


def test_ordinals_differ_by_the_working_days_between():
    calendar = WorkCalendar()
    first, last = date(2026, 9, 28), date(2026, 10, 12)  # across the National Day week
    ordinals = dict(calendar.ordinals(first, last))
    assert len(ordinals) == 15 and ordinals[first] == 0
    for start in ordinals:
        for end in ordinals:
            if start <= end:
                assert ordinals[end] - ordinals[start] == calendar.working_days_between(start, end)
