"""Exports of exactly what a list shows: CSV (UTF-8 with BOM so Excel reads Chinese) and XLSX.

Every exported text is formula-safe: a spreadsheet runs a cell beginning with = + - @ (or a tab or
carriage return) as a formula, so such text (a client named `=HYPERLINK(…)`) goes out as text.
Both writers take the same header and rows; an aware datetime is shown in local (Shanghai) time.
"""

import csv
import datetime
import functools
import io
import itertools
import re
import tempfile
import unicodedata
from decimal import Decimal
from pathlib import PurePath

from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"[+-]?\d[\d,]*(\.\d+)?")
EXPORT_FORMATS = ("csv", "xlsx")  # the values of ?export= a list answers
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
WIDTH_SAMPLE = 200  # rows read ahead to size the columns (write-only sheets take widths before the rows)
MAX_WIDTH = 60


def formula_safe(value):
    """Text a spreadsheet would run as a formula, prefixed with ' so it shows as typed; numbers untouched."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not NUMBER.fullmatch(value):
        return "'" + value
    return value


def _local(value):
    """Aware datetimes in local time, to the minute, as the pages show them."""
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        return timezone.localtime(value).replace(tzinfo=None, second=0, microsecond=0)
    return value


class _Echo:
    def write(self, value):
        return value


def _csv_value(value):
    value = _local(value)
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return formula_safe(value)


def csv_response(filename: str, header: list[str], rows) -> StreamingHttpResponse:
    """Stream rows as CSV; `rows` is any iterable of sequences."""
    writer = csv.writer(_Echo())

    def lines():
        yield "\ufeff" + writer.writerow([formula_safe(str(h)) for h in header])
        for row in rows:
            yield writer.writerow([_csv_value(v) for v in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# ---------------------------------------------------------------- XLSX


def _decimal_format(value: Decimal) -> str:
    """Two places for money; a rate stored with more places keeps them (the value itself is exact)."""
    exponent = value.as_tuple().exponent
    places = max(2, -exponent) if isinstance(exponent, int) else 2
    return "#,##0." + "0" * places


@functools.cache
def _openpyxl():
    """openpyxl, imported by the first workbook written: not by every process that imports a view
    (≈ 0.2 s and 10 MB of each management command's, import's and worker's start)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    return Workbook, WriteOnlyCell, ILLEGAL_CHARACTERS_RE, Font, get_column_letter


def _xlsx_cell(ws, value):
    """A typed cell: Decimal and numbers numeric, dates as dates, text formula-safe and always text."""
    _workbook, WriteOnlyCell, ILLEGAL_CHARACTERS_RE, _font, _letter = _openpyxl()  # noqa: N806 - openpyxl's names
    value = _local(value)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, Decimal):
        cell = WriteOnlyCell(ws, value)
        cell.number_format = _decimal_format(value)
        return cell
    if isinstance(value, datetime.datetime):
        cell = WriteOnlyCell(ws, value)
        cell.number_format = "yyyy-mm-dd hh:mm"
        return cell
    if isinstance(value, datetime.date):
        cell = WriteOnlyCell(ws, value)
        cell.number_format = "yyyy-mm-dd"
        return cell
    if isinstance(value, int | float):
        return value
    # Characters XML cannot carry (control codes from imported data) are dropped rather than failing the file.
    return ILLEGAL_CHARACTERS_RE.sub("", formula_safe(str(value)))


def _text_width(value) -> int:
    """Display width: a Chinese character takes two columns."""
    if isinstance(value, Decimal | float):
        return len(f"{value:,.2f}")
    if isinstance(value, datetime.datetime):
        return 16
    if isinstance(value, datetime.date):
        return 10
    text = "" if value is None else str(value)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def sheet_title(name: str) -> str:
    """A sheet title from an export name: no extension, none of []:*?/\\, at most Excel's 31 characters."""
    stem = PurePath(name).stem if "." in name else name
    return re.sub(r"[\[\]:*?/\\]", "-", stem)[:31] or "Sheet1"


def write_xlsx(target, header, rows, *, title: str, preamble=()) -> None:
    """Write a one-sheet workbook to `target` (a path or binary file): optional `preamble` rows (a title block),
    a bold header row, then `rows` (any iterable of sequences, consumed once, never held in memory)."""
    header = [str(h) for h in header]
    rows = iter(rows)
    sample = list(itertools.islice(rows, WIDTH_SAMPLE))
    Workbook, WriteOnlyCell, ILLEGAL_CHARACTERS_RE, Font, get_column_letter = _openpyxl()  # noqa: N806
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet_title(title))
    for index in range(len(header)):
        width = max([_text_width(header[index])] + [_text_width(r[index]) for r in sample if index < len(r)])
        ws.column_dimensions[get_column_letter(index + 1)].width = min(MAX_WIDTH, width + 2)
    ws.freeze_panes = f"A{len(preamble) + 2}"  # the header stays in view
    for row in preamble:
        ws.append([_xlsx_cell(ws, v) for v in row])
    bold = Font(bold=True)
    header_cells = []
    for text in header:
        cell = WriteOnlyCell(ws, ILLEGAL_CHARACTERS_RE.sub("", formula_safe(text)))
        cell.font = bold
        header_cells.append(cell)
    ws.append(header_cells)
    for row in itertools.chain(sample, rows):
        ws.append([_xlsx_cell(ws, v) for v in row])
    wb.save(target)


def xlsx_response(filename: str, header, rows, *, title: str | None = None, preamble=()) -> FileResponse:
    """The rows as an XLSX download, built in a temporary file so memory stays flat however long the list."""
    out = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it once sent)
    write_xlsx(out, header, rows, title=title or filename, preamble=preamble)
    out.seek(0)
    return FileResponse(out, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE)


def export_response(fmt: str, filename: str, header, rows, **xlsx_options):
    """`?export=csv` or `?export=xlsx` of the same header and rows; `filename` without its extension."""
    if fmt == "xlsx":
        return xlsx_response(f"{filename}.xlsx", header, rows, title=filename, **xlsx_options)
    return csv_response(f"{filename}.csv", header, rows)


def xlsx_bytes(workbook) -> bytes:
    """The workbook saved; text that a spreadsheet would run as a formula is stored as plain text."""
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS):
                    cell.data_type = "s"  # openpyxl would store it as a live formula
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
