"""Return-visit pages (回访): the register, recording a visit, the due/done/overdue report by branch."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView

from futures_crm.forms import add_service_errors
from futures_crm.views import FilteredListView, StaffRequiredMixin

from . import roles
from .choices import ReturnVisitStatus
from .filtersets import ReturnVisitFilterSet
from .forms import ReturnVisitForm
from .models import ReturnVisit
from .return_visits import REPORT_STATUSES, return_visit_record, return_visit_report


class ReturnVisitListView(FilteredListView):
    title = gettext_lazy("Return visits")
    filterset_class = ReturnVisitFilterSet
    template_name = "service/return_visit_list.html"
    queryset = ReturnVisit.objects.select_related("client__branch", "client__account_manager__staff_profile",
                                                  "done_by__staff_profile", "compliance_ticket")
    export_name = "return_visits.csv"
    export_columns = [
        (gettext_lazy("Due on"), lambda v: v.due_on),
        (gettext_lazy("Fund account"), lambda v: v.client.account_id),
        (gettext_lazy("Branch"), lambda v: v.client.branch.code if v.client.branch_id else ""),
        (gettext_lazy("Reason"), lambda v: v.get_reason_display()),
        (gettext_lazy("Status"), lambda v: v.get_status_display()),
        (gettext_lazy("Channel"), lambda v: v.get_channel_display()),
        (gettext_lazy("Answers"), lambda v: v.answers),
    ]

    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs) | {"can_record": self.role in roles.RETURN_VISIT_WRITE_ROLES}


class ReturnVisitReportView(ReturnVisitListView):
    """Counts per branch × status of the visits the user sees, filtered like the list; each count links to it."""

    title = gettext_lazy("Return visits by branch")
    template_name = "service/return_visit_report.html"
    paginate_by = None
    export_columns = ()

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        form = self.filterset.form
        base = {k: v for k, v in (form.cleaned_data if form.is_valid() else {}).items()
                if v not in (None, "") and k not in ("branch", "status")}
        base = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in base.items()}
        rows = return_visit_report(self.filterset.qs)
        url = reverse("service:return_visits")
        for row in rows:
            row["cells"] = [{"n": row["counts"][status],
                             "url": url + "?" + urlencode(base | {"branch": row["branch_id"], "status": status})}
                            for status in REPORT_STATUSES]
        return ctx | {"rows": rows, "statuses": [ReturnVisitStatus(s).label for s in REPORT_STATUSES]}


class ReturnVisitRecordView(StaffRequiredMixin, FormView):
    """The page door of `return_visit_record`: a visit of a client the user sees."""

    allowed_roles = roles.RETURN_VISIT_WRITE_ROLES
    template_name = "service/return_visit_form.html"
    form_class = ReturnVisitForm
    title = gettext_lazy("Record a return visit")

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.visit = get_object_or_404(ReturnVisit.objects.visible_to(request.user).select_related("client"),
                                           pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs) | {"visit": self.visit, "subtitle": str(self.visit.client)}

    def form_valid(self, form):
        try:
            return_visit_record(visit=self.visit, by=self.request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Return visit recorded."))
        return redirect("service:return_visits")
