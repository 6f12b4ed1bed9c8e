"""A client's trading history (账单): settlement facts summed by day, month, quarter or year, in one query.

Read by the history page, its XLSX export and `GET /api/clients/{id}/settlement/`, so the three show the
same figures. Everything is summed in PostgreSQL from the stored rows (exact decimals, no floats).
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .choices import Exchange
from .models import AccountSettlement, Client, ContractSettlement

GROUPS = ("day", "month", "quarter", "year")
# Without `from`: this many periods up to the last settlement day, a readable table per grouping.
DEFAULT_PERIODS = {"day": 31, "month": 12, "quarter": 12, "year": 10}
MONTHS = {"month": 1, "quarter": 3, "year": 12}
MAX_DAY_SPAN = 366  # day rows beyond a year belong to a monthly view (or an export per year)
MONEY_FIELDS = ("turnover", "commission", "exchange_fee", "net_commission", "close_profit", "position_profit",
                "deposits", "withdrawals", "end_equity", "margin", "peak_margin")
# Figures of the account as a whole: they do not belong to one product, so a product filter leaves them empty.
ACCOUNT_ONLY = ("position_profit", "deposits", "withdrawals", "end_equity", "peak_risk_degree")
FIELDS = ("period", "trading_days", "lots", *MONEY_FIELDS, "peak_risk_degree")
GROUP_CHOICES = [("day", pgettext_lazy("history grouping", "By day")),
                 ("month", pgettext_lazy("history grouping", "By month")),
                 ("quarter", pgettext_lazy("history grouping", "By quarter")),
                 ("year", pgettext_lazy("history grouping", "By year"))]
# The columns of the page and the XLSX export, in order: (field, heading).
COLUMNS = [
    ("period", _("Period")),
    ("trading_days", pgettext_lazy("count", "Trading days")),
    ("lots", _("Lots traded")),
    ("turnover", _("Turnover")),
    ("commission", _("Commission")),
    ("exchange_fee", _("Exchange fee")),
    ("net_commission", _("Net commission")),
    ("close_profit", _("Close P&L")),
    ("position_profit", _("Position P&L")),
    ("deposits", _("Deposits")),
    ("withdrawals", _("Withdrawals")),
    ("end_equity", _("Ending equity")),
    ("margin", _("Margin")),
    ("peak_margin", _("Peak margin")),
    ("peak_risk_degree", _("Peak risk degree (percent)")),
]


@dataclass(frozen=True)
class HistoryQuery:
    """What to sum: the grouping, the inclusive date range, and optionally one exchange and/or product."""

    group: str
    start: datetime.date
    end: datetime.date
    product: str = ""
    exchange: str = ""

    @property
    def by_contract(self) -> bool:
        return bool(self.product or self.exchange)


def _date(params, name):
    raw = (params.get(name) or "").strip()
    if not raw:
        return None
    for fmt in ("%Y-%m-%d", "%Y%m%d"):
        try:
            return datetime.datetime.strptime(raw, fmt).date()  # noqa: DTZ007 - a calendar date, no time
        except ValueError:
            continue
    raise ValidationError({name: _("Enter a date as YYYY-MM-DD.")})


def period_start(group: str, day: datetime.date) -> datetime.date:
    """The first day of the period of `group` that holds `day` (what date_trunc gives)."""
    if group == "month":
        return day.replace(day=1)
    if group == "quarter":
        return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    if group == "year":
        return day.replace(month=1, day=1)
    return day


def periods_back(group: str, end: datetime.date, count: int) -> datetime.date:
    """The first day of the `count`-th period back from (and including) the one holding `end`."""
    if group == "day":
        days = min(count - 1, (end - datetime.date.min).days)  # no earlier than year 1
        return end - datetime.timedelta(days=days)
    first = period_start(group, end)
    month = max(first.year * 12 + first.month - 1 - MONTHS[group] * (count - 1), 12)
    return datetime.date(month // 12, month % 12 + 1, 1)


def parse_query(params, *, default_end=None) -> HistoryQuery:
    """Read `group`, `from`, `to`, `product`, `exchange` from a query dict; a bad one is a ValidationError
    naming the parameter. Without `to`, the last settlement day (`default_end`: a date, or a function giving
    it, called only then); without `from`, a span that fits the grouping, starting on a period's first day
    so no period is cut."""
    group = (params.get("group") or "month").strip()
    if group not in GROUPS:
        raise ValidationError({"group": _("Choose one of: day, month, quarter, year.")})
    start, end = _date(params, "from"), _date(params, "to")
    end = end or (default_end() if callable(default_end) else default_end) or datetime.date.today()  # noqa: DTZ011 - only when there is no settlement at all
    if start is None:
        start = periods_back(group, end, DEFAULT_PERIODS[group])
    if start > end:
        raise ValidationError({"from": _("The start date is after the end date.")})
    if group == "day" and (end - start).days >= MAX_DAY_SPAN:
        raise ValidationError({"from": _("Day by day covers at most 366 days; group by month for longer.")})
    product = (params.get("product") or "").strip()
    if len(product) > 16 or (product and not product.isalnum()):
        raise ValidationError({"product": _("Enter a product code such as rb, IF or SR.")})
    exchange = (params.get("exchange") or "").strip().upper()
    if exchange and exchange not in Exchange.values:
        raise ValidationError({"exchange": _("Unknown exchange.")})
    return HistoryQuery(group=group, start=start, end=end, product=product, exchange=exchange)


# The range's trading days come from a loose index scan of the settlement key (one probe a day); each day
# is then one key probe (trade_date, client) into each table, never a scan of other clients' rows. The
# range repeated on the probes lets PostgreSQL plan only the range's month partitions.
# `date_trunc` runs on a timestamp without time zone so the session's time zone cannot shift a period.
_CALENDAR = """
WITH RECURSIVE cal(day) AS (
    SELECT MAX(trade_date) FROM {acc} WHERE trade_date BETWEEN %(start)s AND %(end)s
    UNION ALL
    SELECT (SELECT MAX(trade_date) FROM {acc} WHERE trade_date >= %(start)s AND trade_date < cal.day)
    FROM cal WHERE cal.day IS NOT NULL
)"""
# The client's contract rows of each calendar day, narrowed to the product and exchange asked for.
_CONTRACT_ROWS = """cal CROSS JOIN LATERAL (
        SELECT * FROM {con} WHERE trade_date = cal.day AND client_id = %(client)s
          AND trade_date BETWEEN %(start)s AND %(end)s
          AND (%(product)s = '' OR lower(product) = lower(%(product)s))
          AND (%(exchange)s = '' OR exchange = %(exchange)s) OFFSET 0) c"""
_SQL = """{calendar},
acc_days AS (
    -- LATERAL with OFFSET 0 keeps the subquery unflattened: a key probe per day, never a bitmap of the
    -- client's entries across the whole index (the planner's choice on a plain join)
    SELECT a.* FROM cal CROSS JOIN LATERAL (
        SELECT * FROM {acc} WHERE trade_date = cal.day AND client_id = %(client)s
          AND trade_date BETWEEN %(start)s AND %(end)s OFFSET 0) a
),
con_days AS (
    -- the contract rows summed per day first: a day's margin is the sum over its contracts
    SELECT c.trade_date, SUM(c.buy_lots + c.sell_lots) AS lots, SUM(c.turnover) AS turnover,
           SUM(c.commission) AS commission, SUM(c.exchange_fee) AS exchange_fee,
           SUM(c.close_profit) AS close_profit, SUM(c.margin) AS margin
    FROM {contracts}
    GROUP BY c.trade_date
),
acc AS (
    SELECT date_trunc(%(group)s, trade_date::timestamp)::date AS period,
           COUNT(*) AS trading_days,
           SUM(commission) AS commission, SUM(exchange_fee) AS exchange_fee,
           SUM(close_profit) AS close_profit, SUM(position_profit) AS position_profit,
           SUM(deposit) AS deposits, SUM(withdrawal) AS withdrawals,
           (ARRAY_AGG(equity ORDER BY trade_date DESC))[1] AS end_equity,
           (ARRAY_AGG(margin ORDER BY trade_date DESC))[1] AS margin,
           MAX(margin) AS peak_margin,
           ROUND(MAX(CASE WHEN equity > 0 THEN margin * 100 / equity END), 2) AS peak_risk_degree
    FROM acc_days GROUP BY 1
),
con AS (
    SELECT date_trunc(%(group)s, trade_date::timestamp)::date AS period,
           COUNT(*) AS trading_days, SUM(lots)::bigint AS lots, SUM(turnover) AS turnover,
           SUM(commission) AS commission, SUM(exchange_fee) AS exchange_fee, SUM(close_profit) AS close_profit,
           (ARRAY_AGG(margin ORDER BY trade_date DESC))[1] AS margin, MAX(margin) AS peak_margin
    FROM con_days GROUP BY 1
)
SELECT {select}
FROM {source}
ORDER BY period
"""

# The whole account: money from the account rows, lots and turnover from its contracts.
_SELECT_ACCOUNT = """acc.period, acc.trading_days, COALESCE(con.lots, 0), COALESCE(con.turnover, 0),
       acc.commission, acc.exchange_fee, acc.commission - acc.exchange_fee, acc.close_profit,
       acc.position_profit, acc.deposits, acc.withdrawals, acc.end_equity, acc.margin, acc.peak_margin,
       acc.peak_risk_degree"""
# One product or exchange: only what the contract rows carry.
_SELECT_CONTRACT = """con.period, con.trading_days, con.lots, con.turnover, con.commission, con.exchange_fee,
       con.commission - con.exchange_fee, con.close_profit, NULL, NULL, NULL, NULL, con.margin, con.peak_margin,
       NULL"""


_BY_PRODUCT_SQL = """{calendar}
SELECT c.exchange, c.product, COUNT(DISTINCT c.trade_date), SUM(c.buy_lots + c.sell_lots)::bigint,
       SUM(c.turnover), SUM(c.commission), SUM(c.exchange_fee), SUM(c.commission) - SUM(c.exchange_fee),
       SUM(c.close_profit)
FROM {contracts}
GROUP BY c.exchange, c.product
ORDER BY SUM(c.turnover) DESC, c.exchange, c.product
"""
PRODUCT_COLUMNS = [("exchange", _("Exchange")), ("product", _("Product")), *COLUMNS[1:8]]
PRODUCT_FIELDS = tuple(name for name, _label in PRODUCT_COLUMNS)


def _fetch(client: Client, query: HistoryQuery, sql: str, fields, **parts) -> list[dict]:
    # Two passes: the shared pieces first, then the table names they contain.
    sql = sql.format(calendar=_CALENDAR, contracts=_CONTRACT_ROWS, acc="{acc}", con="{con}", **parts).format(
        acc=connection.ops.quote_name(AccountSettlement._meta.db_table),
        con=connection.ops.quote_name(ContractSettlement._meta.db_table))
    params = {"client": client.pk, "start": query.start, "end": query.end, "group": query.group,
              "product": query.product, "exchange": query.exchange}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [dict(zip(fields, row, strict=True)) for row in cursor.fetchall()]


def settlement_history(client: Client, query: HistoryQuery) -> list[dict]:
    """One row per period with settlement, oldest first; money as Decimal, None where it does not apply."""
    return _fetch(client, query, _SQL, FIELDS, select=_SELECT_CONTRACT if query.by_contract else _SELECT_ACCOUNT,
                  source="con" if query.by_contract else "acc LEFT JOIN con USING (period)")


def settlement_by_product(client: Client, query: HistoryQuery) -> list[dict]:
    """The range's contract rows summed per exchange and product, largest turnover first (one query)."""
    return _fetch(client, query, _BY_PRODUCT_SQL, PRODUCT_FIELDS)


def history_totals(rows: list[dict]) -> dict:
    """The sums of the summable columns over the rows (the table's footer); the rest left out."""
    totals = {"trading_days": sum(r["trading_days"] for r in rows), "lots": sum(r["lots"] for r in rows)}
    for name in ("turnover", "commission", "exchange_fee", "net_commission", "close_profit", "position_profit",
                 "deposits", "withdrawals"):
        values = [r[name] for r in rows if r[name] is not None]
        totals[name] = sum(values, Decimal(0)) if values else None
    return totals


def period_label(group: str, period: datetime.date) -> str:
    """How a period reads in a table or on an axis: 2025-03-28, 2025-03, 2025 Q1, 2025."""
    if group == "month":
        return f"{period:%Y-%m}"
    if group == "quarter":
        return f"{period.year} Q{(period.month - 1) // 3 + 1}"
    if group == "year":
        return str(period.year)
    return period.isoformat()
