"""Personal-information pages: record a consent change, review the access log."""

import itertools

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.generic import FormView, TemplateView

from clients.models import Client
from futures_crm import people
from futures_crm.exports import EXPORT_FORMATS, export_response
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
    """Closed accounts whose retention period ends in the next N days, and those already de-identified;
    `?export=xlsx` (or csv) downloads both lists whole, for the same roles and the same N."""

    allowed_roles = PRIVACY_READERS
    template_name = "privacy/retention.html"
    title = gettext_lazy("Retention of personal data")

    def get(self, request, *args, **kwargs):
        raw = request.GET.get("days", "")
        self.report = retention.retention_report(on=timezone.localdate(), days=min(int(raw), 36500)
                                                 if raw.isdigit() else 90)
        if (fmt := request.GET.get("export")) in EXPORT_FORMATS:
            return self.export(fmt)
        return super().get(request, *args, **kwargs)

    def export(self, fmt: str):
        report = self.report
        header = [pgettext("retention report", "State"), _("Fund account"), _("Branch"), _("Close date"),
                  _("Retention ends"), _("De-identified at")]
        due, done = _("Due for de-identification"), _("De-identified")
        rows = itertools.chain(
            ([due, c.account_id, c.branch.code, c.close_date, c.due_on, None] for c in report["pending"].iterator()),
            ([done, d.client.account_id, d.client.branch.code if d.client.branch_id else "", d.closed_on, d.due_on,
              d.done_at] for d in report["done"].select_related("client__branch").iterator()))
        preamble = [[str(self.title), report["on"]],
                    [_("Retention period (years)"), report["years"], _("Due within (days)"), report["days"]], []]
        return export_response(fmt, f"retention-{report['on']:%Y-%m-%d}", header, rows,
                               **({"preamble": preamble} if fmt == "xlsx" else {}))

    def get_context_data(self, **kwargs):
        report = self.report
        query_string = urlencode({"days": report["days"]})
        return super().get_context_data(
            title=self.title, report=report, pending=report["pending"][:500], pending_count=report["pending"].count(),
            done=report["done"][:200], done_count=report["done"].count(), query_string=query_string, **kwargs)
