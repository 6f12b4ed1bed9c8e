"""CSV export of exactly what a filtered list shows (UTF-8 with BOM so Excel reads Chinese).

Every exported text is formula-safe: a spreadsheet runs a cell beginning with = + - @ (or a tab or
carriage return) as a formula, so such text (a client named `=HYPERLINK(…)`) goes out as text.
"""

import csv
import io
import re

from django.http import StreamingHttpResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"[+-]?\d[\d,]*(\.\d+)?")


def formula_safe(value):
    """Text a spreadsheet would run as a formula, prefixed with ' so it shows as typed; numbers untouched."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not NUMBER.fullmatch(value):
        return "'" + value
    return value


class _Echo:
    def write(self, value):
        return value


def csv_response(filename: str, header: list[str], rows) -> StreamingHttpResponse:
    """Stream rows as CSV; `rows` is any iterable of sequences."""
    writer = csv.writer(_Echo())

    def lines():
        yield "\ufeff" + writer.writerow([formula_safe(h) for h in header])
        for row in rows:
            yield writer.writerow([formula_safe(v) for v in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


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
