"""One filterset for the access-log page and its CSV/XLSX export."""

import django_filters
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from futures_crm.filters import StaffChoiceFilter

from .choices import AccessVia
from .models import PersonalDataAccess

STAFF = (get_user_model().objects.filter(staff_profile__isnull=False).select_related("staff_profile")
         .order_by("staff_profile__employee_code"))


class AccessFilterSet(django_filters.FilterSet):
    by = StaffChoiceFilter(queryset=STAFF, label=_("Staff member"))
    account_id = django_filters.CharFilter(field_name="client__account_id", label=_("Fund account"))
    via = django_filters.ChoiceFilter(choices=AccessVia.choices, label=_("Via"))
    since = django_filters.DateFilter(field_name="at", lookup_expr="date__gte", label=_("Viewed from"))
    until = django_filters.DateFilter(field_name="at", lookup_expr="date__lte", label=_("Viewed to"))

    class Meta:
        model = PersonalDataAccess
        fields = []
