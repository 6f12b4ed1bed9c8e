"""The suitability worklist (适当性工作台): expired or expiring assessments and open mismatch alerts."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.generic import ListView

from clients.choices import SuitabilityAlertStatus
from clients.models import SuitabilityAlert
from futures_crm.roles import PRODUCT_EDITOR_ROLES, SUITABILITY_WORKLIST_ROLES
from futures_crm.views import StaffRequiredMixin

from .suitability import suitability_worklist


class SuitabilityWorklistView(StaffRequiredMixin, ListView):
    """Each role sees its own scope: compliance and firm-wide roles all, a branch manager the branch, an
    account manager their own clients."""

    title = _("Suitability worklist")
    template_name = "service/suitability_worklist.html"
    allowed_roles = SUITABILITY_WORKLIST_ROLES
    paginate_by = 50
    context_object_name = "clients"

    def get_queryset(self):
        return suitability_worklist(user=self.request.user)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ids = [c.pk for c in ctx["clients"]]
        alerts = (SuitabilityAlert.objects.visible_to(self.request.user)
                  .filter(client_id__in=ids, status=SuitabilityAlertStatus.OPEN).select_related("product"))
        by_client = {}
        for alert in alerts:
            by_client.setdefault(alert.client_id, []).append(alert)
        for client in ctx["clients"]:
            client.mismatches = by_client.get(client.pk, [])
        return ctx | {"today": timezone.localdate(), "can_resolve": self.role in PRODUCT_EDITOR_ROLES}
