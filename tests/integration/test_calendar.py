"""The working-day calendar wired to casework: due dates over the API, overrides of a county and of
the superadmin, the open cases they move (with timeline and audit), and the calendar pages."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from app.audit.tables import AuditRecord
from app.calendar import services
from app.calendar.tables import CalendarDay, GlobalCalendarDay
from app.cases.tables import Case, CaseEvent
from app.domain.casework import case_dates
from app.domain.workdays import DayInfo, DayOverride, WorkCalendar
from app.flows import calendar as calendar_change
from app.rota.tables import Line
from app.settings import PROJECT_ROOT
from app.setup import as_code
from app.tenancy.context import Actor, TenantContext
from app.tenancy.services import find_by_slug
from tests.helpers import OPERATOR, api_token, county, demo_county, person, portal, post_form, sign_in

pytestmark = pytest.mark.usefixtures("clean_db", "redis")

ROOT = Actor(user_id=None, label="省厅运维", address="127.0.0.1", is_superadmin=True)
NEW_YEAR_2027 = date(2027, 1, 1)


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def dangshan():
    ids = await demo_county()
    return {
        "ids": ids,
        "admin": await api_token("dangshan", ids["admin"]),
        "staff": await api_token("dangshan", ids["wangxiaolei"]),
    }


async def operator_of(slug: str) -> TenantContext:
    return TenantContext(tenant=await find_by_slug(slug), actor=ROOT)


async def open_case(slug: str, user_id: int, received_on: date, *, status: str = "accepted", days: int = 5) -> int:
    """A case of the county's 医疗救助 line, its dates from the county's calendar as at intake."""
    ctx = await operator_of(slug)
    line = await ctx.select(Line, Line.id).where(Line.code == "medical").first()
    dates = case_dates(await services.calendar_of(ctx), received_on, days)
    now = datetime.now().astimezone()
    row = ctx.new(
        Case,
        line=line["id"],
        applicant_name="张三",
        applicant_id_number="341321199001011234",
        household_size=3,
        received_on=received_on,
        working_days=days,
        original_due_on=dates.original_due_on,
        due_on=dates.due_on,
        due_provisional=dates.provisional,
        notice_due_on=dates.notice_due_on,
        first_receiver=user_id,
        handler=user_id,
        acting_handler=user_id,
        status=status,
        status_changed_at=now,
        created_at=now,
    )
    await row.save()
    return row.id


async def dates_of(case_id: int) -> tuple[date, bool]:
    row = await Case.select(Case.due_on, Case.due_provisional).where(Case.id == case_id).first()
    return row["due_on"], row["due_provisional"]


async def events_of(case_id: int) -> list[dict]:
    return await CaseEvent.select().where(CaseEvent.case == case_id).order_by(CaseEvent.id)


async def snapshot() -> tuple:
    return (
        await CalendarDay.select(CalendarDay.day, CalendarDay.workday, CalendarDay.note).order_by(CalendarDay.id),
        await Case.select(Case.due_on, Case.due_provisional).order_by(Case.id),
        await CaseEvent.count(),
        await AuditRecord.count(),
    )


# ---- due dates ------------------------------------------------------------------------------------------------------


async def test_a_due_date_skips_the_national_day_holiday(settings, dangshan):
    expected = WorkCalendar().due_date(date(2025, 9, 30), 10)
    assert expected.due_on == date(2025, 10, 21)  # 10-01..10-08 off, 09-28 and 10-11 worked (调休)
    async with portal(settings) as client:
        response = await client.get(
            "/api/v1/t/dangshan/calendar/due",
            params={"start": "2025-09-30", "working_days": "10"},
            headers=bearer(dangshan["staff"]),
        )
    assert response.status_code == 200, response.text
    assert response.json() == {"due_on": "2025-10-21", "provisional": False}


async def test_a_year_the_package_does_not_know_is_counted_monday_to_friday_and_marked_provisional(settings, dangshan):
    expected = WorkCalendar().due_date(date(2027, 3, 1), 10)
    async with portal(settings) as client:
        response = await client.get(
            "/api/v1/t/dangshan/calendar/due",
            params={"start": "2027-03-01", "working_days": "10"},
            headers=bearer(dangshan["staff"]),
        )
        year = await client.get("/api/v1/t/dangshan/calendar/days?year=2027", headers=bearer(dangshan["staff"]))
    assert response.json() == {"due_on": expected.due_on.isoformat(), "provisional": True}
    assert expected.due_on == date(2027, 3, 15)
    days = year.json()
    assert len(days) == 365
    assert days[0] == {
        "day": "2027-01-01",
        "workday": True,
        "note": "",
        "source": "weekday-fallback",
        "provisional": True,
    }


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ({"start": "2025-02-30", "working_days": "10"}, "2025-02-30"),
        ({"start": "yesterday", "working_days": "10"}, "yesterday"),
        ({"start": "1999-12-31", "working_days": "10"}, "1999"),
        ({"start": "2025-09-30", "working_days": "ten"}, "ten"),
        ({"start": "2025-09-30", "working_days": "0"}, "1-60"),
        ({"start": "2025-09-30", "working_days": "61"}, "61"),
        ({"working_days": "10"}, "date"),
    ],
)
async def test_bad_due_date_questions_get_a_clear_400(settings, dangshan, query, says):
    async with portal(settings) as client:
        response = await client.get("/api/v1/t/dangshan/calendar/due", params=query, headers=bearer(dangshan["staff"]))
    assert response.status_code == 400
    assert says in response.json()["detail"], response.json()


# ---- a county's overrides move its open cases ----------------------------------------------------------------------


async def test_entering_next_years_schedule_moves_open_cases_and_ends_their_provisional_flag(settings, dangshan):
    ids = dangshan["ids"]
    received = date(2026, 12, 25)  # 5 working days: 12-28..12-31, then 2027-01-01, a guess
    moving = await open_case("dangshan", ids["zhuwenjun"], received)
    decided = await open_case("dangshan", ids["zhuwenjun"], received, status="approved")
    untouched = await open_case("dangshan", ids["zhuwenjun"], date(2025, 9, 30))
    assert await dates_of(moving) == await dates_of(decided) == (NEW_YEAR_2027, True)
    schedule = [
        ("2027-01-01", False, "元旦"),
        ("2027-01-02", False, ""),
        ("2027-01-03", False, ""),
        ("2027-01-04", True, ""),
    ]
    async with portal(settings) as client:
        answers = [
            await client.put(
                f"/api/v1/t/dangshan/calendar/days/{day}",
                json={"workday": workday, "note": note},
                headers=bearer(dangshan["admin"]),
            )
            for day, workday, note in schedule
        ]
        due = await client.get(
            "/api/v1/t/dangshan/calendar/due",
            params={"start": "2026-12-25", "working_days": "5"},
            headers=bearer(dangshan["staff"]),
        )
    assert [a.status_code for a in answers] == [200] * 4, answers[0].text
    assert answers[0].json() == {
        "day": "2027-01-01",
        "workday": False,
        "note": "元旦",
        "source": "override",
        "provisional": False,
    }
    expected = WorkCalendar([DayOverride(date.fromisoformat(d), w, n) for d, w, n in schedule]).due_date(received, 5)
    assert (expected.due_on, expected.provisional) == (date(2027, 1, 4), False)
    assert due.json() == {"due_on": "2027-01-04", "provisional": False}
    assert await dates_of(moving) == (date(2027, 1, 4), False)
    # Moved twice: by the holiday (a later, still guessed date), then once every day was entered.
    notes = [e["note"] for e in await events_of(moving)]
    assert notes == [
        "工作日历调整：到期日 2027-01-01（暂定） → 2027-01-04（暂定）",
        "工作日历调整：到期日 2027-01-04（暂定） → 2027-01-04",
    ]
    event = (await events_of(moving))[0]
    assert (event["kind"], event["actor"], event["tenant"]) == ("due_recomputed", ids["admin"], event["tenant"])
    assert event["actor_label"].startswith("李国栋")
    audit = (
        await AuditRecord.select()
        .where((AuditRecord.action == "case.due_recomputed") & (AuditRecord.entity_id == str(moving)))
        .order_by(AuditRecord.id)
        .output(load_json=True)
    )
    assert [(a["before"]["due_on"], a["after"]["due_on"]) for a in audit] == [
        ("2027-01-01", "2027-01-04"),
        ("2027-01-04", "2027-01-04"),
    ]
    assert audit[1]["before"]["due_provisional"] is True and audit[1]["after"]["due_provisional"] is False
    # A decided case keeps the dates it was held to; a case the change does not reach is left alone.
    assert await dates_of(decided) == (NEW_YEAR_2027, True)
    assert await events_of(decided) == [] and await events_of(untouched) == []

    set_days = await AuditRecord.select().where(AuditRecord.action == "calendar_day.set").output(load_json=True)
    assert [(a["entity_id"], a["before"], a["after"]) for a in set_days][0] == (
        "2027-01-01",
        None,
        {"workday": False, "note": "元旦"},
    )


async def test_a_case_in_a_year_whose_schedule_is_entered_is_final_even_far_from_the_entered_days(settings, dangshan):
    summer = await open_case("dangshan", dangshan["ids"]["zhuwenjun"], date(2027, 6, 1))
    assert await dates_of(summer) == (date(2027, 6, 8), True)
    async with portal(settings) as client:
        for day in ("2027-01-01", "2027-02-06", "2027-02-07", "2027-02-08", "2027-02-09", "2027-02-10"):
            answer = await client.put(
                f"/api/v1/t/dangshan/calendar/days/{day}",
                json={"workday": False, "note": "节假日"},
                headers=bearer(dangshan["admin"]),
            )
            assert answer.status_code == 200, answer.text
        # Any number of days entered is not yet the schedule: only the admin's mark says so.
        assert await dates_of(summer) == (date(2027, 6, 8), True)
        refused = await client.put(
            "/api/v1/t/dangshan/calendar/years/2027", json={"entered": True}, headers=bearer(dangshan["staff"])
        )
        assert refused.status_code == 403
        answer = await client.put(
            "/api/v1/t/dangshan/calendar/years/2027", json={"entered": True}, headers=bearer(dangshan["admin"])
        )
        assert answer.json() == {"year": 2027, "entered": True}
        assert await dates_of(summer) == (date(2027, 6, 8), False)
        again = await client.put(
            "/api/v1/t/dangshan/calendar/years/2027", json={"entered": True}, headers=bearer(dangshan["admin"])
        )
        assert again.json() == {"year": 2027, "entered": True}
        taken_back = await client.put(
            "/api/v1/t/dangshan/calendar/years/2027", json={"entered": False}, headers=bearer(dangshan["admin"])
        )
        assert taken_back.json() == {"year": 2027, "entered": False}
        assert await dates_of(summer) == (date(2027, 6, 8), True)
    marks = await AuditRecord.select().where(AuditRecord.action == "calendar_year.set").output(load_json=True)
    assert [m["after"] for m in marks] == [{"entered": True}, {"entered": False}]
    assert [e["note"] for e in await events_of(summer)] == [
        "工作日历调整：到期日 2027-06-08（暂定） → 2027-06-08",
        "工作日历调整：到期日 2027-06-08 → 2027-06-08（暂定）",
    ]


async def test_removing_an_override_gives_the_cases_their_dates_back(settings, dangshan):
    ids = dangshan["ids"]
    case_id = await open_case("dangshan", ids["zhuwenjun"], date(2025, 9, 30), days=10)
    async with portal(settings) as client:
        put = await client.put(
            "/api/v1/t/dangshan/calendar/days/2025-10-13",
            json={"workday": False, "note": "县城防汛"},
            headers=bearer(dangshan["admin"]),
        )
        assert put.status_code == 200
        assert await dates_of(case_id) == (date(2025, 10, 22), False)
        removed = await client.delete("/api/v1/t/dangshan/calendar/days/2025-10-13", headers=bearer(dangshan["admin"]))
        again = await client.delete("/api/v1/t/dangshan/calendar/days/2025-10-13", headers=bearer(dangshan["admin"]))
    assert removed.status_code == 200
    assert removed.json() == {
        "day": "2025-10-13",
        "workday": True,
        "note": "",
        "source": "statutory",
        "provisional": False,
    }
    assert again.status_code == 404
    assert await dates_of(case_id) == (date(2025, 10, 21), False)
    assert len(await events_of(case_id)) == 2
    assert await AuditRecord.count().where(AuditRecord.action == "calendar_day.clear") == 1


async def test_saving_the_same_day_twice_changes_nothing_the_second_time(settings, dangshan):
    async with portal(settings) as client:
        for _ in range(2):
            response = await client.put(
                "/api/v1/t/dangshan/calendar/days/2027-01-01",
                json={"workday": False, "note": " 元旦 "},
                headers=bearer(dangshan["admin"]),
            )
            assert response.status_code == 200 and response.json()["note"] == "元旦"
    assert await AuditRecord.count().where(AuditRecord.action == "calendar_day.set") == 1


async def test_only_an_admin_decides_a_day(settings, dangshan):
    await open_case("dangshan", dangshan["ids"]["zhuwenjun"], date(2026, 12, 25))
    before = await snapshot()
    async with portal(settings) as client:
        put = await client.put(
            "/api/v1/t/dangshan/calendar/days/2027-01-01",
            json={"workday": False, "note": "元旦"},
            headers=bearer(dangshan["staff"]),
        )
        delete = await client.delete("/api/v1/t/dangshan/calendar/days/2027-01-01", headers=bearer(dangshan["staff"]))
    assert put.status_code == delete.status_code == 403
    assert await snapshot() == before


@pytest.mark.parametrize(
    ("day", "body", "says"),
    [
        ("2027-02-30", {"workday": False}, "2027-02-30"),
        ("not-a-date", {"workday": False}, "not-a-date"),
        ("1850-01-01", {"workday": False}, "1850"),
        ("2027-01-01", {"workday": False, "note": "节" * 101}, "100"),
        ("2027-01-01", {"workday": "no"}, "workday"),
        ("2027-01-01", {"note": "元旦"}, "workday"),
    ],
)
async def test_a_bad_day_is_refused_and_changes_nothing(settings, dangshan, day, body, says):
    await open_case("dangshan", dangshan["ids"]["zhuwenjun"], date(2026, 12, 25))
    before = await snapshot()
    async with portal(settings) as client:
        response = await client.put(
            f"/api/v1/t/dangshan/calendar/days/{day}", json=body, headers=bearer(dangshan["admin"])
        )
    assert response.status_code == 400
    assert says in response.json()["detail"] + str(response.json().get("extra", ""))
    assert await snapshot() == before


# ---- the superadmin's overrides, for every county ------------------------------------------------------------------


async def test_a_global_override_moves_the_open_cases_of_every_county(settings, dangshan):
    await county("xiaoxian", "萧县")
    theirs = await person("xiaoxian", "xadmin", ("admin", "staff"))
    ours = await open_case("dangshan", dangshan["ids"]["zhuwenjun"], date(2026, 12, 25))
    other = await open_case("xiaoxian", theirs, date(2026, 12, 25))
    await person(None, "root", roles=())
    async with portal(settings) as client:
        await sign_in(client, "", "root")
        response = await post_form(
            client, "/admin/calendar", {"day": "2027-01-01", "workday": "0", "note": "元旦", "year": "2027"}
        )
        assert response.status_code == 303 and response.headers["location"] == "/admin/calendar?year=2027"
        page = await client.get("/admin/calendar?year=2027")
    assert page.status_code == 200 and "元旦" in page.text and "全局调整" in page.text
    for case_id, slug in ((ours, "dangshan"), (other, "xiaoxian")):
        assert await dates_of(case_id) == (date(2027, 1, 4), True)
        (event,) = await events_of(case_id)
        assert event["tenant"] == (await find_by_slug(slug)).id and event["actor_label"].startswith("Root")
    (audit,) = await AuditRecord.select().where(AuditRecord.action == "global_calendar_day.set")
    assert audit["tenant"] is None and audit["entity_id"] == "2027-01-01"
    assert await AuditRecord.count().where(AuditRecord.action == "case.due_recomputed") == 2
    assert await GlobalCalendarDay.count() == 1


async def test_the_calendar_pages_mark_a_year_entered_for_the_county_or_for_every_county(settings, dangshan):
    await county("xiaoxian", "萧县")
    theirs = await open_case("xiaoxian", await person("xiaoxian", "xadmin", ("admin",)), date(2027, 6, 1))
    ours = await open_case("dangshan", dangshan["ids"]["zhuwenjun"], date(2027, 6, 1))
    await person(None, "root", roles=())
    await person("dangshan", "cadmin", ("admin",))
    async with portal(settings) as client:
        await sign_in(client, "dangshan", "cadmin")
        before = await client.get("/t/dangshan/calendar?year=2027")
        marked = await post_form(client, "/t/dangshan/calendar", {"action": "entered", "year": "2027"})
        after = await client.get("/t/dangshan/calendar?year=2027")
        assert "2027 年安排已全部录入" in before.text
        assert marked.status_code == 303 and "2027 年安排已录入" in after.text and "撤销“已录入”标记" in after.text
        assert (await dates_of(ours), await dates_of(theirs)) == ((date(2027, 6, 8), False), (date(2027, 6, 8), True))
        await client.get("/logout")
        await sign_in(client, "", "root")
        assert (await post_form(client, "/admin/calendar", {"action": "entered", "year": "2027"})).status_code == 303
        assert "2027 年安排已录入" in (await client.get("/admin/calendar?year=2027")).text
    assert await dates_of(theirs) == (date(2027, 6, 8), False)
    marks = await AuditRecord.select(AuditRecord.action, AuditRecord.tenant).order_by(AuditRecord.id)
    assert [m["action"] for m in marks if "year" in m["action"]] == ["calendar_year.set", "global_calendar_year.set"]


async def test_a_countys_own_decision_beats_the_global_one(settings, dangshan):
    await county("xiaoxian", "萧县")
    theirs = await open_case("xiaoxian", await person("xiaoxian", "xadmin", ("admin",)), date(2026, 12, 25))
    ours = await open_case("dangshan", dangshan["ids"]["zhuwenjun"], date(2026, 12, 25))
    await calendar_change.set_day(await operator_of("dangshan"), NEW_YEAR_2027, True, "窗口值班")
    await calendar_change.set_global_day(ROOT, NEW_YEAR_2027, False, "元旦")
    assert await dates_of(ours) == (NEW_YEAR_2027, False)  # the county's working day, entered: no guess
    assert await dates_of(theirs) == (date(2027, 1, 4), True)
    assert len(await events_of(ours)) == 1  # from its own change only
    async with portal(settings) as client:
        days = await client.get("/api/v1/t/dangshan/calendar/days?year=2027", headers=bearer(dangshan["staff"]))
    assert days.json()[0] == {
        "day": "2027-01-01",
        "workday": True,
        "note": "窗口值班",
        "source": "override",
        "provisional": False,
    }
    await calendar_change.clear_day(await operator_of("dangshan"), NEW_YEAR_2027)
    assert await dates_of(ours) == (date(2027, 1, 4), True)  # now the global holiday applies


async def test_only_a_superadmin_changes_the_global_calendar(settings, dangshan):
    with pytest.raises(PermissionError):
        await calendar_change.set_global_day(Actor(user_id=None, label="县管理员"), NEW_YEAR_2027, False, "元旦")
    async with portal(settings) as client:
        await sign_in(client, "dangshan", "admin")
        assert (await client.get("/admin/calendar")).status_code == 403
        refused = await post_form(client, "/admin/calendar", {"day": "2027-01-01", "workday": "0"})
        assert refused.status_code == 403
    assert await GlobalCalendarDay.count() == 0


# ---- the pages ------------------------------------------------------------------------------------------------------


async def test_the_year_page_shows_holidays_and_adjusted_working_days(settings, dangshan):
    async with portal(settings) as client:
        await sign_in(client, "dangshan", "wangxiaolei")
        response = await client.get("/t/dangshan/calendar?year=2025")
    assert response.status_code == 200
    text = response.text
    assert "一月" in text and "十二月" in text and "春节" in text and "国庆节" in text
    assert 'class="day adjusted src-statutory"' in text  # e.g. 2025-01-26, worked for 春节
    assert "暂按周一至周五计算" not in text
    assert 'name="workday"' not in text  # staff see the calendar, admins change it
    assert 'href="/t/dangshan/calendar"' in text  # in the navigation


async def test_a_year_nobody_entered_is_shown_as_provisional(settings, dangshan):
    async with portal(settings) as client:
        await sign_in(client, "dangshan", "admin")
        response = await client.get("/t/dangshan/calendar?year=2027")
        bad = await client.get("/t/dangshan/calendar?year=abc")
    assert response.status_code == 200
    assert "暂按周一至周五计算，待录入本年度安排" in response.text
    assert "365 天为推算" in response.text
    assert "2027 年的节假日安排尚未录入" in response.text
    assert 'name="workday"' in response.text
    assert bad.status_code == 400 and "abc" in bad.text


async def test_an_admin_changes_a_day_in_place_or_by_a_plain_form(settings, dangshan):
    case_id = await open_case("dangshan", dangshan["ids"]["zhuwenjun"], date(2026, 12, 25))
    async with portal(settings) as client:
        await sign_in(client, "dangshan", "admin")
        in_place = await post_form(
            client,
            "/t/dangshan/calendar",
            {"day": "2027-01-01", "workday": "0", "note": "元旦", "year": "2027", "action": "set"},
            headers={"HX-Request": "true", "HX-Target": "year"},
        )
        assert in_place.status_code == 200
        assert "<html" not in in_place.text and "已保存" in in_place.text and "元旦" in in_place.text
        assert await dates_of(case_id) == (date(2027, 1, 4), True)
        plain = await post_form(client, "/t/dangshan/calendar", {"day": "2027-01-01", "action": "clear"})
        assert plain.status_code == 303 and plain.headers["location"] == "/t/dangshan/calendar?year=2027"
        assert await dates_of(case_id) == (NEW_YEAR_2027, True)
        nothing_to_clear = await post_form(client, "/t/dangshan/calendar", {"day": "2027-01-01", "action": "clear"})
        bad = await post_form(client, "/t/dangshan/calendar", {"day": "2027-02-30", "workday": "0", "year": "2027"})
    assert nothing_to_clear.status_code == 400 and "没有可恢复的调整" in nothing_to_clear.text
    assert bad.status_code == 400 and "2027-02-30" in bad.text
    assert await CalendarDay.count() == 0


async def test_staff_cannot_change_a_day_from_the_page(settings, dangshan):
    async with portal(settings) as client:
        await sign_in(client, "dangshan", "wangxiaolei")
        response = await post_form(client, "/t/dangshan/calendar", {"day": "2027-01-01", "workday": "0"})
    assert response.status_code == 403
    assert await CalendarDay.count() == 0


async def test_the_due_date_calculator_answers_in_place(settings, dangshan):
    async with portal(settings) as client:
        await sign_in(client, "dangshan", "wangxiaolei")
        answer = await client.get(
            "/t/dangshan/calendar?start=2025-09-30&working_days=10",
            headers={"HX-Request": "true", "HX-Target": "due"},
        )
        guessed = await client.get("/t/dangshan/calendar?start=2027-03-01&working_days=10")
        wrong = await client.get(
            "/t/dangshan/calendar?start=2025-09-30&working_days=x", headers={"HX-Request": "true", "HX-Target": "due"}
        )
    assert answer.status_code == 200 and "<html" not in answer.text
    assert "2025-10-21" in answer.text and "暂定" not in answer.text
    assert guessed.status_code == 200 and "2027-03-15" in guessed.text and "暂定" in guessed.text
    assert wrong.status_code == 400 and "x" in wrong.text


async def test_a_tenant_file_that_enters_a_holiday_moves_open_cases(dangshan, tmp_path):
    case_id = await open_case("dangshan", dangshan["ids"]["zhuwenjun"], date(2026, 12, 25))
    path = tmp_path / "dangshan.toml"
    path.write_text(
        (PROJECT_ROOT / "tenants" / "dangshan.toml").read_text(encoding="utf-8")
        + '\n[[calendar]]\nday = 2027-01-01\nworkday = false\nnote = "元旦"\n',
        encoding="utf-8",
    )
    await as_code.apply(as_code.load_file(path), OPERATOR)
    assert await dates_of(case_id) == (date(2027, 1, 4), True)
    (event,) = await events_of(case_id)
    assert event["actor_label"] == OPERATOR.label and event["actor"] is None


async def test_overrides_and_recomputation_work_on_both_databases(any_db):
    await county("xiaoxian", "萧县")
    case_id = await open_case("xiaoxian", await person("xiaoxian", "xadmin", ("admin",)), date(2026, 12, 25))
    ctx = await operator_of("xiaoxian")
    assert await calendar_change.set_day(ctx, NEW_YEAR_2027, False, "元旦") == DayInfo(
        NEW_YEAR_2027, False, "override", "元旦", provisional=False
    )
    assert await dates_of(case_id) == (date(2027, 1, 4), True)
    await calendar_change.set_global_day(ROOT, date(2027, 1, 4), False, "")
    assert await dates_of(case_id) == (date(2027, 1, 5), True)
    await calendar_change.clear_day(ctx, NEW_YEAR_2027)
    assert await dates_of(case_id) == (NEW_YEAR_2027, True)
    assert len(await events_of(case_id)) == 3
