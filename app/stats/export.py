"""The monthly report as an Excel workbook: the same rows and total as the printed page."""

from __future__ import annotations

from app.domain.coverage import AbsenceFigures
from app.domain.figures import By
from app.stats.services import Report
from app.web import excel

FIRST_COLUMN = {By.COUNTY: "县", By.LINE: "业务岗位"}


def report_workbook(report: Report) -> bytes:
    columns = [
        (FIRST_COLUMN[report.by], 16),
        ("受理", 8),
        ("已办结", 8),
        ("按时办结", 10),
        ("按时办结率（%）", 16),
        ("超期未办结", 12),
        ("延期", 8),
        ("办结用时中位数（工作日）", 22),
        ("未顶岗时长（小时）", 18),
        ("岗位覆盖率（%）", 14),
    ]
    rows = [
        (
            row.label,
            row.received,
            row.closed,
            row.closed_on_time,
            None if row.on_time_rate is None else row.on_time_rate * 100,
            row.open_overdue,
            row.extensions,
            row.median_days,
            *_absences(away),
        )
        for row, away in [
            *((row, report.absences.get(row.key)) for row in report.rows),
            (report.total, report.absence_total),
        ]
    ]
    return excel.workbook(f"{report.issuer}{report.month}限时办结情况通报", report.month, columns, rows)


def _absences(away: AbsenceFigures | None) -> tuple:
    if away is None:
        return (None, None)
    share = away.covered_share
    return (away.uncovered_hours, None if share is None else share * 100)


def filename(report: Report, slug: str) -> str:
    return f"deadlines-{slug}-{report.month}.xlsx"
