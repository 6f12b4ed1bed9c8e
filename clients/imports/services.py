"""import_run: the one entry point every way in (command, page, API, drop folder) calls."""

import hashlib
import json
import shutil
import time
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from futures_crm.audit import audit_record

from ..models import ImportBatch, QuarantinedRow
from ..models.imports import BatchStatus, ImportSource, QuarantineStatus
from . import pg_file
from .formats import FORMATS
from .reader import FileRejected, file_checksum
from .run import REPORT_ERRORS, ImportRun, Rejected
from .writer_common import settlement_mismatches

QUARANTINE_CHUNK = 2000


def _rows_checksum(rows) -> str:
    return hashlib.sha256(json.dumps(rows, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def import_run(*, kind: str, path=None, rows=None, by=None, partial: bool = False, encoding: str = "auto",
               source: str = ImportSource.COMMAND, file_name: str = "") -> ImportBatch:
    """Validate and import one file (or list of row objects) of `kind`; always returns its recorded batch."""
    fmt = FORMATS.get(kind)
    if fmt is None:
        raise ValueError(f"unknown kind {kind!r}")
    if (path is None) == (rows is None):
        raise ValueError("give exactly one of path and rows")
    checksum = file_checksum(path) if path is not None else _rows_checksum(rows)
    batch = ImportBatch.objects.create(
        kind=kind, source=source, file_name=file_name or (Path(path).name if path is not None else ""),
        checksum=checksum, partial=partial,
        created_by=by if getattr(by, "is_authenticated", False) else None,
    )
    previous = (ImportBatch.objects.filter(kind=kind, checksum=checksum,
                                           status__in=[BatchStatus.IMPORTED, BatchStatus.PARTIAL])
                .exclude(pk=batch.pk).order_by("started_at").first())
    if previous is not None:
        return _finish(batch, BatchStatus.DUPLICATE, report={"message": _(
            "This file was already imported as batch #%(id)s on %(when)s; nothing was changed.")
            % {"id": previous.pk, "when": timezone.localtime(previous.started_at).strftime("%Y-%m-%d %H:%M")},
            "previous_batch": previous.pk})

    run = ImportRun(batch=batch, fmt=fmt, path=path, rows=rows, encoding=encoding, partial=partial)
    try:
        with transaction.atomic():
            run.open()
            if run.lines_in_sql:
                run.result = pg_file.import_file(run)
            else:
                run.writer.stage(run.good_rows())
                run.stop_if_rejected()
                run.result = run.writer.apply()
            _after_write(run)
    except FileRejected as exc:
        run.file_error = str(exc)
    except Rejected:
        run.result = {"written": 0, "replaced": 0, "alerts": 0, "warnings": []}
    finally:
        run.close()
    return _record(run)


def _after_write(run: ImportRun) -> None:
    """Warnings about what was written: repeated keys, the writer's own, and the contract cross-check."""
    staged = run.read - run.rejected
    if run.dated and run.result["written"] < staged:
        run.warnings.append(_("%(n)s row(s) repeat a key already given earlier in the file; the last one counts.")
                            % {"n": staged - run.result["written"]})
    run.warnings += run.result["warnings"]
    if run.dated:
        t0 = time.perf_counter()
        run.warnings += settlement_mismatches(run.lo, run.hi)
        run.timings["cross_check"] = round(time.perf_counter() - t0, 3)


def _record(run: ImportRun) -> ImportBatch:
    """Quarantine the rejected rows and write the batch's counts, status and report."""
    batch, result = run.batch, run.result
    rejected_file = run.rejected_file
    _quarantine(batch, run.spool, QuarantineStatus.REJECTED_FILE if rejected_file else QuarantineStatus.OPEN)
    batch.rows_read = run.read
    batch.rows_rejected = run.rejected
    batch.rows_written = result["written"]
    batch.rows_replaced = result["replaced"]
    batch.warnings = run.warnings
    if not rejected_file and run.lo:
        batch.date_from, batch.date_to = run.lo, run.hi
    if run.file_error:
        status = BatchStatus.REJECTED
        message = run.file_error
    elif rejected_file:
        status = BatchStatus.REJECTED
        message = _("%(n)s row(s) failed the checks, so the whole file was rejected and nothing was written.") % {
            "n": run.rejected}
    elif run.rejected:
        status = BatchStatus.PARTIAL
        message = _("%(n)s row(s) failed the checks and were quarantined; the other rows were written.") % {
            "n": run.rejected}
    else:
        status = BatchStatus.IMPORTED
        message = _("Imported.")
    return _finish(batch, status, report={
        "message": message, "file_error": run.file_error, "errors": run.errors,
        "errors_truncated": run.rejected > 0 and len(run.errors) >= REPORT_ERRORS,
        "alerts": result["alerts"], "timings": run.timings, "route": run.route,
    })


def _finish(batch, status, report) -> ImportBatch:
    batch.status = status
    batch.report = report
    batch.finished_at = timezone.now()
    batch.save()
    if status in {BatchStatus.IMPORTED, BatchStatus.PARTIAL}:
        # One audit entry per batch (not per row): the batch itself lists what it changed.
        audit_record(actor=batch.created_by, action=f"import.{batch.kind}", obj=batch, after={
            "file_name": batch.file_name, "checksum": batch.checksum, "rows_written": batch.rows_written,
            "rows_replaced": batch.rows_replaced, "rows_rejected": batch.rows_rejected})
    return batch


def _quarantine(batch, spool, status) -> None:
    """Every rejected row is kept, raw, with its reasons: nothing is ever silently dropped."""
    spool.seek(0)
    chunk = []
    for text in spool:
        item = json.loads(text)
        chunk.append(QuarantinedRow(batch=batch, line=item["line"], raw=item["raw"], errors=item["errors"],
                                    status=status))
        if len(chunk) == QUARANTINE_CHUNK:
            QuarantinedRow.objects.bulk_create(chunk)
            chunk = []
    if chunk:
        QuarantinedRow.objects.bulk_create(chunk)
    spool.close()


def _require_open(row: QuarantinedRow) -> None:
    if row.status != QuarantineStatus.OPEN:
        raise ValidationError(_("This row is not open any more."), code="not_open")


def quarantine_rerun(*, row: QuarantinedRow, raw: dict, by) -> ImportBatch:
    """Run a corrected quarantined row through the same checks and writer; it is fixed when it imports.

    The row is locked for the run: two people re-running it at once import it once.
    """
    with transaction.atomic():
        row.status = QuarantinedRow.objects.select_for_update().values_list("status", flat=True).get(pk=row.pk)
        _require_open(row)
        return _rerun(row, raw, by)


def _rerun(row: QuarantinedRow, raw: dict, by) -> ImportBatch:
    batch = import_run(kind=row.batch.kind, rows=[raw], by=by, source=ImportSource.QUARANTINE,
                       file_name=_("quarantine row %(id)s (batch #%(b)s, line %(l)s)")
                       % {"id": row.pk, "b": row.batch_id, "l": row.line})
    row.raw = raw
    if batch.status in {BatchStatus.IMPORTED, BatchStatus.DUPLICATE}:
        row.status = QuarantineStatus.FIXED
        row.fixed_batch = batch
    else:
        # The re-run is line 1 of its own batch; the row keeps the line it had in its file.
        row.errors = [{**e, "line": row.line} for e in batch.report.get("errors") or []] or [
            {"line": row.line, "column": "", "reason": batch.report.get("message", "")}]
    row.save()
    return batch


def quarantine_discard(*, row: QuarantinedRow, by) -> QuarantinedRow:
    """Give up on a quarantined row (it stays visible, marked discarded)."""
    _require_open(row)
    row.status = QuarantineStatus.DISCARDED
    row.save(update_fields=["status", "updated_at"])
    return row


DROP_KINDS = {"clients": "clients", "客户资料": "clients", "accounts": "accounts", "资金日结": "accounts",
              "contracts": "contracts", "成交持仓汇总": "contracts"}


def kind_from_name(name: str) -> str | None:
    """`accounts_20250102.csv`, `资金日结20250102.csv` → accounts."""
    lowered = name.lower()
    for prefix, kind in DROP_KINDS.items():
        if lowered.startswith(prefix):
            return kind
    return None


def batch_report_text(batch: ImportBatch) -> str:
    """The plain-text report the command prints and the drop folder writes beside each file."""
    lines = [
        _("Batch #%(id)s, %(kind)s, %(file)s: %(status)s") % {
            "id": batch.pk, "kind": batch.kind, "file": batch.file_name, "status": batch.get_status_display()},
        str(batch.report.get("message", "")),
        _("rows read %(r)s, written %(w)s (of which replaced %(rp)s), rejected %(rj)s") % {
            "r": batch.rows_read, "w": batch.rows_written, "rp": batch.rows_replaced, "rj": batch.rows_rejected},
    ]
    if batch.date_from:
        lines.append(_("trading days %(a)s to %(b)s") % {"a": batch.date_from, "b": batch.date_to})
    if batch.report.get("alerts"):
        lines.append(_("alerts raised: %(n)s") % {"n": batch.report["alerts"]})
    for warning in batch.warnings:
        lines.append(_("warning: %(w)s") % {"w": warning})
    for error in batch.report.get("errors", []):
        lines.append(_("line %(line)s, column %(column)s: %(reason)s") % error)
    if batch.report.get("errors_truncated"):
        lines.append(_("… more rejected rows are in the quarantine list of this batch."))
    return "\n".join(lines) + "\n"


def import_drop_folder(folder=None) -> list[ImportBatch]:
    """Import every file in the drop folder; move each to processed/ or failed/ with its report beside it."""
    folder = Path(folder or settings.IMPORT_DROP_DIR)
    working, processed, failed = folder / "working", folder / "processed", folder / "failed"
    for d in (working, processed, failed):
        d.mkdir(parents=True, exist_ok=True)
    batches = []
    # A producer writes `name.part` (or `.tmp`, or a dot file) and renames it when complete.
    ready = (p for p in folder.iterdir()
             if p.is_file() and not p.name.startswith(".") and p.suffix.lower() not in {".part", ".tmp"})
    for path in sorted(ready):
        claimed = working / path.name
        try:
            path.rename(claimed)  # atomic: a second worker finds the file gone and skips it
        except FileNotFoundError:
            continue
        kind = kind_from_name(path.name)
        if kind is None:
            target = failed / path.name
            shutil.move(claimed, target)
            target.with_name(target.name + ".report.txt").write_text(
                _("The file name must start with clients, accounts or contracts (or 客户资料, 资金日结, 成交持仓汇总)."
                  ) + "\n", encoding="utf-8")
            continue
        batch = import_run(kind=kind, path=claimed, source=ImportSource.DROP, file_name=path.name)
        target = (processed if batch.ok else failed) / path.name
        shutil.move(claimed, target)
        target.with_name(target.name + ".report.txt").write_text(batch_report_text(batch), encoding="utf-8")
        batches.append(batch)
    return batches
