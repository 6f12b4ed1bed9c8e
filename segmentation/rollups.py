"""Dashboard figures: segment counts, churn-risk distribution, value concentration.

One function computes them for any set of clients; the nightly run stores them for the firm and each
branch, and an account manager's own book is computed on request (it is small).
"""

from __future__ import annotations

from decimal import Decimal

from django.db import connection, transaction

from .engine import AXES

CURVE_POINTS = 20  # the curve's resolution: every 5% of clients
SHARE_PLACES = Decimal("0.0001")
CHURN_BUCKETS = [(0, 0), (1, 24), (25, 49), (50, 74), (75, 100)]
HIGH_RISK = 50  # the buckets from here up are the dashboard's "high risk" (the default retention threshold)


def figures(where: str = "TRUE", params: dict | None = None) -> dict:
    """Figures over the segmented clients matching `where` (SQL on alias c = client, s = segment)."""
    params = params or {}
    base = (f"FROM segmentation_clientsegment s JOIN clients_client c ON c.id = s.client_id "
            f"WHERE {where}")
    out = {"segments": {a: {} for a in AXES}}
    with connection.cursor() as cur:
        union = " UNION ALL ".join(f"SELECT '{a}', s.{a}, count(*) {base} GROUP BY s.{a}" for a in AXES)
        cur.execute(union, params)
        for axis, value, n in cur.fetchall():
            out["segments"][axis][value] = n
        buckets = ", ".join(f"count(*) FILTER (WHERE s.churn_score BETWEEN {lo} AND {hi})" for lo, hi in CHURN_BUCKETS)
        cur.execute(f"SELECT count(*), {buckets}, count(*) FILTER (WHERE s.churned),"
                    f" count(*) FILTER (WHERE s.loyal) {base}", params)
        row = cur.fetchone()
        out["clients"] = row[0]
        out["churn"] = [{"from": lo, "to": hi, "clients": n} for (lo, hi), n in zip(CHURN_BUCKETS, row[1:6],
                                                                                    strict=True)]
        out["churned"], out["loyal"] = row[6], row[7]
        out["concentration"] = _concentration(cur, where, params)
    return out


def _concentration(cur, where: str, params: dict) -> dict:
    """Share of net commission (250 days) brought by the top 20% of clients, and the curve behind it."""
    cur.execute(
        f"""
        WITH v AS (
            SELECT m.net_commission_250 AS nc FROM segmentation_clientmetrics m
            JOIN segmentation_clientsegment s ON s.client_id = m.client_id
            JOIN clients_client c ON c.id = m.client_id WHERE {where}
        ), r AS (
            SELECT nc, row_number() OVER (ORDER BY nc DESC) AS rn, count(*) OVER () AS n,
                   sum(nc) OVER (ORDER BY nc DESC ROWS UNBOUNDED PRECEDING) AS cum, sum(nc) OVER () AS total
            FROM v
        )
        SELECT ceil(rn * {CURVE_POINTS}.0 / n)::int AS point, max(cum), max(total), max(n),
               sum(nc) FILTER (WHERE rn <= ceil(n * 0.2))
        FROM r GROUP BY 1 ORDER BY 1
        """,
        params,
    )
    rows = cur.fetchall()
    if not rows or not rows[0][2]:
        return {"top20_share": None, "curve": [], "total": "0"}
    total = Decimal(rows[0][2])
    top20 = sum((Decimal(r[4] or 0) for r in rows), Decimal(0))
    # Shares of money stay exact decimals; stored as JSON strings like the total itself.
    curve = [{"clients_pct": round(100 * p / CURVE_POINTS), "share": _share(Decimal(cum), total)}
             for p, cum, _t, _n, _s in rows]
    return {"top20_share": _share(top20, total), "curve": curve, "total": str(total)}


def _share(part: Decimal, total: Decimal) -> str:
    return str((part / total).quantize(SHARE_PLACES))


@transaction.atomic
def rebuild(day, policy_version: int) -> int:
    """Store the firm's and every branch's figures for the dashboard."""
    from clients.models import Branch

    from .models import DashboardRollup

    scopes = [("firm", "TRUE", {})] + [
        (f"branch:{pk}", "c.branch_id = %(branch)s", {"branch": pk})
        for pk in Branch.objects.filter(clients__segment__isnull=False).distinct().values_list("pk", flat=True)
    ]
    DashboardRollup.objects.all().delete()
    DashboardRollup.objects.bulk_create(
        DashboardRollup(scope=scope, as_of=day, policy_version=policy_version, data=figures(where, params))
        for scope, where, params in scopes
    )
    return len(scopes)
