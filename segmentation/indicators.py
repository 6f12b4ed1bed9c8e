"""Indicator history: one dated snapshot per scope (firm, branch, account manager, intermediary), set-based.

One statement computes a trading day for every scope: each client of the day is one row (its figures joined
from the settlement, service and nightly tables), exploded into the scopes it belongs to, grouped by scope.
A client belongs to the branch, manager and intermediary it has today (assignments are not historised).

The day's period (for "new", tickets resolved, complaints, contacts…) runs from the end of the previous trading
day to the end of this one, Asia/Shanghai, so a weekend's events count on the Monday and no day is counted twice.
Figures only the night's own results know (segments, churn, lifetime value, loyalty, retention) are taken
from ClientSegment/ClientMetrics when they are as of the day, and are NULL otherwise.

The dashboard reads its figures from here (never recomputes): the segmented clients (closed accounts too, as the
client list's `segmented` filter lists them) by segment, churn-score band, loyalty, and the concentration curve
of the 250-day net commission behind the top-20 % share.
"""

from __future__ import annotations

import datetime

from django.db import connection
from django.utils import timezone

from clients.choices import CHURN_REASON_KIND, ChurnKind

from .models import FundSize, IndicatorSnapshot, Purpose, Tenure, Volume

AXIS_VALUES = {"purpose": Purpose.values, "fund_size": FundSize.values, "volume": Volume.values,
               "tenure": Tenure.values}
# The seed's "inevitable" and "accidental" causes, as the client's churn reason names them.
INEVITABLE = tuple(r.value for r, kind in CHURN_REASON_KIND.items() if kind == ChurnKind.INEVITABLE)
ACCIDENTAL = tuple(r.value for r, kind in CHURN_REASON_KIND.items() if kind == ChurnKind.ACCIDENTAL)

# The dashboard's churn-risk bands (scores from, to) and its "high risk" (the bands from 50 up: the default
# retention threshold); its concentration curve has a point every 5 % of clients.
CHURN_BANDS = [(0, 0), (1, 24), (25, 49), (50, 74), (75, 100)]
HIGH_RISK = 50
CURVE_POINTS = 20

# Columns the rebuild of a past day cannot know (ClientSegment holds the newest night only): kept if stored.
STATE_COLUMNS = ["policy_version", "active", "churned", "churned_inevitable", "churned_accidental",
                 "churned_no_reason", "segments", "lifetime_value", "top20_share", "high_risk", "avg_churn_score",
                 "loyal", "retention_rate", "segmented", "segmented_unassigned", "segment_counts", "segmented_loyal",
                 "churn_bands", "net_commission_250", "concentration"]


# The figures are summed in two stages: each client once into its cell (its branch, manager and intermediary),
# then the few thousand cells into every scope (firm, branch, manager, intermediary): the per-client work is done
# once instead of once per kind of scope. Each figure is written with the helpers below, which collect the cell's
# aggregates ("leaves") and give the scope's expression over them (the same numbers as one aggregate over the
# scope's clients: counts and sums add up, an average is the sum of the sums over the sum of the counts).
LEAVES: list[str] = []


def _leaf(aggregate: str) -> str:
    if aggregate not in LEAVES:
        LEAVES.append(aggregate)
    return f"leaf{LEAVES.index(aggregate)}"


def _filter(where: str | None) -> str:
    return f" FILTER (WHERE {where})" if where else ""


def _count(where: str | None = None) -> str:
    return f"sum({_leaf(f'count(*){_filter(where)}')})"


def _sum(expr: str, where: str | None = None) -> str:
    return f"COALESCE(sum({_leaf(f'sum({expr}){_filter(where)}')}), 0)"


def _avg(expr: str, where: str, places: int) -> str:
    total, n = _leaf(f"sum({expr}){_filter(where)}"), _leaf(f"count({expr}){_filter(where)}")
    return f"round(sum({total}) / NULLIF(sum({n}), 0), {places})"


def _state(expr: str) -> str:
    """A figure only the night's own results give: NULL for a scope none of whose clients is segmented as of D."""
    return f"CASE WHEN bool_or({_leaf('bool_or(seg)')}) THEN {expr} END"


def _segments_sql(where: str) -> str:
    parts = []
    for axis, values in AXIS_VALUES.items():
        counts = ", ".join(f"'{v}', {_count(f'{where} AND {axis} = {_quoted(v)}')}" for v in values)
        parts.append(f"'{axis}', jsonb_build_object({counts})")
    return f"jsonb_build_object({', '.join(parts)})"


def _bands_sql() -> str:
    counts = ", ".join(_count(f"seg AND churn_score BETWEEN {lo} AND {hi}") for lo, hi in CHURN_BANDS)
    return f"jsonb_build_array({counts})"


def _quoted(value: str) -> str:
    return f"'{value}'"


def _inlist(values) -> str:
    return ", ".join(_quoted(v) for v in values)


# Each output column and its expression over the cells.
AGGREGATES = {
    "policy_version": _state("%(policy)s"),
    "clients": _count("in_book"),
    "new": _count("open_date > %(prev)s AND open_date <= %(d)s"),
    "reactivated": _count("reactivated"),
    "active": _state(_count("active_now")),
    "churned": _state(_count("seg AND churned")),
    "churned_inevitable": _state(_count(f"seg AND churned AND churn_reason IN ({_inlist(INEVITABLE)})")),
    "churned_accidental": _state(_count(f"seg AND churned AND churn_reason IN ({_inlist(ACCIDENTAL)})")),
    "churned_no_reason": _state(_count("seg AND churned AND churn_reason = ''")),
    "segments": _state(_segments_sql("seg AND in_book")),
    "equity": _sum("equity"),
    "net_deposits": _sum("net_deposits"),
    "lots": _sum("lots"),
    "commission": _sum("commission"),
    "net_commission": _sum("net_commission"),
    "lifetime_value": _state(_sum("lifetime_value", "seg AND in_book")),
    "high_risk": _state(_count("seg AND in_book AND churn_score >= %(score)s")),
    "avg_churn_score": _state(_avg("churn_score", "seg AND in_book", 2)),
    "loyal": _state(_count("seg AND in_book AND loyal")),
    # Clients active a year ago (volume not dormant then, by the transitions) that are still active.
    "retention_rate": _state(f"round({_count('active_then AND active_now')} / NULLIF({_count('active_then')}, 0), 4)"),
    "open_tasks": _sum("open_tasks"),
    "overdue_tasks": _sum("overdue_tasks"),
    "open_tickets": _sum("open_tickets"),
    "overdue_tickets": _sum("overdue_tickets"),
    "tickets_resolved": _sum("tickets_resolved"),
    "tickets_within_deadline": _sum("tickets_within_deadline"),
    "complaints": _sum("complaints"),
    "avg_satisfaction": _avg("satisfaction", "in_book", 2),
    "contacts": _sum("contacts"),
    "tickets_opened": _sum("tickets_opened"),
    "tasks_created": _sum("tasks_created"),
    # The dashboard's: every segmented client (closed accounts too), as the client list's filters select them.
    "segmented": _state(_count("seg")),
    "segmented_unassigned": _state(_count("seg AND manager_code IS NULL")),
    "segment_counts": _state(_segments_sql("seg")),
    "segmented_loyal": _state(_count("seg AND loyal")),
    "churn_bands": _state(_bands_sql()),
}
OPEN_TICKET = "status IN ('new', 'in_progress', 'waiting')"  # service.choices.OPEN_TICKET_STATUSES

# The kind of scope and its code of a row of `GROUP BY GROUPING SETS ((), (branch_code), (manager_code),
# (intermediary_code))`.
SCOPE_CODE = """CASE WHEN GROUPING(branch_code) = 0 THEN 'branch' WHEN GROUPING(manager_code) = 0 THEN 'manager'
                WHEN GROUPING(intermediary_code) = 0 THEN 'intermediary' ELSE 'firm' END AS scope,
           CASE WHEN GROUPING(branch_code) = 0 THEN branch_code WHEN GROUPING(manager_code) = 0 THEN manager_code
                WHEN GROUPING(intermediary_code) = 0 THEN intermediary_code ELSE '' END AS code"""

PER_CLIENT_TEMPLATE = f"""
WITH acc AS (
    SELECT client_id, equity, deposit - withdrawal AS net_deposits, commission,
           commission - exchange_fee AS net_commission
    FROM clients_accountsettlement WHERE trade_date = %(d)s
), lots AS (
    SELECT client_id, sum(buy_lots + sell_lots) AS lots
    FROM clients_contractsettlement WHERE trade_date = %(d)s GROUP BY client_id
), tasks AS (
    SELECT client_id,
           count(*) FILTER (WHERE status = 'open' OR done_at >= %(end)s) AS open_tasks,
           count(*) FILTER (WHERE (status = 'open' OR done_at >= %(end)s) AND due_on < %(d)s) AS overdue_tasks,
           count(*) FILTER (WHERE created_at >= %(start)s) AS tasks_created
    FROM service_task
    WHERE client_id IS NOT NULL AND created_at < %(end)s
      AND (status = 'open' OR done_at >= %(start)s OR created_at >= %(start)s)
    GROUP BY client_id
), tickets AS (
    SELECT client_id,
           count(*) FILTER (WHERE {OPEN_TICKET} OR resolved_at >= %(end)s) AS open_tickets,
           count(*) FILTER (WHERE ({OPEN_TICKET} OR resolved_at >= %(end)s) AND deadline < %(end)s)
               AS overdue_tickets,
           count(*) FILTER (WHERE resolved_at >= %(start)s AND resolved_at < %(end)s) AS tickets_resolved,
           count(*) FILTER (WHERE resolved_at >= %(start)s AND resolved_at < %(end)s AND resolved_at <= deadline)
               AS tickets_within_deadline,
           count(*) FILTER (WHERE created_at >= %(start)s AND ticket_type = 'complaint') AS complaints,
           count(*) FILTER (WHERE created_at >= %(start)s) AS tickets_opened
    FROM service_ticket
    WHERE client_id IS NOT NULL AND created_at < %(end)s
      AND ({OPEN_TICKET} OR resolved_at >= %(start)s OR created_at >= %(start)s)
    GROUP BY client_id
), contacts AS (
    SELECT client_id, count(*) AS contacts FROM clients_contactlog
    WHERE contacted_at >= %(start)s AND contacted_at < %(end)s GROUP BY client_id
), sat AS (
    SELECT DISTINCT ON (client_id) client_id, satisfaction FROM service_survey
    WHERE answered_on <= %(d)s AND satisfaction IS NOT NULL ORDER BY client_id, answered_on DESC, id DESC
), react AS (
    SELECT DISTINCT client_id, TRUE AS reactivated FROM segmentation_segmenttransition
    WHERE on_date = %(d)s AND axis = 'volume' AND from_value = 'dormant' AND to_value <> 'dormant'
), year_ago AS (
    SELECT DISTINCT ON (client_id) client_id, to_value AS volume_year_ago FROM segmentation_segmenttransition
    WHERE axis = 'volume' AND on_date <= %(year_ago)s ORDER BY client_id, on_date DESC, id DESC
), svc AS (
    -- The service records' figures of the clients that have any, joined among themselves first (a few
    -- thousand rows each) so the day's clients are joined to them once.
    SELECT * FROM tasks FULL JOIN tickets USING (client_id) FULL JOIN contacts USING (client_id)
        FULL JOIN sat USING (client_id) FULL JOIN react USING (client_id) FULL JOIN year_ago USING (client_id)
), per AS (
    -- The codes in byte order: the cells are sorted by them, several times faster than in the locale's order
    -- (and the same groups).
    SELECT c.id, c.open_date, c.churn_reason, b.code COLLATE "C" AS branch_code,
           CASE WHEN c.account_manager_id IS NOT NULL
                THEN COALESCE(p.employee_code, c.account_manager_id::text) END COLLATE "C" AS manager_code,
           NULLIF(c.intermediary_code, '') COLLATE "C" AS intermediary_code,
           COALESCE(c.close_date > %(d)s, c.status <> 'closed') AS in_book,
           COALESCE(s.as_of = %(d)s, FALSE) AS seg, s.purpose, s.fund_size, s.volume, s.tenure, s.churned,
           s.churn_score, s.lifetime_value, s.loyal,
           CASE WHEN s.as_of = %(d)s AND mt.as_of = %(d)s THEN mt.net_commission_250 END AS nc250,
           acc.equity, acc.net_deposits, acc.commission, acc.net_commission, lots.lots,
           svc.open_tasks, svc.overdue_tasks, svc.tasks_created,
           svc.open_tickets, svc.overdue_tickets, svc.tickets_resolved, svc.tickets_within_deadline,
           svc.complaints, svc.tickets_opened, svc.contacts, svc.satisfaction,
           COALESCE(svc.reactivated, FALSE) AS reactivated,
           COALESCE(svc.volume_year_ago <> 'dormant' AND COALESCE(c.close_date > %(year_ago)s, TRUE), FALSE)
               AS active_then,
           COALESCE(s.as_of = %(d)s AND COALESCE(c.close_date > %(d)s, c.status <> 'closed') AND NOT s.churned
                    AND s.volume <> 'dormant', FALSE) AS active_now
    FROM clients_client c
    JOIN clients_branch b ON b.id = c.branch_id
    LEFT JOIN clients_staffprofile p ON p.user_id = c.account_manager_id
    -- Joined by client only, the day tested above: right after publish the statistics still say every row is
    -- as of yesterday, and a join on as_of = today would be planned as a nested loop over all clients.
    LEFT JOIN segmentation_clientsegment s ON s.client_id = c.id
    LEFT JOIN segmentation_clientmetrics mt ON mt.client_id = c.id
    LEFT JOIN acc ON acc.client_id = c.id
    LEFT JOIN lots ON lots.client_id = c.id
    LEFT JOIN svc ON svc.client_id = c.id
    WHERE c.open_date IS NULL OR c.open_date <= %(d)s
), cells AS (
    -- Each cell also keeps its clients' 250-day net commissions (for the ranking below), so `per` is read once
    -- and stays inlined rather than materialised.
    SELECT branch_code, manager_code, intermediary_code,
           array_agg(nc250) FILTER (WHERE nc250 IS NOT NULL) AS amounts, {{leaves}}
    FROM per GROUP BY branch_code, manager_code, intermediary_code
), agg AS (
    SELECT {SCOPE_CODE},
           {{aggregates}}
    FROM cells GROUP BY GROUPING SETS ((), (branch_code), (manager_code), (intermediary_code))
), ranked AS (
    -- Share of the 250-day net commission brought by the top fifth of the scope's clients (as the dashboard).
    -- Each scope's amounts, largest first, in one array: the cells' amounts unnested (100,000 narrow rows) and
    -- sorted within each scope only. Clients tied on the amount may take either place: the sums of the first k
    -- amounts below do not depend on it.
    SELECT {SCOPE_CODE}, array_agg(nc250 ORDER BY nc250 DESC) AS amounts,
           count(*)::int AS n
    FROM cells CROSS JOIN LATERAL unnest(cells.amounts) AS nc250
    GROUP BY GROUPING SETS ((), (branch_code), (manager_code), (intermediary_code))
), top AS (
    -- The concentration curve: the scope's n clients in CURVE_POINTS slices by rank (slice p: ranks
    -- floor((p - 1) × n / points) + 1 to floor(p × n / points), i.e. ceil(rank × points / n) = p), the running
    -- sum at each slice, and the top fifth's (ranks 1 to ceil(n / 5)); each slice summed from the sorted array.
    SELECT ranked.scope, ranked.code, curve.total, round(curve.top / NULLIF(curve.total, 0), 4) AS share,
           CASE WHEN curve.total <> 0 THEN curve.curve END AS curve
    FROM ranked CROSS JOIN LATERAL (
        SELECT max(total) AS total,
               (SELECT sum(nc) FROM unnest(ranked.amounts[1:(ranked.n + 4) / 5]) AS nc) AS top,
               jsonb_agg(jsonb_build_object('clients_pct', round(100.0 * point / {CURVE_POINTS})::int,
                                            'share', round(cum / NULLIF(total, 0), 4)::text) ORDER BY point) AS curve
        FROM (SELECT point, sum(slice.nc) OVER (ORDER BY point) AS cum, sum(slice.nc) OVER () AS total
              FROM generate_series(1, {CURVE_POINTS}) AS point, LATERAL (
                  SELECT sum(nc) AS nc FROM unnest(ranked.amounts[(point - 1) * ranked.n / {CURVE_POINTS} + 1
                                                                  :point * ranked.n / {CURVE_POINTS}]) AS nc
              ) AS slice
              -- Fewer clients than points: some slices are empty and make no point of the curve.
              WHERE point * ranked.n / {CURVE_POINTS} > (point - 1) * ranked.n / {CURVE_POINTS}) AS points
    ) AS curve
)
"""  # noqa: S608 - constant SQL, the values are parameters

COLUMNS = [*AGGREGATES, "top20_share", "net_commission_250", "concentration"]
PER_CLIENT = PER_CLIENT_TEMPLATE.replace(
    "{aggregates}", ", ".join(f"{expr} AS {col}" for col, expr in AGGREGATES.items())).replace(
    "{leaves}", ", ".join(f"{aggregate} AS leaf{i}" for i, aggregate in enumerate(LEAVES)))
_TARGET = f"segmentation_indicatorsnapshot (on_date, scope, code, {', '.join(COLUMNS)})"
# A client without a manager or an intermediary makes a group whose code is NULL: not a scope.
_PICK = ", ".join(f"agg.{col}" for col in AGGREGATES)
_SELECT = (f"SELECT %(d)s, agg.scope, agg.code, {_PICK}, top.share, top.total, top.curve "  # noqa: S608
           "FROM agg LEFT JOIN top USING (scope, code) ")
_SELECT += "WHERE agg.code IS NOT NULL"
INSERT = f"{PER_CLIENT} INSERT INTO {_TARGET} {_SELECT}"
# A rebuild of a past day rewrites what history holds and keeps the night's own figures already stored.
UPSERT = INSERT + " ON CONFLICT (on_date, scope, code) DO UPDATE SET " + ", ".join(
    f"{col} = COALESCE(EXCLUDED.{col}, segmentation_indicatorsnapshot.{col})" if col in STATE_COLUMNS
    else f"{col} = EXCLUDED.{col}" for col in COLUMNS)


def _params(day: datetime.date, policy_version: int, score: int) -> dict:
    with connection.cursor() as cur:
        cur.execute("SELECT max(day) FROM segmentation_tradingday WHERE day < %s", [day])
        prev = cur.fetchone()[0] or day - datetime.timedelta(days=1)

    def end_of(d):
        return timezone.make_aware(datetime.datetime.combine(d + datetime.timedelta(days=1), datetime.time()))

    return {"d": day, "prev": prev, "start": end_of(prev), "end": end_of(day), "policy": policy_version,
            "score": score, "year_ago": day - datetime.timedelta(days=365)}


def _execute(sql: str, params: dict) -> int:
    with connection.cursor() as cur:
        # The statement's hundred-odd aggregates cost more to JIT-compile (seconds at 100,000 clients) than to
        # run; the ranking for the top-20 % share sorts in memory. Both settings end with the transaction.
        cur.execute("SET LOCAL jit = off")
        cur.execute("SET LOCAL work_mem = '64MB'")
        cur.execute(sql, params)
        return cur.rowcount


def write_day(day: datetime.date, *, policy_version: int, score: int) -> int:
    """The night's snapshot of `day`: its rows deleted and written again (call inside the step's transaction)."""
    IndicatorSnapshot.objects.filter(on_date=day).delete()
    return _execute(INSERT, _params(day, policy_version, score))


def rebuild_day(day: datetime.date, *, policy_version: int, score: int) -> int:
    """Rewrite `day`'s snapshot from history, keeping the stored figures of its night that history cannot give.
    Call inside a transaction."""
    return _execute(UPSERT, _params(day, policy_version, score))
