"""Client pages: list with filters and export, the 360 page."""

from django.utils.translation import gettext_lazy as _
from django.views.generic import DetailView
from django_filters.views import FilterView

from futures_crm.exports import csv_response
from futures_crm.views import ScopedQuerysetMixin, StaffRequiredMixin

from . import selectors
from .filtersets import ClientFilterSet
from .identity import mask_id_number
from .models import Client
from .panels import panels_for


class ClientListView(StaffRequiredMixin, FilterView):
    """Filtered, sorted, paginated client list; `?export=csv` streams exactly what is filtered."""

    title = _("Clients")
    filterset_class = ClientFilterSet
    template_name = "clients/client_list.html"
    paginate_by = 50

    def get_queryset(self):
        return selectors.client_list(user=self.request.user)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        params = self.request.GET.copy()
        params.pop("page", None)
        ctx["query_string"] = params.urlencode()
        return ctx

    def render_to_response(self, context, **kwargs):
        if self.request.GET.get("export") == "csv":
            return self.export(context["filter"].qs)
        return super().render_to_response(context, **kwargs)

    def export(self, queryset):
        header = [str(h) for h in (_("Fund account"), _("Name"), _("Client type"), _("Status"), _("Branch"),
                                   _("Account manager"), _("ID number"), _("Open date"), _("Risk level"))]
        rows = (
            [c.account_id, c.name, c.get_client_type_display(), c.get_status_display(), c.branch.code,
             c.account_manager.staff_profile.employee_code if c.account_manager_id else "",
             mask_id_number(c.id_number), c.open_date or "", c.risk_level]
            for c in queryset.iterator(chunk_size=2000)
        )
        return csv_response("clients.csv", header, rows)


class ClientDetailView(ScopedQuerysetMixin, DetailView):
    """The client 360 page."""

    model = Client
    template_name = "clients/client_detail.html"
    context_object_name = "client"

    def get_queryset(self):
        return super().get_queryset().select_related("branch", "account_manager__staff_profile", "referrer")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        client = self.object
        suitability = selectors.current_suitability(client)
        ctx.update(
            suitability=suitability,
            suitability_expired=selectors.suitability_expired(suitability),
            segment=getattr(client, "segment", None),
            contact_logs=client.contact_logs.select_related("by")[:50],
            personal=selectors.sees_personal_data(self.request.user),
            panels=panels_for(client, self.request.user, self.role),
        )
        return ctx
