"""Casework rules that need no database (SPEC §6, 限时办结制度 第十三条, 城乡低保办理流程)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from app.calendar.workdays import MAX_WORKING_DAYS, DueDate, WorkCalendar
from app.errors import InvalidInput
from app.i18n import N_

POSTING_DAYS = 7
"""A public posting (公示) runs seven calendar days, the first day included."""

NOTICE_WORKING_DAYS = 3
"""The one-time notice of missing materials must be issued within 3 working days of receipt."""

MAX_EXTENSION_DAYS = 30


@dataclass(frozen=True)
class CaseDates:
    """The dates a case is held to; provisional while any of them rests on a guessed day."""

    original_due_on: date
    due_on: date
    notice_due_on: date
    provisional: bool


def case_dates(calendar: WorkCalendar, received_on: date, working_days: int, extension_days: int = 0) -> CaseDates:
    """Due dates from receipt (第十条): the line's limit, plus any extension a leader granted."""
    if isinstance(extension_days, bool) or not isinstance(extension_days, int) or extension_days < 0:
        raise InvalidInput("延期须为不小于 0 的整数个工作日，不是 {days}", days=extension_days)
    original = calendar.due_date(received_on, working_days)
    # The extensions (all of them, added up) count on from the original due date, a working day, in
    # steps the calendar accepts: a long line limit plus its extensions may exceed one line's bound.
    due, remaining = original, extension_days
    while remaining:
        step = min(remaining, MAX_WORKING_DAYS)
        later = calendar.add_working_days(due.due_on, step)
        due, remaining = DueDate(later.due_on, due.provisional or later.provisional), remaining - step
    notice = calendar.due_date(received_on, NOTICE_WORKING_DAYS)
    # The notice is due after the case itself on a line of 1 or 2 working days: it counts as well.
    provisional = original.provisional or due.provisional or notice.provisional
    return CaseDates(original.due_on, due.due_on, notice.due_on, provisional)


class Level(StrEnum):
    ADMONITION = "admonition"
    WARNING = "warning"
    SANCTION = "sanction"


LEVEL_LABELS = {
    Level.ADMONITION: N_("诫勉教育"),
    Level.WARNING: N_("行政告诫"),
    Level.SANCTION: N_("处理"),
}


def accountability_level(nth_in_year: int) -> Level:
    """第十三条: 1st overdue case of the calendar year → admonition, 2nd → warning, then sanction."""
    if nth_in_year < 1:
        raise ValueError(f"the count starts at 1, not {nth_in_year}")
    if nth_in_year == 1:
        return Level.ADMONITION
    if nth_in_year == 2:
        return Level.WARNING
    return Level.SANCTION


def posting_ends_on(starts_on: date) -> date:
    """The last day of a posting that starts on ``starts_on``."""
    return starts_on + timedelta(days=POSTING_DAYS - 1)


def posting_running(starts_on: date, today: date) -> bool:
    return starts_on <= today <= posting_ends_on(starts_on)


@dataclass(frozen=True)
class IncomeLimits:
    """城乡低保 standards (tenant settings): rural per year, urban per month, per capita, in yuan."""

    rural_per_year: Decimal = Decimal("1320")
    urban_per_month: Decimal = Decimal("290")


class Eligibility(StrEnum):
    BELOW = "below"
    ABOVE = "above"
    NOT_APPLICABLE = "n/a"


def eligibility_hint(line_code: str, monthly_per_capita: Decimal | None, limits: IncomeLimits) -> Eligibility:
    """Whether the declared income is below the 低保 standard; a flag for people, never a decision."""
    if monthly_per_capita is None:
        return Eligibility.NOT_APPLICABLE
    if line_code == "urban_dibao":
        limit, income = limits.urban_per_month, monthly_per_capita
    elif line_code == "rural_dibao":
        limit, income = limits.rural_per_year, monthly_per_capita * 12
    else:
        return Eligibility.NOT_APPLICABLE
    return Eligibility.BELOW if income < limit else Eligibility.ABOVE


def check_missing_items(items: list[str]) -> list[str]:
    """The list of a one-time notice: at least one item, each said once, each short enough to print."""
    cleaned: list[str] = []
    for item in items:
        text = " ".join(item.split())
        if not text or text in cleaned:
            continue
        if len(text) > 200:
            raise InvalidInput("每项缺少的材料不能超过 {limit} 个字符", limit=200)
        cleaned.append(text)
    if not cleaned:
        raise InvalidInput("一次性告知须列出至少一项缺少的材料")
    return cleaned


def check_investigators(investigators: list[int]) -> list[int]:
    """入户调查: at least two different people."""
    distinct = list(dict.fromkeys(investigators))
    if len(distinct) < 2:
        raise InvalidInput("入户调查须由至少两名不同的工作人员进行")
    return distinct


# 一次性告知: the usual materials of each statutory line; a county may replace a line's list.
_DIBAO_MATERIALS = (
    "低保申请书",
    "户口簿及家庭成员身份证复印件",
    "家庭成员收入证明",
    "家庭财产状况申报及核对授权书",
    "患病、残疾等特殊情况证明",
)
DEFAULT_MATERIALS = {
    "urban_dibao": _DIBAO_MATERIALS,
    "rural_dibao": _DIBAO_MATERIALS,
    "medical": (
        "医疗救助申请书",
        "身份证及户口簿复印件",
        "住院病历及诊断证明",
        "医疗费用发票及医保结算单",
        "低保、特困等救助对象证明",
    ),
    "temporary": (
        "临时救助申请书",
        "身份证及户口簿复印件",
        "遭遇困难的证明材料（事故、疾病、灾害等）",
        "家庭成员收入证明",
    ),
    "other": ("申请书", "身份证复印件"),
}


def checklist(line_code: str, configured: str) -> list[str]:
    """The line's checklist: the county's own (one item per line of text), else the usual one."""
    own = [item.strip() for item in configured.splitlines() if item.strip()]
    return own or list(DEFAULT_MATERIALS.get(line_code, ()))
