"""The value-concentration (Pareto) chart: the cumulative share of net commission against the share of clients,
from the dashboard's figures of a scope, and the clients behind the top 20 % (the client list's
`top_net_commission` filter, so the page, its link and the list count the same clients)."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from .filtersets import top_by_net_commission

TOP_SHARE = 20  # the dashboard's "top 20 %"
SHOWN = 50  # the top clients listed on the page; the link opens all of them
PCT_PLACES = Decimal("0.1")


def percent(share: str | Decimal | None) -> Decimal | None:
    """A stored share (0.8123) as a percentage with one place (81.2)."""
    return None if share is None else (Decimal(share) * 100).quantize(PCT_PLACES)


def curve_table(figures: dict | None) -> list[list]:
    """One row per point of the curve: share of clients (%, the highest first), cumulative share (%)."""
    curve = (figures or {}).get("concentration", {}).get("curve", [])
    return [[int(p["clients_pct"]), percent(p["share"])] for p in curve]


def curve_chart(rows: list[list]) -> dict:
    """The Pareto curve as a line over the share of clients, with the line of equal shares to compare."""
    return {"kind": "line", "categories": [f"{r[0]}%" for r in rows],
            "series": [{"name": str(_("Cumulative share of net commission (%)")), "money": False,
                        "data": [None if r[1] is None else str(r[1]) for r in rows]},
                       {"name": str(_("Equal shares (%)")), "money": False, "data": [str(r[0]) for r in rows]}]}


def top_clients(clients, share: int = TOP_SHARE):
    """Of `clients` (already scoped to the viewer and the page's scope), the top `share` % by net commission over
    250 trading days, the highest first, as the client list's `top_net_commission` filter selects them."""
    return (top_by_net_commission(clients, "top_net_commission", share)
            .select_related("metrics", "account_manager__staff_profile", "branch")
            .order_by("-metrics__net_commission_250", "pk"))
