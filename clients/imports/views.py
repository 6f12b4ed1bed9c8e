"""Import pages: upload and report, rejected rows as CSV, the quarantine worklist, settlement alerts."""

from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import DetailView, FormView, ListView

from futures_crm.exports import csv_response
from futures_crm.views import FilteredListView, StaffRequiredMixin

from ..models import ImportBatch, QuarantinedRow, SettlementAlert
from ..models.imports import ImportSource, QuarantineStatus
from ..services import settlement_alert_acknowledge
from .filtersets import SettlementAlertFilterSet
from .formats import ALERT_ACKNOWLEDGE_ROLES, FORMATS, IMPORT_PAGE_ROLES
from .forms import ImportUploadForm, QuarantineFixForm
from .services import (
    UploadTooLarge,
    import_fail_stale,
    import_submit,
    quarantine_discard,
    quarantine_rerun,
    upload_too_large_message,
)

PHASES = {"queued": _("Waiting for a worker"), "reading": _("Reading and checking the file"),
          "writing": _("Writing the rows"), "finishing": _("Cross-checking and recording the outcome"),
          "done": _("Done")}


def phase_display(batch) -> str:
    return str(PHASES.get((batch.progress or {}).get("phase"), ""))


class ImportRoleMixin(StaffRequiredMixin):
    allowed_roles = IMPORT_PAGE_ROLES


class ImportListView(ImportRoleMixin, FormView):
    """Upload a file and see past batches."""

    title = _("Imports")
    template_name = "clients/imports/import_list.html"
    form_class = ImportUploadForm

    def get_context_data(self, **kwargs):
        import_fail_stale()
        ctx = super().get_context_data(**kwargs)
        ctx["batches"] = (ImportBatch.objects.visible_to(self.request.user)
                          .select_related("created_by__staff_profile")[:100])
        ctx["open_quarantine"] = QuarantinedRow.objects.filter(status=QuarantineStatus.OPEN).count()
        return ctx

    def form_valid(self, form):
        """The file goes to a worker; the batch page follows its progress (with no broker it is done already)."""
        data = form.cleaned_data
        try:
            batch = import_submit(kind=data["kind"], upload=data["file"], by=self.request.user,
                                  partial=data["partial"], encoding=data["encoding"], source=ImportSource.PAGE)
        except UploadTooLarge:
            form.add_error("file", upload_too_large_message())
            return self.form_invalid(form)
        return redirect("clients:import_detail", pk=batch.pk)

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.has_error("file", "too_large"):
            response.status_code = 413
        return response


class ImportDetailView(ImportRoleMixin, DetailView):
    """One batch's report, warnings, rejected rows."""

    template_name = "clients/imports/import_detail.html"
    context_object_name = "batch"

    def get_queryset(self):
        return ImportBatch.objects.visible_to(self.request.user).select_related("created_by__staff_profile")

    def get_object(self, queryset=None):
        import_fail_stale()  # a batch whose worker is gone is shown failed, not running
        return super().get_object(queryset)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["quarantined"] = self.object.quarantined_rows.all()[:200]
        ctx["columns"] = FORMATS[self.object.kind].names
        ctx["phase_display"] = phase_display(self.object)
        return ctx


class ImportProgressView(ImportRoleMixin, View):
    """A batch's status and counters as JSON, polled by the batch page (static/js/import_progress.js)."""

    def get(self, request, pk):
        import_fail_stale()
        batch = get_object_or_404(ImportBatch.objects.visible_to(request.user), pk=pk)
        return JsonResponse({"status": batch.status, "status_display": batch.get_status_display(), "live": batch.live,
                             "progress": batch.progress, "phase_display": phase_display(batch),
                             "message": batch.message})


class RejectedRowsCsvView(ImportRoleMixin, View):
    """Every rejected row of a batch, raw, with its line and reasons."""

    def get(self, request, pk):
        batch = get_object_or_404(ImportBatch.objects.visible_to(request.user), pk=pk)
        names = FORMATS[batch.kind].names
        header = ["line", "reasons", *names]
        rows = (
            [q.line, q.reasons_text, *(q.raw.get(n, "") for n in names)]
            for q in batch.quarantined_rows.order_by("line").iterator(chunk_size=2000)
        )
        return csv_response(f"batch-{batch.pk}-rejected.csv", header, rows)


class QuarantineListView(ImportRoleMixin, ListView):
    """Rows waiting for a person to correct them."""

    title = _("Quarantined rows")
    template_name = "clients/imports/quarantine_list.html"
    paginate_by = 50

    def get_queryset(self):
        return QuarantinedRow.objects.visible_to(self.request.user).filter(
            status=QuarantineStatus.OPEN).select_related("batch")


class QuarantineFixView(ImportRoleMixin, FormView):
    """Correct a quarantined row and run it through the same checks again (or discard it)."""

    template_name = "clients/imports/quarantine_fix.html"

    @cached_property
    def row(self):
        return get_object_or_404(QuarantinedRow.objects.visible_to(self.request.user).select_related("batch"),
                                 pk=self.kwargs["pk"])

    def get_form(self, form_class=None):
        return QuarantineFixForm(self.request.POST or None, row=self.row)

    def get_context_data(self, **kwargs):
        return super().get_context_data(row=self.row, **kwargs)

    def post(self, request, *args, **kwargs):
        if self.row.status != QuarantineStatus.OPEN:
            messages.error(request, _("This row is not open any more."))
            return redirect("clients:quarantine_list")
        if "discard" in request.POST:
            quarantine_discard(row=self.row, by=request.user)
            messages.info(request, _("Row discarded."))
            return redirect("clients:quarantine_list")
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        batch = quarantine_rerun(row=self.row, raw=form.raw(), by=self.request.user)
        if self.row.status == QuarantineStatus.FIXED:
            messages.success(self.request, _("The corrected row was imported (batch #%(id)s).") % {"id": batch.pk})
            return redirect("clients:quarantine_list")
        messages.error(self.request, _("The row still fails the checks."))
        return redirect("clients:quarantine_fix", pk=self.row.pk)


class AlertListView(FilteredListView):
    """Negative equity and margin calls of the clients the user may see, newest first."""

    title = _("Settlement alerts")
    template_name = "clients/imports/alert_list.html"
    filterset_class = SettlementAlertFilterSet
    queryset = SettlementAlert.objects.select_related("client__account_manager__staff_profile")
    strict = False  # a parameter the filters cannot read is ignored, not an empty page

    def get_filterset_kwargs(self, filterset_class):
        kwargs = super().get_filterset_kwargs(filterset_class)
        data = self.request.GET.copy()
        if data.get("all") != "1":
            data.setdefault("acknowledged", "false")  # open alerts unless asked for all
        return kwargs | {"data": data}


class AlertAcknowledgeView(StaffRequiredMixin, View):
    """The alert's acknowledge button (the API's `acknowledge` action calls the same service)."""

    allowed_roles = ALERT_ACKNOWLEDGE_ROLES

    def post(self, request, pk):
        alert = get_object_or_404(SettlementAlert.objects.visible_to(request.user), pk=pk)
        settlement_alert_acknowledge(alert=alert, by=request.user)
        return redirect("clients:alert_list")
