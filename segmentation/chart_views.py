"""The analysis chart pages: indicator trends, segment migration, branch ranking. Each draws its table (the
chart's data is the table's, handed to static/js/charts.js as JSON) and exports it with ?export=csv|xlsx."""

import datetime
from urllib.parse import urlencode

from django import forms
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django.views.generic import TemplateView

from futures_crm.exports import EXPORT_FORMATS, export_response
from futures_crm.roles import FIRM_WIDE_ROLES
from futures_crm.views import StaffRequiredMixin

from . import charts
from .choices import Axis
from .selectors import ANY_VALUE, DASHBOARD_ROLES, INDICATOR_ROLES, UNSEGMENTED

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
INDICATOR_CHOICES = list(charts.CHART_INDICATORS.items())


class TrendForm(forms.Form):
    scope = forms.ChoiceField(label=_("Scope"), required=False)
    start = forms.DateField(label=pgettext_lazy("date range", "From"), required=False, widget=DATE)
    end = forms.DateField(label=pgettext_lazy("date range", "To"), required=False, widget=DATE)
    series = forms.MultipleChoiceField(label=_("Indicators"), choices=INDICATOR_CHOICES, required=False,
                                       widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, scopes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scope"].choices = scopes


class MigrationForm(forms.Form):
    axis = forms.ChoiceField(label=_("Axis"), choices=Axis.choices, required=False)
    start = forms.DateField(label=pgettext_lazy("date range", "From"), required=False, widget=DATE)
    end = forms.DateField(label=pgettext_lazy("date range", "To"), required=False, widget=DATE)


class RankingForm(forms.Form):
    indicator = forms.ChoiceField(label=_("Indicator"), choices=INDICATOR_CHOICES, required=False)
    day = forms.DateField(label=_("Date"), required=False, widget=DATE)


class ChartView(StaffRequiredMixin, TemplateView):
    """A chart page: `table()` gives (header, rows, chart data) from the form's cleaned values."""

    form_class = forms.Form
    export_name = ""

    def make_form(self, *args, **kwargs):
        return self.form_class(*args, **kwargs)

    def get(self, request, *args, **kwargs):
        form = self.make_form(request.GET or None)
        values = form.cleaned_data if form.is_valid() else {}
        header, rows, chart, extra = self.table(values)
        initial = extra.pop("initial")
        links = extra.pop("links", None)  # a URL (or None) per cell: the list that makes the figure
        if not request.GET:
            form = self.make_form(initial=initial)  # the defaults the page used, shown in the form
        fmt = request.GET.get("export")
        if fmt in EXPORT_FORMATS:
            return export_response(fmt, self.export_name, [str(h) for h in header], rows)
        query = request.GET.copy()
        query.pop("export", None)
        cells = [[{"value": v, "url": links[i][j] if links else None} for j, v in enumerate(row)]
                 for i, row in enumerate(rows)]
        return self.render_to_response(self.get_context_data(
            form=form, header=header, rows=rows, cells=cells, chart=chart, query=query.urlencode(),
            can_rank=self.role in FIRM_WIDE_ROLES, **extra))

    def table(self, values):  # pragma: no cover - each page defines it
        raise NotImplementedError


class TrendsView(ChartView):
    """The indicators of one scope over a date range (default the last 90 days) as lines, and their table."""

    allowed_roles = INDICATOR_ROLES
    template_name = "segmentation/trends.html"
    form_class = TrendForm
    export_name = "indicator-trends"

    def make_form(self, *args, **kwargs):
        return TrendForm(*args, scopes=self.scopes, **kwargs)

    def get(self, request, *args, **kwargs):
        self.scopes = charts.trend_scopes(request.user)
        wanted = request.GET.get("scope")
        if wanted and charts.parse_scope(request.user, wanted) is None:
            raise Http404  # a scope out of reach looks like one that does not exist
        return super().get(request, *args, **kwargs)

    def table(self, values):
        scope_value = values.get("scope") or self.scopes[0][0]
        scope, code = charts.parse_scope(self.request.user, scope_value) or (None, None)
        if scope is None:
            raise Http404
        end = values.get("end") or timezone.localdate()
        start = values.get("start") or end - datetime.timedelta(days=charts.TREND_DAYS)
        keys = values.get("series") or charts.DEFAULT_TREND
        rows = charts.trend_table(scope, code, start, end, keys)
        header = [_("Date"), *(charts.CHART_INDICATORS[k] for k in keys)]
        return header, rows, charts.trend_chart(rows, keys), {
            "scope_label": dict(self.scopes)[scope_value], "start": start, "end": end, "keys": keys,
            "initial": {"scope": scope_value, "start": start, "end": end, "series": keys}}


class MigrationView(ChartView):
    """Segment migration between two dates on one axis: the transition matrix as a heatmap and a table."""

    allowed_roles = DASHBOARD_ROLES
    template_name = "segmentation/migration.html"
    form_class = MigrationForm
    export_name = "segment-migration"

    def table(self, values):
        axis = values.get("axis") or Axis.VOLUME
        end = values.get("end") or timezone.localdate()
        start = values.get("start") or end - datetime.timedelta(days=charts.TREND_DAYS)
        matrix = charts.migration_matrix(self.request.user, axis, start, end)
        header = [_("From \\ to"), *(label for _v, label in matrix["values"]), _("Total")]
        rows = [[r["label"], *r["counts"], r["total"]] for r in matrix["rows"]]
        # Every count opens its clients (a 0 an empty list); a row's total, those who were its value on any value.
        links = [[None, *(self.cell_url(axis, r["value"], to, start, end) for to, _label in matrix["values"]),
                  self.cell_url(axis, r["value"], ANY_VALUE, start, end)]
                 for r in matrix["rows"]]
        return header, rows, charts.migration_chart(matrix), {
            "links": links,
            "matrix": matrix, "axis_label": Axis(axis).label, "start": start, "end": end,
            "initial": {"axis": axis, "start": start, "end": end}}


    @staticmethod
    def cell_url(axis, was, now, start, end) -> str:
        """The client list of one cell: who was `was` on `start` and `now` on `end` (the `moved_*` filter)."""
        return reverse("clients:list") + "?" + urlencode({
            "moved_axis": axis, "moved_from": was or UNSEGMENTED, "moved_to": now, "moved_start": start.isoformat(),
            "moved_end": end.isoformat(), "figure": "migration"})


class BranchRankingView(ChartView):
    """The branches ranked by one indicator on one day, from the snapshots (firm-wide roles)."""

    allowed_roles = FIRM_WIDE_ROLES
    template_name = "segmentation/ranking.html"
    form_class = RankingForm
    export_name = "branch-ranking"

    def table(self, values):
        key = values.get("indicator") or "net_commission"
        day = values.get("day") or charts.latest_branch_day()
        ranked = charts.branch_ranking(key, day) if day else []
        header = [_("Rank"), _("Branch code"), _("Branch"), charts.CHART_INDICATORS[key]]
        rows = [[r["rank"], r["code"], r["name"], r["value"]] for r in ranked]
        return header, rows, charts.ranking_chart(ranked, key), {
            "day": day, "indicator_label": charts.CHART_INDICATORS[key],
            "initial": {"indicator": key, "day": day}}
