"""Client pages: list with filters and export, the 360 page, create/edit, contact log, suitability, reveal."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Max
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.generic import DetailView, FormView

from futures_crm import people
from futures_crm.forms import add_service_errors
from futures_crm.roles import CLIENT_EDITOR_ROLES, CONTACT_LOG_ROLES, KEY_CLIENT_ROLES, SUITABILITY_ROLES, Role
from futures_crm.views import FilteredListView, ScopedQuerysetMixin, StaffRequiredMixin

from . import selectors, services
from .access_log import CONTACT_FIELDS, personal_data_shown
from .choices import EligibilityKind
from .filtersets import ClientFilterSet
from .forms import ClientForm, ContactLogForm, EligibilityForm, KeyProposalForm, SuitabilityForm
from .identity import mask_id_number, mask_phone
from .list_filters import registered_figures
from .models import Client
from .panels import panels_for
from .suitability import eligibility_on_file, eligibility_record

EXPORT_COLUMNS = [
    (_("Fund account"), lambda c: c.account_id),
    (_("Name"), lambda c: c.name),
    (_("Client type"), lambda c: c.get_client_type_display()),
    (_("Status"), lambda c: c.get_status_display()),
    (_("Branch"), lambda c: c.branch.code),
    (_("Account manager"),
     lambda c: people.employee_code(c.account_manager) if c.account_manager_id else ""),
    (_("ID number"), lambda c: mask_id_number(c.id_number)),
    (_("Open date"), lambda c: c.open_date or ""),
    (_("Channel"), lambda c: c.get_channel_display()),
    (_("Risk level"), lambda c: c.risk_level),
    (_("Profile complete"), lambda c: "Y" if c.profile_complete else "N"),
]


class ClientListView(FilteredListView):
    """Filtered, sorted, paginated client list; `?export=csv` streams exactly what is filtered."""

    title = _("Clients")
    filterset_class = ClientFilterSet
    template_name = "clients/client_list.html"
    export_name = "clients.csv"
    export_columns = EXPORT_COLUMNS
    count_cap = 10_000  # a firm-wide list of a million clients says "more than 10,000"

    def get_queryset(self):
        return selectors.client_list(user=self.request.user)

    def get_filterset(self, filterset_class):
        filterset = super().get_filterset(filterset_class)
        # Someone who sees one book has nothing to filter by branch or manager.
        fields = filterset.form.fields
        if not selectors.sees_several_managers(self.request.user):
            fields.pop("account_manager", None)
            fields.pop("branch", None)
            fields.pop("no_manager", None)
        elif self.role == Role.BRANCH_MANAGER:
            # A branch manager chooses among their own branch and its managers only.
            branch_id = self.request.user.staff_profile.branch_id
            fields["branch"].queryset = fields["branch"].queryset.filter(pk=branch_id)
            fields["account_manager"].queryset = fields["account_manager"].queryset.filter(
                staff_profile__branch_id=branch_id)
        return filterset

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["can_create"] = self.role in CLIENT_EDITOR_ROLES
        ctx["personal"] = selectors.sees_personal_data(self.request.user)
        if ctx["personal"]:
            personal_data_shown(self.request, [c.pk for c in ctx["page_obj"]], ["phone"])
        # The churn scores are the nightly run's: the page says which trading day they are from.
        ctx["churn_as_of"] = max((s.as_of for c in ctx["page_obj"] if (s := getattr(c, "segment", None))),
                                 default=None)
        if ctx["figure"]:  # the trading day of its segments; none on this page: the scope's latest nightly result
            ctx["figure"]["as_of"] = ctx["churn_as_of"] or self.get_queryset().aggregate(
                d=Max("segment__as_of"))["d"]
        return ctx

    def figure_labels(self):
        return registered_figures()  # the figures other apps register (clients.list_filters)

    def figure(self, count: int) -> dict | None:
        """Besides the figure and its count: the scope it was taken in."""
        figure = super().figure(count)
        if figure is None:
            return None
        data = self.filterset.form.cleaned_data
        if data.get("account_manager"):
            scope = _("account manager %(name)s") % {"name": people.label(data["account_manager"])}
        elif data.get("branch"):
            scope = _("branch %(code)s") % {"code": data["branch"].code}
        elif self.role == Role.ACCOUNT_MANAGER:
            scope = _("my clients")
        elif self.role == Role.BRANCH_MANAGER:
            scope = _("branch %(code)s") % {"code": self.request.user.staff_profile.branch.code}
        else:
            scope = _("whole firm")
        return figure | {"scope": scope}


class ClientDetailView(ScopedQuerysetMixin, DetailView):
    """The client 360 page; the action views below re-render it with their form's errors."""

    model = Client
    template_name = "clients/client_detail.html"
    context_object_name = "client"

    def get_queryset(self):
        return super().get_queryset().select_related("branch", "account_manager__staff_profile", "referrer",
                                                     "segment")

    def get_context_data(self, contact_form=None, suitability_form=None, key_form=None, revealed_id=None,
                         eligibility_form=None, **kwargs):
        ctx = super().get_context_data(**kwargs)
        client, user = self.object, self.request.user
        # The newest ten assessments, newest first: the current one (selectors.current_suitability) is the first.
        suitability_history = list(client.suitability_assessments.select_related("assessed_by__staff_profile")
                                   .order_by("-assessed_on", "-id")[:10])
        suitability = suitability_history[0] if suitability_history else None
        personal = selectors.sees_personal_data(user)
        audit_allowed = selectors.reads_audit_trail(user)
        tab = self.request.GET.get("tab") if audit_allowed else None
        ctx.update(
            tab=tab or "overview",
            suitability=suitability,
            suitability_expired=selectors.suitability_expired(suitability),
            suitability_history=suitability_history,
            eligibility=[(EligibilityKind(kind).label, record)
                         for kind, record in eligibility_on_file(client).items()],
            eligibility_history=client.eligibility_records.select_related("recorded_by__staff_profile")[:20],
            segment=getattr(client, "segment", None),
            contact_logs=client.contact_logs.select_related("by__staff_profile")[:50],
            personal=personal,
            phone=client.phone if personal else mask_phone(client.phone),
            revealed_id=revealed_id,
            can_reveal=bool(client.id_number) and user.has_perm("clients.reveal_id_number"),
            can_edit=self.role in CLIENT_EDITOR_ROLES,
            can_log=self.role in CONTACT_LOG_ROLES,
            can_assess=self.role in SUITABILITY_ROLES,
            # An account manager proposes a key client, a branch manager (or above) decides the proposal.
            can_propose_key=self.role in CLIENT_EDITOR_ROLES - KEY_CLIENT_ROLES and not client.is_key
            and not client.key_proposed_at,
            can_decide_key=self.role in KEY_CLIENT_ROLES and bool(client.key_proposed_at),
            audit_allowed=audit_allowed,
            panels=panels_for(client, user, self.role),
        )
        if ctx["can_log"]:
            ctx["contact_form"] = contact_form or ContactLogForm()
        if ctx["can_assess"]:
            ctx["suitability_form"] = suitability_form or SuitabilityForm()
            ctx["eligibility_form"] = eligibility_form or EligibilityForm()
        if ctx["can_propose_key"] or ctx["can_decide_key"]:
            ctx["key_form"] = key_form or KeyProposalForm()
        if tab == "audit":
            ctx["audit_entries"] = selectors.client_audit_trail(client)
        shown = (CONTACT_FIELDS if personal else ()) + (("id_number",) if revealed_id else ())
        personal_data_shown(self.request, [client.pk], shown)
        return ctx


class ClientActionView(ClientDetailView):
    """POST-only action on one client: role check, then the scoped lookup (an unseen client is a 404)."""

    http_method_names = ["post"]
    form_class = None
    service = None  # the clients.services function that records the form's data
    form_context_name = ""
    success_message = ""

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        form = self.form_class(request.POST)
        if form.is_valid():
            try:
                self.service(client=self.object, by=request.user, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, self.success_message)
                return redirect(reverse("clients:detail", args=[self.object.pk]) + self.anchor)
        return self.render_to_response(self.get_context_data(**{self.form_context_name: form}))


class ContactLogAddView(ClientActionView):
    allowed_roles = CONTACT_LOG_ROLES
    form_class = ContactLogForm
    form_context_name = "contact_form"
    success_message = _("Contact recorded.")
    anchor = "#contacts"
    service = staticmethod(services.contact_log_add)


class SuitabilityAddView(ClientActionView):
    allowed_roles = SUITABILITY_ROLES
    form_class = SuitabilityForm
    form_context_name = "suitability_form"
    success_message = _("Suitability assessment recorded.")
    anchor = "#suitability"
    service = staticmethod(services.suitability_record)


class EligibilityAddView(ClientActionView):
    allowed_roles = SUITABILITY_ROLES
    form_class = EligibilityForm
    form_context_name = "eligibility_form"
    success_message = _("Eligibility evidence recorded.")
    anchor = "#eligibility"
    service = staticmethod(eligibility_record)


class KeyProposalView(ClientActionView):
    """Propose the client as a key client (account manager), or confirm or decline the proposal (branch manager)."""

    allowed_roles = CLIENT_EDITOR_ROLES
    form_class = KeyProposalForm
    form_context_name = "key_form"
    success_message = _("Saved.")
    anchor = ""

    @staticmethod
    def service(*, client, by, decision, note):
        if decision == KeyProposalForm.PROPOSE:
            return services.client_key_propose(client=client, by=by, note=note)
        return services.client_key_decide(client=client, by=by, confirm=decision == KeyProposalForm.CONFIRM,
                                          reason=note)


class RevealIdView(ClientDetailView):
    """Show the full ID number once, on this response only; the reveal is audited."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        if not request.user.has_perm("clients.reveal_id_number"):
            raise PermissionDenied
        number = services.client_reveal_id_number(client=self.object, by=request.user)
        response = self.render_to_response(self.get_context_data(revealed_id=number))
        response["Cache-Control"] = "no-store"
        return response


class ClientFormMixin:
    form_class = ClientForm
    template_name = "clients/client_form.html"
    allowed_roles = CLIENT_EDITOR_ROLES

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user, "role": self.role}

    def form_valid(self, form):
        try:
            client = self.save(form)
        except ValidationError as exc:
            add_service_errors(form, exc, aliases={"tags": "tags_text"})
            return self.form_invalid(form)
        messages.success(self.request, self.success_message)
        return redirect("clients:detail", client.pk)


class ClientCreateView(ClientFormMixin, StaffRequiredMixin, FormView):
    title = _("New client")
    success_message = _("Client created.")

    def save(self, form):
        return services.client_create(by=self.request.user, **form.service_fields())


class ClientUpdateView(ClientFormMixin, StaffRequiredMixin, FormView):
    success_message = _("Client saved.")

    def get_object(self) -> Client:
        return get_object_or_404(Client.objects.visible_to(self.request.user), pk=self.kwargs["pk"])

    def get_form_kwargs(self):
        self.object = self.get_object()
        return {**super().get_form_kwargs(), "instance": self.object}

    @property
    def title(self):
        return _("Edit %(name)s") % {"name": self.object.name}

    def save(self, form):
        # Re-read the client: the form's instance already holds the unsaved values, and the audit
        # entry must compare against what is stored.
        client = self.get_object()
        return services.client_update(client=client, by=self.request.user, **form.service_fields())
