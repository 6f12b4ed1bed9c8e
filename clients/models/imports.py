"""Settlement import bookkeeping: batches, quarantined rows, and the alerts an import raises."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from futures_crm import texts

from ..querysets import ClientScopedQuerySet

MONEY = {"max_digits": 18, "decimal_places": 2}


class ImportKind(models.TextChoices):
    CLIENTS = "clients", _("Clients (客户资料)")
    ACCOUNTS = "accounts", _("Account settlement (资金日结)")
    CONTRACTS = "contracts", _("Contract settlement (成交持仓汇总)")


class BatchStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting for a worker")
    RUNNING = "running", _("Running")
    IMPORTED = "imported", _("Imported")
    PARTIAL = "partial", _("Imported, some rows quarantined")
    REJECTED = "rejected", _("Rejected")
    DUPLICATE = "duplicate", _("Already imported")
    FAILED = "failed", _("Failed")


# A batch still at work: it holds its file's checksum (a second copy is a duplicate) and may go stale.
LIVE_STATUSES = (BatchStatus.QUEUED, BatchStatus.RUNNING)
# A batch whose rows are written: the same file again changes nothing.
WRITTEN_STATUSES = (BatchStatus.IMPORTED, BatchStatus.PARTIAL)


class ImportSource(models.TextChoices):
    COMMAND = "command", _("Command")
    PAGE = "page", _("Import page")
    API = "api", _("API")
    DROP = "drop", _("Drop folder")
    QUARANTINE = "quarantine", _("Quarantine re-run")
    BENCH = "bench", _("Benchmark")


def row_errors(entries) -> list[dict]:
    """A rejected row's errors ({line, column, reason, reason_code, reason_params}), each reason in the reader's
    language (as stored when it has no code: an entry older than the codes); for the pages, the API, the CSV."""
    return [{**e, "reason": texts.shown(e, "reason"), "reason_code": e.get("reason_code") or "",
             "reason_params": e.get("reason_params") or {}} for e in entries or []]


class ImportBatchQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Batches are firm-wide data: only the roles that may import see them."""
        from futures_crm.roles import user_role

        from ..imports.formats import IMPORT_ROLES

        return self if user_role(user) in IMPORT_ROLES else self.none()

    def stale(self, *, now, silent_for, queued_for):
        """Live batches nobody is working on: running without a heartbeat for `silent_for`, or queued for
        longer than `queued_for` (no worker took the task)."""
        return self.filter(
            models.Q(status=BatchStatus.RUNNING) & (
                models.Q(heartbeat_at__lt=now - silent_for)
                | models.Q(heartbeat_at__isnull=True, started_at__lt=now - silent_for))
            | models.Q(status=BatchStatus.QUEUED, started_at__lt=now - queued_for))


class ImportBatch(models.Model):
    """One import of one file (or one JSON payload): who, what, when, and what became of every row."""

    kind = models.CharField(_("kind"), max_length=16, choices=ImportKind.choices)
    source = models.CharField(_("source"), max_length=16, choices=ImportSource.choices)
    file_name = models.CharField(_("file name"), max_length=255, blank=True)
    checksum = models.CharField(_("SHA-256"), max_length=64, db_index=True, blank=True)
    encoding = models.CharField(_("encoding"), max_length=16, blank=True)
    partial = models.BooleanField(_("partial mode"), default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("by"))
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    date_from = models.DateField(_("first trading day"), null=True, blank=True)
    date_to = models.DateField(_("last trading day"), null=True, blank=True)
    rows_read = models.PositiveIntegerField(_("rows read"), default=0)
    rows_written = models.PositiveIntegerField(_("rows written"), default=0)
    rows_replaced = models.PositiveIntegerField(_("rows replaced"), default=0)
    rows_rejected = models.PositiveIntegerField(_("rows rejected"), default=0)
    warnings = models.JSONField(_("warnings"), default=list, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=BatchStatus.choices, default=BatchStatus.RUNNING)
    report = models.JSONField(_("report"), default=dict, blank=True)
    # While it runs: counters (read, checked, rejected, written, bytes of the file read, its size) and the
    # phase, written every few seconds through a connection of their own, with the heartbeat.
    progress = models.JSONField(_("progress"), default=dict, blank=True)
    heartbeat_at = models.DateTimeField(_("last sign of life"), null=True, blank=True)
    # An uploaded file waiting for its worker (a name in the upload folder); emptied when the batch ends.
    upload = models.CharField(_("uploaded file"), max_length=255, blank=True)

    objects = ImportBatchQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("import batch")
        verbose_name_plural = _("import batches")
        indexes = [models.Index(fields=["kind", "checksum", "status"])]

    def __str__(self):
        return f"#{self.pk} {self.kind} {self.file_name}"

    @property
    def message(self) -> str:
        """The outcome's sentence in the reader's language (a generated text; older rows as stored)."""
        return texts.item((self.report or {}).get("message"))

    @property
    def errors(self) -> list[dict]:
        """The rejected rows listed in the report, their reasons in the reader's language."""
        return row_errors((self.report or {}).get("errors"))

    @property
    def file_error(self) -> str | None:
        """Why the whole file was refused, in the reader's language (None when it was read)."""
        report = self.report or {}
        return texts.shown(report, "file_error") if report.get("file_error") else None

    @property
    def warning_texts(self) -> list[str]:
        return [texts.item(w) for w in self.warnings or []]

    @property
    def ok(self) -> bool:
        return self.status in {BatchStatus.IMPORTED, BatchStatus.PARTIAL, BatchStatus.DUPLICATE}

    @property
    def live(self) -> bool:
        return self.status in LIVE_STATUSES


class QuarantineStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("quarantine status", "Open")
    FIXED = "fixed", _("Fixed and imported")
    DISCARDED = "discarded", _("Discarded")
    REJECTED_FILE = "rejected_file", _("Part of a rejected file")


class QuarantinedRowQuerySet(ImportBatchQuerySet):
    pass


class QuarantinedRow(models.Model):
    """A row that failed the checks, kept raw so that staff can correct it and run it again."""

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="quarantined_rows",
                              verbose_name=_("batch"))
    line = models.PositiveIntegerField(_("line"))
    raw = models.JSONField(_("raw row"))
    errors = models.JSONField(_("errors"), default=list)
    status = models.CharField(_("status"), max_length=16, choices=QuarantineStatus.choices,
                              default=QuarantineStatus.OPEN)
    fixed_batch = models.ForeignKey(ImportBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                    verbose_name=_("imported by batch"))
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = QuarantinedRowQuerySet.as_manager()

    class Meta:
        ordering = ["batch", "line"]
        verbose_name = _("quarantined row")
        verbose_name_plural = _("quarantined rows")
        indexes = [models.Index(fields=["status", "batch"])]

    def __str__(self):
        return f"#{self.batch_id} line {self.line}"

    @property
    def reasons(self) -> list[dict]:
        """Its errors, each reason in the reader's language."""
        return row_errors(self.errors)

    @property
    def reasons_text(self) -> str:
        """"column: reason; …" in the reader's language (the lists, the rejected rows' CSV)."""
        return "; ".join(f"{e['column']}: {e['reason']}" for e in self.reasons)


class AlertKind(models.TextChoices):
    NEGATIVE_EQUITY = "negative_equity", _("Negative equity (穿仓)")
    MARGIN_CALL = "margin_call", _("Margin call (追加保证金)")


class SettlementAlert(models.Model):
    """A risk event found in the settlement data, for the client's manager to act on."""

    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="settlement_alerts",
                               verbose_name=_("client"))
    trade_date = models.DateField(_("trading day"))
    kind = models.CharField(_("kind"), max_length=16, choices=AlertKind.choices)
    amount = models.DecimalField(pgettext_lazy("sum of money", "amount"), **MONEY)
    batch = models.ForeignKey(ImportBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts",
                              verbose_name=_("batch"))
    created_at = models.DateTimeField(pgettext_lazy("alert", "raised"), auto_now_add=True)
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="+", verbose_name=_("acknowledged by"))

    objects = ClientScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-trade_date", "-id"]
        verbose_name = _("settlement alert")
        verbose_name_plural = _("settlement alerts")
        # A re-imported day updates its alert instead of raising a second one.
        constraints = [models.UniqueConstraint(fields=["client", "trade_date", "kind"], name="settlement_alert_uniq")]
        indexes = [models.Index(fields=["acknowledged_at", "trade_date"])]

    def __str__(self):
        return f"{self.client_id} {self.trade_date} {self.kind}"
