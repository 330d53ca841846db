"""Excel import of staff and open cases (SPEC §14, issue 18): through the API and the page, on the
demo county. Every problem listed, nothing written while one is left, a second apply changes nothing."""

from __future__ import annotations

import zipfile
from datetime import timedelta
from io import BytesIO

import pytest
from openpyxl import Workbook, load_workbook

from app.accounts.tables import RoleGrant, User
from app.audit.tables import AuditRecord
from app.calendar.services import calendar_of
from app.cases import register
from app.cases.tables import Case, CaseEvent
from app.domain.casework import case_dates
from app.domain.sheet_rows import CASE_COLUMNS, STAFF_COLUMNS
from app.imports.services import Kind, run
from app.imports.sheets import MAX_ROWS
from app.reminders.tables import Reminder
from app.rota.tables import Qualification
from tests.helpers import api_token, context_of, demo_county, portal, post_form, sign_in
from tests.integration.test_cases import BAD_CHECKSUM_ID, SLUG, VALID_ID, today

API = f"/api/v1/t/{SLUG}"
STAFF_HEADERS = [column.header for column in STAFF_COLUMNS]
CASE_HEADERS = [column.header for column in CASE_COLUMNS]


@pytest.fixture
async def people(clean_db, redis) -> dict[str, int]:
    return await demo_county()


@pytest.fixture
async def admin(people) -> dict[str, str]:
    return {"Authorization": f"Bearer {await api_token(SLUG, people['admin'])}"}


def xlsx(headers: list, rows: list[list]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def forty_people() -> list[list]:
    return [
        [
            f"clerk{n:02d}",
            f"职员{n:02d}",
            "工作人员" if n % 3 else "staff、股室负责人",
            f"1390000{n:04d}",
            "城市低保、temporary",
        ]
        for n in range(40)
    ]


async def send(client, kind: str, content: bytes, headers: dict, *, dry_run: bool = False, name: str = "sheet.xlsx"):
    return await client.post(
        f"{API}/{kind}/import",
        params={"dry_run": str(dry_run).lower()},
        files={"file": (name, content, "application/octet-stream")},
        headers=headers,
    )


async def county_rows() -> dict:
    return {table.__name__: await table.count() for table in (User, RoleGrant, Qualification, Case, CaseEvent)}


async def test_forty_people_with_two_bad_rows_write_nothing_and_the_fixed_sheet_imports_once(settings, admin):
    rows = forty_people()
    rows[6][2] = "boss"  # row 8: no such role
    rows[30][0] = "clerk03"  # row 32: the username of row 5 again
    before = {**await county_rows(), "audit": await AuditRecord.count()}
    async with portal(settings) as api:
        refused = await send(api, "staff", xlsx(STAFF_HEADERS, rows), admin)
        assert {**await county_rows(), "audit": await AuditRecord.count()} == before
        rows[6][2], rows[30][0] = "工作人员", "clerk30"
        fixed = xlsx(STAFF_HEADERS, rows)
        preview = await send(api, "staff", fixed, admin, dry_run=True)
        assert {**await county_rows(), "audit": await AuditRecord.count()} == before
        applied = await send(api, "staff", fixed, admin)
        again = await send(api, "staff", fixed, admin)
    assert refused.status_code == 400, refused.text
    assert [(e["row"], e["column"]) for e in refused.json()["errors"]] == [(8, "角色"), (32, "用户名")]
    assert "clerk03" in refused.json()["errors"][1]["detail"]
    assert (preview.status_code, preview.json()["created"], preview.json()["applied"]) == (200, 40, False)
    assert (applied.status_code, applied.json()["created"], applied.json()["errors"]) == (200, 40, [])
    assert (again.json()["created"], again.json()["updated"], again.json()["unchanged"]) == (0, 0, 40)
    clerk = await User.select(User.id, User.name, User.phone).where(User.username == "clerk00").first()
    assert (clerk["name"], clerk["phone"]) == ("职员00", "13900000000")
    roles = {r["role"] for r in await RoleGrant.select(RoleGrant.role).where(RoleGrant.user == clerk["id"])}
    assert roles == {"staff", "section_head"}
    assert await Qualification.count().where(Qualification.user == clerk["id"]) == 2
    assert await AuditRecord.count().where(AuditRecord.action == "import.staff") == 1


async def test_an_existing_person_is_updated_by_username_and_another_name_is_a_clash(settings, admin, people):
    sheet = [
        ["houweili", "侯伟丽", "staff", "13700000000", "城市低保、农村低保、城乡医疗救助"],
        ["admin", "张冒名", "staff", "", ""],
    ]
    async with portal(settings) as api:
        clash = await send(api, "staff", xlsx(STAFF_HEADERS, sheet), admin)
        updated = await send(api, "staff", xlsx(STAFF_HEADERS, sheet[:1]), admin)
    assert [(e["row"], e["column"]) for e in clash.json()["errors"]] == [(3, "用户名")]
    assert (updated.json()["updated"], updated.json()["created"]) == (1, 0)
    assert (await User.select(User.phone).where(User.id == people["houweili"]).first())["phone"] == "13700000000"


async def test_taking_the_last_admin_role_away_is_refused_on_its_row_in_the_preview_too(settings, admin):
    before = await county_rows()
    audit = await AuditRecord.count()
    sheet = xlsx(STAFF_HEADERS, [["clerk", "职员", "staff", "", ""], ["admin", "李国栋", "staff", "", ""]])
    async with portal(settings) as api:
        preview = await send(api, "staff", sheet, admin, dry_run=True)
        answer = await send(api, "staff", sheet, admin)
    for refused in (preview, answer):
        assert refused.status_code == 400
        assert [(e["row"], e["column"]) for e in refused.json()["errors"]] == [(3, "用户名")]
    assert await county_rows() == before
    assert await AuditRecord.count() == audit


def ledger_rows() -> list[list]:
    received = today() - timedelta(days=40)
    return [
        ["城市低保", "张三", VALID_ID, 3, "砀城镇东关村", received, "wangxiaolei", "已受理", "纸质台账第 12 页"],
        ["temporary", "李四", "110105194912310038", "2", "", received.isoformat(), "孙静", "", ""],
    ]


async def test_open_cases_import_with_calendar_due_dates_a_timeline_entry_and_once_only(settings, admin, people):
    async with portal(settings) as api:
        applied = await send(api, "cases", xlsx(CASE_HEADERS, ledger_rows()), admin)
        again = await send(api, "cases", xlsx(CASE_HEADERS, ledger_rows()), admin)
    assert (applied.status_code, applied.json()["created"]) == (200, 2), applied.text
    assert (again.json()["created"], again.json()["unchanged"]) == (0, 2)
    ctx = await context_of(SLUG, people["admin"])
    overdue = await register.list_cases(ctx, register.CaseFilter(overdue=True))
    assert sorted(c.applicant_name for c in overdue.cases) == ["张三", "李四"]
    zhang = next(c for c in overdue.cases if c.applicant_name == "张三")
    expected = case_dates(await calendar_of(ctx), today() - timedelta(days=40), zhang.working_days)
    assert (zhang.due_on, zhang.status, zhang.handler_id) == (expected.due_on, "accepted", people["wangxiaolei"])
    event = await CaseEvent.select().where((CaseEvent.case == zhang.id) & (CaseEvent.kind == "imported")).first()
    assert "纸质台账第 12 页" in event["note"] and event["to_status"] == "accepted"
    assert await AuditRecord.count().where(AuditRecord.action == "case.import") == 2


async def test_a_case_typed_again_in_full_width_digits_is_the_case_already_imported(settings, admin):
    """The sheet's ID numbers are looked up as intake stores them (``idnumber.canonical``)."""
    full_width = str.maketrans("0123456789X", "０１２３４５６７８９ｘ")
    typed_again = [[*row[:2], row[2].translate(full_width), *row[3:]] for row in ledger_rows()]
    async with portal(settings) as api:
        await send(api, "cases", xlsx(CASE_HEADERS, ledger_rows()), admin)
        again = await send(api, "cases", xlsx(CASE_HEADERS, typed_again), admin)
    assert (again.status_code, again.json()["created"], again.json()["unchanged"]) == (200, 0, 2), again.text
    assert await Case.count() == 2


async def test_imported_overdue_cases_are_reminded_like_any_other(settings, admin, people):
    from app.flows.reminders import scan

    async with portal(settings) as api:
        await send(api, "cases", xlsx(CASE_HEADERS, ledger_rows()), admin)
    ctx = await context_of(SLUG, people["admin"])
    await scan(ctx, today())
    assert await Reminder.count() >= 2


async def test_every_case_problem_is_listed_by_row_and_column(settings, admin):
    rows = [
        ["没有的岗位", "王五", BAD_CHECKSUM_ID, 0, "", today() + timedelta(days=1), "nobody", "已归档", ""],
        ["城乡医疗救助", "", VALID_ID, 2, "", today(), "houweili", "已入户调查", ""],
    ]
    async with portal(settings) as api:
        answer = await send(api, "cases", xlsx(CASE_HEADERS, rows), admin)
    assert answer.status_code == 400
    assert [(e["row"], e["column"]) for e in answer.json()["errors"]] == [
        (2, "业务岗位"),
        (2, "身份证号"),
        (2, "家庭人口"),
        (2, "接收日期"),
        (2, "经办人"),
        (2, "状态"),
        (3, "申请人"),
        (3, "状态"),
    ]
    assert await Case.count() == 0


def macro_workbook() -> bytes:
    buffer = BytesIO(xlsx(STAFF_HEADERS, []))
    with zipfile.ZipFile(buffer, "a") as archive:
        archive.writestr("xl/vbaProject.bin", b"\0" * 10)
    return buffer.getvalue()


def empty_workbook() -> bytes:
    buffer = BytesIO()
    Workbook().save(buffer)
    return buffer.getvalue()


def with_formula() -> bytes:
    book = load_workbook(BytesIO(xlsx(STAFF_HEADERS, [["clerk", "职员", "staff", "", ""]])))
    book.active["D2"] = "=1+1"
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "empty"),
        (b"\x00garbage" * 100, ".xlsx"),
        (b"\xd0\xcf\x11\xe0" + b"\0" * 500, ".xlsx"),
        (b"PK\x03\x04 not really a zip", ".xlsx"),
        (macro_workbook(), "macro"),
        (empty_workbook(), "header"),
        (xlsx(["名字", "电话"], [["x", "y"]]), "header"),
    ],
)
async def test_a_broken_or_foreign_file_is_refused_with_words_never_a_500(settings, admin, content, words):
    async with portal(settings) as api:
        answer = await send(api, "staff", content, admin)
    assert answer.status_code == 400, answer.text
    assert words in answer.json()["detail"].lower()
    assert await User.count().where(User.username == "clerk") == 0


async def test_a_formula_is_refused_in_its_cell(settings, admin):
    async with portal(settings) as api:
        answer = await send(api, "staff", with_formula(), admin)
    assert [(e["row"], e["column"]) for e in answer.json()["errors"]] == [(2, "电话")]


async def test_a_sheet_beyond_the_row_limit_is_refused_whole(settings, admin):
    rows = [[f"u{n}", f"人{n}", "staff", "", ""] for n in range(10_000)]
    async with portal(settings) as api:
        answer = await send(api, "staff", xlsx(STAFF_HEADERS, rows), admin)
    assert answer.status_code in (400, 413)
    if answer.status_code == 400:
        assert str(MAX_ROWS) in answer.json()["detail"]
    assert await User.count().where(User.username == "u1") == 0


async def test_only_admins_import(settings, people):
    clerk = {"Authorization": f"Bearer {await api_token(SLUG, people['wangxiaolei'])}"}
    async with portal(settings) as api:
        answer = await send(api, "staff", xlsx(STAFF_HEADERS, forty_people()), clerk)
    assert answer.status_code == 403


async def test_the_page_previews_problems_in_place_then_imports(settings, people):
    rows = forty_people()[:3]
    rows[1][2] = "boss"
    async with portal(settings) as client:
        await sign_in(client, SLUG, "admin")
        page = await client.get(f"/t/{SLUG}/imports")
        template = await client.get(f"/t/{SLUG}/imports/cases/template.xlsx")
        url = f"/t/{SLUG}/imports/staff"
        upload = {"file": ("staff.xlsx", xlsx(STAFF_HEADERS, rows), "application/octet-stream")}
        preview = await post_form(
            client, url, {"apply": "1"}, files=upload, headers={"HX-Request": "true", "HX-Target": "staff_result"}
        )
        written_after_preview = await User.count().where(User.username.like("clerk%"))
        rows[1][2] = "staff"
        upload = {"file": ("staff.xlsx", xlsx(STAFF_HEADERS, rows), "application/octet-stream")}
        applied = await post_form(client, url, {"apply": "1"}, files=upload)
    assert page.status_code == 200 and "下载人员名单模板" in page.text
    book = load_workbook(BytesIO(template.content))
    assert [cell.value for cell in book.worksheets[0][1]] == CASE_HEADERS
    assert preview.status_code == 400 and "boss" in preview.text and "<html" not in preview.text
    assert written_after_preview == 0
    assert applied.status_code == 200 and "新建 3 条" in applied.text
    assert await User.count().where(User.username.like("clerk%")) == 3


async def test_staff_and_cases_import_on_both_databases(any_db):
    people = await demo_county()
    ctx = await context_of(SLUG, people["admin"])
    staff = await run(ctx, Kind.STAFF, xlsx(STAFF_HEADERS, forty_people()[:5]), apply=True)
    ledger = await run(ctx, Kind.CASES, xlsx(CASE_HEADERS, ledger_rows()), apply=True)
    again = await run(ctx, Kind.CASES, xlsx(CASE_HEADERS, ledger_rows()), apply=True)
    assert (staff.as_dict()["created"], ledger.as_dict()["created"], again.as_dict()["unchanged"]) == (5, 2, 2)
    assert await Case.count() == 2
