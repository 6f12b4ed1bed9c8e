"""Segmentation pages: the managers' dashboard, nightly runs, the policy, overrides."""

import functools
from decimal import Decimal
from urllib.parse import urlencode

from django.contrib import messages
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import FormView, TemplateView

from clients.models import Branch, Client
from futures_crm.roles import FIRM_WIDE_ROLES
from futures_crm.views import FilteredListView, StaffRequiredMixin

from . import runs, selectors, services
from .filtersets import NightlyRunFilterSet
from .forms import DashboardDayForm, OverrideForm, PolicyForm, RunForm
from .indicators import HIGH_RISK
from .models import NightlyRun, Policy, SegmentOverride
from .policy import DEFAULTS


def curve_points(curve: list[dict]) -> str:
    """The concentration curve as SVG polyline points on a 200×200 plot offset by 10."""
    pts = [(10, 210)] + [(10 + 2 * p["clients_pct"], 210 - 200 * Decimal(p["share"])) for p in curve]
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)


def _int_param(request, name: str) -> int | None:
    value = request.GET.get(name, "")
    return int(value) if value.isdigit() else None


class DashboardView(StaffRequiredMixin, TemplateView):
    """Segment counts, churn-risk distribution and value concentration for the firm, a branch or a manager's
    book, as the nightly indicator snapshot stored them (the newest day, or a past day chosen "as of"); every
    number of the newest day links to the client list that makes it, and each level lists the one below it.

    The client lists show today's clients: on a past day the numbers are not links (the page says why)."""

    allowed_roles = selectors.DASHBOARD_ROLES
    template_name = "segmentation/dashboard.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        scope = selectors.dashboard_scope(self.request.user, _int_param(self.request, "branch"),
                                          _int_param(self.request, "manager"))
        if scope is None:
            raise Http404  # a scope this user may not see looks like one that does not exist
        form = DashboardDayForm(self.request.GET)
        chosen = form.cleaned_data["as_of"] if form.is_valid() else None
        latest = selectors.dashboard_day()
        day = chosen or latest
        past = day is not None and day != latest
        data = selectors.dashboard_figures(scope, day) if day else None
        ctx.update(data=data, drill=scope, scope=selectors.scope_key(scope), day=day, latest=latest, past=past,
                   day_form=form,
                   branch_id=scope["branch"].pk if scope["branch"] else None,
                   branches=Branch.objects.order_by("code") if self.role in FIRM_WIDE_ROLES else None,
                   day_stored=data is not None or (day is not None and selectors.snapshot_stored(day)))
        keep = {"as_of": day.isoformat()} if past else {}

        def link(figure, **params):
            return None if past else self.clients_url(figure, **params)

        ctx["children"] = [child | {"url": self.child_url(child, keep),
                                    "clients_url": link("clients", segmented="true", **self.child_filters(child))}
                           for child in (selectors.dashboard_children(scope, day) if ctx["day_stored"] else [])]
        if not data:
            return ctx
        link = functools.partial(link, **scope["filters"])
        ctx["links"] = {"clients": link("clients", segmented="true"), "churned": link("churned", churned="true"),
                        "loyal": link("loyal", loyal="true"),
                        "high_risk": link("high_risk", churn_score_min=HIGH_RISK),
                        "top_share": link("top_share", top_net_commission=20)}
        ctx["segment_rows"] = [
            (axis.label, [(label, data["segments"].get(axis.value, {}).get(v, 0), link(axis.value, **{axis.value: v}))
                          for v, label in enum.choices])
            for axis, enum in selectors.AXIS_VALUES.items()
        ]
        ctx["churn_rows"] = [b | {"url": link("churn_bucket", churn_score_min=b["from"], churn_score_max=b["to"])}
                             for b in data["churn"]]
        ctx["high_risk"] = selectors.high_risk_count(data)
        ctx["curve_points"] = curve_points(data["concentration"]["curve"])
        ctx["window_days"] = selectors.window_days(data.get("as_of"))
        ctx["churn_max"] = max([b["clients"] for b in data["churn"]] + [1])
        return ctx

    @staticmethod
    def clients_url(figure: str, **params) -> str:
        """The client list with the filters that make a figure, and the figure's code for its banner."""
        return reverse("clients:list") + "?" + urlencode(params | {"figure": figure})

    @staticmethod
    def child_filters(child: dict) -> dict:
        """The client-list filters of a row one level down: a manager's whole book (as the snapshot counts it),
        a branch, or a branch's clients nobody manages."""
        if child["manager"] is not None:
            return {"account_manager": child["manager"].pk}
        return {"branch": child["branch"].pk} | ({"no_manager": "true"} if child.get("unassigned") else {})

    @staticmethod
    def child_url(child: dict, keep: dict) -> str | None:
        """The dashboard one level down, on the same day."""
        if child["manager"] is not None:
            return reverse("segmentation:dashboard") + "?" + urlencode({"manager": child["manager"].pk} | keep)
        if child.get("unassigned"):
            return None
        return reverse("segmentation:dashboard") + "?" + urlencode({"branch": child["branch"].pk} | keep)


class RunListView(FilteredListView):
    """Every nightly run with its steps; managers start one from here."""

    allowed_roles = selectors.RUN_ROLES
    template_name = "segmentation/runs.html"
    paginate_by = 30
    filterset_class = NightlyRunFilterSet

    def get_queryset(self):
        # Runs are firm-wide records: the roles above are their access rule.
        return NightlyRun.objects.select_related("triggered_by__staff_profile")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(form=getattr(self, "run_form", None) or RunForm(), **kwargs)
        for run in ctx["object_list"]:
            run.step_rows = runs.step_rows(run)
            run.mode_label = runs.MODES.get(run.mode, run.mode)
        return ctx

    def post(self, request):
        """Open the run at once, so a refusal (another run holds the engine, a day without settlement data,
        a date that is not one) shows on the page, with what was typed kept; then queue its steps."""
        from .tasks import run_chain

        form = RunForm(request.POST)
        if form.is_valid():
            try:
                run = services.run_open(day=form.cleaned_data["day"], by=request.user)
            except services.NightlyLocked as exc:
                form.add_error(None, str(exc))
            except services.NoSettlementData as exc:
                form.add_error("day", str(exc))
            else:
                transaction.on_commit(lambda: run_chain(run.pk).apply_async(), robust=True)
                messages.success(request, _("Nightly run #%(id)s for %(day)s has been started.") % {
                    "id": run.pk, "day": run.trade_date.isoformat()})
                return redirect("segmentation:runs")
        self.run_form = form
        return self.get(request)


class PolicyView(StaffRequiredMixin, FormView):
    """The current thresholds and weights, their history, and (for head office) a new version."""

    allowed_roles = selectors.RUN_ROLES
    template_name = "segmentation/policy.html"
    form_class = PolicyForm

    def get_form_kwargs(self):
        return super().get_form_kwargs() | {"policy": services.current_policy()}

    def get_context_data(self, **kwargs):
        policy = services.current_policy()
        versions = list(Policy.objects.select_related("created_by__staff_profile")[:20])
        for v in versions:
            if v.note == services.DEFAULTS_NOTE:
                v.note = _("the rules' defaults")
        return super().get_context_data(
            policy=policy, versions=versions,
            rows=[(label, policy.value(key)) for key, (_d, label) in DEFAULTS.items()],
            can_edit=self.role in selectors.POLICY_EDITOR_ROLES, **kwargs)

    def form_valid(self, form):
        if self.role not in selectors.POLICY_EDITOR_ROLES:
            messages.error(self.request, _("Only head office edits the policy."))
            return redirect("segmentation:policy")
        data = form.cleaned_data
        policy = services.policy_create(params={k: data[k] for k in DEFAULTS}, note=data["note"],
                                        by=self.request.user)
        if data["recompute_from"]:
            from .tasks import nightly_backfill

            start = data["recompute_from"].isoformat()
            transaction.on_commit(lambda: nightly_backfill.delay(start))
        messages.success(self.request, _("Policy version %(v)s saved.") % {"v": policy.version})
        return redirect("segmentation:policy")


class OverrideView(StaffRequiredMixin, View):
    """Pin an axis of a client the user may see (POST from the client page)."""

    allowed_roles = selectors.OVERRIDE_ROLES

    def post(self, request, pk):
        client = get_object_or_404(Client.objects.visible_to(request.user), pk=pk)
        form = OverrideForm(request.POST)
        if form.is_valid():
            services.override_set(client=client, by=request.user, **form.cleaned_data)
            messages.success(request, _("Pinned."))
        else:
            messages.error(request, "; ".join(e for errs in form.errors.values() for e in errs))
        return redirect("clients:detail", pk=client.pk)


class OverrideRemoveView(StaffRequiredMixin, View):
    allowed_roles = selectors.OVERRIDE_ROLES

    def post(self, request, pk):
        pin = get_object_or_404(SegmentOverride.objects.visible_to(request.user).filter(removed_at__isnull=True),
                                pk=pk)
        services.override_remove(pin=pin, by=request.user)
        messages.success(request, _("Pin removed: the rule applies again from the next nightly run."))
        return redirect("clients:detail", pk=pin.client_id)
