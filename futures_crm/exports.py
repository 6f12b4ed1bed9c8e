"""CSV export of exactly what a filtered list shows (UTF-8 with BOM so Excel reads Chinese)."""

import csv

from django.http import StreamingHttpResponse


class _Echo:
    def write(self, value):
        return value


def csv_response(filename: str, header: list[str], rows) -> StreamingHttpResponse:
    """Stream rows as CSV; `rows` is any iterable of sequences."""
    writer = csv.writer(_Echo())

    def lines():
        yield "\ufeff" + writer.writerow(header)
        for row in rows:
            yield writer.writerow(row)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
