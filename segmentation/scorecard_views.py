"""The scorecard pages: a branch's managers for a month (ranked, with progress against targets, exportable), one
manager's monthly history, and the targets form. Scope: an account manager their own scorecard only, a branch
manager their branch's, firm-wide roles all (with a branch selector)."""

import datetime
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from futures_crm import people
from futures_crm.exports import EXPORT_FORMATS, export_response
from futures_crm.filters import list_url
from futures_crm.roles import Role
from futures_crm.scorecards import with_links
from futures_crm.views import StaffRequiredMixin

from . import scorecard
from .selectors import manager_code

HUNDRED = Decimal(100)
# Targets typed in percent and stored as fractions.
PERCENT_TARGETS = ("retention_rate", "tasks_on_time_rate")


def _month(request):
    """The `month` parameter (default: the newest month with snapshots), or None when it is malformed."""
    text = request.GET.get("month")
    return scorecard.latest_month() if not text else scorecard.parse_month(text)


def _bad(param: str):
    return HttpResponseBadRequest(gettext("Invalid parameter: %(name)s") % {"name": param})


def figure_links(row: dict) -> dict:
    """Figure key → the list that makes the manager's figure of the month, filtered alike. Not linked: the figures
    no list reproduces (churn: the growth of the nightly churn flag, a state of past nights; reactivations: past
    nights' segment transitions; overdue tasks at month end, retention and satisfaction: states of a past day;
    net commission: the month's settlements; contacts: no contact-log list)."""
    figures = row["figures"]
    if not figures:
        return {}
    pk = row["manager"].pk
    month = row["month"]
    due = {"client_manager": pk, "due_from": month,
           "due_before": scorecard.add_months(month, 1) - datetime.timedelta(days=1), "cancelled": "false"}
    links = {"tasks_due": list_url("service:tasks", "scorecard_tasks_due", **due),
             "tasks_on_time_rate": list_url("service:tasks", "scorecard_tasks_on_time", **due, on_time="true")}
    if "period" in figures:  # a month with snapshots: its flows' days and its last day's book
        start, end = figures["period"]
        clients = list_url("clients:list", "scorecard_clients", account_manager=pk, under_care_on=end)
        links |= {
            "new": list_url("clients:list", "scorecard_new", account_manager=pk, opened_from=start, opened_to=end),
            "clients": clients, "equity": clients,
            "tasks_created": list_url("service:tasks", "scorecard_tasks_created", client_manager=pk,
                                      created_from=start, created_to=end),
            "tickets_within_deadline_rate": list_url("service:tickets", "scorecard_tickets_within",
                                                     client_manager=pk, resolved_from=start, resolved_to=end,
                                                     within_deadline="true"),
        }
    return links


class ScorecardMixin:
    allowed_roles = scorecard.SCORECARD_ROLES

    def month_links(self, month):
        return {"previous": scorecard.add_months(month, -1), "next": scorecard.add_months(month, 1)}


class BranchScorecardView(ScorecardMixin, StaffRequiredMixin, TemplateView):
    template_name = "segmentation/scorecard.html"

    def get(self, request, *args, **kwargs):
        if self.role == Role.ACCOUNT_MANAGER:
            url = reverse("segmentation:scorecard-manager", args=[manager_code(request.user)])
            return redirect(f"{url}?{request.GET.urlencode()}" if request.GET else url)
        month = _month(request)
        if month is None:
            return _bad("month")
        sort = request.GET.get("sort") or "net_commission"
        if sort not in scorecard.FIGURE_KEYS:
            return _bad("sort")
        branches = scorecard.visible_branches(request.user)
        code = request.GET.get("branch")
        branch = branches.filter(code=code).first() if code else branches.first()
        if branch is None:
            raise Http404
        rows = scorecard.branch_scorecard(branch, month, sort)
        fmt = request.GET.get("export")
        if fmt in EXPORT_FORMATS:
            return self.export(fmt, branch, month, rows)
        return self.render_to_response(self.get_context_data(
            month=month, sort=sort, branch=branch, branches=branches if branches.count() > 1 else None,
            rows=with_links(rows, figure_links),
            figures=scorecard.FIGURES, target_figures=[f for f in scorecard.FIGURES if f.target],
            months=self.month_links(month)))

    def export(self, fmt, branch, month, rows):
        header = [gettext("Rank"), gettext("Account manager"), *(str(f.label) for f in scorecard.FIGURES),
                  *(gettext("Progress: %(figure)s") % {"figure": f.label} for f in scorecard.FIGURES if f.target)]
        body = ([row["rank"], people.label(row["manager"]), *(export_value(f, v) for f, v in row["values"]),
                 *(row["progress"][k] for k in scorecard.TARGET_KEYS)] for row in rows)
        return export_response(fmt, f"scorecard-{branch.code}-{month:%Y-%m}", header, body)


def export_value(figure, value):
    if value is not None and figure.kind == scorecard.FRACTION:
        return (value * HUNDRED).quantize(Decimal("0.01"))
    return value


class ManagerScorecardView(ScorecardMixin, StaffRequiredMixin, TemplateView):
    """One manager's last twelve months up to `month`, newest first, with targets and progress."""

    template_name = "segmentation/scorecard_manager.html"

    def get(self, request, *args, **kwargs):
        month = _month(request)
        if month is None:
            return _bad("month")
        manager = scorecard.visible_manager(request.user, kwargs["code"])
        if manager is None:
            raise Http404  # a manager out of reach looks like one that does not exist
        rows = scorecard.manager_history(manager, month)
        fmt = request.GET.get("export")
        if fmt in EXPORT_FORMATS:
            header = [gettext("Month"), *(str(f.label) for f in scorecard.FIGURES)]
            body = ([f"{row['month']:%Y-%m}", *(export_value(f, v) for f, v in row["values"])] for row in rows)
            return export_response(fmt, f"scorecard-{kwargs['code']}-{month:%Y-%m}", header, body)
        return self.render_to_response(self.get_context_data(
            manager=manager, month=month, rows=with_links(rows, figure_links), figures=scorecard.FIGURES,
            may_set=scorecard.may_set_target(request.user, manager), months=self.month_links(month)))


class TargetForm(forms.Form):
    month = forms.CharField(label=_("Month"), max_length=7, help_text=_("Year and month, e.g. 2025-01"))
    new = forms.IntegerField(label=_("New accounts"), required=False, min_value=0)
    net_commission = forms.DecimalField(label=_("Net commission"), required=False, min_value=0, max_digits=18,
                                        decimal_places=2)
    equity = forms.DecimalField(label=_("Equity under care"), required=False, min_value=0, max_digits=18,
                                decimal_places=2)
    contacts = forms.IntegerField(label=_("Contacts logged"), required=False, min_value=0)
    retention_rate = forms.DecimalField(label=_("Retention rate (%)"), required=False, min_value=0, max_value=100,
                                        max_digits=5, decimal_places=2)
    tasks_on_time_rate = forms.DecimalField(label=_("Tasks done on time (%)"), required=False, min_value=0,
                                            max_value=100, max_digits=5, decimal_places=2)

    def clean_month(self):
        month = scorecard.parse_month(self.cleaned_data["month"])
        if month is None:
            raise forms.ValidationError(_("Enter a month as YYYY-MM."))
        return month

    def values(self) -> dict:
        data = {k: self.cleaned_data.get(k) for k in scorecard.TARGET_KEYS}
        for key in PERCENT_TARGETS:
            if data[key] is not None:
                data[key] = (data[key] / HUNDRED).quantize(Decimal("0.0001"))
        return data


class TargetView(StaffRequiredMixin, TemplateView):
    """The form a branch manager (or head office) sets a manager's monthly targets with; everyone else is
    refused (the rule itself is in scorecard.scorecard_target_set)."""

    allowed_roles = scorecard.TARGET_ROLES
    template_name = "segmentation/scorecard_target.html"

    def manager(self):
        manager = scorecard.visible_manager(self.request.user, self.kwargs["code"])
        if manager is None:
            raise Http404
        if not scorecard.may_set_target(self.request.user, manager):
            raise PermissionDenied
        return manager

    def get(self, request, *args, **kwargs):
        manager = self.manager()
        month = _month(request)
        if month is None:
            return _bad("month")
        target = scorecard.ScorecardTarget.objects.filter(manager=manager, month=month).first()
        initial = {"month": f"{month:%Y-%m}"}
        if target:
            initial |= {k: getattr(target, k) for k in scorecard.TARGET_KEYS}
            for key in PERCENT_TARGETS:
                if getattr(target, key) is not None:
                    initial[key] = (getattr(target, key) * HUNDRED).quantize(Decimal("0.01"))
        return self.render_to_response(self.get_context_data(manager=manager, form=TargetForm(initial=initial)))

    def post(self, request, *args, **kwargs):
        manager = self.manager()
        form = TargetForm(request.POST)
        if form.is_valid():
            try:
                scorecard.scorecard_target_set(by=request.user, manager=manager, month=form.cleaned_data["month"],
                                               values=form.values())
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, gettext("Targets saved."))
                url = reverse("segmentation:scorecard-manager", args=[self.kwargs["code"]])
                return redirect(f"{url}?month={form.cleaned_data['month']:%Y-%m}")
        return self.render_to_response(self.get_context_data(manager=manager, form=form))
