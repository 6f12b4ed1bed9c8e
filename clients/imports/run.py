"""ImportRun: one import from its first line to its batch report, the one object every step works on."""

import json
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from django.conf import settings

from futures_crm import texts

from ..models import ImportBatch
from .formats import Format
from .progress import Progress
from .reader import CsvSource, RowsSource
from .validate import RowValidator
from .writer_pg import PgWriter

REPORT_ERRORS = 1000  # rejected rows listed in a batch's report (all of them stay in the quarantine)
# Who reads a settlement file's lines (settings.IMPORT_LINE_CHECK): "sql", PostgreSQL's COPY takes the
# lines valid as written (the direct or staged route); "python", every row is checked in Python and
# COPYed, as JSON rows and clients files always are. Both end with the same batch; tests compare them.
LINE_CHECKS = ("sql", "python")


class Rejected(Exception):
    """Bad rows in all-or-nothing mode: roll the whole file back."""


def printable(text: str) -> str:
    """A file's text for a report or the quarantine: PostgreSQL's jsonb cannot hold U+0000, shown as U+FFFD."""
    return text.replace("\x00", "\ufffd")


def _empty_result() -> dict:
    return {"written": 0, "replaced": 0, "alerts": 0, "warnings": []}


@dataclass(eq=False)
class ImportRun:
    """The batch, the file (or rows) and its checks, the spool of rejected rows, counts, result and timings."""

    batch: ImportBatch
    fmt: Format
    path: Path | None = None
    rows: list | None = None
    encoding: str = "auto"
    partial: bool = False
    reader: CsvSource | RowsSource | None = None
    validator: RowValidator | None = None
    writer: PgWriter | None = None
    # Rejected rows as JSON lines, kept out of memory until the quarantine takes them.
    spool: IO[str] = field(default_factory=lambda: tempfile.TemporaryFile("w+", encoding="utf-8"))  # noqa: SIM115
    read: int = 0
    rejected: int = 0
    errors: list[dict] = field(default_factory=list)
    lo: str | None = None  # the first and last trading day written (ISO)
    hi: str | None = None
    route: str = "plain"  # "direct" or "staged" when PostgreSQL read the lines
    result: dict = field(default_factory=_empty_result)
    warnings: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    file_error: texts.Text | None = None  # why the whole file was refused
    progress: Progress = field(default_factory=Progress)
    TICK = 4096  # rows between two updates of the progress counters (in memory; a thread writes them out)

    @property
    def dated(self) -> bool:
        return self.fmt.kind != "clients"

    @property
    def lines_in_sql(self) -> bool:
        """A settlement file whose lines PostgreSQL reads (unless IMPORT_LINE_CHECK says "python")."""
        check = settings.IMPORT_LINE_CHECK
        if check not in LINE_CHECKS:
            raise ValueError(f"IMPORT_LINE_CHECK must be one of {LINE_CHECKS}, not {check!r}")
        return self.path is not None and self.dated and check == "sql"

    @property
    def rejected_file(self) -> bool:
        return self.file_error is not None or (self.rejected > 0 and not self.partial)

    def open(self) -> None:
        """Read the header: the reader, the validator built from it, and the writer."""
        t0 = time.perf_counter()
        self.reader = CsvSource(self.path, self.encoding) if self.path is not None else RowsSource(self.rows)
        self.batch.encoding = self.reader.encoding_label
        self.progress.update(phase="reading", size=getattr(self.reader, "size", 0))
        self.validator = RowValidator(self.fmt, self.reader.header)
        self.warnings += self.validator.warnings
        self.writer = PgWriter(self)
        self.timings["open"] = round(time.perf_counter() - t0, 3)

    def source(self) -> CsvSource:
        """A fresh reader of the same file, in the encoding found (for a second look at some lines)."""
        return CsvSource(self.path, self.reader.encoding_label)

    def close(self) -> None:
        if self.reader is not None:
            self.reader.close()
        self.spool.close()

    def tick(self, read: int, written: int | None = None) -> None:
        """Progress so far: lines read, checked (read and not rejected), rejected, written, bytes read."""
        self.progress.update(read=read, checked=read - self.rejected, rejected=self.rejected,
                             bytes=self.reader.position())
        if written is not None:
            self.progress.update(written=written)

    def phase(self, name: str) -> None:
        self.progress.update(phase=name)

    def reject(self, line: int, cells: list[str], problems, report: bool | None = None) -> None:
        """Spool a rejected row for the quarantine; `report`: also list it in the batch report.

        Each problem is an entry {line, column, reason, reason_code, reason_params}: the reason as written in
        settings.LANGUAGE_CODE (what integrators read before the codes), its code and parameters to render it
        in the reader's language (clients.models.imports.row_errors)."""
        self.rejected += 1
        entries = [{"line": line, "column": c, **texts.entry(r, "reason")} for c, r in problems]
        if report is None:
            report = len(self.errors) < REPORT_ERRORS
        if report:
            self.errors.extend(entries)
        raw = {name: printable(cell) for name, cell in self.validator.raw_dict(cells).items()}
        self.spool.write(json.dumps({"line": line, "raw": raw, "errors": entries}, ensure_ascii=False) + "\n")

    def good_rows(self):
        """(line, values) of every row the Python checks accept; the others are rejected on the way."""
        read = 0
        lo = hi = None
        check, reject, dated = self.validator.check, self.reject, self.dated
        tick = self.TICK
        for line, cells in self.reader:
            read += 1
            if not read % tick:
                self.tick(read)
            values, problems = check(cells)
            if problems is None:
                if dated:
                    day = values[0]
                    if lo is None or day < lo:
                        lo = day
                    if hi is None or day > hi:
                        hi = day
                yield line, values
                continue
            reject(line, cells, problems)
        self.read, self.lo, self.hi = read, lo, hi
        self.tick(read)

    def restart(self) -> None:
        """Forget every line read so far (counts, rejects) and read the file again from its first line."""
        self.read, self.rejected, self.errors, self.lo, self.hi = 0, 0, [], None, None
        self.spool.seek(0)
        self.spool.truncate()
        self.reader.close()
        self.reader = self.source()
        self.progress.update(phase="reading", read=0, checked=0, rejected=0, written=0, bytes=0)

    def stop_if_rejected(self) -> None:
        """All-or-nothing: any rejected row rolls the whole file back."""
        if self.rejected and not self.partial:
            raise Rejected
