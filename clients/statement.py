"""The client's statement (结算单) for one trading day or one month, as the back-office lays it out:
the account summary, trades and positions by contract, fees. Read by the statement page and its PDF."""

import calendar
import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from .choices import HedgeFlag
from .models import AccountSettlement, Client, ContractSettlement
from .selectors import latest_trade_date, trading_days

ZERO = Decimal("0.00")


@dataclass
class Statement:
    """One day's or one month's statement; `summary` is None when the client has no settlement then."""

    client: Client
    start: datetime.date
    end: datetime.date
    monthly: bool
    summary: dict | None = None
    trades: list[dict] = field(default_factory=list)  # per contract: lots, turnover, fees, close P&L
    positions: list[dict] = field(default_factory=list)  # held at the close of the last day
    trade_totals: dict = field(default_factory=dict)


def parse_period(params, *, default_day) -> tuple[datetime.date, datetime.date, bool]:
    """`?month=YYYY-MM` (a month) or `?day=YYYY-MM-DD` (a trading day; default the last settlement day:
    `default_day`, a date or a function giving it, called only then)."""
    month = (params.get("month") or "").strip()
    if month:
        try:
            first = datetime.datetime.strptime(month, "%Y-%m").date()  # noqa: DTZ007 - a calendar month
        except ValueError:
            raise ValidationError({"month": _("Enter a month as YYYY-MM.")}) from None
        last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
        return first, last, True
    raw = (params.get("day") or "").strip()
    if not raw:
        day = (default_day() if callable(default_day) else default_day) or datetime.date.today()  # noqa: DTZ011 - only when there is no settlement at all
        return day, day, False
    for fmt in ("%Y-%m-%d", "%Y%m%d"):
        try:
            day = datetime.datetime.strptime(raw, fmt).date()  # noqa: DTZ007 - a calendar date
            return day, day, False
        except ValueError:
            continue
    raise ValidationError({"day": _("Enter a date as YYYY-MM-DD.")})


def client_statement(client: Client, start: datetime.date, end: datetime.date, monthly: bool) -> Statement:
    """The statement of `client` for the trading days from `start` to `end` (one day, or a month)."""
    st = Statement(client=client, start=start, end=end, monthly=monthly)
    # The range's trading days first: each is then one key probe per table (see selectors.trading_days).
    days = [d for d in trading_days(31, end) if d >= start]
    accounts = list(AccountSettlement.objects.filter(client=client, trade_date__in=days).order_by("trade_date"))
    if not accounts:
        return st
    first, last = accounts[0], accounts[-1]
    sums = {name: sum((getattr(a, name) for a in accounts), ZERO)
            for name in ("deposit", "withdrawal", "close_profit", "position_profit", "commission", "exchange_fee")}
    # The equity the period starts from: the client's row on the trading day before it (one key probe).
    before = [d for d in trading_days(2, first.trade_date) if d < first.trade_date]
    previous = AccountSettlement.objects.filter(client=client, trade_date__in=before).first()
    st.summary = {
        "trading_days": len(accounts), "first_day": first.trade_date, "last_day": last.trade_date,
        "pre_equity": previous.equity if previous else None, "pre_balance": first.pre_balance, **sums,
        "net_commission": sums["commission"] - sums["exchange_fee"],
        "balance": last.balance, "equity": last.equity, "margin": last.margin, "available": last.available,
        "margin_call": last.margin_call, "risk_degree": last.risk_degree,
    }
    contracts = ContractSettlement.objects.filter(client=client, trade_date__in=days)
    st.trades = list(
        contracts.exclude(buy_lots=0, sell_lots=0)
        .values("exchange", "product", "instrument", "hedge_flag")
        .annotate(buy_lots=Sum("buy_lots"), sell_lots=Sum("sell_lots"), turnover=Sum("turnover"),
                  commission=Sum("commission"), exchange_fee=Sum("exchange_fee"), close_profit=Sum("close_profit"))
        .order_by("exchange", "instrument", "hedge_flag")
    )
    st.trade_totals = {name: sum((t[name] for t in st.trades), 0 if name.endswith("lots") else ZERO)
                       for name in ("buy_lots", "sell_lots", "turnover", "commission", "exchange_fee",
                                    "close_profit")}
    st.positions = list(
        contracts.filter(trade_date=last.trade_date).exclude(long_position=0, short_position=0)
        .values("exchange", "product", "instrument", "hedge_flag", "long_position", "short_position", "margin")
        .order_by("exchange", "instrument", "hedge_flag")
    )
    for row in (*st.trades, *st.positions):
        row["hedge_label"] = HedgeFlag(row["hedge_flag"]).label
    return st


def statement_for(client: Client, params) -> Statement:
    """The statement the query asks for (see parse_period); a bad parameter raises ValidationError."""
    start, end, monthly = parse_period(params, default_day=latest_trade_date)
    return client_statement(client, start, end, monthly)
