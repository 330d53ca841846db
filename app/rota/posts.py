"""What a line and an A/B post may be (pure: plain values in, ``InvalidInput`` out)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import msgspec

from app.errors import InvalidInput
from app.text import MultiLine, SingleLine

LINE_CODE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
MAX_WORKING_DAYS = 60


class LineSpec(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A line's fields, declared once: the page's form, the API's body (its changes are derived
    from it in ``app.pages.rota_api``) and a tenant file's ``[[lines]]`` (which adds ``active``)."""

    code: SingleLine
    name: SingleLine
    working_days: int
    separated_working_days: int | None = None
    # The line's casework pipeline (SPEC §6) and its checklist for the one-time notice.
    needs_survey: bool = True
    needs_posting: bool = True
    materials: MultiLine = ""

    def settings(self) -> dict:
        """What is stored and audited of the line besides its code."""
        return {key: getattr(self, key) for key in LINE_SETTINGS} | {
            "name": self.name.strip(),
            "materials": self.materials.strip(),
        }


# The fields of a line an administrator edits (``active`` too, through ``update_line``).
LINE_SETTINGS = tuple(name for name in LineSpec.__struct_fields__ if name != "code")


MAX_MATERIALS = 2000

# 限时办结制度 第七条, 第八条: the statutory limits in working days.
DEFAULT_LINES = (
    LineSpec("urban_dibao", "城市低保", 10, 15),
    LineSpec("rural_dibao", "农村低保", 10),
    # 城乡医疗救助办理流程: the village and the town review and post before the county receives the
    # file, so the county's 5 working days go to its own review and payment (SPEC §6).
    LineSpec("medical", "城乡医疗救助", 5, needs_survey=False, needs_posting=False),
    LineSpec("temporary", "临时救助", 10),
    LineSpec("other", "其他事项", 15),
)


# 城乡低保办理流程: a 低保 application is always surveyed at the household.
SURVEY_REQUIRED = frozenset({"urban_dibao", "rural_dibao"})


@dataclass(frozen=True)
class Person:
    id: int
    name: str
    active: bool


def check_line(spec: LineSpec) -> None:
    if not LINE_CODE.match(spec.code):
        raise InvalidInput("岗位代码 {code} 无效：须为 2–40 位小写字母、数字或下划线，以字母开头", code=spec.code)
    if not spec.name.strip():
        raise InvalidInput("岗位名称不能为空")
    if len(spec.name.strip()) > 60:
        raise InvalidInput("岗位名称不能超过 {limit} 个字符", limit=60)
    for days in (spec.working_days, spec.separated_working_days):
        if days is not None and not 1 <= days <= MAX_WORKING_DAYS:
            raise InvalidInput("办结时限须为 1–{max} 个工作日，不是 {days}", max=MAX_WORKING_DAYS, days=days)
    if spec.separated_working_days is not None and spec.separated_working_days < spec.working_days:
        raise InvalidInput("人户分离的时限不能短于一般时限")
    if spec.code in SURVEY_REQUIRED and not spec.needs_survey:
        raise InvalidInput("{line}须入户调查，不能取消", line=spec.name.strip())
    if len(spec.materials) > MAX_MATERIALS:
        raise InvalidInput("材料清单不能超过 {limit} 个字符", limit=MAX_MATERIALS)


def check_post(line_name: str, a: Person | None, b: Person | None, qualified: set[int]) -> None:
    """An A/B post is refused, with the reason, unless A ≠ B, both active and B qualified."""
    if a is None or b is None:
        raise InvalidInput("{line}：A岗和B岗都必须指定", line=line_name)
    if a.id == b.id:
        raise InvalidInput("{line}：A岗和B岗不能是同一人（{name}）", line=line_name, name=a.name)
    for person in (a, b):
        if not person.active:
            raise InvalidInput("{line}：{name} 已停用，不能任岗", line=line_name, name=person.name)
    if b.id not in qualified:
        raise InvalidInput(
            "{line}：{name} 不熟悉该岗位业务（未登记该岗位资格），不能任B岗", line=line_name, name=b.name
        )
