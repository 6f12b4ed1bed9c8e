"""Segmentation's FilterSets: the nightly runs (page and API), and the client-list filters and sorts it adds
through clients.list_filters (same URL parameters on the client page, its CSV export, the API and campaign
targeting)."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .choices import RunStatus
from .models import FundSize, NightlyRun, Purpose, Tenure, Volume

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
    }


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
