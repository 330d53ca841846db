"""Regions, inspectors and the figures' API and pages, through the app."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from app import clock
from app.audit.tables import AuditRecord
from app.cases.tables import Case
from app.tenancy.services import find_by_slug
from tests.helpers import api_token, county, person, portal, post_form, sign_in
from tests.stats_helpers import case, inspector, inspector_token, region

pytestmark = pytest.mark.usefixtures("clean_db", "redis")

TODAY = date.today()
YEAR = f"from={TODAY.year - 1}-01-01&to={TODAY.isoformat()}"


async def two_counties_in_a_region():
    a, b = await county("aa", "甲县"), await county("bb", "乙县")
    ann, bob = await person("aa", "ann"), await person("bb", "bob")
    received = TODAY - timedelta(days=30)
    await case(
        a, ann, received_on=received, due_on=received + timedelta(days=7), decided_on=received + timedelta(days=3)
    )
    await case(
        a, ann, received_on=received, due_on=received + timedelta(days=7), decided_on=received + timedelta(days=9)
    )
    await case(
        b, bob, received_on=received, due_on=received + timedelta(days=7), decided_on=received + timedelta(days=1)
    )
    await region("north", ["aa", "bb"], "北市")
    await inspector("north", "nina")
    return ann, bob


async def test_an_inspector_reads_the_region_by_county_line_and_month(settings):
    await two_counties_in_a_region()
    token = await inspector_token("north", "nina")
    async with portal(settings) as client:
        headers = {"Authorization": f"Bearer {token}"}
        by_county = await client.get(f"/api/v1/r/north/stats/deadlines?{YEAR}&by=county", headers=headers)
        by_line = await client.get(f"/api/v1/r/north/stats/deadlines?{YEAR}&by=line&county=bb", headers=headers)
        by_month = await client.get(f"/api/v1/r/north/stats/deadlines?{YEAR}&by=month", headers=headers)
        by_handler = await client.get(f"/api/v1/r/north/stats/deadlines?{YEAR}&by=handler", headers=headers)
        absences = await client.get(f"/api/v1/r/north/stats/absences?{YEAR}&by=county", headers=headers)
        absences_by_line = await client.get(f"/api/v1/r/north/stats/absences?{YEAR}&by=line&county=aa", headers=headers)
    assert by_county.status_code == 200, by_county.text
    assert absences.status_code == 200, absences.text
    assert [(r["key"], r["working_days_away"], r["uncovered_hours"]) for r in absences.json()] == [
        ("aa", {}, "0.00"),
        ("bb", {}, "0.00"),
    ]
    assert {r["covered_share"] for r in absences_by_line.json()} == {"1.0000"}
    assert [(r["key"], r["received"], r["closed_on_time"], r["on_time_rate"]) for r in by_county.json()] == [
        ("aa", 2, 1, "0.5000"),
        ("bb", 1, 1, "1.0000"),
    ]
    assert [(r["key"], r["received"]) for r in by_line.json()] == [("medical", 1)]
    assert sum(r["received"] for r in by_month.json()) == 3
    assert by_handler.status_code == 400  # a region never reads a county's handlers
    assert "by" in by_handler.json()["detail"]
    assert await AuditRecord.count().where(AuditRecord.action == "region.look") == 6


async def test_county_leaders_and_admins_read_their_county_and_no_other(settings):
    ann, _ = await two_counties_in_a_region()
    leader = await person("aa", "lee", roles=("leader",))
    staff_token = await api_token("aa", ann)
    leader_token = await api_token("aa", leader)
    async with portal(settings) as client:
        own = await client.get(
            f"/api/v1/t/aa/stats/deadlines?{YEAR}&by=handler", headers={"Authorization": f"Bearer {leader_token}"}
        )
        other = await client.get(
            f"/api/v1/t/bb/stats/deadlines?{YEAR}", headers={"Authorization": f"Bearer {leader_token}"}
        )
        region = await client.get(
            f"/api/v1/r/north/stats/deadlines?{YEAR}", headers={"Authorization": f"Bearer {leader_token}"}
        )
        staff = await client.get(
            f"/api/v1/t/aa/stats/deadlines?{YEAR}", headers={"Authorization": f"Bearer {staff_token}"}
        )
        bad = await client.get(
            "/api/v1/t/aa/stats/deadlines?from=2026-05-01&to=2026-04-01",
            headers={"Authorization": f"Bearer {leader_token}"},
        )
        absences = await client.get(
            f"/api/v1/t/aa/stats/absences?{YEAR}&by=month", headers={"Authorization": f"Bearer {leader_token}"}
        )
        other_absences = await client.get(
            f"/api/v1/t/bb/stats/absences?{YEAR}", headers={"Authorization": f"Bearer {leader_token}"}
        )
        staff_evaluations = await client.get(
            f"/api/v1/t/aa/stats/evaluations?{YEAR}", headers={"Authorization": f"Bearer {staff_token}"}
        )
    assert [(r["key"], r["received"]) for r in own.json()] == [(ann, 2)]
    assert other.status_code == 404
    assert region.status_code == 404
    assert staff.status_code == 403
    assert bad.status_code == 400
    assert absences.status_code == 200 and absences.json()[0]["key"] == f"{TODAY.year - 1}-01"
    assert other_absences.status_code == 404
    assert staff_evaluations.status_code == 403


async def test_the_inspector_signs_in_without_a_county_and_sees_the_ranking(settings):
    await two_counties_in_a_region()
    async with portal(settings) as client:
        signed = await sign_in(client, "", "nina")
        assert signed.headers["location"] == "/regions"
        landing = await client.get("/regions")
        assert landing.headers["location"] == "/r/north/"
        dashboard = await client.get(f"/r/north/?{YEAR}")
        county_page = await client.get(f"/r/north/counties/aa?{YEAR}")
        county_route = await client.get("/t/aa/")
        case_page = await client.get("/api/v1/t/aa/cases")
    assert dashboard.status_code == 200, dashboard.text
    text = dashboard.text
    assert text.index("乙县") < text.index("甲县")  # ranked: 100 % before 50 %
    assert "<svg" in text and "100.0%" in text and "50.0%" in text
    assert "张三" not in text and "110101" not in text
    assert county_page.status_code == 200 and "城乡医疗救助" in county_page.text
    assert "张三" not in county_page.text and "Ann" not in county_page.text
    assert county_route.status_code == 404
    assert case_page.status_code == 401


async def test_the_county_page_drills_down_from_line_to_handler(settings):
    await two_counties_in_a_region()
    await person("aa", "boss", roles=("admin",))
    async with portal(settings) as client:
        await sign_in(client, "aa", "boss")
        lines = await client.get(f"/t/aa/stats?{YEAR}")
        handlers = await client.get(f"/t/aa/stats?{YEAR}&line=medical")
        other = await client.get("/t/bb/stats")
    assert lines.status_code == 200, lines.text
    assert "/t/aa/stats?line=medical" in lines.text
    assert "Ann" in handlers.text and "50.0%" in handlers.text
    assert other.status_code == 404


async def test_a_superadmin_sees_every_region(settings):
    await two_counties_in_a_region()
    await county("cc")
    await region("south", ["cc"])
    await person(None, "root", roles=())
    async with portal(settings) as client:
        await sign_in(client, "", "root")
        chooser = await client.get("/regions")
        south = await client.get("/r/south/")
    assert "/r/north/" in chooser.text and "/r/south/" in chooser.text
    assert south.status_code == 200
    assert (await find_by_slug("cc")) is not None


async def test_the_monthly_report_prints_and_exports_for_a_region_and_a_county(settings):
    from io import BytesIO

    from openpyxl import load_workbook

    await two_counties_in_a_region()
    await person("aa", "boss", roles=("admin",))
    month = (TODAY - timedelta(days=30)).strftime("%Y-%m")
    async with portal(settings) as client:
        await sign_in(client, "", "nina")
        printed = await client.get(f"/r/north/report?month={month}")
        exported = await client.get(f"/r/north/report.xlsx?month={month}")
        bad = await client.get("/r/north/report?month=2026-13")
        await client.post("/logout", data={"_csrf_token": client.cookies.get("csrftoken", "")})
        await sign_in(client, "aa", "boss")
        county_printed = await client.get(f"/t/aa/stats/report?month={month}")
        county_exported = await client.get(f"/t/aa/stats/report.xlsx?month={month}")
    assert printed.status_code == 200, printed.text
    assert "限时办结情况通报" in printed.text and "共受理社会救助申请 3 件" in printed.text
    assert "按时办结率 66.7%" in printed.text
    assert f'href="/r/north/report.xlsx?month={month}"' in printed.text and 'href="/r/north/"' in printed.text
    sheet = load_workbook(BytesIO(exported.content)).active
    assert [cell.value for cell in sheet[1]][:2] == ["县", "受理"]
    assert [sheet.cell(row, 1).value for row in (2, 3, 4)] == ["乙县", "甲县", "合计"]
    assert sheet.cell(3, 5).value == 50
    assert bad.status_code == 400
    assert county_printed.status_code == 200 and "城乡医疗救助" in county_printed.text
    assert f'href="/t/aa/stats/report.xlsx?month={month}"' in county_printed.text
    assert load_workbook(BytesIO(county_exported.content)).active.cell(2, 1).value == "城乡医疗救助"


async def test_accountability_records_by_level_county_by_county(settings):
    from app.cases.tables import AccountabilityRecord

    ann, bob = await two_counties_in_a_region()
    occasion = TODAY - timedelta(days=20)
    for tenant, person_id, level in (("aa", ann, "admonition"), ("aa", ann, "warning"), ("bb", bob, "admonition")):
        await AccountabilityRecord(
            tenant=(await find_by_slug(tenant)).id,
            person=person_id,
            occasion_on=occasion,
            year=occasion.year,
            level=level,
            recorded_on=occasion,
            created_at=clock.now(),
        ).save()
    token = await inspector_token("north", "nina")
    leader_token = await api_token("aa", await person("aa", "lee", roles=("leader",)))
    async with portal(settings) as client:
        await sign_in(client, "", "nina")
        page = await client.get(f"/r/north/?{YEAR}")
        by_county = await client.get(
            f"/api/v1/r/north/stats/accountability?{YEAR}", headers={"Authorization": f"Bearer {token}"}
        )
        by_handler = await client.get(
            f"/api/v1/t/aa/stats/accountability?{YEAR}&by=handler", headers={"Authorization": f"Bearer {leader_token}"}
        )
    counts = r"<td>(\d+)</td>" * 4
    rows = re.findall(rf'<tr><th scope="row">(.县)</th>{counts}</tr>', page.text)
    assert rows == [("甲县", "1", "1", "0", "0"), ("乙县", "1", "0", "0", "0")]
    assert by_county.json() == [
        {"key": "aa", "levels": {"admonition": 1, "warning": 1}},
        {"key": "bb", "levels": {"admonition": 1}},
    ]
    assert by_handler.json() == [{"key": ann, "levels": {"admonition": 1, "warning": 1}}]


async def test_the_grade_distribution_of_finalised_cycles(settings):
    from app.evaluation.tables import Cycle, Result, Subject

    await two_counties_in_a_region()
    year = TODAY.year
    for slug, locked, grades in (
        ("aa", True, ["excellent", "competent", "competent"]),
        ("bb", False, ["incompetent"]),  # still open: not shown
    ):
        tenant = (await find_by_slug(slug)).id
        cycle = Cycle(tenant=tenant, year=year, weights={}, step="feedback", locked=locked, created_at=clock.now())
        await cycle.save()
        for index, grade in enumerate(grades):
            subject = Subject(tenant=tenant, cycle=cycle.id, person=await person(slug, f"{slug}{index}"))
            await subject.save()
            await Result(
                tenant=tenant,
                cycle=cycle.id,
                subject=subject.id,
                status="scored",
                grade=grade,
                components={},
                missing=[],
                raters={},
                computed_at=clock.now(),
            ).save()
    token = await inspector_token("north", "nina")
    leader_token = await api_token("bb", await person("bb", "lee", roles=("leader",)))
    async with portal(settings) as client:
        await sign_in(client, "", "nina")
        page = await client.get(f"/r/north/?{YEAR}")
        region_api = await client.get(
            f"/api/v1/r/north/stats/evaluations?{YEAR}", headers={"Authorization": f"Bearer {token}"}
        )
        by_line = await client.get(
            f"/api/v1/r/north/stats/evaluations?{YEAR}&by=line", headers={"Authorization": f"Bearer {token}"}
        )
        county_api = await client.get(
            f"/api/v1/t/bb/stats/evaluations?{YEAR}", headers={"Authorization": f"Bearer {leader_token}"}
        )
    assert region_api.json() == [{"key": "aa", "cycle": year, "grades": {"excellent": 1, "competent": 2}}]
    assert by_line.status_code == 400
    assert county_api.json() == []
    counts = r"<td>(\d+)</td>" * 5
    rows = re.findall(rf'<tr><th scope="row">(.县)</th>{counts}</tr>', page.text)
    assert rows == [("甲县", str(year), "1", "2", "0", "0")]


async def test_the_pages_read_the_workers_tally_and_say_how_fresh_it_is(settings):
    from app.stats import tally

    await two_counties_in_a_region()
    month = (TODAY - timedelta(days=30)).strftime("%Y-%m")
    async with portal(settings) as client:
        await sign_in(client, "", "nina")
        live = [await client.get(f"/r/north/?{YEAR}"), await client.get(f"/r/north/report?month={month}")]
        for slug in ("aa", "bb"):
            await tally.rebuild(await find_by_slug(slug), clock.now())
        tallied = [await client.get(f"/r/north/?{YEAR}"), await client.get(f"/r/north/report?month={month}")]
    for before, after in zip(live, tallied, strict=True):
        assert after.status_code == 200, after.text
        assert "数据截至" not in before.text and "数据截至" in after.text
        without_note = re.sub(r"<p class=\"muted\">数据截至[^<]*</p>", "", after.text)
        assert re.sub(r"\s+", " ", without_note) == re.sub(r"\s+", " ", before.text)


async def test_a_county_write_marks_its_tally_changed_and_a_read_does_not(settings, redis):
    from app.stats import tally

    await two_counties_in_a_region()
    case_id = (await Case.select(Case.id).where(Case.tenant == (await find_by_slug("aa")).id).first())["id"]
    async with portal(settings) as client:
        await sign_in(client, "aa", "ann")
        await client.get(f"/t/aa/cases/{case_id}")
        assert not await redis.sismember(tally.CHANGED_KEY, (await find_by_slug("aa")).id)
        step = await post_form(client, f"/t/aa/cases/{case_id}/accept")
    assert step.status_code in (303, 400)
    assert await redis.smembers(tally.CHANGED_KEY) == {str((await find_by_slug("aa")).id).encode()}
