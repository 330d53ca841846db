"""Importing the county's staff list and its ledger of open cases (SPEC §14).

Reading and checking is the same for a preview and for applying; applying checks again inside
its transaction, under the county's import lock (two uploads of one file at once cannot both
create), and writes every row or none. Rows are written by the same services as the forms:
``staff.create_staff``/``update_staff``, and ``intake.new_case`` (the calendar's due dates).
"""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass
from enum import StrEnum

import anyio

from app import db
from app.accounts.tables import RoleGrant, User
from app.audit.services import record_in
from app.calendar.services import calendar_of
from app.cases import intake
from app.cases.events import record_event
from app.cases.tables import Case
from app.domain import idnumber
from app.domain import sheet_rows as rules
from app.domain.pipeline import STATUS_LABELS
from app.errors import InvalidInput
from app.flows import acting
from app.i18n import N_
from app.i18n.messages import label, said
from app.imports import sheets
from app.rota.tables import Line, Qualification
from app.staff import services as staff
from app.tenancy.context import TenantContext
from app.tenancy.permissions import Role

CASE_WORKERS = (Role.STAFF, Role.SECTION_HEAD)
PREVIEW_ROWS = 300  # a preview lists this many rows at most (the counts cover them all)
IMPORTED_EVENT = "imported"
# Reading a workbook is seconds of CPU for a big one: in a thread, one file at a time, so the
# portal's other requests (every county's) go on meanwhile.
_READERS = anyio.CapacityLimiter(1)


class Kind(StrEnum):
    STAFF = "staff"
    CASES = "cases"


# One import of a kind at a time per county: a file sent twice at once is created once.
IMPORT_LOCKS = {Kind.STAFF: User, Kind.CASES: Case}
STAFF_EXAMPLE = ("wangfang", "王芳", "工作人员、股室负责人", "13800000000", "城市低保、临时救助")
CASE_EXAMPLE = ("城市低保", "张三", "341321198001011232", 3, "砀城镇某村", "2026-11-03", "wangxiaolei", "已受理", "")
KIND_LABELS = {Kind.STAFF: N_("人员名单"), Kind.CASES: N_("未办结案件台账")}
COLUMNS = {Kind.STAFF: rules.STAFF_COLUMNS, Kind.CASES: rules.CASE_COLUMNS}


@dataclass
class Report:
    """What a preview found, or what applying did (``applied``), row by row."""

    kind: Kind
    rows: list[rules.SheetRow]
    checked: rules.Checked
    applied: bool = False

    @property
    def ok(self) -> bool:
        return not self.checked.problems

    @property
    def columns(self) -> tuple[rules.Column, ...]:
        return COLUMNS[self.kind]

    def outcome_of(self, row: int) -> rules.Outcome | None:
        """What the row does; None while it has a problem."""
        return next((entry.outcome for entry in self.checked.entries if entry.row == row), None)

    def problems_at(self, row: int) -> dict[str, list[rules.Problem]]:
        """The row's problems by column."""
        found: dict[str, list[rules.Problem]] = {}
        for problem in self.checked.problems:
            if problem.row == row:
                found.setdefault(problem.column, []).append(problem)
        return found

    def shown_rows(self, limit: int = PREVIEW_ROWS) -> list[rules.SheetRow]:
        """The rows the preview lists: those with problems when there are any, else all (up to ``limit``)."""
        wrong = self.checked.rows_with_problems
        return [row for row in self.rows if row.number in wrong or not wrong][:limit]

    def as_dict(self) -> dict:
        count = self.checked.count
        return {
            "applied": self.applied,
            "created": count(rules.Outcome.CREATE),
            "updated": count(rules.Outcome.UPDATE),
            "unchanged": count(rules.Outcome.UNCHANGED),
            "errors": [problem.as_dict() for problem in self.checked.problems],
        }


class _Refused(Exception):
    """A row the writing service refused (e.g. the county's last admin): the transaction rolls back."""

    def __init__(self, problem: rules.Problem) -> None:
        self.problem = problem


class _Rehearsed(Exception):
    """A preview's writes are done, and rolled back by raising this."""


async def run(ctx: TenantContext, kind: Kind, content: bytes, *, apply: bool) -> Report:
    """Check the file; with ``apply`` and no problem, write it in one transaction.

    A staff preview writes too, in a transaction it rolls back: the refusals only the staff
    service knows (the county's last admin, a B post's qualification) show in the preview as well.
    """
    rows = await anyio.to_thread.run_sync(sheets.read_rows, content, COLUMNS[kind], limiter=_READERS)
    check, write = (_check_staff, _write_staff) if kind is Kind.STAFF else (_check_cases, _write_cases)
    if not apply and kind is not Kind.STAFF:
        return Report(kind, rows, await check(ctx, rows))
    try:
        async with db.transaction():
            await db.serialize(IMPORT_LOCKS[kind], ctx.tenant.id)
            checked = await check(ctx, rows)
            if checked.problems or checked.count(rules.Outcome.UNCHANGED) == len(checked.entries):
                # Nothing may be written, or nothing needs to be (the same file again).
                return Report(kind, rows, checked, applied=apply and not checked.problems)
            await write(ctx, checked)
            if not apply:
                raise _Rehearsed
            await record_in(
                ctx,
                action=f"import.{kind.value}",
                entity="import",
                entity_id=kind.value,
                summary=said("导入{kind}：{count} 行", kind=label(KIND_LABELS[kind]), count=len(rows)),
                after=Report(kind, rows, checked, applied=True).as_dict(),
            )
    except _Refused as refused:
        return Report(kind, rows, rules.Checked(problems=[refused.problem]))
    except _Rehearsed:
        return Report(kind, rows, checked)
    return Report(kind, rows, checked, applied=True)


async def template(ctx: TenantContext, kind: Kind) -> bytes:
    """The sheet to fill in; the ledger's with drop-down lists of the county's lines, handlers and statuses."""
    if kind is Kind.STAFF:
        return sheets.template(KIND_LABELS[kind], rules.STAFF_COLUMNS, STAFF_EXAMPLE, {})
    county = await _county(ctx)
    choices = {
        "业务岗位": [line.name for line in county.lines],
        "经办人": [person.username for person in county.people if person.id in county.handlers],
        "状态": [STATUS_LABELS[status] for status in rules.OPEN_IN_ORDER],
    }
    return sheets.template(KIND_LABELS[kind], rules.CASE_COLUMNS, CASE_EXAMPLE, choices)


# --- the county as the rules see it ---------------------------------------------------------------


async def _county(ctx: TenantContext, *, id_numbers: Set[str] = frozenset(), all_lines: bool = False) -> rules.County:
    lines_query = ctx.select(Line, Line.id, Line.code, Line.name, Line.needs_survey, Line.needs_posting)
    if not all_lines:
        lines_query = lines_query.where(Line.active.eq(True))
    lines = [rules.LineInfo(**row) for row in await lines_query.order_by(Line.position).order_by(Line.id)]
    codes = {row["id"]: row["code"] for row in await ctx.select(Line, Line.id, Line.code)}
    roles: dict[int, set[str]] = {}
    for grant in await ctx.select(RoleGrant, RoleGrant.user, RoleGrant.role):
        roles.setdefault(grant["user"], set()).add(grant["role"])
    known: dict[int, set[str]] = {}
    for skill in await ctx.select(Qualification, Qualification.user, Qualification.line):
        known.setdefault(skill["user"], set()).add(codes[skill["line"]])
    people = [
        rules.Person(
            id=row["id"],
            username=row["username"],
            name=row["name"],
            phone=row["phone"],
            roles=frozenset(roles.get(row["id"], ())),
            qualifications=frozenset(known.get(row["id"], ())),
            active=row["active"],
        )
        for row in await ctx.select(User, User.id, User.username, User.name, User.phone, User.active).order_by(User.id)
    ]
    handlers = frozenset(p.id for p in people if p.active and p.roles & set(CASE_WORKERS))
    keys: frozenset[rules.CaseKey] = frozenset()
    if id_numbers:
        rows = await ctx.select(Case, Case.line.code, Case.applicant_id_number, Case.received_on).where(
            Case.applicant_id_number.is_in(sorted(id_numbers))
        )
        keys = frozenset((row["line.code"], row["applicant_id_number"], row["received_on"]) for row in rows)
    return rules.County(lines, people, handlers, keys, ctx.tenant.now().date())


def _id_numbers(rows: list[rules.SheetRow]) -> set[str]:
    """The ID numbers the sheet names (as intake would store them), to look up only those cases."""
    found = set()
    for row in rows:
        value = row.cells.get("身份证号")
        if isinstance(value, str):
            found.add(idnumber.canonical(value))
    return found


async def _check_staff(ctx: TenantContext, rows: list[rules.SheetRow]) -> rules.Checked:
    return rules.check_staff(rows, await _county(ctx, all_lines=True))


async def _check_cases(ctx: TenantContext, rows: list[rules.SheetRow]) -> rules.Checked:
    return rules.check_cases(rows, await _county(ctx, id_numbers=_id_numbers(rows)))


# --- writing --------------------------------------------------------------------------------------


async def _write_staff(ctx: TenantContext, checked: rules.Checked) -> None:
    for entry in checked.entries:
        values = {"roles": list(entry.roles), "phone": entry.phone, "qualifications": list(entry.qualifications)}
        try:
            if entry.outcome is rules.Outcome.CREATE:
                await staff.create_staff(ctx, username=entry.username, name=entry.name, **values)
            elif entry.outcome is rules.Outcome.UPDATE:
                await staff.update_staff(ctx, entry.existing_id, **values)
        except InvalidInput as error:
            raise _Refused(rules.Problem(entry.row, "用户名", error)) from None


async def _write_cases(ctx: TenantContext, checked: rules.Checked) -> None:
    new = [entry for entry in checked.entries if entry.outcome is rules.Outcome.CREATE]
    if not new:
        return
    calendar, now_rota = await calendar_of(ctx), await acting.snapshot(ctx)
    lines = {row["id"]: row for row in await ctx.select(Line)}
    for entry in new:
        row = intake.new_case(
            ctx,
            calendar,
            lines[entry.line.id],
            received_on=entry.received_on,
            status=entry.status,
            applicant_name=entry.applicant_name,
            applicant_id_number=entry.id_number,
            household_size=entry.household_size,
            address=entry.address,
            first_receiver=entry.handler.id,
            handler=entry.handler.id,
            acting_handler=now_rota.case_acting(entry.line.id, entry.handler.id),
        )
        await row.save()
        note = said(
            "由台账导入（第 {row} 行）；办结时限 {days} 个工作日，{due_on} 前办结",
            row=entry.row,
            days=row.working_days,
            due_on=row.due_on.isoformat(),
        )
        if entry.note:
            note = said("{note}。{remark}", note=note, remark=entry.note)
        await record_event(ctx, row.id, IMPORTED_EVENT, note, to_status=entry.status.value)
        await record_in(
            ctx,
            action="case.import",
            entity="case",
            entity_id=row.id,
            summary=said(
                "{line}：{name}（{id_number}）",
                line=entry.line.name,
                name=entry.applicant_name,
                id_number=idnumber.mask(entry.id_number),
            ),
            after={
                "line": entry.line.code,
                "received_on": str(entry.received_on),
                "due_on": str(row.due_on),
                "status": entry.status.value,
                "row": entry.row,
            },
        )
