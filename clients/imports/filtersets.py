"""One FilterSet each for the quarantine and the settlement alerts: the pages and the API share them."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from ..models import QuarantinedRow, SettlementAlert
from ..models.imports import AlertKind, ImportKind, QuarantineStatus


@extend_schema_field(OpenApiTypes.INT)
class IdFilter(django_filters.NumberFilter):
    """A related record by its id; an id the user may not see simply matches nothing (no "invalid choice")."""

    field_class = forms.IntegerField


class QuarantinedRowFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=QuarantineStatus.choices, label=_("Status"))
    batch = IdFilter(field_name="batch_id", label=_("Batch"))
    kind = django_filters.ChoiceFilter(field_name="batch__kind", choices=ImportKind.choices, label=_("Kind"))

    class Meta:
        model = QuarantinedRow
        fields = []


class SettlementAlertFilterSet(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=AlertKind.choices, label=_("Kind"))
    acknowledged = django_filters.BooleanFilter(field_name="acknowledged_at", lookup_expr="isnull", exclude=True,
                                                label=_("Acknowledged"))
    trade_date_from = django_filters.DateFilter(field_name="trade_date", lookup_expr="gte",
                                                label=_("Trading day from"))
    trade_date_to = django_filters.DateFilter(field_name="trade_date", lookup_expr="lte", label=_("Trading day to"))
    client = IdFilter(field_name="client_id", label=_("Client"))
    account_id = django_filters.CharFilter(field_name="client__account_id", label=_("Fund account"))
    batch = IdFilter(field_name="batch_id", label=_("Batch"))

    class Meta:
        model = SettlementAlert
        fields = []
