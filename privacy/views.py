"""Personal-information pages: record a consent change, review the access log."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView, TemplateView

from clients.models import Client
from futures_crm import people
from futures_crm.forms import add_service_errors
from futures_crm.views import FilteredListView, StaffRequiredMixin

from . import retention, services
from .filtersets import AccessFilterSet
from .forms import ConsentForm
from .models import PersonalDataAccess
from .selectors import PRIVACY_READERS


class ConsentRecordView(StaffRequiredMixin, FormView):
    """Record a consent given or withdrawn for a client the user sees; the history is on the client page."""

    allowed_roles = services.CONSENT_ROLES
    form_class = ConsentForm
    template_name = "generic/form.html"
    title = gettext_lazy("Record consent")

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.client = get_object_or_404(Client.objects.visible_to(request.user), pk=kwargs["client_pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(title=self.title, subtitle=str(self.client), **kwargs)

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            services.consent_record(client=self.client, by=self.request.user, channel=data["channel"],
                                    purpose=data["purpose"], given=data["given"], how=data["how"],
                                    evidence=data["evidence"], at=data["at"])
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Consent recorded."))
        return redirect(reverse("clients:detail", args=[self.client.pk]) + "#consents")


class AccessLogView(FilteredListView):
    """Who saw which client's unmasked personal data, when and how: for compliance to review."""

    allowed_roles = PRIVACY_READERS
    title = gettext_lazy("Personal data access log")
    filterset_class = AccessFilterSet
    template_name = "privacy/access_log.html"
    queryset = PersonalDataAccess.objects.select_related("client", "by__staff_profile")
    export_name = "personal-data-access.csv"
    export_columns = [
        (gettext_lazy("When"), lambda a: timezone.localtime(a.at).strftime("%Y-%m-%d %H:%M:%S")),
        (gettext_lazy("Staff member"), lambda a: people.label(a.by, "")),
        (gettext_lazy("Fund account"), lambda a: a.client.account_id),
        (gettext_lazy("Name"), lambda a: a.client.name),
        (gettext_lazy("What was seen"), lambda a: a.seen_display()),
        (gettext_lazy("Via"), lambda a: a.get_via_display()),
        (gettext_lazy("Page or endpoint"), lambda a: a.path),
    ]


class RetentionReportView(StaffRequiredMixin, TemplateView):
    """Closed accounts whose retention period ends in the next N days, and those already de-identified."""

    allowed_roles = PRIVACY_READERS
    template_name = "privacy/retention.html"
    title = gettext_lazy("Retention of personal data")

    def get_context_data(self, **kwargs):
        raw = self.request.GET.get("days", "")
        days = min(int(raw), 36500) if raw.isdigit() else 90
        report = retention.retention_report(on=timezone.localdate(), days=days)
        return super().get_context_data(
            title=self.title, report=report, pending=report["pending"][:500], pending_count=report["pending"].count(),
            done=report["done"][:200], done_count=report["done"].count(), **kwargs)
