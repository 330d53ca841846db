"""Checking an imported sheet (SPEC §14): every problem of every row, by row and column, and what
applying it would do (create, update, leave unchanged). Pure: rows and the county come in as plain
data, so the rules are tested without a database or a file.

Staff are matched by username; cases by their natural key (line, ID number, received on), so a
sheet applied twice changes nothing the second time.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from app import text
from app.domain import idnumber
from app.domain.casework import check_household_size, check_received_on
from app.domain.pipeline import OPEN, STATUS_LABELS, Pipeline, Status
from app.errors import InvalidInput
from app.i18n import N_
from app.tenancy.permissions import ROLE_LABELS
from app.text import collapse_spaces, half_width

# The columns' lengths in the database, said first in words.
USERNAME_LIMIT, NAME_LIMIT, PHONE_LIMIT, ADDRESS_LIMIT, NOTE_LIMIT = 60, 60, 30, 200, 300
# Roles and qualifications in one cell: "、" as the template says, or commas, semicolons, spaces.
LIST_SEPARATORS = re.compile(r"[、,，;；\s]+")
_DATE_SHAPES = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)


@dataclass(frozen=True)
class Column:
    header: str
    width: int
    required: bool = False
    hint: str = ""  # on the template's notes sheet
    as_text: bool = False  # formatted as text in the template (long digit strings)


STAFF_COLUMNS = (
    Column(N_("用户名"), 16, True, N_("登录用的用户名，本县内不能重复；已有的用户名会更新其角色、电话和业务资格")),
    Column(N_("姓名"), 12, True, N_("与系统中已有同一用户名的人员姓名须一致")),
    Column(N_("角色"), 24, True, N_("可填多个，用“、”分隔；填代码或中文名称")),
    Column(N_("电话"), 16, False, N_("可不填"), as_text=True),
    Column(N_("业务资格"), 36, False, N_("熟悉的业务岗位，可填多个，用“、”分隔；填岗位代码或名称")),
)
CASE_COLUMNS = (
    Column(N_("业务岗位"), 16, True, N_("岗位代码或名称")),
    Column(N_("申请人"), 12, True, N_("申请人姓名")),
    Column(N_("身份证号"), 22, True, N_("18 位，请以文本格式填写，避免 Excel 把它变成科学计数法"), as_text=True),
    Column(N_("家庭人口"), 10, True, N_("1–30 的整数")),
    Column(N_("家庭住址"), 30, False, N_("可不填")),
    Column(N_("接收日期"), 14, True, N_("如 2026-11-03；不能晚于今天，不能早于一年前")),
    Column(N_("经办人"), 14, True, N_("本县在职工作人员的用户名或姓名")),
    Column(N_("状态"), 14, False, N_("未办结的状态，不填为“已接收”；须是该岗位流程中的一步")),
    Column(N_("备注"), 30, False, N_("写入案件办理记录")),
)


class Formula(str):
    """A cell holding a formula (its text): refused, since its value is whatever Excel last computed."""


# Far beyond what any column takes: a longer text (a few bytes of a zip can unpack to megabytes) is
# cut to this when read and refused as a whole, so it is never carried whole into a page or an answer.
MAX_CELL_CHARS = 1000
SHOWN_CHARS = 40  # of a refused value, in the problem's words


class Overlong(str):
    """The first ``MAX_CELL_CHARS`` characters of a cell that holds more: refused."""


def shown(value: object) -> str:
    """A refused value as the problem quotes it: short, whatever the cell held."""
    written = str(value)
    return written if len(written) <= SHOWN_CHARS else written[:SHOWN_CHARS] + "…"


@dataclass(frozen=True)
class SheetRow:
    number: int  # as Excel shows it (the header is row 1)
    # header → value as the file holds it (str, int, float, date, datetime, Formula, Overlong, None)
    cells: dict[str, object]


@dataclass(frozen=True)
class Problem:
    row: int
    column: str
    error: InvalidInput

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "detail": self.error.in_language("en")}


class Outcome(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"


OUTCOME_LABELS = {Outcome.CREATE: N_("新建"), Outcome.UPDATE: N_("更新"), Outcome.UNCHANGED: N_("不变")}


@dataclass(frozen=True)
class Person:
    """Someone already in the county, as the sheets are checked against."""

    id: int
    username: str
    name: str
    phone: str = ""
    roles: frozenset[str] = frozenset()
    qualifications: frozenset[str] = frozenset()  # line codes
    active: bool = True


@dataclass(frozen=True)
class LineInfo:
    id: int
    code: str
    name: str
    needs_survey: bool = True
    needs_posting: bool = True

    def statuses(self) -> tuple[Status, ...]:
        """The open statuses a case of this line can be in."""
        return (Status.RECEIVED, *Pipeline(self.needs_survey, self.needs_posting).steps())


CaseKey = tuple[str, str, date]  # line code, ID number, received on


@dataclass(frozen=True)
class County:
    lines: Sequence[LineInfo] = ()
    people: Sequence[Person] = ()
    handlers: frozenset[int] = frozenset()  # who may handle cases (active staff and section heads)
    cases: frozenset[CaseKey] = frozenset()
    today: date = date.min


@dataclass(frozen=True)
class StaffEntry:
    row: int
    username: str
    name: str
    roles: tuple[str, ...]
    phone: str
    qualifications: tuple[str, ...]
    outcome: Outcome
    existing_id: int | None = None


@dataclass(frozen=True)
class CaseEntry:
    row: int
    line: LineInfo
    applicant_name: str
    id_number: str
    household_size: int
    address: str
    received_on: date
    handler: Person
    status: Status
    note: str
    outcome: Outcome

    @property
    def key(self) -> CaseKey:
        return (self.line.code, self.id_number, self.received_on)


@dataclass
class Checked:
    """A sheet checked: what each good row would do, and every problem found."""

    entries: list = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def count(self, outcome: Outcome) -> int:
        return sum(1 for entry in self.entries if entry.outcome is outcome)

    @property
    def rows_with_problems(self) -> set[int]:
        return {problem.row for problem in self.problems}


class _Reader:
    """One row's cells, each parsed by a rule; a refused cell becomes a problem and reads as None,
    so the other cells of the row are still checked."""

    def __init__(self, row: SheetRow, columns: Sequence[Column], problems: list[Problem]) -> None:
        self.row, self.problems = row, problems
        self.required = {column.header for column in columns if column.required}

    def refuse(self, column: str, error: InvalidInput) -> None:
        self.problems.append(Problem(self.row.number, column, error))

    def take(self, column: str, parse: Callable[[object, str], object]) -> Any:
        """The cell as ``parse`` reads it; None when blank (an optional column) or refused (a
        problem of the row, which then builds no entry). Any: each column's parser its own type."""
        value = self.row.cells.get(column)
        try:
            if isinstance(value, Formula):
                raise InvalidInput(
                    "{field}是公式（{formula}），请复制后“粘贴为数值”再导入", field=column, formula=shown(value)
                )
            if isinstance(value, Overlong):
                raise InvalidInput("{field}超过 {limit} 个字符，不像是要导入的内容", field=column, limit=MAX_CELL_CHARS)
            if _blank(value):
                if column in self.required:
                    raise InvalidInput("请填写{field}", field=column)
                return None
            return parse(value, column)
        except InvalidInput as error:
            self.refuse(column, error)
            return None


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def words(limit: int, *, note: bool = False) -> Callable[[object, str], str]:
    """A text cell: spaces collapsed (kept line breaks in a note), at most ``limit`` characters."""

    def parse(value: object, column: str) -> str:
        if isinstance(value, float) and value.is_integer():
            value = int(value)  # a phone number typed as a number
        if not isinstance(value, str | int):
            raise InvalidInput("{field}应为文字", field=column)
        raw = str(value)
        if note:
            cleaned = "\n".join(collapse_spaces(line) for line in raw.strip().splitlines())
        else:
            cleaned = collapse_spaces(raw)
        text.check(cleaned, column, note=note)
        if len(cleaned) > limit:
            raise InvalidInput("{field}不能超过 {limit} 个字符", field=column, limit=limit)
        return cleaned

    return parse


def username(value: object, column: str) -> str:
    name = words(USERNAME_LIMIT)(value, column)
    if " " in name:
        raise InvalidInput("用户名 {username} 不能含空格", username=name)
    return name


def whole_number(value: object, column: str) -> int:
    if isinstance(value, bool):
        raise InvalidInput("{field}应为整数，不是 {value}", field=column, value=shown(value))
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, int):
        return value
    digits = half_width(str(value)).strip()
    if isinstance(value, str) and re.fullmatch(r"\d{1,6}", digits, re.ASCII):
        return int(digits)
    raise InvalidInput("{field}应为整数，不是 {value}", field=column, value=shown(value))


def day(value: object, column: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        written = half_width(value).strip()
        for shape in _DATE_SHAPES:
            match = shape.match(written)
            if match:
                try:
                    return date(*(int(part) for part in match.groups()))
                except ValueError:
                    break
    raise InvalidInput("{field} {value} 不是日期（如 2026-11-03）", field=column, value=shown(value))


def choices(value: object, column: str) -> list[str]:
    """The items of a list cell, in order, without repeats."""
    items = LIST_SEPARATORS.split(words(500)(value, column))
    return list(dict.fromkeys(item for item in items if item))


def _by_code_or_label(labels: dict[str, str]) -> dict[str, str]:
    """code → code and label (Chinese name) → code, for a cell that may hold either."""
    return {**{label: code for code, label in labels.items()}, **{code: code for code in labels}}


OPEN_IN_ORDER = tuple(status for status in Status if status in OPEN)
ROLES = _by_code_or_label({role.value: label for role, label in ROLE_LABELS.items()})
STATUSES = _by_code_or_label({status.value: STATUS_LABELS[status] for status in OPEN_IN_ORDER})


def listed(known: dict[str, str], message: str) -> Callable[[object, str], tuple[str, ...]]:
    """A list cell of codes or names (``known``: both → code); unknown items refused with the names to use."""

    def parse(value: object, column: str) -> tuple[str, ...]:
        found = choices(value, column)
        if not found:
            raise InvalidInput("请填写{field}", field=column)
        unknown = [item for item in found if item not in known]
        if unknown:
            names = [name for name, code in known.items() if name != code] or sorted(set(known))
            raise InvalidInput(message, unknown="、".join(unknown), known="、".join(names))
        return tuple(sorted({known[item] for item in found}))

    return parse


# --- staff ----------------------------------------------------------------------------------------


def check_staff(rows: Sequence[SheetRow], county: County) -> Checked:
    """Each row a person: new (created), known by username (updated where it differs), or refused."""
    checked = Checked()
    lines = _by_code_or_label({line.code: line.name for line in county.lines})
    existing = {person.username: person for person in county.people}
    first_row_of: dict[str, int] = {}
    for row in rows:
        known_problems = len(checked.problems)
        cells = _Reader(row, STAFF_COLUMNS, checked.problems)
        login = cells.take("用户名", username)
        name = cells.take("姓名", words(NAME_LIMIT))
        roles = cells.take("角色", listed(ROLES, "未知角色：{unknown}（可用：{known}）"))
        phone = cells.take("电话", words(PHONE_LIMIT)) or ""
        qualifications = cells.take("业务资格", listed(lines, "未知业务岗位：{unknown}（本县有：{known}）")) or ()
        if login is not None:
            if login in first_row_of:
                cells.refuse(
                    "用户名",
                    InvalidInput("用户名 {username} 与第 {row} 行重复", username=login, row=first_row_of[login]),
                )
                continue
            first_row_of[login] = row.number
        known = existing.get(login) if login else None
        if known is not None and name is not None and known.name != name:
            cells.refuse(
                "用户名",
                InvalidInput("用户名 {username} 已是本县“{name}”的账号", username=login, name=known.name),
            )
            continue
        if len(checked.problems) > known_problems:
            continue
        outcome = Outcome.CREATE
        if known is not None:
            same = (
                known.phone == phone
                and known.roles == frozenset(roles)
                and known.qualifications == frozenset(qualifications)
            )
            outcome = Outcome.UNCHANGED if same else Outcome.UPDATE
        checked.entries.append(
            StaffEntry(row.number, login, name, roles, phone, qualifications, outcome, known.id if known else None)
        )
    return checked


# --- open cases -----------------------------------------------------------------------------------


def _handler_finder(county: County) -> Callable[[object, str], Person]:
    """经办人 by username, else by name when exactly one active case worker has it."""
    workers = [person for person in county.people if person.id in county.handlers]
    by_username = {person.username: person for person in workers}

    def find(value: object, column: str) -> Person:
        given = words(NAME_LIMIT)(value, column)
        if given in by_username:
            return by_username[given]
        named = [person for person in workers if person.name == given]
        if len(named) > 1:
            raise InvalidInput("本县有 {count} 位“{name}”，请填写用户名", count=len(named), name=given)
        if not named:
            raise InvalidInput("“{name}”不是本县在职的工作人员或股室负责人", name=given)
        return named[0]

    return find


def _line_finder(county: County) -> Callable[[object, str], LineInfo]:
    by_code_or_name = {**{line.name: line for line in county.lines}, **{line.code: line for line in county.lines}}

    def find(value: object, column: str) -> LineInfo:
        given = words(NAME_LIMIT)(value, column)
        if given not in by_code_or_name:
            raise InvalidInput("没有“{line}”这个业务岗位", line=given)
        return by_code_or_name[given]

    return find


def _id_number(today: date) -> Callable[[object, str], str]:
    def parse(value: object, column: str) -> str:
        if isinstance(value, int | float):
            # Excel keeps 15 significant digits: an 18-digit number typed as a number is already lost.
            raise InvalidInput("身份证号被 Excel 当成了数字（末几位已丢失），请把该列设为文本后重新填写")
        return idnumber.validate(words(40)(value, column), today)

    return parse


def _status(value: object, column: str) -> Status:
    given = words(NAME_LIMIT)(value, column)
    if given not in STATUSES:
        raise InvalidInput(
            "状态“{status}”不是未办结的状态（可用：{known}）",
            status=given,
            known="、".join(STATUS_LABELS[status] for status in OPEN_IN_ORDER),
        )
    return Status(STATUSES[given])


def check_cases(rows: Sequence[SheetRow], county: County) -> Checked:
    """Each row an open case: new (created), already in the register by its key (unchanged), or refused."""
    checked = Checked()
    find_line, find_handler, id_number = _line_finder(county), _handler_finder(county), _id_number(county.today)
    first_row_of: dict[CaseKey, int] = {}
    for row in rows:
        known_problems = len(checked.problems)
        cells = _Reader(row, CASE_COLUMNS, checked.problems)
        line = cells.take("业务岗位", find_line)
        name = cells.take("申请人", words(NAME_LIMIT))
        number = cells.take("身份证号", id_number)
        household = cells.take("家庭人口", lambda value, column: check_household_size(whole_number(value, column)))
        address = cells.take("家庭住址", words(ADDRESS_LIMIT)) or ""
        received_on = cells.take("接收日期", lambda value, column: check_received_on(day(value, column), county.today))
        handler = cells.take("经办人", find_handler)
        status = cells.take("状态", _status) or Status.RECEIVED
        note = cells.take("备注", words(NOTE_LIMIT, note=True)) or ""
        if line is not None and status not in line.statuses():
            cells.refuse(
                "状态",
                InvalidInput("{line}的流程中没有“{status}”这一步", line=line.name, status=STATUS_LABELS[status]),
            )
        if len(checked.problems) > known_problems:
            continue
        entry = CaseEntry(
            row.number, line, name, number, household, address, received_on, handler, status, note, Outcome.CREATE
        )
        if entry.key in first_row_of:
            cells.refuse(
                "身份证号",
                InvalidInput("与第 {row} 行是同一岗位、同一申请人、同一接收日期的案件", row=first_row_of[entry.key]),
            )
            continue
        first_row_of[entry.key] = row.number
        if entry.key in county.cases:
            entry = replace(entry, outcome=Outcome.UNCHANGED)
        checked.entries.append(entry)
    return checked
