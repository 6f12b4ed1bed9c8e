"""PostgreSQL, settlement file: the lines valid as written never pass through a Python csv parse.

Each line is matched by one pattern built from the header (`RowValidator.line_matcher`). Two routes:

- direct (the nightly case: new trading days, known accounts, a header with exactly the table's
  columns): a matching line goes by COPY straight into the settlement table, its account number
  swapped for the client id. No staging table, no second write: this is what keeps the import
  near the speed of a bare COPY. The row identities are then one SQL scan of the days written.
- staged (everything else, and the lines the direct route cannot take: unknown accounts, an
  empty product, lines the pattern refuses but the Python checks accept): COPY into a temporary
  table, then the set-based writer (placeholders, upsert, replacing earlier rows).

A direct COPY that meets a key already stored or repeated in the file is rolled back to its
savepoint and the whole file takes the staged route, so both routes end with the same rows.
"""

import csv
import io
import tempfile

import psycopg2
from django.db import IntegrityError, transaction

from .reader import CsvSource
from .writer_common import REPORT_ERRORS

CHUNK_LINES = 4000


class KeyCollision(Exception):
    """The direct COPY met a key that is already stored or repeated in the file."""


class _Lines:
    """Routes one file's records: fast lines to the caller, the others checked in Python first."""

    def __init__(self, validator, state, reject, direct: bool):
        self.validator = validator
        self.state = state
        self.reject = reject
        self.pattern = validator.line_matcher(direct=direct)
        self.match = self.pattern.match
        self.days: dict[str, str] = {}
        self._out = io.StringIO()
        self._csv_row = csv.writer(self._out, lineterminator="\n").writerow

    def day(self, raw: str) -> str:
        day = self.days.get(raw)
        if day is None:
            day = self.validator.day(raw) or ""
            if len(self.days) < 10000:
                self.days[raw] = day
        return day

    def checked(self, source, line: int, text: str) -> str | None:
        """A line the pattern refused: its staging CSV text when the Python checks accept it, else None."""
        cells = source.cells(line, text)
        values, problems = self.validator.check(cells)
        if problems is not None:
            self.reject(line, cells, problems, report=len(self.state["errors"]) < REPORT_ERRORS)
            return None
        self._csv_row([line, *self.validator.in_header_order(values)])
        text = self._out.getvalue()
        self._out.seek(0)
        self._out.truncate()
        return text


def _layout(validator) -> list:
    layout = [None] * validator.width
    for name, pos in validator.positions.items():
        layout[pos] = name
    return layout


def stage_lines(source, validator, writer, state, reject) -> None:
    """Every line into the staging table: as written when it matches, normalised when Python accepts it."""
    lines = _Lines(validator, state, reject, direct=False)

    def chunks():
        buf, read = [], 0
        for line, text in source.records():
            read += 1
            found = lines.match(text)
            if found is not None and lines.day(found.group("day")):
                buf.append(f"{line},{text}\n")
            else:
                checked = lines.checked(source, line, text)
                if checked is None:
                    continue
                buf.append(checked)
            if len(buf) >= CHUNK_LINES:
                yield "".join(buf)
                buf = []
        state["read"] = read
        if buf:
            yield "".join(buf)

    writer.stage_text(chunks(), _layout(validator))


def copy_direct(source, validator, writer, state, reject) -> dict:
    """The direct route; raises KeyCollision (savepoint rolled back) when a key is already there.

    Returns {"written": rows COPYed, "staged": whether leftover lines were staged, "days": [...]}.
    """
    layout = _layout(validator)
    ids = writer.client_ids()
    lines = _Lines(validator, state, reject, direct=True)
    leftovers = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115 - closed below
    held = {"n": 0}

    def chunks():
        # The hot loop of a nightly import: names bound locally, groups fetched by number in one call.
        match, ids_get, days_get, day = lines.match, ids.get, lines.days.get, lines.day
        index = lines.pattern.groupindex
        groups = (index["pre"], index["account"], index["post"], index["day"])
        buf, read = [], 0
        for line, text in source.records():
            read += 1
            found = match(text)
            if found is not None:
                pre, account, post, raw_day = found.group(*groups)
                if days_get(raw_day) or day(raw_day):
                    client = ids_get(account)
                    if client is not None:
                        buf.append(pre + client + post)
                        if len(buf) == CHUNK_LINES:
                            buf.append("")
                            yield "\n".join(buf)
                            buf = []
                        continue
                    leftovers.write(f"{line},{text}\n")  # an unknown account: a placeholder, staged
                    held["n"] += 1
                    continue
            checked = lines.checked(source, line, text)
            if checked is not None:
                leftovers.write(checked)
            held["n"] += 1
        state["read"] = read
        if buf:
            buf.append("")
            yield "\n".join(buf)

    try:
        try:
            with transaction.atomic():
                written = writer.copy_direct(chunks(), layout)
        except (IntegrityError, psycopg2.IntegrityError) as exc:  # COPY's errors come unwrapped by Django
            if "23505" not in {getattr(exc, "pgcode", None), getattr(exc.__cause__, "pgcode", None)}:
                raise
            raise KeyCollision from exc
        staged = held["n"] - state["rejected"] > 0
        if staged:
            leftovers.seek(0)
            writer.stage_text(iter(lambda: "".join(leftovers.readlines(1 << 20)), ""), layout)
        # Every valid day a line gave (a day only rejected lines had is scanned for nothing).
        return {"written": written, "staged": staged, "days": sorted({d for d in lines.days.values() if d})}
    finally:
        leftovers.close()


def first_day(path, encoding_label, validator) -> str | None:
    """The trading day of the file's first line that has a valid one (to see if the day is already stored)."""
    source = CsvSource(path, encoding_label)
    match = validator.line_matcher().match
    try:
        for _line, text in source.records():
            found = match(text)
            if found is not None:
                return validator.day(found.group("day"))
            return None
    finally:
        source.close()
    return None


def lines_of_keys(path, encoding_label, validator, keys: set) -> list[int]:
    """The lines holding the given (ISO day, account) keys, reading the file again (a rare path)."""
    source = CsvSource(path, encoding_label)
    match = validator.line_matcher().match
    out = []
    try:
        for line, text in source.records():
            found = match(text)
            if found is not None and (validator.day(found.group("day")), found.group("account")) in keys:
                out.append(line)
    finally:
        source.close()
    return out
