"""One FilterSet per list: the page, its export and the API share it."""

import django_filters
from django.db.models import Q
from django.forms import HiddenInput
from django.utils.translation import gettext_lazy as _
from django_filters.constants import EMPTY_VALUES

from clients.filtersets import ClientFilterSet

from .choices import ClubLevel, IntermediaryKind, IntermediaryStatus, MembershipStatus, ReferralStatus
from .models import Intermediary, IntermediaryLink, Referral
from .querysets import link_open_q, reached_q

COMPLIANCE_CHECKS = [("contract", _("Contract expiring within 30 days or expired")),
                     ("training", _("No training in the last 12 months"))]


class IntermediaryFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("Search"))
    kind = django_filters.ChoiceFilter(choices=IntermediaryKind.choices, label=_("Kind"))
    status = django_filters.ChoiceFilter(choices=IntermediaryStatus.choices, label=_("Status"))
    # The compliance page's counts: the intermediaries a check raises (the same selectors count them there).
    check = django_filters.ChoiceFilter(choices=COMPLIANCE_CHECKS, method="filter_check", label=_("Compliance check"))

    class Meta:
        model = Intermediary
        fields = []

    def filter_check(self, queryset, name, value):
        from . import selectors

        return {"contract": selectors.contract_expiring, "training": selectors.training_missing}[value](queryset)

    def filter_q(self, queryset, name, value):
        return queryset.filter(Q(code__istartswith=value) | Q(name__icontains=value))


class IntermediaryLinkFilterSet(django_filters.FilterSet):
    intermediary = django_filters.CharFilter(field_name="intermediary__code", label=_("Intermediary code"))
    account_id = django_filters.CharFilter(field_name="client__account_id", label=_("Fund account"))
    current = django_filters.BooleanFilter(field_name="valid_to", lookup_expr="isnull", label=_("Current"))

    class Meta:
        model = IntermediaryLink
        fields = []


class ReferralFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("Search"))
    status = django_filters.ChoiceFilter(choices=ReferralStatus.choices, label=_("Status"))
    referred_from = django_filters.DateFilter(field_name="referred_on", lookup_expr="gte", label=_("Referred from"))
    referred_to = django_filters.DateFilter(field_name="referred_on", lookup_expr="lte", label=_("Referred to"))
    # The conversion page's rows: one referrer (a client or a staff member) and how far its referrals got.
    referrer_client = django_filters.NumberFilter(field_name="referrer_client_id", widget=HiddenInput,
                                                  label=_("Referring client"))
    referrer_staff = django_filters.NumberFilter(field_name="referrer_staff_id", widget=HiddenInput,
                                                 label=_("Referring staff member"))
    reached = django_filters.ChoiceFilter(choices=ReferralStatus.choices, method="filter_reached",
                                          label=_("Reached"))

    class Meta:
        model = Referral
        fields = []

    def filter_reached(self, queryset, name, value):
        return queryset.filter(reached_q(value))

    def filter_q(self, queryset, name, value):
        return queryset.filter(
            Q(prospect_name__icontains=value) | Q(referrer_client__name__icontains=value)
            | Q(referrer_client__account_id__startswith=value) | Q(referred_client__account_id__startswith=value)
        )


class ClubMemberFilterSet(ClientFilterSet):
    """The usual client filters plus the membership's own."""

    level = django_filters.ChoiceFilter(field_name="club_membership__level", choices=ClubLevel.choices,
                                        label=_("Club level"))
    membership_status = django_filters.ChoiceFilter(field_name="club_membership__status",
                                                    choices=MembershipStatus.choices, label=_("Membership status"))


# ---------------------------------------------------------------- the client-list filters behind the scorecard


def _companion(queryset, name, value):
    """A parameter `link_intermediary` reads: it narrows nothing by itself."""
    return queryset


class LinkedFilter(django_filters.CharFilter):
    """The clients linked to the intermediary of code `value` (any link, ended or not); with `link_open_on` by a
    link open that day, with `link_began_from`/`link_began_to` by one that began in that range (the intermediary
    scorecard's "clients linked" and "clients newly linked")."""

    def filter(self, qs, value):
        if value in EMPTY_VALUES:
            return qs
        data = self.parent.form.cleaned_data
        q = Q(intermediary__code=value)
        if data.get("link_open_on"):
            q &= link_open_q(data["link_open_on"])
        if data.get("link_began_from"):
            q &= Q(valid_from__gte=data["link_began_from"])
        if data.get("link_began_to"):
            q &= Q(valid_from__lte=data["link_began_to"])
        return qs.filter(pk__in=IntermediaryLink.objects.filter(q).values("client_id"))


def client_list_filters() -> dict:
    """URL parameter → filter, offered on the client list (and its export, the API and campaign targeting); the
    dates are hidden: the scorecard's link sets them, the form keeps them."""
    return {
        "link_intermediary": LinkedFilter(max_length=32, label=_("Linked to intermediary")),
        "link_open_on": django_filters.DateFilter(method=_companion, widget=HiddenInput, label=_("Link open on")),
        "link_began_from": django_filters.DateFilter(method=_companion, widget=HiddenInput,
                                                     label=_("Link began from")),
        "link_began_to": django_filters.DateFilter(method=_companion, widget=HiddenInput, label=_("Link began to")),
    }
