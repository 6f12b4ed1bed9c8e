"""Settlement facts from the back-office, one row per account (and per contract) per trading day."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from ..choices import Exchange, HedgeFlag
from ..querysets import ClientScopedQuerySet

MONEY = {"max_digits": 18, "decimal_places": 2}


class AccountSettlement(models.Model):
    """资金日结: an account's money on one trading day."""

    # The natural key is the primary key and the table's only index: (trade_date, client) grows at its
    # right edge as days arrive, so a day's bulk COPY costs little beyond the heap. A client's rows are
    # read through the trading calendar (`trade_date IN (...) AND client_id = …`: one probe a day).
    # No database-level FK constraint: a deferred per-row check cost ~5 s per 2 M rows at commit;
    # the import only writes rows of existing clients and Django's CASCADE does not need it.
    pk = models.CompositePrimaryKey("trade_date", "client")
    trade_date = models.DateField(_("trading day"))
    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="account_settlements",
                               db_index=False, db_constraint=False)
    pre_balance = models.DecimalField(_("previous balance"), **MONEY)
    deposit = models.DecimalField(_("deposit"), **MONEY)
    withdrawal = models.DecimalField(_("withdrawal"), **MONEY)
    close_profit = models.DecimalField(_("realised P&L"), **MONEY)
    position_profit = models.DecimalField(_("mark-to-market P&L"), **MONEY)
    commission = models.DecimalField(_("commission"), **MONEY)
    exchange_fee = models.DecimalField(_("exchange fee"), **MONEY)
    balance = models.DecimalField(_("balance"), **MONEY)
    equity = models.DecimalField(_("equity"), **MONEY)
    margin = models.DecimalField(_("margin"), **MONEY)
    available = models.DecimalField(_("available funds"), **MONEY)
    margin_call = models.DecimalField(_("margin call"), **MONEY)

    objects = ClientScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("account settlement")
        verbose_name_plural = _("account settlements")

    def __str__(self):
        return f"{self.trade_date} {self.client_id}"

    @property
    def risk_degree(self):
        """风险度 = margin ÷ equity, in percent; computed, never imported (none when equity ≤ 0)."""
        return self.margin * 100 / self.equity if self.equity > 0 else None


class ContractSettlement(models.Model):
    """成交持仓汇总: an account's trades and positions in one instrument on one trading day."""

    # As for AccountSettlement: the natural key is the primary key and the only index.
    pk = models.CompositePrimaryKey("trade_date", "client", "instrument", "hedge_flag")
    trade_date = models.DateField(_("trading day"))
    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="contract_settlements",
                               db_index=False, db_constraint=False)
    exchange = models.CharField(_("exchange"), max_length=8, choices=Exchange.choices)
    instrument = models.CharField(_("instrument"), max_length=32)
    product = models.CharField(_("product"), max_length=16)
    hedge_flag = models.CharField(_("hedge flag"), max_length=16, choices=HedgeFlag.choices)
    buy_lots = models.PositiveIntegerField(_("buy lots"))
    sell_lots = models.PositiveIntegerField(_("sell lots"))
    turnover = models.DecimalField(_("turnover"), max_digits=20, decimal_places=2)
    commission = models.DecimalField(_("commission"), **MONEY)
    exchange_fee = models.DecimalField(_("exchange fee"), **MONEY)
    close_profit = models.DecimalField(_("realised P&L"), **MONEY)
    long_position = models.PositiveIntegerField(_("long position"))
    short_position = models.PositiveIntegerField(_("short position"))
    margin = models.DecimalField(_("margin"), **MONEY)

    objects = ClientScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("contract settlement")
        verbose_name_plural = _("contract settlements")

    def __str__(self):
        return f"{self.trade_date} {self.client_id} {self.instrument}"
