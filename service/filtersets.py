"""One FilterSet per service list: the page, its CSV export and the API share them."""

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from clients.choices import ContactChannel
from clients.models import Branch
from futures_crm.filters import StaffChoiceFilter

from .activity_results import RECIPIENT_KINDS, RESULTS, result_q
from .choices import (
    ActivityKind,
    MessageChannel,
    MessageResult,
    Priority,
    ProspectGrade,
    ProspectSource,
    Queue,
    RecipientStatus,
    ReturnVisitReason,
    ReturnVisitStatus,
    TaskKind,
    TaskStatus,
    TicketStatus,
    TicketType,
)
from .funnels import NO_BRANCH, NOBODY, on_time_q, overdue_q, reached_grade_q, within_deadline_q
from .models import Activity, ActivityRecipient, CommunicationLog, Prospect, ReturnVisit, Survey, Task, Ticket

STAFF = (get_user_model().objects.filter(staff_profile__isnull=False).select_related("staff_profile")
         .order_by("staff_profile__employee_code"))
ACCOUNT_MANAGERS = STAFF.filter(staff_profile__role="account_manager")


def client_manager_filter() -> StaffChoiceFilter:
    """The records of the clients an account manager looks after (the manager scorecard's figures)."""
    return StaffChoiceFilter(field_name="client__account_manager", queryset=ACCOUNT_MANAGERS,
                             label=_("Client's account manager"))


class TicketFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("Search"))
    account_id = django_filters.CharFilter(field_name="client__account_id", label=_("Fund account"))
    ticket_type = django_filters.ChoiceFilter(choices=TicketType.choices, label=_("Type"))
    status = django_filters.ChoiceFilter(choices=TicketStatus.choices, label=_("Status"))
    priority = django_filters.ChoiceFilter(choices=Priority.choices, label=_("Priority"))
    channel = django_filters.ChoiceFilter(choices=ContactChannel.choices, label=_("Channel"))
    queue = django_filters.ChoiceFilter(choices=Queue.choices, label=_("Queue"))
    owner = StaffChoiceFilter(queryset=STAFF, label=_("Owner"), null_label=NOBODY)
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("Overdue"))
    # The deadline-performance page's figures (service.funnels.ticket_sla): local dates, a client's branch ("null":
    # no branch, the funnels' "No branch" row).
    branch = django_filters.ModelChoiceFilter(field_name="client__branch", queryset=Branch.objects.all(),
                                              label=_("Branch"), null_label=NO_BRANCH)
    resolved_from = django_filters.DateFilter(field_name="resolved_at", lookup_expr="date__gte",
                                              label=_("Resolved from"))
    resolved_to = django_filters.DateFilter(field_name="resolved_at", lookup_expr="date__lte", label=_("Resolved to"))
    within_deadline = django_filters.BooleanFilter(method="filter_within_deadline", label=_("Resolved by the deadline"))
    deadline_from = django_filters.DateFilter(field_name="deadline", lookup_expr="date__gte", label=_("Deadline from"))
    deadline_to = django_filters.DateFilter(field_name="deadline", lookup_expr="date__lte", label=_("Deadline to"))
    client_manager = client_manager_filter()

    class Meta:
        model = Ticket
        fields = []

    def filter_q(self, queryset, name, value):
        return queryset.filter(Q(subject__icontains=value) | Q(client__name__icontains=value)
                               | Q(client__account_id__startswith=value) | Q(caller_phone__contains=value))

    def filter_overdue(self, queryset, name, value):
        q = overdue_q(timezone.now())
        return queryset.filter(q) if value else queryset.exclude(q)

    def filter_within_deadline(self, queryset, name, value):
        """Resolved by the deadline (true) or resolved after it (false)."""
        return queryset.filter(within_deadline_q() if value else Q(resolved_at__gt=F("deadline")))


class TaskFilterSet(django_filters.FilterSet):
    account_id = django_filters.CharFilter(field_name="client__account_id", label=_("Fund account"))
    kind = django_filters.ChoiceFilter(choices=TaskKind.choices, label=_("Kind"))
    status = django_filters.ChoiceFilter(choices=TaskStatus.choices, label=_("Status"))
    owner = StaffChoiceFilter(queryset=STAFF, label=_("Owner"))
    due_before = django_filters.DateFilter(field_name="due_on", lookup_expr="lte", label=_("Due by"))
    source = django_filters.CharFilter(field_name="source", lookup_expr="startswith", label=_("Source"))
    # The manager scorecard's figures: the tasks of a manager's clients due (or created) in a period, whether
    # cancelled, and whether done by their due date (Asia/Shanghai day).
    client_manager = client_manager_filter()
    due_from = django_filters.DateFilter(field_name="due_on", lookup_expr="gte", label=_("Due from"))
    created_from = django_filters.DateFilter(field_name="created_at", lookup_expr="date__gte",
                                             label=_("Created from"))
    created_to = django_filters.DateFilter(field_name="created_at", lookup_expr="date__lte", label=_("Created to"))
    cancelled = django_filters.BooleanFilter(method="filter_cancelled", label=_("Cancelled"))
    on_time = django_filters.BooleanFilter(method="filter_on_time", label=_("Done by the due date"))

    class Meta:
        model = Task
        fields = []

    def filter_cancelled(self, queryset, name, value):
        q = Q(status=TaskStatus.CANCELLED)
        return queryset.filter(q) if value else queryset.exclude(q)

    def filter_on_time(self, queryset, name, value):
        q = on_time_q()
        return queryset.filter(q) if value else queryset.exclude(q)


class ProspectFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("Search"))
    grade = django_filters.ChoiceFilter(choices=ProspectGrade.choices, label=_("Grade"))
    source = django_filters.ChoiceFilter(choices=ProspectSource.choices, label=_("Source"))
    owner = StaffChoiceFilter(queryset=STAFF, label=_("Owner"), null_label=NOBODY)
    converted = django_filters.BooleanFilter(field_name="client", lookup_expr="isnull", exclude=True,
                                             label=_("Converted"))
    # The prospect funnel's figures (service.funnels.prospect_funnel; "null": the "No branch" row).
    branch = django_filters.ModelChoiceFilter(queryset=Branch.objects.all(), label=_("Branch"), null_label=NO_BRANCH)
    reached = django_filters.ChoiceFilter(choices=ProspectGrade.choices, method="filter_reached",
                                          label=_("Reached grade"))
    recorded_from = django_filters.DateFilter(field_name="created_at", lookup_expr="date__gte",
                                              label=_("Recorded from"))
    recorded_to = django_filters.DateFilter(field_name="created_at", lookup_expr="date__lte", label=_("Recorded to"))

    class Meta:
        model = Prospect
        fields = []

    def filter_reached(self, queryset, name, value):
        return queryset.filter(reached_grade_q(value))

    def filter_q(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(phone__contains=value))


class ActivityFilterSet(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=ActivityKind.choices, label=_("Kind"))
    held_from = django_filters.DateFilter(field_name="held_on", lookup_expr="gte",
                                       label=pgettext_lazy("date range", "From"))
    held_to = django_filters.DateFilter(field_name="held_on", lookup_expr="lte",
                                     label=pgettext_lazy("date range", "To"))

    class Meta:
        model = Activity
        fields = []


class RecipientFilterSet(django_filters.FilterSet):
    """An activity's recipients (its page and `GET /api/activities/{id}/recipients/`): by status, or by the result
    the activity results count them under (service.activity_results), so each result links to its clients."""

    status = django_filters.ChoiceFilter(choices=RecipientStatus.choices, label=_("Status"))
    result = django_filters.ChoiceFilter(choices=list(RESULTS.items()), method="filter_result", label=_("Result"))
    who = django_filters.ChoiceFilter(choices=[(key, label) for key, (_q, label) in RECIPIENT_KINDS.items()],
                                      method="filter_who", label=_("Clients or prospects"))

    class Meta:
        model = ActivityRecipient
        fields = []

    def filter_who(self, queryset, name, value):
        return queryset.filter(RECIPIENT_KINDS[value][0])

    def filter_result(self, queryset, name, value):
        activities = Activity.objects.filter(pk__in=queryset.order_by().values("activity_id").distinct())
        return queryset.filter(result_q(value, activities=list(activities) if value == "converted" else ()))


class ActivityRecipientFilterSet(RecipientFilterSet):
    """The recipients of the activities the results list keeps (its kind and dates), by status, result and
    who: the list behind the results' totals row."""

    kind = django_filters.ChoiceFilter(field_name="activity__kind", choices=ActivityKind.choices, label=_("Kind"))
    held_from = django_filters.DateFilter(field_name="activity__held_on", lookup_expr="gte",
                                          label=pgettext_lazy("date range", "From"))
    held_to = django_filters.DateFilter(field_name="activity__held_on", lookup_expr="lte",
                                        label=pgettext_lazy("date range", "To"))


class SurveyFilterSet(django_filters.FilterSet):
    account_id = django_filters.CharFilter(field_name="client__account_id", label=_("Fund account"))
    branch = django_filters.NumberFilter(field_name="client__branch", label=_("Branch"))
    answered_from = django_filters.DateFilter(field_name="answered_on", lookup_expr="gte",
                                           label=pgettext_lazy("date range", "From"))
    answered_to = django_filters.DateFilter(field_name="answered_on", lookup_expr="lte",
                                         label=pgettext_lazy("date range", "To"))
    trades_elsewhere = django_filters.BooleanFilter(label=_("Trades futures with another firm"))
    satisfaction_max = django_filters.NumberFilter(field_name="satisfaction", lookup_expr="lte",
                                                   label=_("Satisfaction at most"))

    class Meta:
        model = Survey
        fields = []


class CommunicationFilterSet(django_filters.FilterSet):
    account_id = django_filters.CharFilter(field_name="client__account_id", label=_("Fund account"))
    channel = django_filters.ChoiceFilter(choices=MessageChannel.choices, label=_("Channel"))
    result = django_filters.ChoiceFilter(choices=MessageResult.choices, label=_("Result"))
    occasion = django_filters.CharFilter(field_name="occasion", lookup_expr="startswith", label=_("Occasion"))

    class Meta:
        model = CommunicationLog
        fields = []


class ReturnVisitFilterSet(django_filters.FilterSet):
    """The visits list and the report's links (a report count is the count of this list, filtered alike)."""

    account_id = django_filters.CharFilter(field_name="client__account_id", label=_("Fund account"))
    status = django_filters.ChoiceFilter(choices=ReturnVisitStatus.choices, label=_("Status"))
    reason = django_filters.ChoiceFilter(choices=ReturnVisitReason.choices, label=_("Reason"))
    branch = django_filters.ModelChoiceFilter(field_name="client__branch", queryset=Branch.objects.all(),
                                              label=_("Branch"))
    due_from = django_filters.DateFilter(field_name="due_on", lookup_expr="gte", label=_("Due from"))
    due_to = django_filters.DateFilter(field_name="due_on", lookup_expr="lte", label=_("Due to"))

    class Meta:
        model = ReturnVisit
        fields = []
