"""The audit trail in words: each stored row (never changed) shown with the names of the things it
is about, its field changes as "字段：旧 → 新" and its summary in the reader's language.

``describe`` is pure: it reads one row and the names already looked up. ``look_up`` finds every
name a page of rows needs, one query per kind of thing (people, lines, cases, …), never per row.
This module reads other features' tables for their names only: it is a read model of the page.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from app.absences.services import CATEGORY_LABELS, KIND_LABELS
from app.absences.services import STATUS_LABELS as ABSENCE_STATUS_LABELS
from app.absences.tables import Absence
from app.accounts.tables import User
from app.audit.labels import action_label
from app.cases.tables import AccountabilityRecord, Case, Enquiry
from app.domain.casework import ENQUIRY_STATUS_LABELS, LEVEL_LABELS
from app.domain.pipeline import STATUS_LABELS as CASE_STATUS_LABELS
from app.domain.robot import EVENT_LABELS as ROBOT_EVENT_LABELS
from app.domain.robot import PLATFORM_LABELS
from app.domain.rota import STATUS_LABELS as ROTA_STATUS_LABELS
from app.domain.scoring import COMPONENT_LABELS
from app.evaluation.cycles import STEP_LABELS
from app.evaluation.grassroots import shown_label
from app.evaluation.tables import Cycle
from app.i18n import N_, gettext, messages
from app.notifications.mail import TLS_LABELS
from app.rota.tables import Line
from app.tenancy.context import TenantContext
from app.tenancy.permissions import ROLE_LABELS
from app.urls import url

# What each kind of recorded thing is called (the filter shows these; the code stays in the URL).
ENTITY_LABELS = {
    "user": N_("人员"),
    "line": N_("业务岗位"),
    "case": N_("案件"),
    "absence": N_("离岗告示"),
    "accountability": N_("超期问责"),
    "enquiry": N_("首问登记"),
    "evaluation_cycle": N_("年度考评"),
    "tenant": N_("县的设置"),
    "calendar_day": N_("工作日历"),
    "calendar_year": N_("年度日历"),
    "api_token": N_("API 令牌"),
    "robot": N_("群机器人"),
    "import": N_("导入"),
}

# How each recorded field is named.
FIELD_LABELS = {
    "a": N_("A岗"),
    "b": N_("B岗"),
    "absence": N_("所属离岗告示"),
    "acting": N_("替岗人员"),
    "acting_handler": N_("当前办理人"),
    "address": N_("Webhook 地址"),
    "applied": N_("已导入"),
    "created": N_("新建"),
    "errors": N_("错误"),
    "events": N_("推送的事件"),
    "keyword": N_("关键词"),
    "platform": N_("平台"),
    "row": N_("行号"),
    "secret": N_("加签密钥"),
    "unchanged": N_("不变"),
    "updated": N_("更新"),
    "active": N_("启用"),
    "approved_by": N_("批准人"),
    "category": N_("离岗性质"),
    "code": N_("代码"),
    "door_notice": N_("门口告示"),
    "due_on": N_("办结期限"),
    "due_provisional": N_("期限暂定"),
    "email": N_("电子邮箱"),
    "enabled": N_("发送邮件"),
    "ends_at": N_("结束时间"),
    "entered": N_("日历已录入"),
    "from_address": N_("发件地址"),
    "head_record": N_("负责人问责记录"),
    "host": N_("邮件服务器"),
    "investigators": N_("调查人员"),
    "items": N_("材料"),
    "kind": N_("离岗类型"),
    "label": N_("名称"),
    "level": N_("问责等级"),
    "line": N_("业务岗位"),
    "locked": N_("已定稿"),
    "materials": N_("申请材料"),
    "name": N_("名称"),
    "needs_posting": N_("需要公示"),
    "needs_survey": N_("需要入户调查"),
    "note": N_("备注"),
    "notice_due_on": N_("告知期限"),
    "occasion_on": N_("超期日期"),
    "office": N_("办公室"),
    "office_hours": N_("办公时间"),
    "original_due_on": N_("原办结期限"),
    "password": N_("密码"),
    "person": N_("人员"),
    "phone": N_("电话"),
    "policy": N_("缺项处理"),
    "port": N_("端口"),
    "portal_url": N_("平台地址"),
    "position": N_("排序"),
    "prefix": N_("令牌前缀"),
    "qualifications": N_("岗位资格"),
    "rater": N_("评分人"),
    "reason": N_("事由"),
    "received_on": N_("接收日期"),
    "remedy": N_("补救措施"),
    "remedy_done_on": N_("补救完成日期"),
    "remedy_due_on": N_("补救期限"),
    "revoked": N_("已吊销"),
    "roles": N_("角色"),
    "score": N_("分数"),
    "separated_working_days": N_("分离办理时限（工作日）"),
    "staff_id": N_("考评对象"),
    "starts_at": N_("开始时间"),
    "status": N_("状态"),
    "step": N_("考评步骤"),
    "substitute": N_("替岗人员"),
    "timezone": N_("时区"),
    "tls": N_("加密方式"),
    "trim": N_("去掉最高分和最低分"),
    "user": N_("账号"),
    "username": N_("用户名"),
    "visited_on": N_("入户日期"),
    "weights": N_("权重"),
    "workday": N_("上班"),
    "working_days": N_("办理时限（工作日）"),
    "year": N_("年度"),
}

PEOPLE_FIELDS = frozenset(
    {"person", "a", "b", "acting", "acting_handler", "substitute", "staff_id", "approved_by", "investigators", "user"}
)
LINE_FIELDS = frozenset({"line", "qualifications"})
POLICY_LABELS = {"reweight": N_("缺项按现有项目折算"), "": N_("不折算")}
CHOICES: dict[str, Mapping[Any, str]] = {
    "kind": KIND_LABELS,
    "category": CATEGORY_LABELS,
    "level": LEVEL_LABELS,
    "step": STEP_LABELS,
    "roles": ROLE_LABELS,
    "tls": TLS_LABELS,
    "policy": POLICY_LABELS,
    "platform": PLATFORM_LABELS,
    "events": ROBOT_EVENT_LABELS,
}
# A status means something else in each area: the part of the action before the dot says which.
STATUS_CHOICES: dict[str, Mapping[Any, str]] = {
    "case": CASE_STATUS_LABELS,
    "absence": ABSENCE_STATUS_LABELS,
    "substitution": ROTA_STATUS_LABELS,
    "enquiry": ENQUIRY_STATUS_LABELS,
}
# The background tasks that change things (their actor labels, translated where shown).
SYSTEM_ACTORS = (N_("后台任务：同岗替代"), N_("后台任务：限时办结"), N_("后台任务：考评计分"))
# Where a change came from when not from a browser (the address column).
SYSTEM_ADDRESSES = {"worker": N_("后台任务"), "cli": N_("命令行"), "link": N_("测评链接"), "demo": N_("演示数据")}
TENANT_LOAD = "tenant load: "  # how rows written by `portal tenant load` before message keys begin
BY_TENANT_FILE = N_("按县配置文件更新")


@dataclass
class Names:
    """What a page of rows is about, by id (and by code or username, as tenant files record them)."""

    people: dict[Any, str] = field(default_factory=dict)
    lines: dict[Any, str] = field(default_factory=dict)
    cases: dict[int, str] = field(default_factory=dict)
    cycles: dict[int, int] = field(default_factory=dict)  # id → year
    absences: dict[int, int] = field(default_factory=dict)  # id → person
    accountability: dict[int, int] = field(default_factory=dict)  # id → person
    enquiries: dict[int, str] = field(default_factory=dict)  # id → visitor


@dataclass(frozen=True)
class FieldChange:
    label: str
    before: str | None  # None: the thing was created (or the field first recorded)
    after: str

    def text(self) -> str:
        if self.before is None:
            return gettext("{field}：{value}").format(field=self.label, value=self.after)
        return gettext("{field}：{before} → {after}").format(field=self.label, before=self.before, after=self.after)


@dataclass(frozen=True)
class Entry:
    row: dict
    actor: str
    address: str
    action: str
    thing: str
    link: str
    summary: str
    changes: list[FieldChange]


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _named(names: dict[Any, str], value: Any) -> str:
    number = _int(value)
    return names.get(number if number is not None else value, str(value))


def _many(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def _choice(labels: Mapping[Any, str], value: Any) -> str:
    found = {str(key): label for key, label in labels.items()}.get(str(value))
    return gettext(found) if found is not None else str(value)


def _instant(value: str, zone: tzinfo) -> str:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.tzinfo is None:
        return value
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def _rater(value: str, names: Names) -> str:
    """``user:<id>`` (someone signed in), ``link:<id>`` (a grassroots link) or ``paper:<who>``."""
    kind, _, rest = value.partition(":")
    if kind == "user":
        return _named(names.people, rest)
    return gettext("测评链接") if kind == "link" else rest or value


def value_text(area: str, key: str, value: Any, names: Names, zone: tzinfo) -> str:
    """One recorded value in words: names for ids, labels for codes, yes/no, local times."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return gettext("是") if value else gettext("否")
    if key in PEOPLE_FIELDS:
        return gettext("、").join(_named(names.people, item) for item in _many(value))
    if key in LINE_FIELDS:
        return gettext("、").join(_named(names.lines, item) for item in _many(value))
    if key == "status" and area in STATUS_CHOICES:
        return _choice(STATUS_CHOICES[area], value)
    if key in CHOICES:
        return gettext("、").join(_choice(CHOICES[key], item) for item in _many(value))
    if key == "absence" and (absence := _int(value)) in names.absences:
        return gettext("{person}的离岗").format(person=names.people.get(names.absences[absence], ""))
    if key == "rater" and isinstance(value, str):
        return _rater(value, names)
    if isinstance(value, dict) and "key" in value:  # a message the system wrote (app.i18n.messages)
        return messages.render(value["key"], value.get("params"))
    if key == "weights" and isinstance(value, dict):
        return gettext("、").join(f"{_choice(COMPONENT_LABELS, part)} {share}" for part, share in value.items())
    if isinstance(value, dict) or (isinstance(value, list) and any(isinstance(item, dict) for item in value)):
        return gettext("（已设置）")
    if isinstance(value, list):
        return gettext("、").join(str(item) for item in value)
    if isinstance(value, str) and "T" in value and value[:4].isdigit():
        return _instant(value, zone)
    return str(value)


def changes_of(row: dict, names: Names, zone: tzinfo) -> list[FieldChange]:
    """The fields a row changed (created: every field it set), in words."""
    area = row["action"].partition(".")[0]
    before, after = row.get("before") or {}, row.get("after") or {}
    shown = []
    for key in list(dict.fromkeys([*before, *after])):
        old, new = before.get(key), after.get(key)
        if key in before and key in after and old == new:
            continue
        label = gettext(FIELD_LABELS.get(key, key))
        if key not in before:
            shown.append(FieldChange(label, None, value_text(area, key, new, names, zone)))
        else:
            new_text = value_text(area, key, new, names, zone) if key in after else "—"
            shown.append(FieldChange(label, value_text(area, key, old, names, zone), new_text))
    return shown


# Rows written before message keys ended their summary with a code: (action, its pattern, its labels).
OLD_CODES: dict[str, tuple[re.Pattern[str], Mapping[Any, str]]] = {
    "absence.status": (re.compile(r"：([a-z_]+)$"), ABSENCE_STATUS_LABELS),
    "substitution.open": (re.compile(r"（([a-z_]+)）$"), ROTA_STATUS_LABELS),
}


def summary_of(row: dict) -> str:
    """The summary in the reader's language; an older row's text as written, but with its codes in words."""
    text = row.get("summary") or ""
    if row.get("summary_key"):
        return messages.of_row(row, "summary")
    if text.startswith(TENANT_LOAD):
        return gettext(BY_TENANT_FILE)
    if row["action"] in OLD_CODES:
        pattern, labels = OLD_CODES[row["action"]]
        return pattern.sub(lambda found: found.group(0).replace(found.group(1), _choice(labels, found.group(1))), text)
    return text


def thing_of(row: dict, names: Names, county: str) -> tuple[str, str]:
    """What a row is about, in words, and the page that shows it ("" if none)."""
    entity, raw = row["entity"], row["entity_id"]
    number = _int(raw)
    if entity == "user" and number in names.people:
        return names.people[number], url("staff_person", tenant=county, staff_id=number)
    if entity == "line" and number in names.lines:
        return names.lines[number], ""
    if entity == "case" and number in names.cases:
        return names.cases[number], url("case", tenant=county, case_id=number)
    if entity == "evaluation_cycle" and number in names.cycles:
        return gettext("{year} 年度工作效能考评").format(year=names.cycles[number]), url(
            "evaluation", tenant=county, cycle_id=number
        )
    if entity == "absence" and number in names.absences:
        person = names.absences[number]
        text = gettext("{person}的离岗").format(person=names.people.get(person, ""))
        return text, url("absence", tenant=county, absence_id=number)
    if entity == "accountability" and number in names.accountability:
        person = names.accountability[number]
        text = gettext("{person}的问责记录").format(person=names.people.get(person, ""))
        return text, url("accountability_person", tenant=county, staff_id=person)
    if entity == "enquiry" and number in names.enquiries:
        return gettext("首问登记：{visitor}").format(visitor=names.enquiries[number]), url(
            "enquiry", tenant=county, enquiry_id=number
        )
    if entity == "calendar_year":
        return gettext("{year} 年日历").format(year=raw), ""
    if entity == "calendar_day":
        return raw, ""
    return gettext(ENTITY_LABELS.get(entity, entity)), ""


def _system_actor(row: dict) -> str:
    """A change nobody signed in made: a grassroots link (by its label) or a background task."""
    label = row.get("actor_label", "")
    return shown_label(label) if row.get("address") == "link" else gettext(label)


def describe(row: dict, names: Names, zone: tzinfo, county: str) -> Entry:
    thing, link = thing_of(row, names, county)
    address = row.get("address", "")
    return Entry(
        row=row,
        actor=row["actor_label"] if row.get("actor") else _system_actor(row),
        address=gettext(SYSTEM_ADDRESSES[address]) if address in SYSTEM_ADDRESSES else address,
        action=gettext(action_label(row["action"])),
        thing=thing,
        link=link,
        summary=summary_of(row),
        changes=changes_of(row, names, zone),
    )


# --- looking names up, one query per kind ----------------------------------------------------------


def _ids(values: Iterable[Any]) -> set[int]:
    return {number for number in map(_int, values) if number is not None}


def _wanted(rows: list[dict]) -> dict[str, set]:
    wanted: dict[str, set] = {
        kind: set() for kind in ("people", "lines", "cases", "cycles", "absences", "accountability", "enquiries")
    }
    by_entity = {
        "user": "people",
        "line": "lines",
        "case": "cases",
        "evaluation_cycle": "cycles",
        "absence": "absences",
        "accountability": "accountability",
        "enquiry": "enquiries",
    }
    for row in rows:
        if row["entity"] in by_entity:
            wanted[by_entity[row["entity"]]].add(row["entity_id"])
        for values in (row.get("before") or {}, row.get("after") or {}):
            for key, value in values.items():
                if key in PEOPLE_FIELDS:
                    wanted["people"].update(_many(value))
                elif key in LINE_FIELDS:
                    wanted["lines"].update(_many(value))
                elif key == "absence":
                    wanted["absences"].add(value)
                elif key == "rater" and isinstance(value, str) and value.startswith("user:"):
                    wanted["people"].add(value.partition(":")[2])
    return wanted


async def _by_id(ctx: TenantContext, column, wanted: set) -> dict[int, Any]:
    """``column`` of the rows of its table with the ids wanted."""
    table = column._meta.table
    if not wanted:
        return {}
    rows = await ctx.select(table, table.id, column).where(table.id.is_in(sorted(_ids(wanted)) or [0]))
    return {row["id"]: row[column._meta.name] for row in rows}


async def _names_by_id_or_code(ctx: TenantContext, code, wanted: set) -> dict[Any, str]:
    """Names by id and by ``code``: tenant files name people by username and lines by code."""
    table = code._meta.table
    if not wanted:
        return {}
    codes = sorted(str(value) for value in wanted if _int(value) is None)
    rows = await ctx.select(table, table.id, code, table.name).where(
        table.id.is_in(sorted(_ids(wanted)) or [0]) | code.is_in(codes or [""])
    )
    return {row["id"]: row["name"] for row in rows} | {row[code._meta.name]: row["name"] for row in rows}


async def look_up(ctx: TenantContext, rows: list[dict]) -> Names:
    wanted = _wanted(rows)
    names = Names(
        absences=await _by_id(ctx, Absence.person, wanted["absences"]),
        accountability=await _by_id(ctx, AccountabilityRecord.person, wanted["accountability"]),
        cycles=await _by_id(ctx, Cycle.year, wanted["cycles"]),
        enquiries=await _by_id(ctx, Enquiry.visitor, wanted["enquiries"]),
    )
    if wanted["cases"]:
        found = await ctx.select(Case, Case.id, Case.applicant_name, Case.line.name).where(
            Case.id.is_in(sorted(_ids(wanted["cases"])) or [0])
        )
        names.cases = {row["id"]: f"#{row['id']} {row['line.name']} · {row['applicant_name']}" for row in found}
    wanted["people"].update(names.absences.values(), names.accountability.values())
    names.people = await _names_by_id_or_code(ctx, User.username, wanted["people"])
    names.lines = await _names_by_id_or_code(ctx, Line.code, wanted["lines"])
    return names


async def in_words(ctx: TenantContext, rows: list[dict]) -> list[Entry]:
    names = await look_up(ctx, rows)
    return [describe(row, names, ctx.tenant.zone, ctx.tenant.slug) for row in rows]


def entity_choices() -> list[tuple[str, str]]:
    """(code, label) of every kind of thing, for the filter, in the reader's language."""
    return [(code, gettext(label)) for code, label in ENTITY_LABELS.items()]
