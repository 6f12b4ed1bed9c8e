"""Nightly results per client: policies, metrics, segments, transitions, overrides, runs."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from clients.querysets import ClientScopedQuerySet

from .choices import Axis, ReportFormat, ReportFrequency, RunStatus, TransitionSource


class Purpose(models.TextChoices):
    HEDGER = "hedger", pgettext_lazy("segment", "Hedger")
    SPECULATOR = "speculator", pgettext_lazy("segment", "Speculator")


class FundSize(models.TextChoices):
    LARGE = "large", pgettext_lazy("segment", "Large")
    MEDIUM = "medium", pgettext_lazy("segment", "Medium")
    RETAIL = "retail", pgettext_lazy("segment", "Retail")


class Volume(models.TextChoices):
    ORDINARY = "ordinary", pgettext_lazy("segment", "Ordinary")
    KEY_SERVICE = "key_service", pgettext_lazy("segment", "Key service")
    ACTIVE = "active", pgettext_lazy("segment", "Active")
    DORMANT = "dormant", pgettext_lazy("segment", "Dormant")


class Tenure(models.TextChoices):
    NEW = "new", pgettext_lazy("segment", "New")
    OLD = "old", pgettext_lazy("segment", "Old")


class ClientSegment(models.Model):
    """The current four axes, churn, value and loyalty of one client, as of `as_of`."""

    client = models.OneToOneField("clients.Client", on_delete=models.CASCADE, related_name="segment",
                                  primary_key=True)
    as_of = models.DateField(_("as of"))
    policy_version = models.PositiveIntegerField(_("policy version"), default=1)
    purpose = models.CharField(_("purpose"), max_length=16, choices=Purpose.choices)
    fund_size = models.CharField(_("fund size"), max_length=16, choices=FundSize.choices)
    volume = models.CharField(_("trading volume"), max_length=16, choices=Volume.choices)
    tenure = models.CharField(_("tenure"), max_length=8, choices=Tenure.choices)
    churn_score = models.PositiveSmallIntegerField(_("churn risk score"), default=0)
    churn_signals = models.JSONField(_("churn signals"), default=list, blank=True)
    churned = models.BooleanField(_("churned"), default=False)
    lifetime_value = models.DecimalField(_("lifetime value"), max_digits=18, decimal_places=2, null=True, blank=True)
    loyalty_points = models.PositiveSmallIntegerField(_("loyalty points"), default=0)
    loyal = models.BooleanField(_("loyal"), default=False)
    loyalty_criteria = models.JSONField(_("loyalty criteria met"), default=list, blank=True)

    objects = ClientScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("client segment")
        verbose_name_plural = _("client segments")
        indexes = [
            models.Index(fields=["purpose"]),
            models.Index(fields=["fund_size"]),
            models.Index(fields=["volume"]),
            models.Index(fields=["churn_score"]),
        ]

    def __str__(self):
        return f"{self.client_id} {self.purpose}/{self.fund_size}/{self.volume}/{self.tenure}"


class Policy(models.Model):
    """One version of the segmentation policy; editing creates a new version, history never changes."""

    version = models.PositiveIntegerField(_("version"), primary_key=True)
    params = models.JSONField(_("thresholds and weights"))
    note = models.CharField(_("why it changed"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("created by"))

    class Meta:
        ordering = ["-version"]
        verbose_name = _("segmentation policy")
        verbose_name_plural = _("segmentation policies")

    def __str__(self):
        return f"v{self.version}"

    def value(self, key: str) -> Decimal:
        from .policy import DEFAULTS

        return Decimal(self.params.get(key, str(DEFAULTS[key][0])))


class TradingDay(models.Model):
    """The market calendar as the settlement data shows it (the distinct trade dates imported)."""

    day = models.DateField(_("trading day"), primary_key=True)
    # Whether ClientDay holds this day's per-client summary (rebuilt for the run's own day every run).
    summarised = models.BooleanField(default=False)

    class Meta:
        ordering = ["day"]
        verbose_name = _("trading day")
        verbose_name_plural = _("trading days")

    def __str__(self):
        return str(self.day)


class ClientDay(models.Model):
    """One client's trading day boiled down to the figures the rules use (built set-based from settlements)."""

    # Partitioned by month on trade_date (clients/partitions.py): the key must hold the day, so the natural
    # key is the primary key; the nightly prune drops whole months.
    pk = models.CompositePrimaryKey("trade_date", "client")
    trade_date = models.DateField()
    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="+", db_constraint=False)
    lots = models.BigIntegerField(default=0)
    hedge_lots = models.BigIntegerField(default=0)
    flat = models.BooleanField(default=False)
    has_account = models.BooleanField(default=False)
    equity = models.DecimalField(max_digits=18, decimal_places=2, null=True)
    net_pnl = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    net_commission = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    deposit = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    withdrawal = models.DecimalField(max_digits=18, decimal_places=2, default=0)

    def __str__(self):
        return f"{self.trade_date} {self.client_id}"


class ClientMetrics(models.Model):
    """Rolling-window figures of one client as of `as_of` (sums and counts, so the next day only adds and drops)."""

    client = models.OneToOneField("clients.Client", on_delete=models.CASCADE, primary_key=True,
                                  related_name="metrics")
    as_of = models.DateField(_("as of"))
    equity_sum_20 = models.DecimalField(max_digits=22, decimal_places=2, default=0)
    equity_days_20 = models.IntegerField(default=0)
    equity_sum_60 = models.DecimalField(max_digits=22, decimal_places=2, default=0)
    equity_days_60 = models.IntegerField(default=0)
    net_pnl_20 = models.DecimalField(max_digits=20, decimal_places=2, default=0)
    net_pnl_60 = models.DecimalField(max_digits=20, decimal_places=2, default=0)
    net_commission_250 = models.DecimalField(max_digits=20, decimal_places=2, default=0)
    deposits_20 = models.DecimalField(max_digits=20, decimal_places=2, default=0)
    withdrawals_20 = models.DecimalField(max_digits=20, decimal_places=2, default=0)
    lots_20 = models.BigIntegerField(default=0)
    lots_60 = models.BigIntegerField(default=0)
    lots_80 = models.BigIntegerField(default=0)
    lots_250 = models.BigIntegerField(default=0)
    hedge_lots_250 = models.BigIntegerField(default=0)
    traded_days_60 = models.IntegerField(default=0)
    flat_days_60 = models.IntegerField(default=0)
    traded_days_120 = models.IntegerField(default=0)
    equity_20_ago = models.DecimalField(max_digits=18, decimal_places=2, null=True)
    last_equity = models.DecimalField(max_digits=18, decimal_places=2, null=True)
    last_equity_on = models.DateField(null=True)

    class Meta:
        verbose_name = _("client metrics")
        verbose_name_plural = _("client metrics")

    def __str__(self):
        return f"{self.client_id} {self.as_of}"

    @property
    def avg_equity_20(self):
        return self.equity_sum_20 / self.equity_days_20 if self.equity_days_20 else None

    @property
    def avg_equity_60(self):
        return self.equity_sum_60 / self.equity_days_60 if self.equity_days_60 else None

    @property
    def lots_prev_60(self):
        return self.lots_80 - self.lots_20


class SegmentTransition(models.Model):
    """A change of one axis (or where a client starts): the product can say who was what on any past day."""

    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="segment_transitions",
                               verbose_name=_("client"))
    axis = models.CharField(_("axis"), max_length=16, choices=Axis.choices)
    from_value = models.CharField(pgettext_lazy("change", "from"), max_length=16, blank=True)
    to_value = models.CharField(pgettext_lazy("change", "to"), max_length=16)
    on_date = models.DateField(_("date"))
    source = models.CharField(pgettext_lazy("source", "by"), max_length=8, choices=TransitionSource.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                           related_name="+", verbose_name=_("person"))
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    policy_version = models.PositiveIntegerField(_("policy version"), null=True, blank=True)
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    objects = ClientScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-on_date", "-id"]
        verbose_name = _("segment transition")
        verbose_name_plural = _("segment transitions")
        indexes = [
            models.Index(fields=["client", "axis", "on_date"]),
            models.Index(fields=["on_date", "axis", "to_value"]),
        ]

    def __str__(self):
        return f"{self.client_id} {self.axis} {self.from_value}→{self.to_value} {self.on_date}"


class SegmentOverride(models.Model):
    """A person's pin of one axis: wins over the rule through `expires_on` (inclusive) unless removed."""

    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="segment_overrides",
                               verbose_name=_("client"))
    axis = models.CharField(_("axis"), max_length=16, choices=Axis.choices)
    value = models.CharField(_("value"), max_length=16)
    reason = models.CharField(_("reason"), max_length=255)
    expires_on = models.DateField(_("valid until"), null=True, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
                           verbose_name=_("by"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    removed_at = models.DateTimeField(_("removed at"), null=True, blank=True)
    removed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("removed by"))

    objects = ClientScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("segment override")
        verbose_name_plural = _("segment overrides")
        constraints = [
            models.UniqueConstraint(fields=["client", "axis"], condition=Q(removed_at__isnull=True),
                                    name="segment_override_one_live_per_axis"),
        ]

    def __str__(self):
        return f"{self.client_id} {self.axis}={self.value}"


class NightlyRun(models.Model):
    """One run of the nightly pipeline for one trading day: status, policy, per-step timings and counts."""

    trade_date = models.DateField(_("trading day"))
    policy_version = models.PositiveIntegerField(_("policy version"))
    status = models.CharField(_("status"), max_length=16, choices=RunStatus.choices, default=RunStatus.RUNNING)
    mode = models.CharField(_("mode"), max_length=16, blank=True)
    steps = models.JSONField(_("steps"), default=list)
    error = models.TextField(_("error"), blank=True)
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    heartbeat_at = models.DateTimeField(_("last sign of life"), auto_now=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    triggered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+", verbose_name=_("started by"))

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("nightly run")
        verbose_name_plural = _("nightly runs")
        indexes = [models.Index(fields=["trade_date", "status"])]

    def __str__(self):
        return f"{self.trade_date} {self.status}"

    @property
    def duration(self):
        return (self.finished_at - self.started_at).total_seconds() if self.finished_at else None


class IndicatorScope(models.TextChoices):
    FIRM = "firm", pgettext_lazy("indicator scope", "Firm")
    BRANCH = "branch", pgettext_lazy("indicator scope", "Branch")
    MANAGER = "manager", pgettext_lazy("indicator scope", "Account manager")
    INTERMEDIARY = "intermediary", pgettext_lazy("indicator scope", "Intermediary")


def _money(**kw):
    return models.DecimalField(max_digits=20, decimal_places=2, **kw)


class IndicatorSnapshot(models.Model):
    """The indicators of one scope on one trading day, kept for ever (one row per day × scope × code).

    `code`: "" for the firm, the branch code, the manager's employee code (their user id when they have no staff
    profile), the intermediary code. Written by the nightly step (delete and insert of its day); the day leads
    the unique key so the table can be partitioned by date. Figures that only the night's own results know
    (segments, churn, value, loyalty, retention) are NULL when a past day is rebuilt without them.
    """

    on_date = models.DateField()
    scope = models.CharField(max_length=16, choices=IndicatorScope.choices)
    code = models.CharField(max_length=64, blank=True)
    policy_version = models.PositiveIntegerField(null=True)
    # Clients: in the book, opened in the day's period, reactivated (left `dormant` that day); active (in the book,
    # not churned, not dormant) and churned (by the churn reason a person recorded; none yet: no_reason) are
    # counts as of the day, so a day's new churn is the difference from the day before.
    clients = models.IntegerField(default=0)
    new = models.IntegerField(default=0)
    reactivated = models.IntegerField(default=0)
    active = models.IntegerField(null=True)
    churned = models.IntegerField(null=True)
    churned_inevitable = models.IntegerField(null=True)
    churned_accidental = models.IntegerField(null=True)
    churned_no_reason = models.IntegerField(null=True)
    segments = models.JSONField(null=True)  # {"purpose": {"hedger": n, …}, "fund_size": {…}, …}
    # Money of the day, from the settlement rows.
    equity = _money(default=0)
    net_deposits = _money(default=0)
    lots = models.BigIntegerField(default=0)
    commission = _money(default=0)
    net_commission = _money(default=0)
    # Value, churn risk, loyalty, retention (the night's results).
    lifetime_value = _money(null=True)
    top20_share = models.DecimalField(max_digits=7, decimal_places=4, null=True)
    high_risk = models.IntegerField(null=True)
    avg_churn_score = models.DecimalField(max_digits=6, decimal_places=2, null=True)
    loyal = models.IntegerField(null=True)
    retention_rate = models.DecimalField(max_digits=7, decimal_places=4, null=True)
    # Service: open and overdue at the end of the day; resolved, complaints, contacts, opened and created in the
    # day's period (the cost to serve: per client in the API). Satisfaction: the clients' latest survey scores.
    open_tasks = models.IntegerField(default=0)
    overdue_tasks = models.IntegerField(default=0)
    open_tickets = models.IntegerField(default=0)
    overdue_tickets = models.IntegerField(default=0)
    tickets_resolved = models.IntegerField(default=0)
    tickets_within_deadline = models.IntegerField(default=0)
    complaints = models.IntegerField(default=0)
    avg_satisfaction = models.DecimalField(max_digits=5, decimal_places=2, null=True)
    contacts = models.IntegerField(default=0)
    tickets_opened = models.IntegerField(default=0)
    tasks_created = models.IntegerField(default=0)
    # The dashboard's figures (the night's results, NULL when unknown): every client the night segmented, closed
    # accounts too, as the client list's `segmented` filter selects them; of them those without an account
    # manager, by axis value ({"purpose": {"hedger": n, …}, …}), loyal, and by churn-score band
    # (indicators.CHURN_BANDS: [n, n, n, n, n]). The 250-day net commission of those with metrics, and its
    # concentration curve behind top20_share ([{"clients_pct": 5, "share": "0.3100"}, …], cumulative).
    segmented = models.IntegerField(null=True)
    segmented_unassigned = models.IntegerField(null=True)
    segment_counts = models.JSONField(null=True)
    segmented_loyal = models.IntegerField(null=True)
    churn_bands = models.JSONField(null=True)
    net_commission_250 = _money(null=True)
    concentration = models.JSONField(null=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["on_date", "scope", "code"], name="indicator_day_scope_code")]
        indexes = [models.Index(fields=["scope", "code", "on_date"], name="indicator_series")]

    def __str__(self):
        return f"{self.on_date} {self.scope}:{self.code}"


class ScorecardTarget(models.Model):
    """An account manager's targets for one month (the scorecard's progress is actual ÷ target), set by the
    branch manager of their branch or by head office (services.scorecard_target_set). A blank figure has no
    target. `retention_rate` and `tasks_on_time_rate` are fractions like the snapshot's (0.9 = 90 %)."""

    manager = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="scorecard_targets")
    month = models.DateField(help_text="The first day of the month.")
    new = models.IntegerField(_("New accounts"), null=True, blank=True)
    net_commission = _money(verbose_name=_("Net commission"), null=True, blank=True)
    equity = _money(verbose_name=_("Equity under care"), null=True, blank=True)
    contacts = models.IntegerField(_("Contacts logged"), null=True, blank=True)
    retention_rate = models.DecimalField(_("Retention rate"), max_digits=7, decimal_places=4, null=True, blank=True)
    tasks_on_time_rate = models.DecimalField(_("Tasks done on time"), max_digits=7, decimal_places=4, null=True,
                                             blank=True)
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    set_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["manager", "month"], name="scorecard_target_manager_month")]

    def __str__(self):
        return f"{self.manager_id} {self.month:%Y-%m}"


class ReportSubscription(models.Model):
    """A user's standing order for their dashboard by e-mail (weekly or monthly, PDF or XLSX, in `language`).

    The scope is the dashboard's: the firm (no branch, no manager), a branch, or an account manager's book; it is
    checked when subscribing and again at every send (reports.report_subscribe, reports.send_due_reports)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="report_subscriptions")
    branch = models.ForeignKey("clients.Branch", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    manager = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                                related_name="+")
    frequency = models.CharField(_("Frequency"), max_length=8, choices=ReportFrequency.choices)
    format = models.CharField(_("Format"), max_length=8, choices=ReportFormat.choices)
    language = models.CharField(_("Language"), max_length=16, default=settings.LANGUAGE_CODE)
    active = models.BooleanField(default=True)
    last_sent_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "branch", "manager", "frequency"],
                                               nulls_distinct=False, name="report_subscription_once")]

    def __str__(self):
        return f"{self.user_id} {self.frequency} {self.format}"


class ReportSend(models.Model):
    """One report e-mailed for one period (the week's Monday or the month's first day): at most one per
    subscription and period, written in the transaction that sent it, so a second run of the day skips it."""

    subscription = models.ForeignKey(ReportSubscription, on_delete=models.CASCADE, related_name="sends")
    period_start = models.DateField()
    sent_at = models.DateTimeField(auto_now_add=True)
    recipient = models.EmailField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["subscription", "period_start"], name="report_send_once")]

    def __str__(self):
        return f"{self.subscription_id} {self.period_start}"
