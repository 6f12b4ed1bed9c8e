"""The churn analysis page: churned clients by reason, branch, manager and intermediary over a date range, each
count opening the client list behind it, and the churned counts over time (a line and its table view). Each
table exports with ?export=csv|xlsx&table=reason|branch|manager|intermediary|trend."""

import datetime

from django import forms
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django.views.generic import TemplateView

from futures_crm.exports import EXPORT_FORMATS, export_response
from futures_crm.roles import Role
from futures_crm.views import StaffRequiredMixin

from . import churn_analysis

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TABLES = ("reason", "branch", "manager", "intermediary", "trend")


class ChurnForm(forms.Form):
    start = forms.DateField(label=pgettext_lazy("date range", "From"), required=False, widget=DATE)
    end = forms.DateField(label=pgettext_lazy("date range", "To"), required=False, widget=DATE)


class ChurnAnalysisView(StaffRequiredMixin, TemplateView):
    allowed_roles = churn_analysis.CHURN_ROLES
    template_name = "segmentation/churn.html"

    def get(self, request, *args, **kwargs):
        form = ChurnForm(request.GET or None)
        values = form.cleaned_data if form.is_valid() else {}
        end = values.get("end") or timezone.localdate()
        start = values.get("start") or end - datetime.timedelta(days=churn_analysis.DEFAULT_DAYS)
        if not request.GET or not form.is_valid():
            form = ChurnForm(initial={"start": start, "end": end})
        tables = self.tables(start, end)
        fmt, which = request.GET.get("export"), request.GET.get("table")
        if fmt in EXPORT_FORMATS and which in tables:
            header, rows = tables[which]["header"], tables[which]["export"]
            return export_response(fmt, f"churn-{which}-{start}-{end}", [str(h) for h in header], rows)
        query = urlencode({"start": start.isoformat(), "end": end.isoformat()})
        return self.render_to_response(self.get_context_data(
            form=form, start=start, end=end, tables=tables, query=query, trend_query=f"{query}&table=trend",
            trend=tables["trend"], chart=churn_analysis.trend_chart(tables["trend"]["export"]),
            scope=churn_analysis.reader_scope(request.user)))

    def tables(self, start, end) -> dict:
        """Each table: its header, its rows as the page shows them (cells with the link behind each count) and
        as the export holds them (plain values)."""
        user, base = self.request.user, {"closed_from": start.isoformat(), "closed_to": end.isoformat()}
        url = reverse("clients:list")

        def link(params):
            return f"{url}?{urlencode(base | params)}"

        reasons = churn_analysis.by_reason(user, start, end)
        tables = {"reason": {
            "title": _("By churn reason"), "header": [_("Churn reason"), _("Churned")],
            "rows": [{"label": r["label"], "group": r["group"], "cells": [{"n": r["n"], "url": link(r["params"])}]}
                     for r in reasons],
            "export": [[str(r["label"]), r["n"]] for r in reasons]}}
        kinds = list(churn_analysis.KIND_COLUMNS.values())
        grouped = {"branch": (_("By branch"), _("Branch"), churn_analysis.by_branch),
                   "manager": (_("By account manager"), _("Account manager"), churn_analysis.by_manager),
                   "intermediary": (_("By intermediary"), _("Intermediary"), churn_analysis.by_intermediary)}
        if self.role == Role.ACCOUNT_MANAGER:  # one book: the branch and manager tables would be one row
            grouped.pop("branch")
            grouped.pop("manager")
        for key, (title, first, rows_of) in grouped.items():
            rows = rows_of(user, start, end)
            tables[key] = {
                "title": title, "header": [first, *kinds],
                "rows": [{"label": r["label"], "group": False,
                          "cells": [{"n": c["n"], "url": link(c["params"])} for c in r["cells"]]} for r in rows],
                "export": [[str(r["label"]), *(c["n"] for c in r["cells"])] for r in rows]}
        trend = churn_analysis.churn_over_time(user, start, end)
        tables["trend"] = {"title": _("Churned clients over time"),
                           "header": [_("Date"), *churn_analysis.TREND_SERIES.values()], "export": trend}
        return tables
