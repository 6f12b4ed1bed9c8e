"""PostgreSQL, settlement file: the lines valid as written never pass through a Python csv parse.

Each line is matched by one pattern built from the header (`RowValidator.line_matcher`). Two routes:

- direct (the nightly case: new trading days, known accounts, a header with exactly the table's
  columns): a matching line goes by COPY straight into the settlement table, its account number
  swapped for the client id. No staging table, no second write: this is what keeps the import
  near the speed of a bare COPY. The row identities are checked inside the COPY (a row breaking one
  is not written; only when rows are missing is the file read again to name the lines), and the
  lines raising an alert are found as the blocks go by, then their rows looked up by key.
- staged (everything else, and the lines the direct route cannot take: unknown accounts, an
  empty product, lines the pattern refuses but the Python checks accept): COPY into a temporary
  table, then the set-based writer (placeholders, upsert, replacing earlier rows).

A direct COPY that meets a key already stored or repeated in the file is rolled back to its
savepoint and the whole file takes the staged route, so both routes end with the same rows.
Every function here works on the one `ImportRun` (its reader, validator, writer, rejects, counts).
"""

import csv
import io
import os
import re
import tempfile
import time

import psycopg2
from django.db import IntegrityError, transaction

from .reader import BLOCK
from .rules import ALERTS
from .run import REPORT_ERRORS
from .writer_pg import KeyCollision

CHUNK_LINES = 4000


def import_file(run) -> dict:
    """A settlement file: the direct route when it applies, else (or on a key collision) staged."""
    writer = run.writer
    if writer.direct_ok():
        t0 = time.perf_counter()
        day = first_day(run)
        stored = bool(day) and writer.has_day(day)
        run.timings["probe"] = round(time.perf_counter() - t0, 3)
        if day and not stored:
            # The months' partitions before the COPY, from the first line's day to the last's (clients/partitions.py).
            writer.ensure_months(*sorted([day, last_day(run) or day]))
            try:
                with transaction.atomic():
                    run.route = "direct"
                    return _direct(run)
            except KeyCollision:
                # Rows of these days are stored already, or the file repeats a key: start again, staged.
                run.restart()
    run.route = "staged"
    stage_lines(run)
    run.phase("writing")
    _staged_identities(run)
    run.lo, run.hi = writer.day_range()
    run.stop_if_rejected()
    return writer.apply()


def _direct(run) -> dict:
    writer = run.writer
    copied = copy_direct(run)
    run.phase("writing")
    if copied["staged"]:
        _staged_identities(run)
    # The direct COPY wrote no row breaking an identity; its lines are quarantined with the Python checks' messages.
    _explain(run, copied["broken"])
    days = copied["days"] + ([d for d in writer.day_range() if d] if copied["staged"] else [])
    run.lo, run.hi = (min(days), max(days)) if days else (None, None)
    run.stop_if_rejected()
    return writer.apply_direct(written=copied["written"], staged=copied["staged"], flagged=copied["flagged"],
                               days=copied["days"])


def _staged_identities(run) -> None:
    failed = run.writer.identity_failures()
    if failed:
        kept = _explain(run, failed)
        run.writer.discard(sorted(set(failed) - kept))


def _explain(run, lines: list[int]) -> set[int]:
    """Rows SQL found breaking an identity: read them again for the same messages as the Python checks.

    Returns the lines that pass after all (cannot happen: the same identities; never drop a good row).
    """
    if not lines:
        return set()
    source = run.source()
    wanted, last, reported, kept = set(lines), max(lines), 0, set()
    try:
        for line, text in source.records():
            if line > last:
                break
            if line not in wanted:
                continue
            cells = source.cells(line, text)
            values, problems = run.validator.check(cells)
            if problems is None:
                kept.add(line)
                continue
            run.reject(line, cells, problems, report=reported < REPORT_ERRORS)
            reported += 1
    finally:
        source.close()
    # Report the first rejected rows by line, as the Python checks do (they meet them in file order).
    errors, first = sorted(run.errors, key=lambda e: e["line"]), []
    for entry in errors:
        if len(first) >= REPORT_ERRORS and entry["line"] != first[-1]["line"]:
            break
        first.append(entry)
    run.errors = first
    return kept


class _Lines:
    """Routes one file's records: fast lines to the caller, the others checked in Python first."""

    def __init__(self, run, direct: bool):
        self.validator = run.validator
        self.reject = run.reject
        self.pattern = self.validator.line_matcher(direct=direct)
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
            self.reject(line, cells, problems)
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


def stage_lines(run) -> None:
    """Every line into the staging table: as written when it matches, normalised when Python accepts it."""
    source = run.reader
    lines = _Lines(run, direct=False)

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
                run.tick(read)
                yield "".join(buf)
                buf = []
        run.read = read
        run.tick(read)
        if buf:
            yield "".join(buf)

    run.writer.stage_text(chunks(), _layout(run.validator))


def _calm(run) -> dict[str, str]:
    """The account columns of `rules.ALERTS` and their signs: a line whose cells there match
    `line_matcher(calm=…)` raises no alert (no columns for other kinds)."""
    return {rule.column: rule.op for rule in ALERTS} if run.fmt.kind == "accounts" else {}


def _whole_blocks(run, ids: dict[str, str], lines: "_Lines", flagged: tuple[list, list]):
    """A function taking a block of plain lines (`CsvSource.pieces`) in one piece, C-level throughout.

    It returns (COPY data, lines) when every line of the block is ASCII, matches the direct pattern,
    has a real trading day and a known account; else None, and the caller reads the block line by
    line (so every refusal is still decided, and worded, by the per-line route). The block is matched
    by lines raising no alert (`calm`); where that match stops, the line is either one raising an alert
    (valid as a whole: its ISO day and client id go to `flagged`) or not valid. So the alert lines are
    found by the same walk that checks the block, not by another pass.
    """
    validator = run.validator
    at, on = validator.positions["account_id"], validator.positions["trade_date"]
    calm = validator.block_matcher(_calm(run)).match
    one_line = validator.block_matcher(repeat="").fullmatch
    # "\n" + the cells before the account, the account, the rest of the line: 3 strings a line.
    split = re.compile(rb"(\n(?:[^,\n]*,){%d})([^,\n]*)" % at).split
    days_of = re.compile(rb"\n(?:[^,\n]*,){%d}([^,\n]*)" % on).findall
    client = {a.encode(): c.encode() for a, c in ids.items() if a.isascii()}.__getitem__
    days_get, day = lines.days.get, lines.day

    def take(text: str):
        if not text.isascii():
            return None
        data = text.encode("ascii")
        if b"\r" in data:
            data = data.replace(b"\r\n", b"\n")  # COPY wants one kind of line end; the pieces are LF
        raising, pos, end = [], 0, len(data)
        while (pos := calm(data, pos).end()) < end:
            stop = data.find(b"\n", pos) + 1
            if not stop or one_line(data, pos, stop) is None:
                return None
            raising.append(data[pos:stop - 1].split(b","))
            pos = stop
        parts = split(b"\n" + data)
        # The distinct trading days: the prefixes when the day is the first cell and the account the second.
        found = {p[1:-1] for p in set(parts[1::3])} if (on, at) == (0, 1) else set(days_of(b"\n" + data))
        for raw in found:
            raw = raw.decode("ascii")
            if not (days_get(raw) or day(raw)):
                return None
        try:
            parts[2::3] = map(client, parts[2::3])
        except KeyError:  # an unknown account: its line gets a placeholder client, staged
            return None
        for cells in raising:
            flagged[0].append(day(cells[on].decode("ascii")))
            flagged[1].append(client(cells[at]).decode("ascii"))
        return b"".join(parts)[1:], len(parts) // 3

    return take


def _direct_lines(run, ids: dict[str, str], lines: _Lines):
    """The lines the direct COPY took, read again, each after its line number (for `broken_lines`).

    The same test as the COPY's: the direct pattern, a real trading day, a known account.
    """
    source = run.source()
    match, day = lines.match, lines.day
    index = lines.pattern.groupindex
    groups = (index["pre"], index["account"], index["post"], index["day"])
    buf = []
    try:
        for line, text in source.records():
            found = match(text)
            if found is None:
                continue
            pre, account, post, raw_day = found.group(*groups)
            client = ids.get(account)
            if client is not None and day(raw_day):
                buf.append(f"{line},{pre}{client}{post}\n")
                if len(buf) == CHUNK_LINES:
                    yield "".join(buf)
                    buf = []
        if buf:
            yield "".join(buf)
    finally:
        source.close()


def copy_direct(run) -> dict:
    """The direct route; raises KeyCollision (savepoint rolled back) when a key is already there.

    Returns {"written": rows COPYed, "staged": whether leftover lines were staged, "days": [...], "broken":
    the lines whose rows broke an identity (not written), "flagged": (days, client ids) raising an alert}.
    """
    source, writer = run.reader, run.writer
    layout = _layout(run.validator)
    t0 = time.perf_counter()
    ids = writer.client_ids()
    lines = _Lines(run, direct=True)
    flagged = ([], [])  # (ISO days, client ids) of the lines raising an alert
    take = _whole_blocks(run, ids, lines, flagged)
    calm = run.validator.line_matcher(direct=True, calm=_calm(run)).match
    run.timings["client_map"] = round(time.perf_counter() - t0, 3)
    leftovers = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115 - closed below
    held = {"n": 0, "sent": 0}

    def chunks():
        # The hot loop of a nightly import: most of the file comes as blocks of plain lines, taken
        # whole; the lines of a block it cannot take (and every other record) one by one, names bound
        # locally, groups fetched by number in one call.
        match, ids_get, days_get, day = lines.match, ids.get, lines.days.get, lines.day
        index = lines.pattern.groupindex
        groups = (index["pre"], index["account"], index["post"], index["day"])
        buf, read, sent = [], 0, 0
        for kind, first, piece in source.pieces():
            if kind is BLOCK:
                taken = take(piece)
                if taken is not None:
                    data, count = taken
                    read += count
                    sent += count
                    held["sent"] = sent
                    run.tick(read, written=sent + len(buf))
                    yield data
                    continue
                records = source.block_records(first, piece)
            else:
                records = ((first, piece),)
            for line, text in records:
                read += 1
                found = match(text)
                if found is not None:
                    pre, account, post, raw_day = found.group(*groups)
                    if days_get(raw_day) or day(raw_day):
                        client = ids_get(account)
                        if client is not None:
                            if calm(text) is None:  # a line raising an alert
                                flagged[0].append(days_get(raw_day))
                                flagged[1].append(client)
                            buf.append(pre + client + post)
                            if len(buf) == CHUNK_LINES:
                                sent += CHUNK_LINES
                                held["sent"] = sent
                                run.tick(read, written=sent)
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
        run.read = read
        held["sent"] = sent + len(buf)
        run.tick(read, written=held["sent"])
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
        # Rows not written broke an identity (the COPY's WHERE): only then read the file again to find them.
        broken = (writer.broken_lines(_direct_lines(run, ids, lines), layout) if written < held["sent"] else [])
        days = sorted({d for d in lines.days.values() if d})
        writer.ensure_days(days)  # a month not made before the COPY: out of the default partition, into its own
        staged = held["n"] - run.rejected > 0
        if staged:
            leftovers.seek(0)
            writer.stage_text(iter(lambda: "".join(leftovers.readlines(1 << 20)), ""), layout)
        # Every valid day a line gave (a day only rejected lines had is scanned for nothing).
        return {"written": written, "staged": staged, "days": days, "broken": broken, "flagged": flagged}
    finally:
        leftovers.close()


def first_day(run) -> str | None:
    """The trading day of the file's first line that has a valid one (to see if the day is already stored)."""
    source, validator = run.source(), run.validator
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


def last_day(run) -> str | None:
    """The trading day of the file's last line, read from the file's end (None when it has none to give).

    A file in date order (as the back-office writes them) then has its months made before the COPY; the
    rows of a month made only after it would go through the default partition (see clients/partitions.py).
    """
    with open(run.path, "rb") as f:
        f.seek(max(0, os.path.getsize(run.path) - 65536))
        tail = f.read().decode(run.reader.encoding, errors="ignore")
    lines = [line for line in tail.splitlines()[1:] if line.strip()] or tail.splitlines()[-1:]
    found = run.validator.line_matcher().match(lines[-1]) if lines else None
    return run.validator.day(found.group("day")) if found is not None else None
