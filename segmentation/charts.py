"""The data behind the analysis charts, read from the stored history (indicator snapshots, segment transitions):
each function returns the table a chart draws, so the chart, its table view and its export show one set of numbers."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db.models import Count, Max
from django.utils.translation import gettext_lazy as _

from futures_crm.roles import FIRM_WIDE_ROLES, Role, user_role

from .models import IndicatorSnapshot
from .selectors import (
    AXIS_VALUES,
    INDICATOR_MONEY,
    indicator_access,
    indicator_series,
    manager_code,
    segment_value_on,
)

# The indicators a trend or a ranking offers (a subset of the snapshot's columns), in menu order.
CHART_INDICATORS = {
    "clients": _("Clients"),
    "equity": _("Equity"),
    "net_commission": _("Net commission"),
    "high_risk": _("High churn risk"),
    "churned": _("Churned"),
    "lifetime_value": _("Lifetime value"),
}
DEFAULT_TREND = ["clients", "equity", "net_commission"]
TREND_DAYS = 90
NOT_SEGMENTED = ""  # a client with no value on the first day (not yet segmented then)


def _number(key: str, value):
    """A snapshot figure as the table and the export hold it: money as Decimal, counts as int, missing as None."""
    if value is None:
        return None
    return Decimal(value) if key in INDICATOR_MONEY else value


# ---------------------------------------------------------------- trends

def trend_scopes(user) -> list[tuple[str, str]]:
    """The (value, label) of each scope whose history `user` may read: "firm:", "branch:<code>",
    "manager:<employee code>" — the firm-wide roles everything, a branch manager their branch and its managers,
    an account manager their own book."""
    from clients.models import Branch, StaffProfile

    role = user_role(user)
    if role == Role.ACCOUNT_MANAGER:
        return [(f"manager:{manager_code(user)}", str(_("My clients")))]
    branches = Branch.objects.order_by("code")
    managers = StaffProfile.objects.filter(role=Role.ACCOUNT_MANAGER).order_by("employee_code")
    options = []
    if role in FIRM_WIDE_ROLES:
        options.append(("firm:", str(_("Whole firm"))))
    elif role == Role.BRANCH_MANAGER:
        branches = branches.filter(pk=user.staff_profile.branch_id)
        managers = managers.filter(branch_id=user.staff_profile.branch_id)
    else:
        return []
    options += [(f"branch:{b.code}", str(b)) for b in branches]
    options += [(f"manager:{m.employee_code}", f"{m.display_name} ({m.employee_code})") for m in managers]
    return options


def parse_scope(user, value: str) -> tuple[str, str] | None:
    """A scope value ("branch:SH01") as (scope, code) if `user` may read it, else None."""
    scope, _sep, code = value.partition(":")
    if scope not in ("firm", "branch", "manager") or (scope == "firm") != (code == ""):
        return None
    return (scope, code) if indicator_access(user, scope, code) == "ok" else None


def trend_table(scope: str, code: str, start, end, keys: list[str]) -> list[list]:
    """One row a day (date, then each chosen indicator) from the stored snapshots, oldest first."""
    return [[datetime.date.fromisoformat(item["date"]), *(_number(k, item[k]) for k in keys)]
            for item in indicator_series(scope, code, start, end)]


def trend_chart(rows: list[list], keys: list[str]) -> dict:
    """The line chart of `trend_table`'s rows: money on the left axis, counts on the right."""
    return {"kind": "line", "categories": [r[0].isoformat() for r in rows],
            "series": [{"name": str(CHART_INDICATORS[k]), "money": k in INDICATOR_MONEY,
                        "data": [None if r[i] is None else str(r[i]) for r in rows]}
                       for i, k in enumerate(keys, start=1)]}


# ---------------------------------------------------------------- segment migration

def migration_matrix(user, axis: str, start, end) -> dict:
    """Who was what on `start` and on `end` on one axis, counted: each client's value on a day is the last
    transition of that axis up to it. Clients `user` may see that had a value on `end`; one grouped query.
    `rows` are (from value, label, counts per `values`, total); `values` the axis's values in order."""
    from clients.models import Client

    counted = (Client.objects.visible_to(user).annotate(was=segment_value_on(axis, start),
                                                        now=segment_value_on(axis, end))
               .filter(now__isnull=False).order_by().values_list("was", "now").annotate(n=Count("pk")))
    cells = {(was or NOT_SEGMENTED, now): n for was, now, n in counted}
    enum = AXIS_VALUES[axis]
    values = list(enum.choices)
    froms = values + ([(NOT_SEGMENTED, str(_("Not segmented")))] if any(w == NOT_SEGMENTED for w, _n in cells)
                      else [])
    rows = []
    for value, label in froms:
        counts = [cells.get((value, to), 0) for to, _label in values]
        rows.append({"value": value, "label": str(label), "counts": counts, "total": sum(counts)})
    return {"values": [(v, str(label)) for v, label in values], "rows": rows,
            "total": sum(r["total"] for r in rows),
            "moved": sum(n for (was, now), n in cells.items() if was != now)}


def migration_chart(matrix: dict) -> dict:
    """The heatmap of a matrix: x the value on the last day, y the value on the first."""
    return {"kind": "heatmap", "x": [label for _v, label in matrix["values"]],
            "y": [r["label"] for r in matrix["rows"]],
            "cells": [[j, i, n] for i, r in enumerate(matrix["rows"]) for j, n in enumerate(r["counts"])]}


# ---------------------------------------------------------------- branch ranking

def latest_branch_day():
    return IndicatorSnapshot.objects.filter(scope="branch").aggregate(d=Max("on_date"))["d"]


def branch_ranking(key: str, day) -> list[dict]:
    """The branches' snapshots of `day` ranked by one indicator, highest first (ties share a rank; a branch
    without the figure comes last, unranked)."""
    from clients.models import Branch

    names = {b.code: str(b) for b in Branch.objects.all()}
    snaps = IndicatorSnapshot.objects.filter(scope="branch", on_date=day).values_list("code", key)
    ordered = sorted(((code, _number(key, v)) for code, v in snaps),
                     key=lambda r: (r[1] is None, -(r[1] or 0), r[0]))
    rows, rank, previous = [], 0, object()
    for position, (code, value) in enumerate(ordered, start=1):
        if value != previous:
            rank, previous = position, value
        rows.append({"rank": rank if value is not None else None, "code": code, "name": names.get(code, code),
                     "value": value})
    return rows


def ranking_chart(rows: list[dict], key: str) -> dict:
    return {"kind": "bar", "categories": [r["name"] for r in rows],
            "series": [{"name": str(CHART_INDICATORS[key]), "money": key in INDICATOR_MONEY,
                        "data": [None if r["value"] is None else str(r["value"]) for r in rows]}]}
