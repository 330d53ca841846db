"""The import's checks (app/domain/sheet_rows.py), on plain rows: every problem by row and column, and
what a good row does (create, update, unchanged)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from io import BytesIO

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from app.domain import sheet_rows as rules
from app.domain.idnumber import check_character
from app.domain.sheet_rows import (
    CASE_COLUMNS,
    STAFF_COLUMNS,
    County,
    Formula,
    LineInfo,
    Outcome,
    Person,
    SheetRow,
    check_cases,
    check_staff,
)
from app.errors import InvalidInput
from app.imports import sheets

# No deadline: on a shared, busy machine an example (openpyxl reading bytes) can take seconds.
UNHURRIED = settings(deadline=None)
TODAY = date(2026, 12, 4)
URBAN = LineInfo(1, "urban_dibao", "城市低保")
MEDICAL = LineInfo(2, "medical", "城乡医疗救助", needs_survey=False, needs_posting=False)
WANG = Person(10, "wangxiaolei", "王效雷", "139", frozenset({"staff"}), frozenset({"urban_dibao"}))
HEAD = Person(11, "head", "刘晓梅", "", frozenset({"section_head", "staff"}))
ADMIN = Person(12, "admin", "李国栋", "", frozenset({"admin"}))
TWIN_A = Person(13, "zhangwei1", "张伟", "", frozenset({"staff"}))
TWIN_B = Person(14, "zhangwei2", "张伟", "", frozenset({"staff"}))
COUNTY = County(
    lines=(URBAN, MEDICAL),
    people=(WANG, HEAD, ADMIN, TWIN_A, TWIN_B),
    handlers=frozenset({10, 11, 13, 14}),
    cases=frozenset({("urban_dibao", "11010519491231002X", date(2026, 11, 2))}),
    today=TODAY,
)
VALID_ID = "11010519491231002X"


def staff_row(number: int = 2, **cells) -> SheetRow:
    values = {"用户名": "clerk", "姓名": "职员", "角色": "staff", "电话": "", "业务资格": ""}
    return SheetRow(number, {**values, **cells})


def case_row(number: int = 2, **cells) -> SheetRow:
    values = {
        "业务岗位": "urban_dibao",
        "申请人": "张三",
        "身份证号": VALID_ID,
        "家庭人口": 3,
        "家庭住址": "",
        "接收日期": date(2026, 11, 3),
        "经办人": "wangxiaolei",
        "状态": None,
        "备注": None,
    }
    return SheetRow(number, {**values, **cells})


def where(checked: rules.Checked) -> list[tuple[int, str]]:
    return [(problem.row, problem.column) for problem in checked.problems]


def zh(checked: rules.Checked) -> list[str]:
    return [problem.error.in_language("zh") for problem in checked.problems]


# --- staff ----------------------------------------------------------------------------------------


def test_a_new_person_is_created_with_roles_and_lines_by_code_or_chinese_name():
    row = staff_row(用户名="li", 角色="工作人员、股室负责人", 电话=13900000000.0, 业务资格="城市低保, medical")
    checked = check_staff([row], COUNTY)
    assert checked.problems == []
    [entry] = checked.entries
    assert (entry.roles, entry.qualifications, entry.phone, entry.outcome) == (
        ("section_head", "staff"),
        ("medical", "urban_dibao"),
        "13900000000",
        Outcome.CREATE,
    )


def test_a_known_username_with_the_same_name_is_unchanged_or_updated():
    same = staff_row(用户名="wangxiaolei", 姓名="王效雷", 电话="139", 业务资格="城市低保")
    changed = staff_row(3, 用户名="head", 姓名="刘晓梅", 角色="section_head")
    checked = check_staff([same, changed], COUNTY)
    assert [(e.outcome, e.existing_id) for e in checked.entries] == [(Outcome.UNCHANGED, 10), (Outcome.UPDATE, 11)]


@pytest.mark.parametrize(
    ("cells", "column", "words"),
    [
        ({"用户名": None}, "用户名", "请填写用户名"),
        ({"用户名": "a b"}, "用户名", "不能含空格"),
        ({"用户名": "x" * 61}, "用户名", "60"),
        ({"姓名": "  "}, "姓名", "请填写姓名"),
        ({"姓名": "名" * 61}, "姓名", "60"),
        ({"角色": ""}, "角色", "请填写角色"),
        ({"角色": "boss、staff"}, "角色", "boss"),
        ({"角色": "、 ,"}, "角色", "请填写角色"),
        ({"电话": "1" * 31}, "电话", "30"),
        ({"业务资格": "城市低保、救火"}, "业务资格", "救火"),
        ({"姓名": "张\u202e三"}, "姓名", "不可见"),
        ({"电话": Formula("=A1")}, "电话", "公式"),
        ({"姓名": datetime(2026, 1, 1)}, "姓名", "文字"),
        ({"用户名": "admin", "姓名": "张冒名"}, "用户名", "李国栋"),
    ],
)
def test_each_staff_problem_is_named_by_its_column(cells, column, words):
    checked = check_staff([staff_row(**cells)], COUNTY)
    assert where(checked) == [(2, column)]
    assert words in zh(checked)[0]
    assert checked.entries == []


def test_spaces_and_line_breaks_inside_a_cell_become_one_space():
    [entry] = check_staff([staff_row(姓名=" 张\n 三 ", 电话="139 0000")], COUNTY).entries
    assert (entry.name, entry.phone) == ("张 三", "139 0000")


def test_a_username_twice_in_the_sheet_is_refused_on_the_later_row_only():
    checked = check_staff([staff_row(2), staff_row(3, 姓名="别人"), staff_row(4, 用户名="other")], COUNTY)
    assert where(checked) == [(3, "用户名")]
    assert "第 2 行" in zh(checked)[0]
    assert [entry.row for entry in checked.entries] == [2, 4]


def test_every_problem_of_a_row_is_listed_not_only_the_first():
    checked = check_staff([staff_row(用户名=None, 姓名=None, 角色="x", 业务资格="y")], COUNTY)
    assert where(checked) == [(2, "用户名"), (2, "姓名"), (2, "角色"), (2, "业务资格")]


# --- open cases -----------------------------------------------------------------------------------


def test_a_new_case_by_line_name_handler_name_and_a_written_date():
    row = case_row(业务岗位="城市低保", 经办人="王效雷", 接收日期="2026/11/5", 家庭人口="3", 状态="公示中")
    checked = check_cases([row], COUNTY)
    assert checked.problems == []
    [entry] = checked.entries
    assert (entry.line, entry.handler, entry.received_on, entry.household_size, entry.status, entry.outcome) == (
        URBAN,
        WANG,
        date(2026, 11, 5),
        3,
        rules.Status.POSTED,
        Outcome.CREATE,
    )


def test_a_case_already_registered_by_its_key_is_unchanged():
    checked = check_cases([case_row(接收日期=datetime(2026, 11, 2, 0, 0), 身份证号="11010519491231002x")], COUNTY)
    assert [entry.outcome for entry in checked.entries] == [Outcome.UNCHANGED]


@pytest.mark.parametrize(
    ("cells", "column", "words"),
    [
        ({"业务岗位": "救火"}, "业务岗位", "救火"),
        ({"申请人": None}, "申请人", "请填写"),
        ({"身份证号": "110105194912310021"}, "身份证号", "校验位"),
        ({"身份证号": "1101051949"}, "身份证号", "18 位"),
        ({"身份证号": 110105194912310020}, "身份证号", "数字"),
        ({"身份证号": "110105209912310020"}, "身份证号", "出生日期"),
        ({"家庭人口": 0}, "家庭人口", "1–30"),
        ({"家庭人口": 31}, "家庭人口", "1–30"),
        ({"家庭人口": 2.5}, "家庭人口", "整数"),
        ({"家庭人口": "三"}, "家庭人口", "整数"),
        ({"家庭人口": True}, "家庭人口", "整数"),
        ({"接收日期": TODAY + timedelta(days=1)}, "接收日期", "晚于今天"),
        ({"接收日期": TODAY - timedelta(days=367)}, "接收日期", "一年前"),
        ({"接收日期": "2026-02-30"}, "接收日期", "不是日期"),
        ({"接收日期": 46000}, "接收日期", "不是日期"),
        ({"经办人": "nobody"}, "经办人", "nobody"),
        ({"经办人": "admin"}, "经办人", "admin"),  # no case worker
        ({"经办人": "张伟"}, "经办人", "用户名"),  # two of that name
        ({"状态": "approved"}, "状态", "未办结"),
        ({"状态": "已归档"}, "状态", "未办结"),
        ({"业务岗位": "medical", "状态": "已入户调查"}, "状态", "城乡医疗救助"),
        ({"备注": "说" * 301}, "备注", "300"),
        ({"家庭住址": Formula("=B2")}, "家庭住址", "公式"),
        ({"家庭住址": rules.Overlong("住" * rules.MAX_CELL_CHARS)}, "家庭住址", "1000"),
    ],
)
def test_each_case_problem_is_named_by_its_column(cells, column, words):
    checked = check_cases([case_row(**cells)], COUNTY)
    assert where(checked) == [(2, column)]
    assert words in zh(checked)[0]
    assert checked.entries == []


def test_a_refused_value_is_quoted_short_however_long_the_cell():
    checked = check_cases([case_row(接收日期="9" * 900, 家庭人口="x" * 900)], COUNTY)
    assert where(checked) == [(2, "家庭人口"), (2, "接收日期")]
    assert all(len(problem.as_dict()["detail"]) < 200 for problem in checked.problems)


def test_the_same_case_twice_in_the_sheet_is_refused_on_the_later_row():
    checked = check_cases([case_row(2), case_row(3, 申请人="张三丰")], COUNTY)
    assert where(checked) == [(3, "身份证号")]


def test_a_note_keeps_its_line_breaks_and_a_handler_is_found_by_username_first():
    checked = check_cases([case_row(备注="第一行\n 第二行  ", 经办人="zhangwei1")], COUNTY)
    [entry] = checked.entries
    assert (entry.note, entry.handler) == ("第一行\n第二行", TWIN_A)


# --- hypothesis: any cell value gives a problem or an entry, never an exception -----------------------

CELL = st.one_of(
    st.none(),
    st.text(max_size=30),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True),
    st.dates(),
    st.datetimes(),
    st.booleans(),
    st.sampled_from(["城市低保", "medical", "王效雷", "head", "已受理", "staff、admin", VALID_ID]),
    st.builds(Formula, st.text(max_size=10)),
)


@UNHURRIED
@given(st.lists(st.fixed_dictionaries({column.header: CELL for column in STAFF_COLUMNS}), max_size=6))
def test_any_staff_sheet_is_checked_row_by_row(cells):
    rows = [SheetRow(number, row) for number, row in enumerate(cells, start=2)]
    checked = check_staff(rows, COUNTY)
    good = {entry.row for entry in checked.entries}
    assert good.isdisjoint(checked.rows_with_problems)
    assert good | checked.rows_with_problems == {row.number for row in rows}
    assert len({entry.username for entry in checked.entries}) == len(checked.entries)
    for problem in checked.problems:
        assert problem.as_dict()["detail"]


@UNHURRIED
@given(st.lists(st.fixed_dictionaries({column.header: CELL for column in CASE_COLUMNS}), max_size=6))
def test_any_case_sheet_is_checked_row_by_row(cells):
    rows = [SheetRow(number, row) for number, row in enumerate(cells, start=2)]
    checked = check_cases(rows, COUNTY)
    good = {entry.row for entry in checked.entries}
    assert good.isdisjoint(checked.rows_with_problems)
    assert good | checked.rows_with_problems == {row.number for row in rows}
    for entry in checked.entries:
        assert entry.status in entry.line.statuses()
        assert entry.received_on <= TODAY
        assert entry.id_number[17] == check_character(entry.id_number[:17])


@UNHURRIED
@given(st.integers(min_value=0, max_value=10**17 - 1))
def test_any_well_formed_id_number_with_its_check_character_is_taken(serial):
    first_17 = f"110105{19491231:08d}{serial % 1000:03d}"
    checked = check_cases([case_row(身份证号=first_17 + check_character(first_17), 接收日期=TODAY)], COUNTY)
    assert checked.problems == []


# --- the file ---------------------------------------------------------------------------------------


def test_the_filled_template_reads_back_with_its_rows_numbered_as_excel_shows_them():
    content = sheets.template("人员名单", STAFF_COLUMNS, ("u", "名", "staff", "1", ""), {})
    book = load_workbook(BytesIO(content))
    sheet = book.worksheets[0]
    for row, values in ((2, ("wang", "王", "staff", "139", "城市低保")), (4, ("li", "李", "staff", None, None))):
        for column, value in enumerate(values, start=1):
            sheet.cell(row=row, column=column, value=value)
    buffer = BytesIO()
    book.save(buffer)
    rows = sheets.read_rows(buffer.getvalue(), STAFF_COLUMNS)
    assert [(row.number, row.cells["用户名"]) for row in rows] == [(2, "wang"), (4, "li")]


def test_columns_may_come_in_any_order_beside_others():
    book = Workbook()
    book.active.append(["序号", *reversed([column.header for column in STAFF_COLUMNS])])
    book.active.append([1, "", "", "staff", "王", "wang"])
    buffer = BytesIO()
    book.save(buffer)
    [row] = sheets.read_rows(buffer.getvalue(), STAFF_COLUMNS)
    assert (row.cells["用户名"], row.cells["角色"]) == ("wang", "staff")


def test_a_huge_cell_is_cut_short_when_read_and_refused_in_its_column():
    book = Workbook()
    book.active.append([column.header for column in STAFF_COLUMNS])
    book.active.append(["wang", "王" * 200_000, "staff", "", ""])
    buffer = BytesIO()
    book.save(buffer)
    [row] = sheets.read_rows(buffer.getvalue(), STAFF_COLUMNS)
    assert isinstance(row.cells["姓名"], rules.Overlong) and len(row.cells["姓名"]) == rules.MAX_CELL_CHARS
    assert where(check_staff([row], COUNTY)) == [(2, "姓名")]


def test_a_sheet_reaching_past_the_row_bound_is_refused_even_when_its_rows_are_empty():
    book = Workbook()
    book.active.append([column.header for column in STAFF_COLUMNS])
    book.active.cell(row=sheets.MAX_SHEET_ROWS + 1, column=1, value="wang")
    buffer = BytesIO()
    book.save(buffer)
    with pytest.raises(InvalidInput, match="20000"):
        sheets.read_rows(buffer.getvalue(), STAFF_COLUMNS)


def test_the_countys_words_in_a_template_are_text_never_formulas():
    hostile = '=HYPERLINK("http://example.com","点我")'
    content = sheets.template("案件台账", CASE_COLUMNS, [""] * len(CASE_COLUMNS), {"业务岗位": [hostile, "城市低保"]})
    book = load_workbook(BytesIO(content))
    cells = [cell for part in book.worksheets for row in part.iter_rows() for cell in row if cell.value == hostile]
    assert cells and all(cell.data_type == "s" for cell in cells)


@UNHURRIED
@given(st.binary(max_size=2000))
def test_any_bytes_are_read_or_refused_with_words(content):
    try:
        sheets.read_rows(content, STAFF_COLUMNS)
    except InvalidInput as refused:
        assert refused.in_language("en")
