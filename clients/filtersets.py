"""One FilterSet for the client list page, its CSV export and the API."""

import django_filters
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from segmentation.models import FundSize, Purpose, Tenure, Volume

from .choices import AccountStatus, Channel, ClientType, RiskLevel
from .forms import ManagerChoiceField
from .models import Branch, Client
from .selectors import sees_personal_data

SORTS = (
    ("account_id", "account_id"),
    ("name_pinyin", "name"),
    ("open_date", "open_date"),
    ("branch__code", "branch"),
    ("segment__churn_score", "churn_score"),
    ("segment__lifetime_value", "lifetime_value"),
)


class ManagerFilter(django_filters.ModelChoiceFilter):
    """Managers listed by name and employee code, not by login name."""

    field_class = ManagerChoiceField


class ClientFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("Search"))
    account_id = django_filters.CharFilter(label=_("Fund account"))
    branch = django_filters.ModelChoiceFilter(queryset=Branch.objects.all(), label=_("Branch"))
    account_manager = ManagerFilter(
        queryset=get_user_model().objects.filter(staff_profile__role="account_manager")
        .select_related("staff_profile").order_by("staff_profile__employee_code"),
        label=_("Account manager"),
    )
    client_type = django_filters.ChoiceFilter(choices=ClientType.choices, label=_("Client type"))
    status = django_filters.ChoiceFilter(choices=AccountStatus.choices, label=_("Status"))
    channel = django_filters.ChoiceFilter(choices=Channel.choices, label=_("Channel"))
    risk_level = django_filters.ChoiceFilter(choices=RiskLevel.choices, label=_("Risk level"))
    purpose = django_filters.ChoiceFilter(field_name="segment__purpose", choices=Purpose.choices, label=_("Purpose"))
    fund_size = django_filters.ChoiceFilter(field_name="segment__fund_size", choices=FundSize.choices,
                                            label=_("Fund size"))
    volume = django_filters.ChoiceFilter(field_name="segment__volume", choices=Volume.choices,
                                         label=_("Trading volume"))
    tenure = django_filters.ChoiceFilter(field_name="segment__tenure", choices=Tenure.choices, label=_("Tenure"))
    churn_score_min = django_filters.NumberFilter(field_name="segment__churn_score", lookup_expr="gte",
                                                  label=_("Churn score from"))
    churn_score_max = django_filters.NumberFilter(field_name="segment__churn_score", lookup_expr="lte",
                                                  label=_("Churn score to"))
    churned = django_filters.BooleanFilter(field_name="segment__churned", label=_("Churned"))
    loyal = django_filters.BooleanFilter(field_name="segment__loyal", label=_("Loyal"))
    profile_complete = django_filters.BooleanFilter(label=_("Profile complete"))
    ordering = django_filters.OrderingFilter(fields=SORTS, label=_("Sort"))

    class Meta:
        model = Client
        fields = []

    def filter_q(self, queryset, name, value):
        user = getattr(self.request, "user", None)
        return queryset.search(value, whole_phone_only=not sees_personal_data(user))
