"""One FilterSet for the client list page, its CSV export and the API (other apps add theirs: list_filters.py)."""

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

from futures_crm.filters import FilterSet, StaffChoiceFilter

from .choices import (
    CHURN_REASON_KIND,
    AccountStatus,
    Channel,
    ChurnKind,
    ChurnReason,
    ClientType,
    Exchange,
    ProductClass,
    ProductRiskLevel,
    RiskLevel,
)
from .models import Branch, Client, Product
from .selectors import sees_personal_data

# (field path, `ordering` value, label)
SORTS = (
    ("account_id", "account_id", _("Fund account")),
    ("name_pinyin", "name", _("Name")),
    ("open_date", "open_date", _("Open date")),
    ("branch__code", "branch", _("Branch")),
)
CONTRIBUTED_BEFORE = "profile_complete"  # where the filters other apps register stand in the form


def _descending(label) -> str:
    return pgettext("sort order", "%s (descending)") % label


descending = lazy(_descending, str)


class OrderingFilter(django_filters.OrderingFilter):
    """Sort options with labels in the reader's language.

    django-filter labels a sort by its parameter ("Account id") and formats "(descending)" once, at import,
    in English (it has no zh_Hans catalogue); here every option is a lazy label, translated when shown.
    """

    def __init__(self, *, sorts, **kwargs):
        self.sorts = tuple(sorts)
        super().__init__(fields=[(path, value) for path, value, _label in self.sorts],
                         field_labels={path: label for path, _value, label in self.sorts}, **kwargs)

    def build_choices(self, fields, labels):
        return [choice for path, value in fields.items()
                for choice in ((value, labels[path]), (f"-{value}", descending(labels[path])))]


class ClientFilterSet(FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("Search"))
    account_id = django_filters.CharFilter(label=_("Fund account"))
    branch = django_filters.ModelChoiceFilter(queryset=Branch.objects.all(), label=_("Branch"))
    account_manager = StaffChoiceFilter(
        queryset=get_user_model().objects.filter(staff_profile__role="account_manager")
        .select_related("staff_profile").order_by("staff_profile__employee_code"),
        label=_("Account manager"),
    )
    # The clients of a branch nobody manages (the dashboard's "unassigned" row).
    no_manager = django_filters.BooleanFilter(field_name="account_manager", lookup_expr="isnull",
                                              label=_("No account manager"))
    client_type = django_filters.ChoiceFilter(choices=ClientType.choices, label=_("Client type"))
    status = django_filters.ChoiceFilter(choices=AccountStatus.choices, label=_("Status"))
    channel = django_filters.ChoiceFilter(choices=Channel.choices, label=_("Channel"))
    risk_level = django_filters.ChoiceFilter(choices=RiskLevel.choices, label=_("Risk level"))
    churn_reason = django_filters.ChoiceFilter(choices=ChurnReason.choices, label=_("Churn reason"))
    churn_kind = django_filters.ChoiceFilter(choices=ChurnKind.choices, method="filter_churn_kind",
                                             label=_("Churn kind"))
    # The branch manager's worklist of key-client proposals waiting for a decision.
    key_proposed = django_filters.BooleanFilter(field_name="key_proposed_at", lookup_expr="isnull", exclude=True,
                                                label=_("Proposed as a key client"))
    # The scorecard's figures: accounts opened in a period, and the book a manager had on a day.
    opened_from = django_filters.DateFilter(field_name="open_date", lookup_expr="gte", label=_("Account opened from"))
    opened_to = django_filters.DateFilter(field_name="open_date", lookup_expr="lte", label=_("Account opened to"))
    under_care_on = django_filters.DateFilter(method="filter_under_care_on", label=_("Under care on"))
    profile_complete = django_filters.BooleanFilter(label=_("Profile complete"))
    ordering = OrderingFilter(sorts=SORTS, label=_("Sort"))

    class Meta:
        model = Client
        fields = []

    def filter_q(self, queryset, name, value):
        user = getattr(self.request, "user", None)
        return queryset.search(value, whole_phone_only=not sees_personal_data(user))

    def filter_churn_kind(self, queryset, name, value):
        return queryset.filter(churn_reason__in=[r for r, kind in CHURN_REASON_KIND.items() if kind == value])

    def filter_under_care_on(self, queryset, name, value):
        """Opened by `value` and not closed on it (a closing date after it, or none and not closed): the clients
        the nightly indicator snapshot of that day counts as under care."""
        opened = Q(open_date__isnull=True) | Q(open_date__lte=value)
        open_then = Q(close_date__gt=value) | (Q(close_date__isnull=True) & ~Q(status=AccountStatus.CLOSED))
        return queryset.filter(opened & open_then)

    @classmethod
    def contribute(cls, *, filters: dict, sorts: tuple) -> None:
        """Offer another app's filters (before `profile_complete`) and sorts, here and in every subclass."""
        for name, f in filters.items():
            f.field_name = f.field_name or name  # what the FilterSet metaclass does for declared filters
        current = cls.base_filters["ordering"]
        known = set(current.param_map)
        ordering = OrderingFilter(sorts=current.sorts + tuple(s for s in sorts if s[1] not in known),
                                  label=current.label)
        ordering.field_name = "ordering"
        for klass in [cls, *_subclasses(cls)]:
            klass.declared_filters = _merged(klass.declared_filters, filters, ordering)
            klass.base_filters = _merged(klass.base_filters, filters, ordering)


def _subclasses(cls) -> list:
    return [sub for direct in cls.__subclasses__() for sub in [direct, *_subclasses(direct)]]


def _merged(current: dict, extra: dict, ordering) -> dict:
    kept = [(name, f) for name, f in current.items() if name not in extra]
    at = next((i for i, (name, _f) in enumerate(kept) if name == CONTRIBUTED_BEFORE), len(kept))
    merged = dict(kept[:at] + list(extra.items()) + kept[at:])
    if "ordering" in merged:
        merged["ordering"] = ordering  # the key keeps its place
    return merged


class ProductFilterSet(django_filters.FilterSet):
    """The product risk table: by exchange, class and level (the products page and `GET /api/products/`)."""

    exchange = django_filters.ChoiceFilter(label=_("Exchange"), choices=Exchange.choices)
    product_class = django_filters.ChoiceFilter(label=_("Product class"), choices=ProductClass.choices)
    risk_level = django_filters.ChoiceFilter(label=_("Product risk level"), choices=ProductRiskLevel.choices)

    class Meta:
        model = Product
        fields = ["exchange", "product_class", "risk_level"]
