"""Service pages: my day, tickets, tasks, screen-pop, prospects, activities, surveys, care."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import DetailView, FormView, TemplateView

from clients.models import Client
from futures_crm import texts
from futures_crm.exports import export_response
from futures_crm.forms import add_service_errors
from futures_crm.redirects import safe_next
from futures_crm.views import FilteredListView, ScopedQuerysetMixin, StaffRequiredMixin

from . import activity_results, roles, selectors, services
from .choices import DeadlineUnit, Priority, TicketStatus, TicketType
from .filtersets import (
    ActivityFilterSet,
    ActivityRecipientFilterSet,
    CommunicationFilterSet,
    ProspectFilterSet,
    RecipientFilterSet,
    SurveyFilterSet,
    TaskFilterSet,
    TicketFilterSet,
)
from .forms import (
    ActivityForm,
    CareRunForm,
    DeadlineTableForm,
    InviteForm,
    LinkClientForm,
    MessageForm,
    ProspectConvertForm,
    ProspectForm,
    ProspectGradeForm,
    ProspectVisitForm,
    RecipientForm,
    SatisfactionForm,
    SurveyForm,
    TaskCompleteForm,
    TaskForm,
    TicketAssignForm,
    TicketCommentForm,
    TicketOpenForm,
    TicketStatusForm,
)
from .models import (
    Activity,
    ActivityRecipient,
    CarePlan,
    CommunicationLog,
    DeadlinePolicy,
    Prospect,
    Survey,
    Task,
    Ticket,
)


def _error_text(exc: ValidationError) -> str:
    return " ".join(exc.messages)


class ActionMixin:
    """POST `action=<name>` calls `do_<name>(form)` after the named form validates; errors become messages."""

    action_forms: dict = {}
    write_roles: set = set()

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        action = request.POST.get("action", "")
        form_class = self.action_forms.get(action)
        if form_class is None:
            return redirect(request.path)
        if self.role not in self.action_roles(action):
            raise PermissionDenied
        form = form_class(request.POST)
        if form.is_valid():
            try:
                # A write that has more to say than "Saved." returns its text (e.g. who was left out, and why).
                said = getattr(self, f"do_{action}")(form.cleaned_data)
                messages.success(request, str(said) if isinstance(said, texts.Text) else _("Saved."))
            except ValidationError as exc:
                messages.error(request, _error_text(exc))
        else:
            messages.error(request, "; ".join(f"{form.fields[f].label if f in form.fields else ''}: {' '.join(e)}"
                                              for f, e in form.errors.items()))
        return redirect(self.success_url())

    def action_roles(self, action):
        return self.write_roles

    def success_url(self):
        return self.request.path


# ---------------------------------------------------------------- my day


class MyDayView(StaffRequiredMixin, TemplateView):
    """The landing page: what needs this person today."""

    template_name = "service/my_day.html"

    def post(self, request, *args, **kwargs):
        # The only action here: dismiss notifications.
        services.notifications_mark_read(user=request.user)
        return redirect("service:my_day")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(selectors.my_day(user=self.request.user))
        unread = self.request.user.notifications.filter(read_at__isnull=True)
        ctx["notifications"] = unread.select_related("ticket")[:20]
        return ctx


# ---------------------------------------------------------------- tickets


class TicketListView(FilteredListView):
    title = gettext_lazy("Tickets")
    filterset_class = TicketFilterSet
    template_name = "service/ticket_list.html"
    # The deadline-performance page's figures (segmentation's analysis pages link them here).
    figures = {"sla_resolved": gettext_lazy("Tickets resolved from %(resolved_from)s to %(resolved_to)s"),
               "sla_within": gettext_lazy("Tickets resolved from %(resolved_from)s to %(resolved_to)s by their "
                                          "deadline"),
               "sla_overdue": gettext_lazy("Open tickets past a deadline between %(deadline_from)s and "
                                           "%(deadline_to)s"),
               # The manager scorecard's (segmentation.scorecard_views).
               "scorecard_tickets_within": gettext_lazy("Tickets of the clients of %(client_manager)s resolved from "
                                                        "%(resolved_from)s to %(resolved_to)s by their deadline")}
    queryset = Ticket.objects.select_related("client", "owner")
    export_name = "tickets.csv"
    export_columns = [
        (gettext_lazy("Number"), lambda t: t.pk),
        (gettext_lazy("Type"), lambda t: t.get_ticket_type_display()),
        (gettext_lazy("Status"), lambda t: t.get_status_display()),
        (gettext_lazy("Priority"), lambda t: t.get_priority_display()),
        (gettext_lazy("Fund account"), lambda t: t.client.account_id if t.client_id else ""),
        (gettext_lazy("Subject"), lambda t: t.subject),
        (gettext_lazy("Deadline"), lambda t: t.deadline),
        (gettext_lazy("Owner"), lambda t: t.owner.username if t.owner_id else ""),
    ]

    def get_context_data(self, **kwargs):
        # The rows mark overdue tickets against the time the page is rendered.
        return super().get_context_data(now=timezone.now(), **kwargs)


class TicketCreateView(StaffRequiredMixin, FormView):
    """Open a ticket, for a client (`?client=`) or an unknown caller (`?phone=`)."""

    allowed_roles = roles.TICKET_WRITE_ROLES
    form_class = TicketOpenForm
    template_name = "generic/form.html"
    title = gettext_lazy("Open a ticket")

    def dispatch(self, request, *args, **kwargs):
        self.client = None
        client_id = request.GET.get("client") or request.POST.get("client")
        if client_id and request.user.is_authenticated:
            self.client = get_object_or_404(Client.objects.visible_to(request.user), pk=client_id)
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        return {"caller_phone": self.request.GET.get("phone", "")}

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["subtitle"] = str(self.client) if self.client else ""
        ctx["hidden"] = {"client": self.client.pk} if self.client else {}
        return ctx

    def form_valid(self, form):
        data = form.cleaned_data
        ticket = services.ticket_open(by=self.request.user, client=self.client, ticket_type=data["ticket_type"],
                                      channel=data["channel"], priority=data["priority"], subject=data["subject"],
                                      description=data["description"], caller_phone=data["caller_phone"],
                                      queue=data["queue"] or None)
        messages.success(self.request, _("Ticket #%(id)s opened.") % {"id": ticket.pk})
        return redirect("service:ticket_detail", pk=ticket.pk)


class TicketDetailView(ActionMixin, ScopedQuerysetMixin, DetailView):
    model = Ticket
    template_name = "service/ticket_detail.html"
    context_object_name = "ticket"
    write_roles = roles.TICKET_WRITE_ROLES
    action_forms = {"status": TicketStatusForm, "comment": TicketCommentForm, "assign": TicketAssignForm,
                    "satisfaction": SatisfactionForm, "link": LinkClientForm}

    def get_queryset(self):
        return super().get_queryset().select_related("client", "owner", "opened_by")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ticket = self.object
        ctx.update(
            events=ticket.events.select_related("by__staff_profile"),
            next_statuses=[(s, TicketStatus(s).label) for s in sorted(services.TRANSITIONS[ticket.status])],
            comment_form=TicketCommentForm(),
            assign_form=TicketAssignForm(initial={"owner": ticket.owner_id, "queue": ticket.queue}),
            satisfaction_form=SatisfactionForm(),
            can_write=self.role in self.write_roles,
            overdue=ticket.status in services.OPEN_TICKET_STATUSES and ticket.deadline < timezone.now(),
        )
        return ctx

    def do_status(self, data):
        services.ticket_transition(ticket=self.object, to_status=data["to_status"], by=self.request.user,
                                   note=data["note"])

    def do_comment(self, data):
        services.ticket_comment(ticket=self.object, by=self.request.user, text=data["text"], reply=data["reply"])

    def do_assign(self, data):
        services.ticket_assign(ticket=self.object, by=self.request.user, owner=data["owner"], queue=data["queue"],
                               reason=data["reason"])

    def do_link(self, data):
        client = selectors.visible_client(user=self.request.user, account_id=data["account_id"])
        services.ticket_link_client(ticket=self.object, client=client, by=self.request.user)

    def do_satisfaction(self, data):
        services.ticket_record_satisfaction(ticket=self.object, by=self.request.user, score=data["score"])


class DeadlinePolicyView(StaffRequiredMixin, TemplateView):
    """The deadline table per ticket type and priority; editable by head office and compliance."""

    template_name = "service/deadlines.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        form = ctx.get("form") or DeadlineTableForm(policies=self.policies())
        ctx["rows"] = [
            {"type": t, "label": label, "cells": [{"priority": pr, **form.cell(t, pr)} for pr, _l in Priority.choices]}
            for t, label in TicketType.choices
        ]
        ctx.update(form=form, priorities=Priority.choices, units=DeadlineUnit.choices,
                   can_write=self.role in roles.POLICY_WRITE_ROLES, default=services.DEFAULT_DEADLINE)
        return ctx

    @staticmethod
    def policies() -> dict:
        return {(p.ticket_type, p.priority): p for p in DeadlinePolicy.objects.all()}

    def post(self, request, *args, **kwargs):
        if self.role not in roles.POLICY_WRITE_ROLES:
            raise PermissionDenied
        form = DeadlineTableForm(request.POST, policies=self.policies())
        if form.is_valid():
            try:
                with transaction.atomic():
                    for t, pr, amount, unit in form.entries():
                        services.deadline_policy_set(ticket_type=t, priority=pr, amount=amount, unit=unit,
                                                     by=request.user)
            except ValidationError as exc:
                form.add_error(None, _error_text(exc))
            else:
                messages.success(request, _("Saved."))
                return redirect("service:deadlines")
        return self.render_to_response(self.get_context_data(form=form))


# ---------------------------------------------------------------- tasks


class TaskListView(FilteredListView):
    title = gettext_lazy("Tasks")
    filterset_class = TaskFilterSet
    template_name = "service/task_list.html"
    figures = {"open_tasks": gettext_lazy("Open tasks of %(owner)s"),
               "due_tasks": gettext_lazy("Open tasks of %(owner)s due by %(due_before)s"),
               # The manager scorecard's (segmentation.scorecard_views).
               "scorecard_tasks_due": gettext_lazy("Tasks of the clients of %(client_manager)s due from %(due_from)s "
                                                   "to %(due_before)s, not cancelled"),
               "scorecard_tasks_on_time": gettext_lazy("Tasks of the clients of %(client_manager)s due from "
                                                       "%(due_from)s to %(due_before)s, done by the due date"),
               "scorecard_tasks_created": gettext_lazy("Tasks for the clients of %(client_manager)s created from "
                                                       "%(created_from)s to %(created_to)s")}
    queryset = Task.objects.select_related("client", "prospect", "owner__staff_profile")
    export_name = "tasks.csv"
    export_columns = [
        (gettext_lazy("Kind"), lambda t: t.get_kind_display()),
        (gettext_lazy("Fund account"), lambda t: t.client.account_id if t.client_id else ""),
        (gettext_lazy("Title"), lambda t: t.title_text),
        (gettext_lazy("Due on"), lambda t: t.due_on),
        (gettext_lazy("Status"), lambda t: t.get_status_display()),
        (gettext_lazy("Owner"), lambda t: t.owner.username if t.owner_id else ""),
        (gettext_lazy("Outcome"), lambda t: t.outcome),
    ]

    def get_filterset_kwargs(self, filterset_class):
        kwargs = super().get_filterset_kwargs(filterset_class)
        if not self.request.GET:
            # First visit: my open tasks.
            kwargs["data"] = {"status": "open", "owner": self.request.user.pk}
        return kwargs

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["complete_form"] = TaskCompleteForm()
        return ctx


class TaskCompleteView(ActionMixin, ScopedQuerysetMixin, DetailView):
    model = Task
    write_roles = roles.TASK_WRITE_ROLES
    action_forms = {"complete": TaskCompleteForm}
    http_method_names = ["post"]

    def do_complete(self, data):
        services.task_complete(task=self.object, by=self.request.user, outcome=data["outcome"],
                               status="cancelled" if data["cancelled"] else "done")

    def success_url(self):
        return safe_next(self.request, reverse("service:tasks"))


# ---------------------------------------------------------------- screen-pop


class LookupView(StaffRequiredMixin, TemplateView):
    """The caller screen-pop (未闻其声，先知其人)."""

    template_name = "service/lookup.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        phone = self.request.GET.get("phone", "").strip()
        ctx["phone"] = phone
        if phone:
            ctx["result"] = selectors.lookup_phone(user=self.request.user, number=phone)
            selectors.lookup_shown(self.request, ctx["result"], via="page")
        ctx["can_ticket"] = self.role in roles.TICKET_WRITE_ROLES
        ctx["can_prospect"] = self.role in roles.PROSPECT_WRITE_ROLES
        return ctx


# ---------------------------------------------------------------- prospects


class ProspectListView(FilteredListView):
    title = gettext_lazy("Prospects")
    filterset_class = ProspectFilterSet
    template_name = "service/prospect_list.html"
    # The prospect funnel's figures (the analysis page links them here).
    figures = {"funnel_recorded": gettext_lazy("Prospects recorded from %(recorded_from)s to %(recorded_to)s"),
               "funnel_reached": gettext_lazy("Prospects recorded from %(recorded_from)s to %(recorded_to)s that "
                                              "reached grade %(reached)s"),
               "funnel_opened": gettext_lazy("Prospects recorded from %(recorded_from)s to %(recorded_to)s that "
                                             "opened an account")}
    queryset = Prospect.objects.select_related("owner__staff_profile", "client")
    export_name = "prospects.csv"
    export_columns = [
        (gettext_lazy("Name"), lambda p: p.name),
        (gettext_lazy("Grade"), lambda p: p.grade),
        (gettext_lazy("Source"), lambda p: p.get_source_display()),
        (gettext_lazy("Owner"), lambda p: p.owner.username if p.owner_id else ""),
        (gettext_lazy("Fund account"), lambda p: p.client.account_id if p.client_id else ""),
    ]


class CreateThroughServiceView(StaffRequiredMixin, FormView):
    """A create page: the form's data go to `create(by=…, **data)`; then to the new record's page."""

    template_name = "generic/form.html"
    title = ""
    detail_url = ""

    def form_valid(self, form):
        try:
            record = type(self).create(by=self.request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        return redirect(self.detail_url, pk=record.pk)


class ProspectCreateView(CreateThroughServiceView):
    allowed_roles = roles.PROSPECT_WRITE_ROLES
    form_class = ProspectForm
    title = gettext_lazy("New prospect")
    detail_url = "service:prospect_detail"
    create = staticmethod(services.prospect_create)

    def get_initial(self):
        return {"phone": self.request.GET.get("phone", "")}


class ProspectDetailView(ActionMixin, ScopedQuerysetMixin, DetailView):
    model = Prospect
    template_name = "service/prospect_detail.html"
    context_object_name = "prospect"
    write_roles = roles.PROSPECT_WRITE_ROLES
    action_forms = {"visit": ProspectVisitForm, "grade": ProspectGradeForm, "convert": ProspectConvertForm}

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(visits=self.object.visits.select_related("by__staff_profile"),
                   grades=self.object.grade_changes.select_related("by__staff_profile"),
                   visit_form=ProspectVisitForm(), grade_form=ProspectGradeForm(initial={"grade": self.object.grade}),
                   convert_form=ProspectConvertForm(), can_write=self.role in self.write_roles)
        return ctx

    def do_visit(self, data):
        data = {k: v for k, v in data.items() if v not in (None, "")}
        services.prospect_visit_add(prospect=self.object, by=self.request.user, **data)

    def do_grade(self, data):
        services.prospect_grade(prospect=self.object, by=self.request.user, grade=data["grade"],
                                reason=data["reason"])

    def do_convert(self, data):
        client = selectors.visible_client(user=self.request.user, account_id=data["account_id"])
        services.prospect_convert(prospect=self.object, client=client, by=self.request.user)


# ---------------------------------------------------------------- activities


class ActivityListView(FilteredListView):
    title = gettext_lazy("Activities")
    filterset_class = ActivityFilterSet
    template_name = "service/activity_list.html"

    def get_queryset(self):
        # Activities are firm events every page role may see; their recipients are what is scoped.
        return Activity.objects.all()

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["can_write"] = self.role in roles.ACTIVITY_WRITE_ROLES
        ctx["can_see_results"] = self.role in roles.ANALYSIS_ROLES
        return ctx


class ActivityResultsView(FilteredListView):
    """Every activity's results over a date range (its kind and dates filtered like the activity list): invited,
    responded, attended, converted, conversion rate, cost and cost per conversion, among the reader's clients;
    each count opens the activity's recipients behind it. `?export=xlsx|csv` exports the same table."""

    title = gettext_lazy("Activity results")
    allowed_roles = roles.ANALYSIS_ROLES
    filterset_class = ActivityFilterSet
    template_name = "service/activity_results.html"
    paginate_by = 500
    export_name = "activity-results"
    export_columns = [
        (gettext_lazy("Date"), lambda r: r["activity"].held_on),
        (gettext_lazy("Kind"), lambda r: r["activity"].get_kind_display()),
        (gettext_lazy("Title"), lambda r: r["activity"].title),
        *((label, lambda r, key=key: r[key]) for key, label in activity_results.RESULTS.items()),
        (gettext_lazy("Conversion rate"), lambda r: r["conversion_rate"]),
        (gettext_lazy("Cost (CNY)"), lambda r: r["cost"]),
        (gettext_lazy("Cost per conversion (CNY)"), lambda r: r["cost_per_conversion"]),
        *((format_lazy("{} ({})", label, kind_label), lambda r, key=key, kind=kind: r[kind][key])
          for kind, (_who, kind_label) in activity_results.RECIPIENT_KINDS.items()
          for key, label in activity_results.RESULTS.items()),
    ]

    def get_queryset(self):
        # Activities are firm events; the counts are of the reader's clients (activity_results).
        return Activity.objects.all()

    def results(self, activities) -> list[dict]:
        return activity_results.activity_results(user=self.request.user, activities=activities)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        rows = [row | {"cells": activity_results.result_cells(row)} for row in self.results(ctx["object_list"])]
        totals = activity_results.results_totals(rows)
        # The totals open the recipients of the activities listed here: the same kind and dates.
        kept = {k: v for k, v in self.filterset.form.cleaned_data.items() if v} if self.filterset.is_valid() else {}
        totals_url = reverse("service:campaign_recipients") + "?" + urlencode(
            {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in kept.items()})
        return ctx | {"rows": rows, "totals": totals, "total_cells": activity_results.result_cells(totals),
                      "totals_url": totals_url,
                      "result_keys": list(activity_results.RESULTS.items()),
                      "conversion_days": activity_results.conversion_days()}

    def export(self, queryset, fmt="csv"):
        return export_response(fmt, self.export_name,
                               [str(header) for header, _value in self.export_columns],
                               [[value(row) for _header, value in self.export_columns]
                                for row in self.results(queryset)])


class ActivityRecipientListView(FilteredListView):
    """The recipients of many activities (the results list's totals open it): the reader's clients and prospects
    invited, responded, attended or converted, with the activity each answered."""

    title = gettext_lazy("Activity recipients")
    allowed_roles = roles.ANALYSIS_ROLES
    filterset_class = ActivityRecipientFilterSet
    template_name = "service/activity_recipient_list.html"
    queryset = ActivityRecipient.objects.select_related("activity", "client", "prospect").order_by(
        "-activity__held_on", "activity_id", "id")
    figures = {"activity_results": gettext_lazy("Activity results: %(result)s"),
               "activity_results_who": gettext_lazy("Activity results: %(result)s, %(who)s")}


class ActivityCreateView(CreateThroughServiceView):
    allowed_roles = roles.ACTIVITY_WRITE_ROLES
    form_class = ActivityForm
    title = gettext_lazy("New activity")
    detail_url = "service:activity_detail"
    create = staticmethod(services.activity_create)


# The prospect-list filters the activity page offers for targeting prospects (the service takes them all).
PROSPECT_TARGET_FILTERS = ("grade", "source", "owner", "branch", "recorded_from", "recorded_to")


class ActivityDetailView(ActionMixin, StaffRequiredMixin, DetailView):
    """An activity, its targeting (client-list filters + product) and its recipients."""

    model = Activity
    template_name = "service/activity_detail.html"
    context_object_name = "activity"
    write_roles = roles.ACTIVITY_WRITE_ROLES
    action_forms = {"target": None, "target_prospects": None, "invite": InviteForm, "recipient": RecipientForm}

    def action_roles(self, action):
        return roles.RECIPIENT_WRITE_ROLES if action == "recipient" else self.write_roles

    # The targeting forms: action → (service, the context keys of what was typed and its errors, the message).
    targets = {
        "target": (services.activity_target, "target_posted", "target_errors",
                   gettext_lazy("%(n)s clients added to the recipients.")),
        "target_prospects": (services.activity_target_prospects, "prospects_posted", "prospect_errors",
                             gettext_lazy("%(n)s prospects added to the recipients.")),
    }

    def post(self, request, *args, **kwargs):
        if request.POST.get("action") in self.targets:
            service, posted_key, errors_key, done = self.targets[request.POST["action"]]
            self.object = self.get_object()
            if self.role not in self.write_roles:
                raise PermissionDenied
            filters = {k: v for k, v in request.POST.items() if k not in ("action", "csrfmiddlewaretoken")}
            try:
                added = service(activity=self.object, by=request.user, filters=filters)
            except ValidationError as exc:
                # The filters come back as typed, each refused one named.
                errors = ([f"{name}: {' '.join(texts)}" for name, texts in exc.message_dict.items()]
                          if hasattr(exc, "error_dict") else exc.messages)
                return self.render_to_response(self.get_context_data(**{posted_key: filters, errors_key: errors}))
            messages.success(request, done % {"n": added})
            return redirect(request.path)
        return super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        from clients.filtersets import ClientFilterSet

        ctx = super().get_context_data(**kwargs)
        # The recipients the reader sees, narrowed to a status or a result (the results section links here).
        recipient_filter = RecipientFilterSet(self.request.GET or None, queryset=(
            self.object.recipients.visible_to(self.request.user).select_related(
                "client", "client__account_manager", "prospect", "prospect__owner")))
        recipients = recipient_filter.qs
        targeted = kwargs.get("target_posted") or self.object.target_filters or None
        prospect_filter = ProspectFilterSet(kwargs.get("prospects_posted"))
        results = activity_results.activity_result(user=self.request.user, activity=self.object)
        ctx.update(target_filter=ClientFilterSet(targeted),
                   prospect_filter_fields=[f for f in prospect_filter.form if f.name in PROSPECT_TARGET_FILTERS],
                   recipient_kinds=[(key, label) for key, (_q, label) in activity_results.RECIPIENT_KINDS.items()],
                   product=(targeted or {}).get("product", ""),
                   recipient_filter=recipient_filter,
                   results=results, result_cells=activity_results.result_cells(results),
                   conversion_days=activity_results.conversion_days(),
                   recipients=recipients[:500], recipient_count=recipients.count(),
                   invite_form=InviteForm(), recipient_statuses=RecipientForm.base_fields["status"].choices,
                   can_write=self.role in self.write_roles,
                   can_record=self.role in roles.RECIPIENT_WRITE_ROLES)
        return ctx

    def do_invite(self, data):
        return services.activity_invite(activity=self.object, by=self.request.user, channel=data["channel"] or None,
                                        template=data["template"])

    def do_recipient(self, data):
        recipient = get_object_or_404(self.object.recipients.visible_to(self.request.user), pk=data["recipient"])
        services.recipient_record(recipient=recipient, by=self.request.user, status=data["status"],
                                  response=data["response"])


# ---------------------------------------------------------------- surveys and messages on a client


class ClientActionView(StaffRequiredMixin, FormView):
    """A form about one visible client (`client_pk` in the URL)."""

    template_name = "generic/form.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.client = get_object_or_404(Client.objects.visible_to(request.user), pk=kwargs["client_pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["subtitle"] = str(self.client)
        return ctx


class SurveyCreateView(ClientActionView):
    allowed_roles = roles.SURVEY_WRITE_ROLES
    form_class = SurveyForm
    title = gettext_lazy("Satisfaction survey")

    def form_valid(self, form):
        activity = None
        if self.request.GET.get("activity", "").isdigit():
            activity = Activity.objects.filter(pk=self.request.GET["activity"]).first()
        try:
            services.survey_record(client=self.client, by=self.request.user, activity=activity, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Survey recorded."))
        return redirect("clients:detail", pk=self.client.pk)


class TaskCreateView(ClientActionView):
    """A follow-up for a client; an open task of the same kind is updated instead of duplicated."""

    allowed_roles = roles.TASK_WRITE_ROLES
    form_class = TaskForm
    title = gettext_lazy("New task")

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            services.task_upsert(client=self.client, kind=data["kind"], due_on=data["due_on"], owner=data["owner"],
                                 title=data["title"], source=f"manual:{self.request.user.get_username()}")
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Saved."))
        return redirect("clients:detail", pk=self.client.pk)


class MessageSendView(ClientActionView):
    allowed_roles = roles.MESSAGE_WRITE_ROLES
    form_class = MessageForm
    title = gettext_lazy("Send a message")

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            entry = services.message_send(client=self.client, by=self.request.user, channel=data["channel"],
                                          template=data["template"], subject=data["subject"], body=data["body"],
                                          purpose=data["purpose"], product=data["product"])
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        messages.info(self.request, entry.get_result_display())
        return redirect("clients:detail", pk=self.client.pk)


class SurveyListView(FilteredListView):
    """Survey results with the average satisfaction and the share trading elsewhere."""

    title = gettext_lazy("Surveys")
    filterset_class = SurveyFilterSet
    template_name = "service/survey_list.html"
    queryset = Survey.objects.select_related("client", "activity")
    export_name = "surveys.csv"
    export_columns = [
        (gettext_lazy("Date"), lambda s: s.answered_on),
        (gettext_lazy("Fund account"), lambda s: s.client.account_id),
        (gettext_lazy("Satisfaction (0–10)"), lambda s: s.satisfaction),
        (gettext_lazy("Trades futures with another firm"), lambda s: s.trades_elsewhere),
        (gettext_lazy("Suggestions"), lambda s: s.suggestion),
        (gettext_lazy("Comments"), lambda s: s.comments),
    ]

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["summary"] = selectors.survey_summary(ctx["filter"].qs)
        return ctx


# ---------------------------------------------------------------- care


class CareView(FilteredListView):
    """Care plans and the communications log."""

    title = gettext_lazy("Client care")
    filterset_class = CommunicationFilterSet
    template_name = "service/care.html"
    queryset = CommunicationLog.objects.select_related("client", "template", "by__staff_profile")
    export_name = "communications.csv"
    export_columns = [
        (gettext_lazy("When"), lambda c: c.sent_at),
        (gettext_lazy("Fund account"), lambda c: c.client.account_id),
        (gettext_lazy("Channel"), lambda c: c.get_channel_display()),
        (gettext_lazy("Template"), lambda c: c.template.display_name if c.template_id else ""),
        (gettext_lazy("Result"), lambda c: c.get_result_display()),
        (gettext_lazy("By"), lambda c: c.by.username if c.by_id else ""),
    ]

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["plans"] = CarePlan.objects.select_related("template")
        ctx["can_run"] = self.role in roles.CARE_ADMIN_ROLES
        ctx["run_form"] = getattr(self, "run_form", None) or CareRunForm()
        return ctx

    def post(self, request, *args, **kwargs):
        if self.role not in roles.CARE_ADMIN_ROLES:
            raise PermissionDenied
        form = CareRunForm(request.POST)
        if not form.is_valid():  # the page again, with the date as typed and what is wrong with it
            self.run_form = form
            return self.get(request, *args, **kwargs)
        counts = services.care_run(on=form.cleaned_data["on"] or timezone.localdate())
        messages.success(request, selectors.care_run_summary(counts))
        return redirect("service:care")
