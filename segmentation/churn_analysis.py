"""Churn analysis (issue 14): the clients who churned over a date range by reason (the seed's inevitable and
accidental causes, clients.choices.ChurnReason), by branch, account manager and intermediary, and the churned
counts over time from the indicator history.

A client churned in the range when its account was closed (close date) from the first day to the last: the one
churn with a date. The reason is the one a person recorded on the client (none yet: "no reason recorded"). The
line over time reads the nightly snapshots (IndicatorSnapshot), whose churned counts are as of each day and also
hold the clients the nightly rules find churned without a closing (equity under 1,000 CNY and 120 trading days
without a trade): a stock, where the tables count closings in the range.

Every count is of the clients the reader sees (Client.objects.visible_to) and comes with the client-list filters
that list exactly those clients (`closed_from`, `closed_to`, `churn_reason`, `churn_kind`, `churn_recorded`,
`branch`, `account_manager`, `no_manager`, `intermediary_code`, `no_intermediary`), which this module registers.
"""

from __future__ import annotations

import datetime

import django_filters
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from clients.choices import CHURN_REASON_KIND, ChurnKind, ChurnReason
from clients.models import Client
from futures_crm import people
from futures_crm.roles import FIRM_WIDE_ROLES, Role, user_role

from .models import IndicatorSnapshot

CHURN_ROLES = FIRM_WIDE_ROLES - {Role.BACK_OFFICE} | {Role.BRANCH_MANAGER, Role.ACCOUNT_MANAGER}
DEFAULT_DAYS = 365
NO_REASON = "none"  # the column of clients churned with no reason recorded

# The columns of the branch, manager and intermediary tables: every churned client, then by kind of reason.
KIND_COLUMNS = {
    "all": _("Churned"),
    ChurnKind.INEVITABLE.value: ChurnKind.INEVITABLE.label,
    ChurnKind.ACCIDENTAL.value: ChurnKind.ACCIDENTAL.label,
    NO_REASON: _("No reason recorded"),
}
# The snapshot columns the line over time draws, in order.
TREND_SERIES = {
    "churned": _("Churned"),
    "churned_inevitable": ChurnKind.INEVITABLE.label,
    "churned_accidental": ChurnKind.ACCIDENTAL.label,
    "churned_no_reason": _("No reason recorded"),
}


def _reasons(kind: str) -> list[str]:
    return [reason for reason, k in CHURN_REASON_KIND.items() if k == kind]


# ---------------------------------------------------------------- the client-list filters behind the figures

def _filter_recorded(queryset, name, value):
    return queryset.exclude(churn_reason="") if value else queryset.filter(churn_reason="")


def _filter_no_intermediary(queryset, name, value):
    return queryset.filter(intermediary_code="") if value else queryset.exclude(intermediary_code="")


def client_list_filters() -> dict:
    """URL parameter → filter, offered on the client list (and its export, the API and campaign targeting)."""
    return {
        "closed_from": django_filters.DateFilter(field_name="close_date", lookup_expr="gte",
                                                 label=_("Account closed from")),
        "closed_to": django_filters.DateFilter(field_name="close_date", lookup_expr="lte",
                                               label=_("Account closed to")),
        "churn_recorded": django_filters.BooleanFilter(method=_filter_recorded, label=_("Churn reason recorded")),
        "intermediary_code": django_filters.CharFilter(field_name="intermediary_code", max_length=32,
                                                       label=_("Intermediary code")),
        "no_intermediary": django_filters.BooleanFilter(method=_filter_no_intermediary, label=_("No intermediary")),
    }


# The figures the churn analysis links to the client list with (?figure=…), named in the list's banner.
FIGURES = {
    "closed": _("Accounts closed %(closed_from)s – %(closed_to)s"),
    "closed_reason": _("Accounts closed %(closed_from)s – %(closed_to)s: %(churn_reason)s"),
    "closed_kind": _("Accounts closed %(closed_from)s – %(closed_to)s: %(churn_kind)s"),
    "closed_no_reason": _("Accounts closed %(closed_from)s – %(closed_to)s, no churn reason recorded"),
}


def _kind_params(column: str) -> dict:
    if column == "all":
        return {"figure": "closed"}
    if column == NO_REASON:
        return {"churn_recorded": "false", "figure": "closed_no_reason"}
    return {"churn_kind": column, "figure": "closed_kind"}


# ---------------------------------------------------------------- the tables

def churned_clients(user, start: datetime.date, end: datetime.date):
    """The clients `user` sees whose account was closed from `start` to `end`."""
    return Client.objects.visible_to(user).filter(close_date__gte=start, close_date__lte=end).order_by()


def _kind_counts() -> dict:
    return {"all": Count("pk"),
            ChurnKind.INEVITABLE.value: Count("pk", filter=Q(churn_reason__in=_reasons(ChurnKind.INEVITABLE))),
            ChurnKind.ACCIDENTAL.value: Count("pk", filter=Q(churn_reason__in=_reasons(ChurnKind.ACCIDENTAL))),
            NO_REASON: Count("pk", filter=Q(churn_reason=""))}


def by_reason(user, start, end) -> list[dict]:
    """One row per reason (zero rows included), then the inevitable and accidental totals, no reason, and all:
    each {"label", "n", "params", "group"}; `params` the client-list filters behind the count."""
    counts = dict(churned_clients(user, start, end).values_list("churn_reason").annotate(n=Count("pk")))
    rows = [{"label": label, "n": counts.get(reason, 0), "params": {"churn_reason": reason, "figure": "closed_reason"},
             "group": False} for reason, label in ChurnReason.choices]
    for kind in (ChurnKind.INEVITABLE, ChurnKind.ACCIDENTAL):
        rows.append({"label": kind.label, "n": sum(counts.get(r, 0) for r in _reasons(kind)),
                     "params": _kind_params(kind.value), "group": True})
    rows.append({"label": KIND_COLUMNS[NO_REASON], "n": counts.get("", 0), "params": _kind_params(NO_REASON),
                 "group": True})
    rows.append({"label": _("All churned clients"), "n": sum(counts.values()), "params": _kind_params("all"),
                 "group": True})
    return rows


def _grouped(user, start, end, field: str) -> list[dict]:
    return list(churned_clients(user, start, end).values(field).annotate(**_kind_counts()).order_by(field))


def _cells(row: dict, params: dict) -> list[dict]:
    return [{"n": row[column], "params": params | _kind_params(column)} for column in KIND_COLUMNS]


def by_branch(user, start, end) -> list[dict]:
    """One row a branch with churned clients (code order): {"label", "cells"}, a cell per KIND_COLUMNS."""
    from clients.models import Branch

    branches = {b.pk: b for b in Branch.objects.all()}
    return [{"label": str(branches[r["branch"]]), "cells": _cells(r, {"branch": r["branch"]})}
            for r in sorted(_grouped(user, start, end, "branch"), key=lambda r: branches[r["branch"]].code)]


def by_manager(user, start, end) -> list[dict]:
    """One row an account manager with churned clients (by employee code), then the clients nobody managed."""
    from django.contrib.auth import get_user_model

    rows = _grouped(user, start, end, "account_manager")
    users = get_user_model().objects.filter(pk__in=[r["account_manager"] for r in rows if r["account_manager"]])
    managers = {u.pk: u for u in users.select_related("staff_profile")}
    named = [{"label": people.label(managers[r["account_manager"]]), "code": people.employee_code(
        managers[r["account_manager"]]), "cells": _cells(r, {"account_manager": r["account_manager"]})}
        for r in rows if r["account_manager"]]
    nobody = [{"label": str(_("No account manager")), "code": "", "cells": _cells(r, {"no_manager": "true"})}
              for r in rows if not r["account_manager"]]
    return sorted(named, key=lambda r: (r["code"], r["label"])) + nobody


def by_intermediary(user, start, end) -> list[dict]:
    """One row an intermediary code with churned clients (code order), then the clients without one."""
    from referrals.models import Intermediary

    rows = _grouped(user, start, end, "intermediary_code")
    names = dict(Intermediary.objects.filter(code__in=[r["intermediary_code"] for r in rows])
                 .values_list("code", "name"))
    named = [{"label": f"{names[r['intermediary_code']]} ({r['intermediary_code']})"
              if r["intermediary_code"] in names else r["intermediary_code"],
              "cells": _cells(r, {"intermediary_code": r["intermediary_code"]})}
             for r in rows if r["intermediary_code"]]
    nobody = [{"label": str(_("No intermediary")), "cells": _cells(r, {"no_intermediary": "true"})}
              for r in rows if not r["intermediary_code"]]
    return named + nobody


# ---------------------------------------------------------------- over time

def reader_scope(user) -> tuple[str, str] | None:
    """The indicator history scope of everything `user` sees: the firm, their branch, their own book."""
    role = user_role(user)
    if role in FIRM_WIDE_ROLES:
        return ("firm", "")
    profile = getattr(user, "staff_profile", None)
    if role == Role.BRANCH_MANAGER and profile is not None and profile.branch_id:
        return ("branch", profile.branch.code)
    if role == Role.ACCOUNT_MANAGER:
        return ("manager", people.employee_code(user, str(user.pk)))
    return None


def churn_over_time(user, start, end) -> list[list]:
    """One row a stored day from `start` to `end` (date, then each TREND_SERIES count; None where the night
    did not record it), oldest first, in the reader's scope."""
    scope = reader_scope(user)
    if scope is None:
        return []
    snaps = (IndicatorSnapshot.objects.filter(scope=scope[0], code=scope[1], on_date__gte=start, on_date__lte=end)
             .order_by("on_date").values_list("on_date", *TREND_SERIES))
    return [list(row) for row in snaps]


def trend_chart(rows: list[list]) -> dict:
    """The line chart of `churn_over_time` (the shape static/js/charts.js draws)."""
    return {"kind": "line", "categories": [r[0].isoformat() for r in rows],
            "series": [{"name": str(label), "money": False, "data": [r[i] for r in rows]}
                       for i, label in enumerate(TREND_SERIES.values(), start=1)]}
