"""Segmentation's FilterSets: the nightly runs (page and API), and the client-list filters and sorts it adds
through clients.list_filters (same URL parameters on the client page, its CSV export, the API and campaign
targeting)."""

from decimal import Decimal

import django_filters
from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, Value, Window
from django.db.models.functions import Ceil, RowNumber
from django.forms import HiddenInput
from django.utils.translation import gettext_lazy as _
from django_filters.constants import EMPTY_VALUES

from .choices import Axis, RunStatus
from .models import FundSize, NightlyRun, Purpose, Tenure, Volume
from .selectors import ANY_VALUE, AXIS_VALUES, UNSEGMENTED, moved_clients

CLIENT_SORTS = (
    ("segment__churn_score", "churn_score", _("Churn risk")),
    ("segment__lifetime_value", "lifetime_value", _("Lifetime value")),
)


def client_list_filters() -> dict:
    """URL parameter → filter on the client's current segment."""
    return {
        "purpose": django_filters.ChoiceFilter(field_name="segment__purpose", choices=Purpose.choices,
                                               label=_("Purpose")),
        "fund_size": django_filters.ChoiceFilter(field_name="segment__fund_size", choices=FundSize.choices,
                                                 label=_("Fund size")),
        "volume": django_filters.ChoiceFilter(field_name="segment__volume", choices=Volume.choices,
                                              label=_("Trading volume")),
        "tenure": django_filters.ChoiceFilter(field_name="segment__tenure", choices=Tenure.choices,
                                              label=_("Tenure")),
        "churn_score_min": django_filters.NumberFilter(field_name="segment__churn_score", lookup_expr="gte",
                                                       label=_("Churn score from")),
        "churn_score_max": django_filters.NumberFilter(field_name="segment__churn_score", lookup_expr="lte",
                                                       label=_("Churn score to")),
        "churned": django_filters.BooleanFilter(field_name="segment__churned", label=_("Churned")),
        "loyal": django_filters.BooleanFilter(field_name="segment__loyal", label=_("Loyal")),
        # The dashboard's "clients" figure counts the clients the nightly run has segmented.
        "segmented": django_filters.BooleanFilter(field_name="segment", lookup_expr="isnull", exclude=True,
                                                  label=_("Segmented")),
        "top_net_commission": django_filters.NumberFilter(method=top_by_net_commission, min_value=1, max_value=100,
                                                          label=_("Top % by net commission")),
        # A cell of the segment-migration matrix: `moved_to` selects, with the four below it (hidden: the link
        # sets them, the form keeps them).
        "moved_axis": django_filters.ChoiceFilter(choices=Axis.choices, method=_companion, widget=HiddenInput,
                                                  label=_("Migration axis")),
        "moved_from": django_filters.ChoiceFilter(choices=[*AXIS_VALUE_CHOICES, (UNSEGMENTED, _("Not segmented"))],
                                                  method=_companion, widget=HiddenInput,
                                                  label=_("Value on the first date")),
        "moved_start": django_filters.DateFilter(method=_companion, widget=HiddenInput,
                                                 label=_("Migration first date")),
        "moved_end": django_filters.DateFilter(method=_companion, widget=HiddenInput,
                                               label=_("Migration last date")),
        "moved_to": MovedFilter(choices=[*AXIS_VALUE_CHOICES, (ANY_VALUE, _("any value"))], widget=HiddenInput,
                                label=_("Value on the last date")),
    }


AXIS_VALUE_CHOICES = [choice for enum in AXIS_VALUES.values() for choice in enum.choices]


def _companion(queryset, name, value):
    """A parameter `moved_to` reads: it narrows nothing by itself."""
    return queryset


class MovedFilter(django_filters.ChoiceFilter):
    """The clients of one migration-matrix cell: on `moved_axis`, `moved_from` on `moved_start` (any value if
    absent) and `moved_to` on `moved_end`, from the stored transitions. Without an axis and both dates it
    selects nobody rather than everybody."""

    def filter(self, qs, value):
        if value in EMPTY_VALUES:
            return qs
        data = self.parent.form.cleaned_data
        axis, start, end = data.get("moved_axis"), data.get("moved_start"), data.get("moved_end")
        if not (axis and start and end) or value not in [*AXIS_VALUES[axis].values, ANY_VALUE]:
            return qs.none()
        return moved_clients(qs, axis=axis, was=data.get("moved_from") or None, now=value, start=start, end=end)


# The figures the dashboard links to the client list (?figure=…): the list's banner names the one it explains,
# with the values of the filters it was opened with (%(volume)s: the label of the chosen volume class).
FIGURES = {
    "clients": _("Segmented clients"),
    "churned": _("Churned clients"),
    "loyal": _("Loyal clients"),
    "high_risk": _("High churn risk"),
    "churn_bucket": _("Churn risk %(churn_score_min)s–%(churn_score_max)s"),
    "top_share": _("Top %(top_net_commission)s%% of clients by net commission"),
    "purpose": _("Purpose: %(purpose)s"),
    "fund_size": _("Fund size: %(fund_size)s"),
    "volume": _("Trading volume: %(volume)s"),
    "tenure": _("Tenure: %(tenure)s"),
    "migration": _("%(moved_axis)s: %(moved_from)s on %(moved_start)s, %(moved_to)s on %(moved_end)s"),
}


def top_by_net_commission(queryset, name, value):
    """The first ceil(value% × n) of the segmented clients the other filters keep, by net commission over 250
    trading days: the clients behind the dashboard's top-20% share (ranked as the nightly indicator snapshot
    ranks them)."""
    ranked = (queryset.order_by().filter(segment__isnull=False, metrics__isnull=False)
              .annotate(rank=Window(RowNumber(), order_by=[F("metrics__net_commission_250").desc(), F("pk").asc()]),
                        total=Window(Count("pk")))
              .filter(rank__lte=Ceil(ExpressionWrapper(F("total") * Value(Decimal(value) / 100),
                                                        output_field=DecimalField()))))
    return queryset.filter(pk__in=ranked.values("pk"))


def key_clients() -> Q:
    """Besides the hand-marked ones, a large fund or a key-service trading volume makes a client key."""
    return Q(segment__fund_size=FundSize.LARGE) | Q(segment__volume=Volume.KEY_SERVICE)


class NightlyRunFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=RunStatus.choices, label=_("Status"))
    trade_date_from = django_filters.DateFilter(field_name="trade_date", lookup_expr="gte",
                                                label=_("Trading day from"))
    trade_date_to = django_filters.DateFilter(field_name="trade_date", lookup_expr="lte", label=_("Trading day to"))

    class Meta:
        model = NightlyRun
        fields = []
