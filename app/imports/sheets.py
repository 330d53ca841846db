"""Uploaded .xlsx files in, templates out (openpyxl).

A file that is not a plain workbook (old .xls, a macro workbook, garbage, a zip that unpacks to
far more than a sheet of this size can hold) is refused with words, before or instead of a
traceback: any failure of the reader on a broken file is the file's fault, never a 500.
"""

from __future__ import annotations

import zipfile
from collections.abc import Mapping, Sequence
from io import BytesIO

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from app.domain.sheet_rows import MAX_CELL_CHARS, Column, Formula, Overlong, SheetRow
from app.errors import InvalidInput
from app.i18n import gettext
from app.text import without_spaces

MAX_FILE_BYTES = 1_000_000  # the portal's body limit: a sheet of a few thousand rows is ~200 KB
MAX_UNPACKED_BYTES = 40_000_000  # what the file's parts may unpack to (a zip bomb stops here)
MAX_ROWS = 3000
# Rows as Excel numbers them, empty ones too: a few bytes of a zip can declare a million empty
# rows, each of which costs the reader time.
MAX_SHEET_ROWS = 20_000
# Rows of the template's data sheet prepared as text and with the drop-down lists.
TEMPLATE_ROWS = 1000
_OLD_EXCEL = b"\xd0\xcf\x11\xe0"  # .xls (and encrypted .xlsx) are OLE compound files
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


def read_rows(content: bytes, columns: Sequence[Column], max_rows: int = MAX_ROWS) -> list[SheetRow]:
    """The first sheet's data rows by header (row 1), empty rows left out; ``InvalidInput`` for a
    file that cannot be one of these sheets."""
    archive = _archive(content)
    try:
        book = load_workbook(archive, read_only=True, data_only=False)
        try:
            return _rows(book.worksheets[0], columns, max_rows)
        finally:
            book.close()
    except InvalidInput:
        raise
    except Exception as exc:  # openpyxl raises many kinds (KeyError, XML errors…) on a damaged file
        raise InvalidInput("文件已损坏或不是 Excel 工作簿，无法读取") from exc


def _archive(content: bytes) -> BytesIO:
    if not content:
        raise InvalidInput("上传的文件是空的")
    if len(content) > MAX_FILE_BYTES:
        raise InvalidInput("文件不能超过 {limit} KB", limit=MAX_FILE_BYTES // 1000)
    if content.startswith(_OLD_EXCEL):
        raise InvalidInput("只能导入 .xlsx 文件：请在 Excel 中“另存为”Excel 工作簿（*.xlsx），且不设密码")
    buffer = BytesIO(content)
    try:
        with zipfile.ZipFile(buffer) as archive:
            parts = archive.infolist()
    except zipfile.BadZipFile:
        raise InvalidInput("只能导入 .xlsx 文件（Excel 工作簿）") from None
    names = {part.filename for part in parts}
    if "xl/workbook.xml" not in names:
        raise InvalidInput("只能导入 .xlsx 文件（Excel 工作簿）")
    if any(name.lower().endswith("vbaproject.bin") for name in names):
        raise InvalidInput("文件含有宏：请另存为不含宏的 Excel 工作簿（*.xlsx）后再导入")
    if sum(part.file_size for part in parts) > MAX_UNPACKED_BYTES:
        raise InvalidInput("文件解压后过大，不像是一张名单或台账")
    buffer.seek(0)
    return buffer


def _rows(sheet, columns: Sequence[Column], max_rows: int) -> list[SheetRow]:
    lines = sheet.iter_rows()
    header_cells = next(lines, None)
    if header_cells is None:
        raise InvalidInput(
            "第一个工作表是空的：第 1 行应为表头 {headers}", headers="、".join(c.header for c in columns)
        )
    headers = [_header(cell.value) for cell in header_cells]
    missing = [column.header for column in columns if column.header not in headers]
    if missing:
        raise InvalidInput(
            "第 1 行应为表头 {headers}；缺少：{missing}",
            headers="、".join(column.header for column in columns),
            missing="、".join(missing),
        )
    position = {column.header: headers.index(column.header) for column in columns}
    rows: list[SheetRow] = []
    for number, cells in enumerate(lines, start=2):
        if number > MAX_SHEET_ROWS:
            raise InvalidInput("工作表不能超过 {limit} 行（空行也算），请删去多余的行后再导入", limit=MAX_SHEET_ROWS)
        values = {header: _value(cells[index]) if index < len(cells) else None for header, index in position.items()}
        if all(value is None or (isinstance(value, str) and not value.strip()) for value in values.values()):
            continue
        if len(rows) == max_rows:
            raise InvalidInput("一次最多导入 {limit} 行，请分成几个文件", limit=max_rows)
        rows.append(SheetRow(number, values))
    return rows


def _header(value: object) -> str:
    return without_spaces(str(value)) if value is not None else ""


def _value(cell) -> object:
    value = cell.value
    if isinstance(value, str) and len(value) > MAX_CELL_CHARS:
        return Overlong(value[:MAX_CELL_CHARS])
    if cell.data_type == "f":
        return Formula(value)
    return value


def template(title: str, columns: Sequence[Column], example: Sequence, choices: Mapping[str, Sequence[str]]) -> bytes:
    """A sheet to fill in: the headers, text format where digits must stay as typed, a drop-down
    list for a column in ``choices``; a second sheet explains each column with an example row."""
    book = Workbook()
    sheet = book.active
    sheet.title = gettext(title)
    sheet.append([column.header for column in columns])
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = column.width
        header = sheet.cell(row=1, column=index)
        header.font = Font(bold=True, color="C00000" if column.required else "000000")
        header.fill = _HEADER_FILL
        if column.as_text:
            for row in range(2, TEMPLATE_ROWS + 2):
                sheet.cell(row=row, column=index).number_format = "@"
    sheet.freeze_panes = "A2"
    lists = book.create_sheet("选项")
    for index, column in enumerate(columns, start=1):
        if column.header not in choices:
            continue
        values = list(choices[column.header])
        lists.cell(row=1, column=index, value=column.header).font = Font(bold=True)
        for row, value in enumerate(values, start=2):
            lists.cell(row=row, column=index, value=value)
        letter = get_column_letter(index)
        validation = DataValidation(
            type="list", formula1=f"'选项'!${letter}$2:${letter}${len(values) + 1}", allow_blank=True
        )
        validation.add(f"{letter}2:{letter}{TEMPLATE_ROWS + 1}")
        sheet.add_data_validation(validation)
    notes = book.create_sheet("说明")
    notes.append(["列", "必填", "说明", "示例"])
    for cell in notes[1]:
        cell.font = Font(bold=True)
    for column, sample in zip(columns, example, strict=True):
        notes.append([column.header, "是" if column.required else "", gettext(column.hint), sample])
    notes.append([])
    notes.append(["只导入第一个工作表；红色表头为必填。导入前先“预览”，有任何错误时不会写入任何数据。"])
    for letter, width in zip("ABCD", (12, 6, 60, 30), strict=True):
        notes.column_dimensions[letter].width = width
    for row in notes.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    # The county's own words (a line's name, a username) typed as "=…" are text, never a formula.
    for part in (lists, notes):
        for row in part.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    cell.data_type = "s"
    book.properties.title = gettext(title)
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()
