"""Excel downloads (openpyxl): one sheet with bold Chinese headers, sized columns, and dates and
scores formatted as such, answered as an attachment."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from io import BytesIO

from litestar.response import Response
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FORMATS = ((date, "yyyy-mm-dd"), (Decimal, "0.00"))


def workbook(
    title: str, sheet_title: str, columns: Sequence[tuple[str, int]], rows: Iterable[Sequence], freeze: str = "A2"
) -> bytes:
    """``columns`` are (header, width); each row has a value per column."""
    book = Workbook()
    sheet = book.active
    sheet.title = sheet_title
    sheet.append([header for header, _ in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(list(row))
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if cell.data_type == "f":  # text typed as "=…" (a name, a label) is text, never a formula
                cell.data_type = "s"
            for kind, number_format in _FORMATS:
                if isinstance(cell.value, kind):
                    cell.number_format = number_format
    for index, (_, width) in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = freeze
    book.properties.title = title
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def download(content: bytes, filename: str) -> Response:
    return Response(content, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{filename}"'})
