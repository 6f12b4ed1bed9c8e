"""import_run and import_submit: the entry points every way in (command, page, API, drop folder) calls.

A batch's life: it is claimed (committed, `running`, or `queued` for a worker when a request sent the
file), then the import runs in a transaction of its own whose last step records the outcome, so the
rows and the batch saying "imported" commit together. A rejected file rolls its rows back and records
the rejection (and the quarantined rows) in a second transaction. Any failure (an exception, a killed
database backend, a time limit) rolls everything back and marks the batch failed, reconnecting first
if the connection died. A batch whose worker vanished (its heartbeat stopped) is failed by
`import_fail_stale`, when it is next looked at or by the periodic sweep.
"""

import datetime
import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from futures_crm import texts
from futures_crm.audit import audit_record

from ..models import ImportBatch, QuarantinedRow
from ..models.imports import LIVE_STATUSES, WRITTEN_STATUSES, BatchStatus, ImportSource, QuarantineStatus
from . import pg_file
from .formats import FORMATS
from .progress import STALE_AFTER, Progress
from .reader import ENCODINGS, FileRejected, check_text, file_checksum
from .run import REPORT_ERRORS, ImportRun, Rejected, printable
from .writer_common import settlement_mismatches

logger = logging.getLogger(__name__)

QUARANTINE_CHUNK = 2000
UPLOAD_CHUNK = 1 << 20
FAILURE_TEXT = 500  # characters of an error's own message kept in the report


class Superseded(Exception):
    """The batch is no longer running (the stale sweep failed it): this import must not commit."""


def _rows_checksum(rows) -> str:
    return hashlib.sha256(json.dumps(rows, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def upload_dir() -> Path:
    """Where uploaded files wait for their worker (under MEDIA_ROOT, shared by the web and the workers)."""
    return Path(settings.MEDIA_ROOT) / "imports"


def import_run(*, kind: str, path=None, rows=None, by=None, partial: bool = False, encoding: str = "auto",
               source: str = ImportSource.COMMAND, file_name: str = "") -> ImportBatch:
    """Validate and import one file (or list of row objects) of `kind` now; always returns its recorded batch."""
    fmt = FORMATS.get(kind)
    if fmt is None:
        raise ValueError(f"unknown kind {kind!r}")
    if (path is None) == (rows is None):
        raise ValueError("give exactly one of path and rows")
    t0 = time.perf_counter()
    checksum = file_checksum(path) if path is not None else _rows_checksum(rows)
    t1 = time.perf_counter()
    batch = _claim(kind=kind, checksum=checksum, status=BatchStatus.RUNNING, source=source, partial=partial,
                   file_name=file_name or (Path(path).name if path is not None else ""), by=by)
    if batch.status == BatchStatus.DUPLICATE:
        return batch
    timings = {"checksum": round(t1 - t0, 3), "claim": round(time.perf_counter() - t1, 3)}
    return _execute(batch, path=path, rows=rows, encoding=encoding, timings=timings)


# -- one batch per file: the claim ---------------------------------------------------------------------------

def _lock_checksum(kind: str, checksum: str) -> None:
    """A transaction-level advisory lock on (kind, checksum): two claims of the same file run one after the other."""
    key = int.from_bytes(hashlib.sha256(f"import:{kind}:{checksum}".encode()).digest()[:8], "big", signed=True)
    with connection.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def _claim(*, kind: str, checksum: str, status: str, by, **fields) -> ImportBatch:
    """The batch of a file, committed before its import starts (unless a caller's transaction is open).

    When the same file (kind and checksum) is already imported, or being imported, the new batch is a
    DUPLICATE pointing to that one and nothing runs. The lock on the checksum decides a race: of two
    requests with the same file at the same moment, the second waits until the first's batch is
    committed, then finds it.
    """
    created_by = by if getattr(by, "is_authenticated", False) else None
    with transaction.atomic():
        _lock_checksum(kind, checksum)
        import_fail_stale(ImportBatch.objects.filter(kind=kind, checksum=checksum))
        previous = (ImportBatch.objects.filter(kind=kind, checksum=checksum,
                                               status__in=[*LIVE_STATUSES, *WRITTEN_STATUSES])
                    .order_by("started_at", "pk").first())
        if previous is None:
            return ImportBatch.objects.create(
                kind=kind, checksum=checksum, status=status, created_by=created_by,
                heartbeat_at=timezone.now() if status == BatchStatus.RUNNING else None,
                progress={"phase": "queued" if status == BatchStatus.QUEUED else "reading"}, **fields)
        when = timezone.localtime(previous.started_at).strftime("%Y-%m-%d %H:%M")
        message = texts.text("import.in_progress" if previous.live else "import.duplicate", id=previous.pk, when=when)
        fields.pop("upload", None)
        return ImportBatch.objects.create(
            kind=kind, checksum=checksum, status=BatchStatus.DUPLICATE, created_by=created_by,
            finished_at=timezone.now(), report={"message": message.stored(), "previous_batch": previous.pk},
            **fields)


# -- the import and its outcome ------------------------------------------------------------------------------

def _execute(batch: ImportBatch, *, path=None, rows=None, encoding: str = "auto", timings=None) -> ImportBatch:
    """Run a claimed batch's import; whatever happens, the batch ends with its outcome recorded.

    `timings`: seconds of the steps before (checksum, claim), which the report lists with the others."""
    run = ImportRun(batch=batch, fmt=FORMATS[batch.kind], path=path, rows=rows, encoding=encoding,
                    partial=batch.partial, progress=Progress(batch.pk, live=not connection.in_atomic_block),
                    timings=dict(timings or {}))
    try:
        with run.progress:
            return _write(run)
    except Exception as exc:
        logger.exception("import batch %s failed", batch.pk)
        return _fail(run, exc)
    except BaseException as exc:  # stopped (Ctrl-C, a worker's shutdown): say so, then stop
        _fail(run, exc)
        raise
    finally:
        run.close()


def _write(run: ImportRun) -> ImportBatch:
    """Import in one transaction that ends by recording the outcome: the rows and "imported" commit together.

    A rejected file (a bad row in all-or-nothing mode, or a file refused while reading) rolls its rows
    back; its rejection and quarantined rows are recorded in a transaction of their own.
    """
    try:
        with transaction.atomic():
            run.open()
            if run.lines_in_sql:
                run.result = pg_file.import_file(run)
            else:
                run.writer.stage(run.good_rows())
                run.stop_if_rejected()
                run.phase("writing")
                run.result = run.writer.apply()
            _after_write(run)
            return _record(run)
    except FileRejected as exc:
        run.file_error = exc.reason
    except Rejected:
        run.result = {"written": 0, "replaced": 0, "alerts": 0, "warnings": []}
    with transaction.atomic():
        return _record(run)


def _after_write(run: ImportRun) -> None:
    """Warnings about what was written: repeated keys, the writer's own, and the contract cross-check."""
    run.phase("finishing")
    run.progress.update(written=run.result["written"])
    staged = run.read - run.rejected
    if run.dated and run.result["written"] < staged:
        run.warnings.append(texts.text("import.repeated_keys", n=staged - run.result["written"]))
    run.warnings += run.result["warnings"]
    if run.dated:
        t0 = time.perf_counter()
        run.warnings += settlement_mismatches(run.lo, run.hi)
        run.timings["cross_check"] = round(time.perf_counter() - t0, 3)


def _locked_if(batch: ImportBatch, status: str) -> bool:
    """Lock the batch row if it still has `status` (the stale sweep, or a commit, may have ended it meanwhile)."""
    return ImportBatch.objects.select_for_update().filter(pk=batch.pk, status=status).exists()


def _hold(batch: ImportBatch) -> None:
    """Lock the batch row, which must still be running; else (the stale sweep failed it) Superseded."""
    if not _locked_if(batch, BatchStatus.RUNNING):
        raise Superseded(texts.text("import.stale"))


def _record(run: ImportRun) -> ImportBatch:
    """Quarantine the rejected rows and write the batch's counts, status and report (in the caller's transaction)."""
    run.progress.stop()  # no progress write may follow (or wait on) the outcome
    batch, result = run.batch, run.result
    _hold(batch)
    rejected_file = run.rejected_file
    _quarantine(batch, run.spool, QuarantineStatus.REJECTED_FILE if rejected_file else QuarantineStatus.OPEN)
    batch.rows_read = run.read
    batch.rows_rejected = run.rejected
    batch.rows_written = result["written"]
    batch.rows_replaced = result["replaced"]
    batch.warnings = [texts.stored(w) if isinstance(w, texts.Text) else printable(w) for w in run.warnings]
    if not rejected_file and run.lo:
        batch.date_from, batch.date_to = run.lo, run.hi
    if run.file_error:
        status = BatchStatus.REJECTED
        message = run.file_error
    elif rejected_file:
        status = BatchStatus.REJECTED
        message = texts.text("import.rejected_file", n=run.rejected)
    elif run.rejected:
        status = BatchStatus.PARTIAL
        message = texts.text("import.partial", n=run.rejected)
    else:
        status = BatchStatus.IMPORTED
        message = texts.text("import.imported")
    batch.progress = {**run.progress.snapshot(), "phase": "done", "read": run.read, "rejected": run.rejected,
                      "checked": run.read - run.rejected, "written": result["written"]}
    return _finish(batch, status, report={
        "message": texts.stored(message), **_file_error(run.file_error), "errors": run.errors,
        "errors_truncated": run.rejected > 0 and len(run.errors) >= REPORT_ERRORS,
        "alerts": result["alerts"], "timings": run.timings, "route": run.route,
    })


def _file_error(reason: texts.Text | None) -> dict:
    """The report's `file_error` (as written in settings.LANGUAGE_CODE, None when the file was read) and its
    `file_error_code`, `file_error_params`."""
    return texts.entry(reason, "file_error") if reason is not None else {"file_error": None}


def _finish(batch, status, report) -> ImportBatch:
    batch.status = status
    batch.report = report
    batch.finished_at = timezone.now()
    batch.upload = ""
    batch.save()
    if status in {BatchStatus.IMPORTED, BatchStatus.PARTIAL}:
        # One audit entry per batch (not per row): the batch itself lists what it changed.
        audit_record(actor=batch.created_by, action=f"import.{batch.kind}", obj=batch, after={
            "file_name": batch.file_name, "checksum": batch.checksum, "rows_written": batch.rows_written,
            "rows_replaced": batch.rows_replaced, "rows_rejected": batch.rows_rejected})
    return batch


def _end_failed(batch: ImportBatch, kind: str, message: texts.Text) -> ImportBatch:
    """End a batch failed: its import rolled back (or never ran), so no rows, no warnings; the reason why."""
    batch.rows_read = batch.rows_written = batch.rows_replaced = batch.rows_rejected = 0
    batch.warnings = []
    batch.progress = {**batch.progress, "phase": "done"}
    return _finish(batch, BatchStatus.FAILED, report={"message": texts.stored(message), "failure": kind,
                                                      **_file_error(None), "errors": []})


def _failure(exc: BaseException) -> tuple[str, texts.Text]:
    """(kind, the sentence a user reads) for an import that did not finish."""
    # Imported here, on a failure: celery.exceptions loads kombu (≈ 0.1 s of every import's start otherwise).
    from celery.exceptions import SoftTimeLimitExceeded

    if isinstance(exc, SoftTimeLimitExceeded):
        return "timeout", texts.text("import.timeout", n=settings.IMPORT_TIME_LIMIT)
    if isinstance(exc, Superseded):
        return "stale", exc.args[0]
    detail = (f"{type(exc).__name__}: {exc}".strip().rstrip(":"))[:FAILURE_TEXT]
    if not isinstance(exc, Exception):
        return "stopped", texts.text("import.stopped", error=detail)
    return "error", texts.text("import.failed", error=detail)


def _fail(run: ImportRun, exc: BaseException) -> ImportBatch:
    """Mark a batch failed after its import's transaction was rolled back (so nothing of it is written).

    The connection may have died with the import (a killed backend, a restarted server): reconnect
    first. Inside a caller's transaction there is nothing to reconnect to: the caller gets the error.
    """
    run.progress.stop()
    batch = run.batch
    if connection.in_atomic_block:
        if connection.connection is None or connection.needs_rollback or not connection.is_usable():
            raise exc
    elif connection.connection is not None and not connection.is_usable():
        connection.close()  # the next query opens a new connection
    with transaction.atomic():
        # Unless it did commit after all (the connection died during COMMIT) or was failed already.
        if _locked_if(batch, BatchStatus.RUNNING):
            batch.progress = run.progress.snapshot()
            _end_failed(batch, *_failure(exc))
    batch.refresh_from_db()
    return batch


def import_fail_stale(queryset=None) -> list[ImportBatch]:
    """Fail the batches at work that nobody works on any more: running with no heartbeat for STALE_AFTER
    (the worker was killed or restarted), or queued longer than IMPORT_TIME_LIMIT (no worker took it).

    Their import's transaction died with them, so nothing of them is written. A batch being recorded holds
    its row lock and is skipped.
    """
    queued_for = datetime.timedelta(seconds=settings.IMPORT_TIME_LIMIT)
    stale = (queryset if queryset is not None else ImportBatch.objects.all()).stale(
        now=timezone.now(), silent_for=STALE_AFTER, queued_for=queued_for)
    with transaction.atomic():
        batches = list(stale.select_for_update(skip_locked=True))
        uploads = [batch.upload for batch in batches if batch.upload]
        for batch in batches:
            if batch.status == BatchStatus.QUEUED:
                message = texts.text("import.not_started", n=int(queued_for.total_seconds() // 60))
            else:
                last = timezone.localtime(batch.heartbeat_at or batch.started_at).strftime("%Y-%m-%d %H:%M:%S")
                message = texts.text("import.worker_lost", when=last)
            _end_failed(batch, "stale", message)
    for name in uploads:  # a task still to come finds its batch failed and does nothing
        (upload_dir() / name).unlink(missing_ok=True)
    return batches


# -- a file sent by a request: received to disk, imported by a worker ----------------------------------------

class UploadTooLarge(Exception):
    """An import file over IMPORT_MAX_UPLOAD_MB."""


MULTIPART_SLACK = 64 * 1024  # the form fields and boundaries around an uploaded file


def upload_limit() -> int:
    return settings.IMPORT_MAX_UPLOAD_MB * 1024 * 1024


def upload_too_large_message() -> str:
    return _("The file is larger than the %(mb)s MB an upload may be (IMPORT_MAX_UPLOAD_MB). Split it into "
             "smaller files, or give it to the import_data command or the drop folder.") % {
        "mb": settings.IMPORT_MAX_UPLOAD_MB}


def upload_would_be_too_large(request) -> bool:
    """The request announces a multipart body over the upload limit: refuse it before reading it."""
    if not request.content_type.startswith("multipart/"):
        return False
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0) > upload_limit() + MULTIPART_SLACK
    except ValueError:
        return False


def _receive(upload) -> tuple[Path, str]:
    """Stream an uploaded file into the upload folder, chunk by chunk (never whole in memory); its SHA-256."""
    folder = upload_dir()
    folder.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix="import_", suffix=".csv", dir=folder)
    digest, size = hashlib.sha256(), 0
    try:
        with os.fdopen(fd, "wb") as fh:
            for chunk in upload.chunks(UPLOAD_CHUNK):
                size += len(chunk)
                if size > upload_limit():
                    raise UploadTooLarge
                digest.update(chunk)
                fh.write(chunk)
    except BaseException:
        os.unlink(name)
        raise
    return Path(name), digest.hexdigest()


def import_submit(*, kind: str, upload, by, partial: bool = False, encoding: str = "auto",
                  source: str = ImportSource.API) -> ImportBatch:
    """Take an uploaded file and hand its import to a worker; answers at once with the batch.

    The batch is `queued` (a worker imports it and the batch page follows its progress), a DUPLICATE
    pointing to the batch that has (or is importing) the same file, or `rejected` when the file is not
    text in its encoding (checked here, over the whole file, so the sender learns it at once).
    Raises UploadTooLarge over IMPORT_MAX_UPLOAD_MB. With no broker the import runs before this returns.
    """
    if kind not in FORMATS:
        raise ValueError(f"unknown kind {kind!r}")
    path, checksum = _receive(upload)
    file_name = Path(upload.name or "").name[:255]
    try:
        codec = check_text(path, encoding)
    except FileRejected as exc:
        path.unlink()
        return ImportBatch.objects.create(
            kind=kind, source=source, file_name=file_name, checksum=checksum, partial=partial,
            created_by=by if getattr(by, "is_authenticated", False) else None, status=BatchStatus.REJECTED,
            finished_at=timezone.now(), report={"message": texts.stored(exc.reason), **_file_error(exc.reason),
                                                "errors": []})
    label = "gb18030" if codec == "gb18030" else "utf-8"
    batch = _claim(kind=kind, checksum=checksum, status=BatchStatus.QUEUED, by=by, source=source,
                   file_name=file_name, partial=partial, encoding=label, upload=path.name)
    if batch.status == BatchStatus.DUPLICATE:
        path.unlink()
        return batch
    _enqueue(batch)
    batch.refresh_from_db()
    return batch


def _enqueue(batch: ImportBatch) -> None:
    """Send the batch's task; a broker that cannot be reached fails the batch at once (never left queued)."""
    from ..tasks import import_batch

    def send():
        try:
            import_batch.apply_async((batch.pk,), expires=settings.IMPORT_TIME_LIMIT)
        except Exception as exc:
            if import_batch.app.conf.task_always_eager:
                raise
            logger.exception("import batch %s could not be queued", batch.pk)
            upload = batch.upload
            with transaction.atomic():
                if _locked_if(batch, BatchStatus.QUEUED):
                    _end_failed(batch, "queue", texts.text(
                        "import.not_queued", error=f"{type(exc).__name__}: {exc}"[:FAILURE_TEXT]))
            (upload_dir() / upload).unlink(missing_ok=True)

    if connection.in_atomic_block and not import_batch.app.conf.task_always_eager:
        transaction.on_commit(send)  # a worker must find the batch committed
    else:
        send()  # with no broker: in-process, now (inside a caller's transaction, as tasks run eagerly)


def import_queued(*, batch_id: int) -> ImportBatch:
    """A worker's part (the `clients.import_batch` task): take the queued batch, import its file, delete the file.

    A batch that is not queued any more (taken by another delivery of the task, or failed as stale) is
    left as it is.
    """
    taken = ImportBatch.objects.filter(pk=batch_id, status=BatchStatus.QUEUED).update(
        status=BatchStatus.RUNNING, heartbeat_at=timezone.now(), progress={"phase": "reading"})
    batch = ImportBatch.objects.get(pk=batch_id)
    if not taken:
        return batch
    path = upload_dir() / batch.upload
    try:
        return _execute(batch, path=path, encoding=batch.encoding if batch.encoding in ENCODINGS else "auto")
    finally:
        path.unlink(missing_ok=True)


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
            {"line": row.line, "column": "", **texts.entry(batch.report.get("message"), "reason")}]
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
        batch.message,
        _("rows read %(r)s, written %(w)s (of which replaced %(rp)s), rejected %(rj)s") % {
            "r": batch.rows_read, "w": batch.rows_written, "rp": batch.rows_replaced, "rj": batch.rows_rejected},
    ]
    if batch.date_from:
        lines.append(_("trading days %(a)s to %(b)s") % {"a": batch.date_from, "b": batch.date_to})
    if batch.report.get("alerts"):
        lines.append(_("alerts raised: %(n)s") % {"n": batch.report["alerts"]})
    for warning in batch.warning_texts:
        lines.append(_("warning: %(w)s") % {"w": warning})
    for error in batch.errors:
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
