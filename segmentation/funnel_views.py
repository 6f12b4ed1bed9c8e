"""The analysis pages of funnels and concentration: value concentration (Pareto curve and the clients behind the
top 20 %), the prospect funnel A–F, the referral funnel, the tickets against their deadlines. Each is a chart
with its table view and export (ChartView); every count in the table links to the list that makes it, filtered
alike and named by `figure=` (the list's banner says which figure it explains)."""

import datetime
import functools
from decimal import Decimal

from django import forms
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from futures_crm.filters import list_url
from futures_crm.roles import FIRM_WIDE_ROLES
from referrals.access import REFERRAL_READERS
from referrals.choices import REFERRAL_FLOW
from referrals.funnels import referral_funnel
from service import funnels as service_funnels
from service.roles import PROSPECT_FUNNEL_ROLES, TICKET_DEADLINE_ROLES

from . import concentration, selectors
from .chart_views import DATE, ChartView
from .selectors import DASHBOARD_ROLES

FUNNEL_MONTHS = 6  # the default range: this month and the five before it
RATE_PLACES = Decimal("0.1")
OPENED = pgettext_lazy("funnel stage", "Opened account")


def rate(part, whole) -> Decimal | None:
    """`part` of `whole` as a percentage with one place; None when there is no whole."""
    return (Decimal(part) * 100 / whole).quantize(RATE_PLACES) if whole else None


def default_start(end: datetime.date) -> datetime.date:
    first = end.replace(day=1)
    for _i in range(FUNNEL_MONTHS - 1):
        first = (first - datetime.timedelta(days=1)).replace(day=1)
    return first


class RangeForm(forms.Form):
    start = forms.DateField(label=pgettext_lazy("date range", "From"), required=False, widget=DATE)
    end = forms.DateField(label=pgettext_lazy("date range", "To"), required=False, widget=DATE)


class GroupedRangeForm(RangeForm):
    by = forms.ChoiceField(label=_("Rows"), required=False)

    def __init__(self, *args, groupings, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["by"].choices = list(groupings.items())


class RangeChartView(ChartView):
    """A chart over a date range (default: this month and the five before it)."""

    template_name = "segmentation/analysis_chart.html"
    form_class = RangeForm
    title = ""
    summary = ""

    def dates(self, values) -> tuple[datetime.date, datetime.date]:
        end = values.get("end") or timezone.localdate()
        start = values.get("start") or default_start(end)
        if start > end:
            start, end = end, start
        return start, end

    def get_context_data(self, **kwargs):
        return super().get_context_data(title=self.title, summary=self.summary, **kwargs)


class ConcentrationForm(forms.Form):
    scope = forms.ChoiceField(label=_("Scope"), required=False)

    def __init__(self, *args, scopes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scope"].choices = scopes


class ConcentrationView(RangeChartView):
    """The value-concentration curve of the viewer's scope (or a branch or manager within it), from the
    dashboard's figures, and the clients behind the top 20 %: the first ones listed, all of them a link away."""

    allowed_roles = DASHBOARD_ROLES
    template_name = "segmentation/concentration.html"
    export_name = "value-concentration"
    title = _("Value concentration")

    def make_form(self, *args, **kwargs):
        return ConcentrationForm(*args, scopes=self.scopes(), **kwargs)

    def get(self, request, *args, **kwargs):
        if request.GET.get("scope"):
            self.scope(request.GET["scope"])  # out of reach: not found, rather than the default scope
        return super().get(request, *args, **kwargs)

    def scopes(self) -> list[tuple[str, str]]:
        """The viewer's own scope first, then the level below it they may open."""
        own = selectors.dashboard_scope(self.request.user)
        if own is None:
            return [("", _("My clients"))]
        options = [("", self.scope_label(own))]
        options += [(f"branch:{c['branch'].pk}" if c["manager"] is None else f"manager:{c['manager'].pk}",
                     self.scope_label({"manager": c["manager"], "branch": c["branch"], "level": "child",
                                       "own": False}))
                    for c in selectors.dashboard_children(own) if not c.get("unassigned")]
        return options

    @staticmethod
    def scope_label(scope: dict) -> str:
        from futures_crm import people

        if scope.get("own"):
            return str(_("My clients"))
        if scope["manager"] is not None:
            return people.label(scope["manager"])
        return str(scope["branch"]) if scope["branch"] is not None else str(_("Whole firm"))

    def scope(self, value: str) -> dict:
        kind, _sep, pk = (value or "").partition(":")
        ids = {"branch": None, "manager": None}
        if kind in ids and pk.isdigit():
            ids[kind] = int(pk)
        elif value:
            raise Http404
        scope = selectors.dashboard_scope(self.request.user, ids["branch"], ids["manager"])
        if scope is None:
            raise Http404  # a scope out of reach looks like one that does not exist
        return scope

    def table(self, values):
        from clients.models import Client

        scope = self.scope(values.get("scope", ""))
        figures = selectors.dashboard_figures(scope)
        rows = concentration.curve_table(figures)
        header = [_("Share of clients (%)"), _("Cumulative share of net commission (%)")]
        clients = Client.objects.visible_to(self.request.user).filter(**scope["filters"])
        top = concentration.top_clients(clients)
        top_count = top.count()
        share = (figures or {}).get("concentration", {}).get("top20_share")
        return header, rows, concentration.curve_chart(rows), {
            "scope_label": self.scope_label(scope), "as_of": (figures or {}).get("as_of"),
            "top20_share": concentration.percent(share), "top_clients": top[:concentration.SHOWN],
            "top_count": top_count,
            "top_url": list_url("clients:list", "top_share", top_net_commission=concentration.TOP_SHARE,
                                **scope["filters"]),
            "initial": {"scope": values.get("scope", "")}}


class GroupedChartView(RangeChartView):
    """A chart over a date range whose table rows the reader groups (`groupings`: value → label)."""

    groupings: dict = {}

    def make_form(self, *args, **kwargs):
        return GroupedRangeForm(*args, groupings=self.groupings, **kwargs)

    def default_grouping(self) -> str:  # pragma: no cover - each page defines it
        raise NotImplementedError

    def choices(self, values) -> tuple[datetime.date, datetime.date, str]:
        return *self.dates(values), values.get("by") or self.default_grouping()


class ProspectFunnelView(GroupedChartView):
    """The prospects recorded in a date range: how many reached each grade F…A and opened an account, in total
    and per branch or per owner."""

    allowed_roles = PROSPECT_FUNNEL_ROLES
    export_name = "prospect-funnel"
    title = _("Prospect funnel")
    summary = _("Prospects recorded in the dates chosen: how many reached each grade at some time (A is the best; "
                "an opened account counts as past every grade), and how many opened an account.")

    groupings = service_funnels.GROUPINGS

    def default_grouping(self) -> str:
        return "branch" if self.role in FIRM_WIDE_ROLES else "owner"

    def table(self, values):
        start, end, by = self.choices(values)
        rows = service_funnels.prospect_funnel(user=self.request.user, start=start, end=end, by=by)
        grades = service_funnels.GRADES_UP[1:]
        header = [service_funnels.GROUPINGS[by], _("Recorded"),
                  *(_("Reached %(grade)s") % {"grade": g.value} for g in grades), OPENED,
                  _("Conversion (%)")]
        table, links = [], []
        for r in rows:
            table.append([r["label"], r["recorded"], *(r[f"reached_{g}"] for g in grades), r["opened"],
                          rate(r["opened"], r["recorded"])])
            link = functools.partial(list_url, "service:prospects", recorded_from=start, recorded_to=end,
                                     **r["filters"])
            links.append([None, link("funnel_recorded"), *(link("funnel_reached", reached=g.value) for g in grades),
                          link("funnel_opened", converted="true"), None])
        total = rows[0]
        chart = {"kind": "funnel", "stages": [
            {"name": str(_("Recorded")), "value": total["recorded"]},
            *({"name": str(_("Reached %(grade)s") % {"grade": g.value}), "value": total[f"reached_{g}"]}
              for g in grades),
            {"name": str(OPENED), "value": total["opened"]}]}
        return header, table, chart, {"links": links, "start": start, "end": end,
                                      "initial": {"start": start, "end": end, "by": by}}


class ReferralFunnelView(RangeChartView):
    """The referrals made in a date range: how many were contacted, opened an account, funded it, and the
    conversion from each stage to the next, in total and per month."""

    allowed_roles = REFERRAL_READERS
    export_name = "referral-funnel"
    title = _("Referral funnel")
    summary = _("Referrals made in the dates chosen and how far they got; each rate is of the stage before.")

    def table(self, values):
        start, end = self.dates(values)
        rows = referral_funnel(user=self.request.user, start=start, end=end)
        stages = [s.value for s in REFERRAL_FLOW]
        header = [_("Period"), *(s.label for s in REFERRAL_FLOW),
                  *(_("%(stage)s of %(before)s (%%)") % {"stage": s.label, "before": b.label}
                    for b, s in zip(REFERRAL_FLOW, REFERRAL_FLOW[1:], strict=False)),
                  _("Funded of referred (%)")]
        table = [[r["label"], *(r[s] for s in stages),
                  *(rate(r[s], r[b]) for b, s in zip(stages, stages[1:], strict=False)),
                  rate(r[stages[-1]], r[stages[0]])] for r in rows]
        links = [[None, *(list_url("referrals:referrals", "funnel", referred_from=r["dates"][0],
                                   referred_to=r["dates"][1], reached=s) for s in stages),
                  *([None] * len(stages))] for r in rows]
        chart = {"kind": "funnel", "stages": [{"name": str(s.label), "value": rows[0][s.value]} for s in REFERRAL_FLOW]}
        return header, table, chart, {"links": links, "start": start, "end": end,
                                      "initial": {"start": start, "end": end}}


class TicketDeadlineView(GroupedChartView):
    """Tickets against their deadlines, per month, branch or owner: resolved, resolved in time, the share in
    time, the median time to resolve, and those open past their deadline now."""

    allowed_roles = TICKET_DEADLINE_ROLES
    export_name = "ticket-deadlines"
    title = _("Ticket deadlines")
    summary = _("Tickets resolved in the dates chosen (in a month row: resolved that month), how many by their "
                "deadline, and the tickets still open whose deadline in those dates has passed.")

    groupings = service_funnels.SLA_GROUPINGS

    def default_grouping(self) -> str:
        return "month"

    def table(self, values):
        start, end, by = self.choices(values)
        rows = service_funnels.ticket_sla(user=self.request.user, start=start, end=end, by=by)
        header = [service_funnels.SLA_GROUPINGS[by], _("Resolved"), _("Resolved by the deadline"),
                  _("Share by the deadline (%)"), _("Median time to resolve (hours)"), _("Open past the deadline")]
        table, links = [], []
        for r in rows:
            table.append([r["label"], r["resolved"], r["within"], rate(r["within"], r["resolved"]),
                          r["median_hours"], r["overdue"]])
            first, last = r["dates"]["from"], r["dates"]["to"]
            resolved = {"resolved_from": first, "resolved_to": last, **r["filters"]}
            links.append([None, list_url("service:tickets", "sla_resolved", **resolved),
                          list_url("service:tickets", "sla_within", within_deadline="true", **resolved), None, None,
                          list_url("service:tickets", "sla_overdue", overdue="true", deadline_from=first,
                                   deadline_to=last, **r["filters"])])
        chart = {"kind": "bar", "categories": [str(r["label"]) for r in rows[1:]], "series": [
            {"name": str(header[i]), "money": False, "data": [str(r[i]) for r in table[1:]]} for i in (1, 2, 5)]}
        return header, table, chart, {"links": links, "start": start, "end": end,
                                      "initial": {"start": start, "end": end, "by": by}}
