"""The deadline figures against cases whose every date the test chose, on both databases."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from app.domain.figures import By, Period
from app.stats import tally
from app.stats.tally import deadline_figures
from tests.helpers import county, person
from tests.stats_helpers import case

NOW = datetime(2026, 3, 20, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
MARCH = Period(date(2026, 3, 1), date(2026, 3, 31))


@pytest.fixture(params=["live", "tallied"])
def read(request):
    """The figures counted from the cases, or from the tally rebuilt at the same instant: the same."""

    async def figures_of(counties, by, period, now, **options):
        if request.param == "tallied":
            for info in counties:
                await tally.rebuild(info, now)
        return await deadline_figures(counties, by, period, now, **options)

    return figures_of


async def test_each_figure_counts_what_it_says(any_db, read):
    a, b = await county("aa"), await county("bb")
    ann, bob = await person("aa", "ann"), await person("bb", "bob")
    # aa: on time (decided on the due day, late evening: the county's day, not UTC's), late, open overdue,
    # open not yet due, extended, and one received in February that March does not count.
    await case(
        a, ann, received_on=date(2026, 3, 2), due_on=date(2026, 3, 9), decided_on=date(2026, 3, 9), decided_at_hour=23
    )
    await case(
        a, ann, received_on=date(2026, 3, 2), due_on=date(2026, 3, 9), decided_on=date(2026, 3, 10), decided_at_hour=1
    )
    await case(a, ann, line="temporary", received_on=date(2026, 3, 3), due_on=date(2026, 3, 17))
    await case(a, ann, line="temporary", received_on=date(2026, 3, 18), due_on=date(2026, 3, 25))
    await case(
        a, ann, received_on=date(2026, 3, 31), due_on=date(2026, 4, 14), decided_on=date(2026, 3, 31), extension_days=3
    )
    await case(a, ann, received_on=date(2026, 2, 27), due_on=date(2026, 3, 6), decided_on=date(2026, 3, 20))
    # bb: nothing closed.
    await case(b, bob, received_on=date(2026, 3, 5), due_on=date(2026, 3, 19))

    rows = await read((a, b), By.COUNTY, MARCH, NOW)

    assert [row.as_json() for row in rows] == [
        {
            "key": "aa",
            "received": 5,
            "closed": 3,
            "closed_on_time": 2,
            "on_time_rate": "0.6667",
            "open_overdue": 1,
            "extensions": 1,
            "median_working_days": "5",  # 0, 5 and 6 working days (3-31 → 3-31, 3-2 → 3-9, 3-2 → 3-10)
        },
        {
            "key": "bb",
            "received": 1,
            "closed": 0,
            "closed_on_time": 0,
            "on_time_rate": None,
            "open_overdue": 1,
            "extensions": 0,
            "median_working_days": None,
        },
    ]
    assert rows[0].label == "aa县"


async def test_groupings_and_the_line_filter(any_db, read):
    a = await county("aa")
    ann, amy = await person("aa", "ann"), await person("aa", "amy")
    await case(a, ann, received_on=date(2026, 1, 5), due_on=date(2026, 1, 12), decided_on=date(2026, 1, 9))
    await case(a, amy, received_on=date(2026, 3, 2), due_on=date(2026, 3, 9), decided_on=date(2026, 3, 12))
    await case(
        a, amy, line="temporary", received_on=date(2026, 3, 2), due_on=date(2026, 3, 16), decided_on=date(2026, 3, 3)
    )
    whole = Period(date(2026, 1, 1), date(2026, 3, 31))

    months = await read((a,), By.MONTH, whole, NOW)
    lines = await read((a,), By.LINE, whole, NOW)
    handlers = await read((a,), By.HANDLER, whole, NOW, line="medical")

    assert [(r.key, r.received, r.on_time_rate) for r in months] == [
        ("2026-01", 1, Decimal("1.0000")),
        ("2026-03", 2, Decimal("0.5000")),
    ]
    assert [(r.key, r.label, r.received) for r in lines] == [
        ("medical", "城乡医疗救助", 2),
        ("temporary", "临时救助", 1),
    ]
    assert [(r.key, r.label, r.closed_on_time) for r in handlers] == [(ann, "Ann", 1), (amy, "Amy", 0)]


async def test_working_days_to_close_follow_each_countys_own_calendar(any_db, read):
    from app.flows.calendar import set_day
    from app.tenancy.context import TenantContext
    from tests.helpers import OPERATOR

    a, b = await county("aa"), await county("bb")
    ann, bob = await person("aa", "ann"), await person("bb", "bob")
    # Received Friday 27 March 2026, decided Thursday 2 April: 4 working days; aa made the 30th a
    # local holiday (3); the weekend between never counts.
    await set_day(TenantContext(a, OPERATOR), date(2026, 3, 30), False, "县休")
    for info, handler in ((a, ann), (b, bob)):
        await case(info, handler, received_on=date(2026, 3, 27), due_on=date(2026, 4, 7), decided_on=date(2026, 4, 2))
        await case(info, handler, received_on=date(2026, 3, 27), due_on=date(2026, 4, 7))
    april = datetime(2026, 4, 3, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))

    rows = await read((a, b), By.COUNTY, MARCH, april)
    months = await read((a, b), By.MONTH, MARCH, april)

    assert [(row.key, row.closed, row.median_days) for row in rows] == [("aa", 1, Decimal(3)), ("bb", 1, Decimal(4))]
    assert months[0].closing_days == ((3, 1), (4, 1))
    assert months[0].median_days == Decimal("3.5")


async def test_no_counties_no_figures(any_db, read):
    assert await read((), By.COUNTY, MARCH, NOW) == []


async def test_each_county_decides_on_its_own_clock(any_db, read):
    from app.setup.services import create_tenant
    from tests.helpers import OPERATOR

    a = await county("aa")
    b = await create_tenant(OPERATOR, "bb", "bb县", "Europe/London")
    ann, bob = await person("aa", "ann"), await person("bb", "bob")
    # 23:00 on the due day in London is the next morning in Shanghai: on time, on London's clock.
    for info, handler in ((a, ann), (b, bob)):
        await case(
            info,
            handler,
            received_on=date(2026, 3, 2),
            due_on=date(2026, 3, 9),
            decided_on=date(2026, 3, 9),
            decided_at_hour=23,
        )
    rows = await read((a, b), By.COUNTY, MARCH, NOW)
    assert [(row.key, row.closed_on_time) for row in rows] == [("aa", 1), ("bb", 1)]


async def test_accountability_and_grades_are_counted_on_both_databases(any_db):
    from app import clock
    from app.cases.tables import AccountabilityRecord, Offence
    from app.evaluation.tables import Cycle, Result, Subject
    from app.stats.queries import accountability_by_level, grades_by_cycle

    a = await county("aa")
    ann = await person("aa", "ann")
    records = []
    for occasion, level in (
        (date(2026, 3, 3), "admonition"),
        (date(2026, 3, 9), "admonition"),
        (date(2026, 4, 1), "warning"),
    ):
        record = AccountabilityRecord(
            tenant=a.id, person=ann, occasion_on=occasion, year=2026, level=level, recorded_on=occasion, created_at=NOW
        )
        await record.save()
        records.append(record.id)
    # The first occasion: two overdue cases of one line (the record counts once for it).
    for _ in range(2):
        overdue = await case(a, ann, received_on=date(2026, 2, 20), due_on=date(2026, 3, 3))
        await Offence(tenant=a.id, record=records[0], case=overdue, due_on=date(2026, 3, 3)).save()
    cycle = Cycle(tenant=a.id, year=2026, weights={}, step="feedback", locked=True, created_at=clock.now())
    await cycle.save()
    subject = Subject(tenant=a.id, cycle=cycle.id, person=ann)
    await subject.save()
    await Result(
        tenant=a.id,
        cycle=cycle.id,
        subject=subject.id,
        status="scored",
        grade="excellent",
        components={},
        missing=[],
        raters={},
        computed_at=NOW,
    ).save()

    assert await accountability_by_level((a,), MARCH) == {"aa": {"admonition": 2}}
    assert await accountability_by_level((a,), Period(date(2026, 3, 1), date(2026, 4, 30)), By.MONTH) == {
        "2026-03": {"admonition": 2},
        "2026-04": {"warning": 1},
    }
    assert await accountability_by_level((a,), MARCH, By.HANDLER) == {ann: {"admonition": 2}}
    assert await accountability_by_level((a,), MARCH, By.LINE) == {"medical": {"admonition": 1}}
    assert await grades_by_cycle((a,), MARCH) == {("aa", 2026): {"excellent": 1}}
    assert await grades_by_cycle((a,), Period(date(2025, 1, 1), date(2025, 12, 31))) == {}


async def test_absence_figures_measure_office_time_on_both_databases(any_db):
    from app.absences.tables import Absence, Substitution
    from app.stats.queries import absence_figures
    from tests.stats_helpers import line_id

    a = await county("aa")
    ann = await person("aa", "ann")
    zone = a.zone

    def at(day: int, hour: int, minute: int = 0) -> datetime:
        return datetime(2026, 3, day, hour, minute, tzinfo=zone)

    async def notice(kind: str, start: datetime, end: datetime, status: str, returned: datetime | None = None) -> int:
        row = Absence(
            tenant=a.id,
            person=ann,
            kind=kind,
            reason="r",
            starts_at=start,
            ends_at=end,
            category="leave",
            status=status,
            returned_at=returned,
            created_at=start,
        )
        await row.save()
        return row.id

    # Sick Monday 2 March all day and Tuesday morning (back at noon): 1 + 4/7 working days.
    sick = await notice("sick", at(2, 8), at(3, 17, 30), "returned", returned=at(3, 12))
    # Official business over the weekend: no working time.
    await notice("official", at(7, 8), at(8, 18), "approved")
    # A rejected notice counts nothing.
    await notice("personal", at(10, 8), at(10, 18), "rejected")
    medical = await line_id(a, "medical")
    # The medical line uncovered Wednesday morning (4 office hours) and one night (none).
    for start, end in ((at(4, 8), at(4, 12)), (at(5, 18), at(6, 8))):
        await Substitution(
            tenant=a.id, absence=sick, line=medical, substitute=None, status="uncovered", started_at=start, ended_at=end
        ).save()

    by_county = await absence_figures((a,), By.COUNTY, MARCH, NOW)
    by_line = {row.key: row for row in await absence_figures((a,), By.LINE, MARCH, NOW)}
    by_person = await absence_figures((a,), By.HANDLER, MARCH, NOW)
    by_month = await absence_figures((a,), By.MONTH, Period(date(2026, 2, 20), date(2026, 3, 31)), NOW)

    assert by_person[0].as_json() == {
        "key": ann,
        "working_days_away": {"sick": "1.57"},
        "uncovered_hours": "0.00",
        "covered_share": None,
    }
    assert by_person[0].label == "Ann"
    # Office time so far this March: 14 working days of 7 hours and Friday 20th 08:00–09:00.
    assert by_line["medical"].office.total_seconds() == 99 * 3600
    assert by_line["medical"].as_json() == {
        "key": "medical",
        "working_days_away": {},
        "uncovered_hours": "4.00",
        "covered_share": "0.9596",
    }
    assert by_line["temporary"].covered_share == Decimal(1)
    lines = len(by_line)
    assert by_county[0].key == "aa" and by_county[0].days_away == {"sick": Decimal("1.57")}
    assert by_county[0].office.total_seconds() == 99 * 3600 * lines
    assert by_county[0].uncovered_hours == Decimal("4.00")
    assert [row.key for row in by_month] == ["2026-02", "2026-03"]
    assert by_month[0].days_away == {} and by_month[1].days_away == {"sick": Decimal("1.57")}
