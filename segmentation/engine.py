"""The nightly engine's set-based SQL (PostgreSQL): calendar, day summaries, rolling metrics, axes,
signals, value and loyalty, computed into staging rows tagged with the run id, then published in one
transaction.

Why rolling sums: a night must cost what that day's rows cost, not what the history costs. Every
window metric is kept as a sum or a count in ClientMetrics; a night adds the day that enters and
subtracts, per window, the one day that leaves it (the day just before the window). When the previous
night is missing (first run, a gap, a rerun, a corrected old day) the same figures are rebuilt from
the bounded 250-trading-day window of ClientDay instead: both paths give the same numbers.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import connection
from django.utils import timezone

from clients.partitions import CLIENT_DAY_TABLE, analyze_months, drop_months_before, ensure_months
from referrals.selectors import orphaned_client_ids
from service.selectors import overdue_complaint_client_ids

from .models import Policy

# Window lengths in trading days, from segmentation-rules.md.
W20, W60, W80, W120, W250 = 20, 60, 80, 120, 250
WINDOWS = (W20, W60, W80, W120, W250)

METRIC_COLUMNS = [
    "client_id", "as_of", "equity_sum_20", "equity_days_20", "equity_sum_60", "equity_days_60", "net_pnl_20",
    "net_pnl_60", "net_commission_250", "deposits_20", "withdrawals_20", "lots_20", "lots_60", "lots_80",
    "lots_250", "hedge_lots_250", "traded_days_60", "flat_days_60", "traded_days_120", "equity_20_ago",
    "last_equity", "last_equity_on",
]
SEGMENT_COLUMNS = [
    "client_id", "purpose", "fund_size", "volume", "tenure", "churn_score", "churn_signals", "churned",
    "lifetime_value", "loyalty_points", "loyal", "loyalty_criteria",
]
AXES = ("purpose", "fund_size", "volume", "tenure")


@dataclass
class Calendar:
    """The trading days counted back from D (index 0 is D), and the window edges derived from them."""

    day: datetime.date
    days: list  # newest first, at most 251

    def start(self, n: int) -> datetime.date:
        """First day of the last-n-trading-days window (the oldest day we have if the data is younger)."""
        return self.days[min(n, len(self.days)) - 1]

    def leaving(self, n: int) -> datetime.date | None:
        """The trading day just before the n-day window: it drops out of the window on D."""
        return self.days[n] if len(self.days) > n else None

    @property
    def previous(self) -> datetime.date | None:
        return self.days[1] if len(self.days) > 1 else None

    @property
    def count(self) -> int:
        return len(self.days)

    def params(self) -> dict:
        p = {"d": self.day, "prev": self.previous}
        for n in WINDOWS:
            p[f"w{n}"] = self.start(n)
            p[f"o{n}"] = self.leaving(n)
        p["ndays"] = self.count
        return p


def _exec(sql: str, params=None) -> int:
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.rowcount


def _scalar(sql: str, params=None):
    with connection.cursor() as cur:
        cur.execute(sql, params)
        row = cur.fetchone()
        return row[0] if row else None


def latest_trade_date() -> datetime.date | None:
    """The newest imported trading day (index-backed max on the settlement tables)."""
    return _scalar(
        "SELECT GREATEST((SELECT max(trade_date) FROM clients_accountsettlement),"
        " (SELECT max(trade_date) FROM clients_contractsettlement))"
    )


def refresh_calendar(day: datetime.date) -> int:
    """Add the trading days imported since the newest known one up to `day`, and `day` itself if it has rows.

    Range conditions on trade_date use the settlement tables' (trade_date, client) unique index and read
    only the months from the newest known day's to `day`'s (the tables are partitioned by month), so this
    costs the new days' rows, not the history. A later day is added by the run that needs it.
    """
    newest = _scalar("SELECT max(day) FROM segmentation_tradingday") or datetime.date(1900, 1, 1)
    return _exec(
        """
        INSERT INTO segmentation_tradingday (day, summarised)
        SELECT DISTINCT trade_date, false FROM clients_accountsettlement
            WHERE trade_date > %(newest)s AND trade_date <= %(d)s
        UNION SELECT DISTINCT trade_date, false FROM clients_contractsettlement
            WHERE trade_date > %(newest)s AND trade_date <= %(d)s
        UNION SELECT %(d)s::date, false WHERE EXISTS (SELECT 1 FROM clients_accountsettlement WHERE trade_date = %(d)s)
                                    OR EXISTS (SELECT 1 FROM clients_contractsettlement WHERE trade_date = %(d)s)
        ON CONFLICT (day) DO NOTHING
        """,
        {"newest": newest, "d": day},
    )


def calendar_for(day: datetime.date) -> Calendar:
    with connection.cursor() as cur:
        cur.execute("SELECT day FROM segmentation_tradingday WHERE day <= %s ORDER BY day DESC LIMIT %s",
                    [day, W250 + 1])
        days = [r[0] for r in cur.fetchall()]
    if not days or days[0] != day:
        raise ValueError(f"{day} is not a trading day with settlement data")
    return Calendar(day=day, days=days)


def summarise_days(days: list) -> int:
    """(Re)build ClientDay for `days` from the settlement rows of those days only."""
    if not days:
        return 0
    ensure_months(CLIENT_DAY_TABLE, min(days), max(days))
    _exec("DELETE FROM segmentation_clientday WHERE trade_date = ANY(%s)", [days])
    n = _exec(
        """
        INSERT INTO segmentation_clientday (trade_date, client_id, lots, hedge_lots, flat, has_account, equity,
                                            net_pnl, net_commission, deposit, withdrawal)
        SELECT COALESCE(a.trade_date, k.trade_date), COALESCE(a.client_id, k.client_id),
               COALESCE(k.lots, 0), COALESCE(k.hedge_lots, 0), COALESCE(k.lots > 0 AND k.all_flat, false),
               a.client_id IS NOT NULL, a.equity,
               COALESCE(a.close_profit + a.position_profit - a.commission, 0),
               COALESCE(a.commission - a.exchange_fee, 0), COALESCE(a.deposit, 0), COALESCE(a.withdrawal, 0)
        FROM (SELECT * FROM clients_accountsettlement WHERE trade_date = ANY(%(days)s)) a
        FULL JOIN (
            SELECT trade_date, client_id, SUM(buy_lots + sell_lots) AS lots,
                   COALESCE(SUM(buy_lots + sell_lots) FILTER (WHERE hedge_flag = 'hedge'), 0) AS hedge_lots,
                   bool_and(long_position = 0 AND short_position = 0) AS all_flat
            FROM clients_contractsettlement WHERE trade_date = ANY(%(days)s) GROUP BY trade_date, client_id
        ) k ON k.trade_date = a.trade_date AND k.client_id = a.client_id
        -- Day by day on disk: a night reads whole days (D and the window edges) by index.
        ORDER BY 1, 2
        """,
        {"days": days},
    )
    _exec("UPDATE segmentation_tradingday SET summarised = true WHERE day = ANY(%s)", [days])
    # Statistics that know the new day (sampled, well under a second): when every stored day fits the
    # most-common-values list, a day missing from it is estimated at one row, and the metrics step
    # then joined 100,000 clients to a "one-row" day by nested loop (seen: over 8 minutes, not 2 s).
    # Only the months written: a query of a day plans with its month's statistics (an ANALYZE of the
    # partitioned parent would sample and analyze every month of the 250-day window, every night).
    analyze_months(CLIENT_DAY_TABLE, min(days), max(days))
    return n


def prune_client_days(cal: Calendar) -> int:
    """Drop the ClientDay months no window of D needs: every day older than the day leaving the 250-day window.

    Keeps the table near 251 days instead of growing by a day of every client each night. ClientDay is
    partitioned by month, so a month goes whole once its last day is older than that day (no row is
    deleted: no dead rows, no vacuum); the older days of the month that day is in stay until their month
    goes, unread (every window is bounded by its dates). Days older than it are marked unsummarised, so
    a later run for an older day rebuilds the ones its own windows need. Returns the rows dropped.
    """
    if cal.count <= W250:
        return 0
    oldest = cal.days[W250]
    _exec("UPDATE segmentation_tradingday SET summarised = false WHERE day < %s AND summarised", [oldest])
    return sum(count for _name, count in drop_months_before(CLIENT_DAY_TABLE, oldest))


def days_to_summarise(cal: Calendar) -> list:
    """The run's own day (always: it may have been re-imported) and any day of the window never summarised."""
    with connection.cursor() as cur:
        cur.execute("SELECT day FROM segmentation_tradingday WHERE day BETWEEN %s AND %s AND NOT summarised",
                    [cal.start(W250), cal.day])
        missing = {r[0] for r in cur.fetchall()}
    return sorted(missing | {cal.day})


def can_roll_forward(cal: Calendar) -> bool:
    """Yesterday's published metrics are exactly the previous trading day's, for every client that has them."""
    if cal.previous is None:
        return False
    return bool(_scalar(
        "SELECT EXISTS (SELECT 1 FROM segmentation_clientmetrics)"
        " AND NOT EXISTS (SELECT 1 FROM segmentation_clientmetrics WHERE as_of <> %s)",
        [cal.previous],
    ))


_INSERT_STAGE_METRICS = f"INSERT INTO segmentation_stage_metrics (run_id, {', '.join(METRIC_COLUMNS)}) "


def stage_metrics_full(run_id: int, cal: Calendar, shard: tuple[int, int] = (0, 1)) -> int:
    """Every client's window figures from the bounded 250-day window of ClientDay."""
    p = cal.params() | {"run": run_id, "shard": shard[0], "shards": shard[1]}
    return _exec(
        _INSERT_STAGE_METRICS
        + """
        SELECT %(run)s, c.id, %(d)s,
          COALESCE(SUM(x.equity) FILTER (WHERE x.trade_date >= %(w20)s), 0),
          COUNT(x.equity) FILTER (WHERE x.trade_date >= %(w20)s),
          COALESCE(SUM(x.equity) FILTER (WHERE x.trade_date >= %(w60)s), 0),
          COUNT(x.equity) FILTER (WHERE x.trade_date >= %(w60)s),
          COALESCE(SUM(x.net_pnl) FILTER (WHERE x.trade_date >= %(w20)s), 0),
          COALESCE(SUM(x.net_pnl) FILTER (WHERE x.trade_date >= %(w60)s), 0),
          COALESCE(SUM(x.net_commission), 0),
          COALESCE(SUM(x.deposit) FILTER (WHERE x.trade_date >= %(w20)s), 0),
          COALESCE(SUM(x.withdrawal) FILTER (WHERE x.trade_date >= %(w20)s), 0),
          COALESCE(SUM(x.lots) FILTER (WHERE x.trade_date >= %(w20)s), 0),
          COALESCE(SUM(x.lots) FILTER (WHERE x.trade_date >= %(w60)s), 0),
          COALESCE(SUM(x.lots) FILTER (WHERE x.trade_date >= %(w80)s), 0),
          COALESCE(SUM(x.lots), 0),
          COALESCE(SUM(x.hedge_lots), 0),
          COUNT(*) FILTER (WHERE x.trade_date >= %(w60)s AND x.lots > 0),
          COUNT(*) FILTER (WHERE x.trade_date >= %(w60)s AND x.flat),
          COUNT(*) FILTER (WHERE x.trade_date >= %(w120)s AND x.lots > 0),
          MAX(x.equity) FILTER (WHERE x.trade_date = %(o20)s),
          (array_agg(x.equity ORDER BY x.trade_date DESC) FILTER (WHERE x.has_account))[1],
          MAX(x.trade_date) FILTER (WHERE x.has_account)
        FROM clients_client c
        LEFT JOIN segmentation_clientday x ON x.client_id = c.id AND x.trade_date BETWEEN %(w250)s AND %(d)s
                                          AND mod(x.client_id, %(shards)s) = %(shard)s
        WHERE mod(c.id, %(shards)s) = %(shard)s
        GROUP BY c.id
        """,
        p,
    )


def _roll(col: str, today: str, windows: list[tuple[str, str]]) -> str:
    """previous + entering day − the days that leave; `windows` pairs (leaving alias, expression on it)."""
    out = f"COALESCE(m.{col}, 0) + COALESCE({today}, 0)"
    for _alias, expr in windows:
        out += f" - COALESCE({expr}, 0)"
    return out


def stage_metrics_rolling(run_id: int, cal: Calendar, shard: tuple[int, int] = (0, 1)) -> int:
    """Yesterday's sums + the day entering − the day leaving each window: costs a few days' rows."""
    p = cal.params() | {"run": run_id, "shard": shard[0], "shards": shard[1]}
    eq = "(CASE WHEN {a}.has_account THEN {a}.equity END)"
    traded = "(CASE WHEN {a}.lots > 0 THEN 1 ELSE 0 END)"
    flat = "(CASE WHEN {a}.flat THEN 1 ELSE 0 END)"
    has_eq = "(CASE WHEN {a}.equity IS NOT NULL THEN 1 ELSE 0 END)"

    def win(col, expr, *ns):
        return _roll(col, expr.format(a="t"), [(f"o{n}", expr.format(a=f"o{n}")) for n in ns])

    exprs = [
        win("equity_sum_20", eq, 20), win("equity_days_20", has_eq, 20),
        win("equity_sum_60", eq, 60), win("equity_days_60", has_eq, 60),
        win("net_pnl_20", "{a}.net_pnl", 20), win("net_pnl_60", "{a}.net_pnl", 60),
        win("net_commission_250", "{a}.net_commission", 250),
        win("deposits_20", "{a}.deposit", 20), win("withdrawals_20", "{a}.withdrawal", 20),
        win("lots_20", "{a}.lots", 20), win("lots_60", "{a}.lots", 60), win("lots_80", "{a}.lots", 80),
        win("lots_250", "{a}.lots", 250), win("hedge_lots_250", "{a}.hedge_lots", 250),
        win("traded_days_60", traded, 60), win("flat_days_60", flat, 60), win("traded_days_120", traded, 120),
    ]
    joins = "\n".join(
        f"LEFT JOIN segmentation_clientday o{n} ON o{n}.client_id = c.id AND o{n}.trade_date = %(o{n})s"
        for n in WINDOWS
    )
    return _exec(
        _INSERT_STAGE_METRICS
        + f"""
        SELECT %(run)s, c.id, %(d)s, {", ".join(exprs)},
          o20.equity,
          CASE WHEN t.has_account THEN t.equity WHEN m.last_equity_on >= %(w250)s THEN m.last_equity END,
          CASE WHEN t.has_account THEN t.trade_date WHEN m.last_equity_on >= %(w250)s THEN m.last_equity_on END
        FROM clients_client c
        LEFT JOIN segmentation_clientmetrics m ON m.client_id = c.id
        LEFT JOIN segmentation_clientday t ON t.client_id = c.id AND t.trade_date = %(d)s
        {joins}
        WHERE mod(c.id, %(shards)s) = %(shard)s
        """,
        p,
    )


def _override_cte() -> str:
    """The pins in force on D: not removed, not expired (the expiry day is the last day a pin holds).

    Pins are not dated backwards: a recompute of past days applies the pins that hold now.
    """
    cols = ", ".join(f"MAX(value) FILTER (WHERE axis = '{a}') AS {a}" for a in AXES)
    return f"""
        SELECT client_id, {cols} FROM segmentation_segmentoverride
        WHERE removed_at IS NULL AND (expires_on IS NULL OR expires_on >= %(d)s)
        GROUP BY client_id
    """


def _prior(axis: str) -> str:
    """An axis's value before D: the published one when it is older than D, else rebuilt from the history."""
    return f"""CASE WHEN s.as_of < %(d)s THEN s.{axis} ELSE (
        SELECT h.to_value FROM segmentation_segmenttransition h
        WHERE h.client_id = c.id AND h.axis = '{axis}'
          AND (h.on_date < %(d)s OR (h.on_date = %(d)s AND h.source = 'person'))
        ORDER BY h.on_date DESC, h.id DESC LIMIT 1) END"""


def stage_axes(run_id: int, cal: Calendar, policy: Policy, shard: tuple[int, int] = (0, 1)) -> int:
    """The four axes, rule first, then the pins in force; with each axis's value before D."""
    p = cal.params() | {"run": run_id, "shard": shard[0], "shards": shard[1]} | {k: policy.value(k) for k in (
        "hedge_lots_share", "fund_large", "fund_medium", "active_traded_share", "active_flat_share",
        "active_lots_per_day", "key_traded_share", "key_loss_share", "tenure_new_days")}
    return _exec(
        f"""
        WITH ov AS ({_override_cte()}),
        base AS (
            SELECT c.id AS client_id, {", ".join(f"m.{col}" for col in METRIC_COLUMNS[2:])},
                   ov.purpose AS ov_purpose, ov.fund_size AS ov_fund_size,
                   ov.volume AS ov_volume, ov.tenure AS ov_tenure,
                   {_prior("purpose")} AS prev_purpose, {_prior("fund_size")} AS prev_fund_size,
                   {_prior("volume")} AS prev_volume, {_prior("tenure")} AS prev_tenure,
                   c.client_type, c.open_date
            FROM clients_client c
            JOIN segmentation_stage_metrics m ON m.client_id = c.id AND m.run_id = %(run)s
            LEFT JOIN segmentation_clientsegment s ON s.client_id = c.id
            LEFT JOIN ov ON ov.client_id = c.id
            WHERE mod(c.id, %(shards)s) = %(shard)s
        ),
        axes AS (
            SELECT b.*,
              COALESCE(b.ov_purpose, CASE
                WHEN b.client_type = 'spot_enterprise' THEN 'hedger'
                WHEN b.lots_250 > 0 AND b.hedge_lots_250 >= %(hedge_lots_share)s * b.lots_250 THEN 'hedger'
                ELSE 'speculator' END) AS purpose,
              COALESCE(b.ov_fund_size, CASE
                WHEN b.equity_days_20 = 0 THEN COALESCE(b.prev_fund_size, 'retail')
                WHEN b.equity_sum_20 >= %(fund_large)s * b.equity_days_20 THEN 'large'
                WHEN b.equity_sum_20 >= %(fund_medium)s * b.equity_days_20 THEN 'medium'
                ELSE 'retail' END) AS fund_size,
              COALESCE(b.ov_tenure, CASE
                WHEN b.open_date IS NOT NULL AND %(d)s::date - b.open_date < %(tenure_new_days)s THEN 'new'
                ELSE 'old' END) AS tenure
            FROM base b
        )
        INSERT INTO segmentation_stage_segment (run_id, client_id, purpose, fund_size, volume, tenure,
                                                prev_purpose, prev_fund_size, prev_volume, prev_tenure)
        SELECT %(run)s, a.client_id, a.purpose, a.fund_size,
          COALESCE(a.ov_volume, CASE
            WHEN a.traded_days_60 = 0 THEN 'dormant'
            WHEN a.traded_days_60 >= %(active_traded_share)s * {W60}
                 AND a.flat_days_60 >= %(active_flat_share)s * a.traded_days_60
                 AND a.lots_60 >= %(active_lots_per_day)s * a.traded_days_60 THEN 'active'
            WHEN a.purpose = 'hedger' THEN 'key_service'
            WHEN a.traded_days_60 >= %(key_traded_share)s * {W60} AND a.equity_days_60 > 0
                 AND a.net_pnl_60 * a.equity_days_60 <= %(key_loss_share)s * a.equity_sum_60 THEN 'key_service'
            ELSE 'ordinary' END),
          a.tenure, a.prev_purpose, a.prev_fund_size, a.prev_volume, a.prev_tenure
        FROM axes a
        """,
        p,
    )


def _inline(queryset) -> str:
    """A selector's SQL with its parameters quoted in, ready to nest in a statement with named parameters."""
    # Ordering would add columns to a DISTINCT select; a set needs none.
    sql, params = queryset.order_by().query.sql_with_params()
    with connection.cursor() as cur:
        rendered = cur.mogrify(sql, params).decode() if params else sql
    return rendered.replace("%", "%%")


def _complaint_cutoff(day: datetime.date) -> datetime.datetime:
    """Complaints overdue by the end of D (or by now, when the run is on D's own evening)."""
    end_of_day = timezone.make_aware(datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time()))
    return min(end_of_day, timezone.now())


def stage_signals(run_id: int, cal: Calendar, policy: Policy, shard: tuple[int, int] = (0, 1)) -> int:
    """Churn signals, score (capped) and the churned state, from the staged metrics and axes."""
    # The selectors' own SQL, nested as subqueries: one statement for every client, no Python loop.
    overdue_sql = _inline(overdue_complaint_client_ids(at=_complaint_cutoff(cal.day)))
    orphan_sql = _inline(orphaned_client_ids())
    weights = {s: policy.value(f"w_{s}") for s in (
        "equity_outflow", "volume_drop", "heavy_loss", "complaint_overdue", "orphaned", "turned_dormant")}
    score = " + ".join(f"(CASE WHEN x.{s} THEN {w} ELSE 0 END)" for s, w in weights.items())
    names = ", ".join(f"CASE WHEN x.{s} THEN '{s}' END" for s in weights)
    p = cal.params() | {
        "run": run_id, "shard": shard[0], "shards": shard[1],
        "outflow": policy.value("outflow_share"), "drop": policy.value("volume_drop_share"),
        "loss": policy.value("heavy_loss_share"), "cap": policy.value("score_cap"),
        "churn_equity": policy.value("churn_equity"), "idle": W120,
    }
    sql = f"""
        WITH overdue AS ({overdue_sql}), orphan AS ({orphan_sql}),
        x AS (
          SELECT s.client_id,
            (m.equity_20_ago > 0 AND m.withdrawals_20 - m.deposits_20 >= %(outflow)s * m.equity_20_ago)
                AS equity_outflow,
            (m.lots_80 - m.lots_20 > 0 AND m.lots_20 * 3 <= %(drop)s * (m.lots_80 - m.lots_20)) AS volume_drop,
            (m.equity_20_ago > 0 AND m.net_pnl_20 <= %(loss)s * m.equity_20_ago) AS heavy_loss,
            (s.client_id IN (SELECT * FROM overdue)) AS complaint_overdue,
            (s.client_id IN (SELECT * FROM orphan)) AS orphaned,
            ((s.volume = 'dormant' AND s.prev_volume IS NOT NULL AND s.prev_volume <> 'dormant')
             OR EXISTS (SELECT 1 FROM segmentation_segmenttransition h
                        WHERE h.client_id = s.client_id AND h.axis = 'volume' AND h.to_value = 'dormant'
                          AND h.source <> 'start' AND h.on_date >= %(w20)s
                          AND (h.on_date < %(d)s OR (h.on_date = %(d)s AND h.source = 'person'))))
                AS turned_dormant,
            (c.status = 'closed' OR (COALESCE(m.last_equity, 0) < %(churn_equity)s AND m.traded_days_120 = 0
                                     AND %(ndays)s >= %(idle)s
                                     AND (c.open_date IS NULL OR c.open_date <= %(w120)s))) AS churned
          FROM segmentation_stage_segment s
          JOIN segmentation_stage_metrics m ON m.run_id = s.run_id AND m.client_id = s.client_id
          JOIN clients_client c ON c.id = s.client_id
          WHERE s.run_id = %(run)s AND mod(s.client_id, %(shards)s) = %(shard)s
        )
        UPDATE segmentation_stage_segment s
        SET churn_score = LEAST(%(cap)s, {score}),
            churn_signals = to_jsonb(array_remove(ARRAY[{names}]::text[], NULL)),
            churned = x.churned
        FROM x WHERE s.run_id = %(run)s AND s.client_id = x.client_id
    """
    return _exec(sql, p)


def stage_value(run_id: int, cal: Calendar, policy: Policy, shard: tuple[int, int] = (0, 1)) -> int:
    """Lifetime value and the four loyalty criteria."""
    p = cal.params() | {
        "run": run_id, "shard": shard[0], "shards": shard[1],
        "retire": policy.value("ltv_retire_age"), "default_years": policy.value("ltv_default_years"),
        "tenure_years": int(policy.value("loyal_tenure_years")), "sat": policy.value("loyal_satisfaction"),
        "loyal_points": policy.value("loyal_points"), "full": W250,
    }
    return _exec(
        """
        WITH latest_survey AS (
            SELECT DISTINCT ON (client_id) client_id, trades_elsewhere FROM service_survey
            WHERE answered_on <= %(d)s ORDER BY client_id, answered_on DESC, id DESC
        ), latest_score AS (
            SELECT DISTINCT ON (client_id) client_id, satisfaction FROM service_survey
            WHERE answered_on <= %(d)s AND satisfaction IS NOT NULL ORDER BY client_id, answered_on DESC, id DESC
        ), x AS (
          SELECT s.client_id,
            -- Scaled to a full 250 days when the account opened inside the window.
            m.net_commission_250 * CASE
                WHEN c.open_date > %(w250)s AND c.open_date <= %(d)s THEN %(full)s::numeric / GREATEST(1, (
                    SELECT count(*) FROM segmentation_tradingday t WHERE t.day BETWEEN c.open_date AND %(d)s))
                ELSE 1 END AS annual,
            CASE WHEN c.client_type = 'individual' AND c.birthday IS NOT NULL
                 THEN GREATEST(1, %(retire)s - extract(year FROM age(%(d)s::date, c.birthday)))
                 ELSE %(default_years)s END AS years,
            COALESCE(ls.trades_elsewhere = false, false) AS exclusive,
            COALESCE(c.open_date <= %(d)s::date - make_interval(years => %(tenure_years)s), false) AS long_tenure,
            EXISTS (SELECT 1 FROM clients_client r WHERE r.referrer_id = c.id AND r.open_date <= %(d)s) AS refers,
            COALESCE(sc.satisfaction >= %(sat)s, false) AS praises
          FROM segmentation_stage_segment s
          JOIN segmentation_stage_metrics m ON m.run_id = s.run_id AND m.client_id = s.client_id
          JOIN clients_client c ON c.id = s.client_id
          LEFT JOIN latest_survey ls ON ls.client_id = s.client_id
          LEFT JOIN latest_score sc ON sc.client_id = s.client_id
          WHERE s.run_id = %(run)s AND mod(s.client_id, %(shards)s) = %(shard)s
        )
        UPDATE segmentation_stage_segment s
        SET lifetime_value = round(x.annual * x.years, 2),
            loyalty_points = x.exclusive::int + x.long_tenure::int + x.refers::int + x.praises::int,
            loyal = (x.exclusive::int + x.long_tenure::int + x.refers::int + x.praises::int) >= %(loyal_points)s,
            loyalty_criteria = to_jsonb(array_remove(ARRAY[
                CASE WHEN x.exclusive THEN 'exclusive' END, CASE WHEN x.long_tenure THEN 'long_tenure' END,
                CASE WHEN x.refers THEN 'refers' END, CASE WHEN x.praises THEN 'praises' END]::text[], NULL))
        FROM x WHERE s.run_id = %(run)s AND s.client_id = x.client_id
        """,
        p,
    )


def publish(run_id: int, cal: Calendar, policy_version: int) -> dict:
    """Swap the staged night in: metrics, segments and the day's rule transitions. Call inside one transaction."""
    p = {"run": run_id, "d": cal.day, "v": policy_version}
    cols = ", ".join(METRIC_COLUMNS)
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in METRIC_COLUMNS if c != "client_id")
    counts = {}
    counts["metrics"] = _exec(
        f"INSERT INTO segmentation_clientmetrics ({cols}) SELECT {cols} FROM segmentation_stage_metrics"
        f" WHERE run_id = %(run)s ON CONFLICT (client_id) DO UPDATE SET {updates}", p)
    # A rerun of D replaces D's rule transitions; people's changes stay.
    _exec("DELETE FROM segmentation_segmenttransition WHERE on_date = %(d)s AND source IN ('rule', 'start')", p)
    parts = [
        f"""SELECT client_id, '{a}', COALESCE(prev_{a}, ''), {a}, %(d)s::date,
                   CASE WHEN prev_{a} IS NULL THEN 'start' ELSE 'rule' END, '', %(v)s, now()
            FROM segmentation_stage_segment WHERE run_id = %(run)s AND prev_{a} IS DISTINCT FROM {a}"""
        for a in AXES
    ]
    counts["transitions"] = _exec(
        "INSERT INTO segmentation_segmenttransition (client_id, axis, from_value, to_value, on_date, source,"
        " reason, policy_version, created_at) " + " UNION ALL ".join(parts), p)
    seg_cols = ", ".join(SEGMENT_COLUMNS)
    seg_updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in [*SEGMENT_COLUMNS[1:], "as_of", "policy_version"])
    counts["segments"] = _exec(
        f"INSERT INTO segmentation_clientsegment ({seg_cols}, as_of, policy_version)"
        f" SELECT {seg_cols}, %(d)s, %(v)s FROM segmentation_stage_segment WHERE run_id = %(run)s"
        f" ON CONFLICT (client_id) DO UPDATE SET {seg_updates}", p)
    clear_stage(run_id)
    return counts


def clear_stage(run_id: int | None = None) -> None:
    """Drop staged rows of one run, or (None) of every run: leftovers of a killed run."""
    where, params = ("WHERE run_id = %s", [run_id]) if run_id is not None else ("", None)
    _exec(f"DELETE FROM segmentation_stage_metrics {where}", params)
    _exec(f"DELETE FROM segmentation_stage_segment {where}", params)
