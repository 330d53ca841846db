"""The case register as an Excel workbook with Chinese headers (openpyxl)."""

from __future__ import annotations

from app.cases.register import CaseView
from app.domain.pipeline import STATUS_LABELS
from app.web import excel

COLUMNS = (
    ("编号", lambda c: c.id, 8),
    ("业务岗位", lambda c: c.line_name, 14),
    ("申请人", lambda c: c.applicant_name, 12),
    ("身份证号", lambda c: c.id_masked, 22),
    ("家庭人口", lambda c: c.household_size, 10),
    ("人户分离", lambda c: "是" if c.separated_household else "否", 10),
    ("接收日期", lambda c: c.received_on, 12),
    ("办结时限（工作日）", lambda c: c.working_days + c.extension_days, 12),
    ("原定到期日", lambda c: c.original_due_on, 12),
    ("到期日", lambda c: c.due_on, 12),
    ("日期待定", lambda c: "是" if c.provisional else "", 10),
    ("状态", lambda c: STATUS_LABELS[c.status], 16),
    ("超期", lambda c: "超期" if c.overdue else "", 8),
    ("首问责任人", lambda c: c.first_receiver_name, 12),
    ("经办人", lambda c: c.handler_name, 12),
    ("当前办理人", lambda c: c.acting_handler_name, 12),
)


def workbook(cases: list[CaseView], county: str) -> bytes:
    columns = [(header, width) for header, _, width in COLUMNS]
    rows = ([value(case) for _, value, _ in COLUMNS] for case in cases)
    return excel.workbook(f"{county}社会救助案件登记", "案件登记", columns, rows)
