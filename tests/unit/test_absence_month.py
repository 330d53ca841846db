"""The absences overview's month calendar: who is away on which working day (pure)."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from app.absences.month import Away, Month, last_day_away, weeks
from app.errors import InvalidInput

ZONE = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 12, 9)


def at(day: int, hour: int = 9, month: int = 12) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=ZONE)


def away(name="王小磊", status="approved", start=None, end=None, category="leave", returned=None) -> Away:
    return Away(1, name, "personal", status, category, start or at(7), end or at(8, 18), returned)


def weekdays(d: date) -> bool:
    return d.weekday() < 5


def grid(*notices, month=Month(2026, 12)):
    return {d.day.day: d for week in weeks(month, notices, weekdays, lambda d: "", TODAY) for d in week if d}


def test_a_month_parses_from_its_field_and_knows_its_neighbours():
    assert Month.parse("", TODAY) == Month(2026, 12)
    assert str(Month.parse("2027-01", TODAY)) == "2027-01"
    assert Month(2026, 12).next == Month(2027, 1) and Month(2026, 1).previous == Month(2025, 12)
    for bad in ("2026-13", "2026", "december", "2026-1-1"):
        with pytest.raises(InvalidInput):
            Month.parse(bad, TODAY)


def test_the_month_is_whole_weeks_from_monday():
    rows = weeks(Month(2026, 12), [], weekdays, lambda d: "", TODAY)
    assert all(len(row) == 7 for row in rows)
    assert rows[0][0] is None and rows[0][1].day == date(2026, 12, 1)  # 1 December 2026 is a Tuesday
    assert sum(1 for row in rows for d in row if d) == 31


def test_a_notice_covers_its_working_days_only():
    days = grid(away(start=at(4), end=at(8, 18)))  # Friday to Tuesday
    assert [d for d in range(3, 10) if days[d].away] == [4, 7, 8]
    assert not days[5].workday and days[5].away == ()


def test_ending_at_midnight_leaves_that_day_free_and_a_return_ends_it_early():
    assert last_day_away(away(start=at(7), end=at(9, 0)), TODAY) == date(2026, 12, 8)
    assert last_day_away(away(end=at(11, 18), returned=at(8, 15)), TODAY) == date(2026, 12, 8)


def test_someone_overdue_is_away_until_today():
    late = away(status="overdue", start=at(1), end=at(3, 18))
    assert last_day_away(late, TODAY) == TODAY
    assert grid(late)[9].away and not grid(late)[10].away


def test_refused_withdrawn_and_brief_notices_take_nobody_away():
    for notice in (away(status="rejected"), away(status="cancelled"), away(category="none")):
        assert not grid(notice)[7].away


def test_a_notice_from_last_month_shows_where_it_reaches_into_this_one():
    days = grid(away(start=at(25, month=11), end=at(2, 18)))
    assert days[1].away and days[2].away and not days[3].away
