"""The product risk table (产品风险等级) pages: every staff role reads it, compliance and administrators edit it."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext_lazy as _
from django.views.generic import FormView, View

from futures_crm.forms import add_service_errors
from futures_crm.roles import PRODUCT_EDITOR_ROLES
from futures_crm.views import FilteredListView, StaffRequiredMixin

from .choices import SuitabilityAlertStatus
from .filtersets import ProductFilterSet
from .forms import ProductForm
from .models import Product, SuitabilityAlert
from .suitability import PRODUCT_EDIT_FIELDS, product_update, suitability_alert_resolve


class ProductListView(FilteredListView):
    title = _("Products and risk levels")
    template_name = "clients/product_list.html"
    filterset_class = ProductFilterSet
    queryset = Product.objects.all()
    paginate_by = 200
    strict = False

    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs) | {"can_edit": self.role in PRODUCT_EDITOR_ROLES}


class ProductEditView(StaffRequiredMixin, FormView):
    form_class = ProductForm
    template_name = "generic/form.html"
    allowed_roles = PRODUCT_EDITOR_ROLES

    def get_form_kwargs(self):
        self.object = get_object_or_404(Product, pk=self.kwargs["pk"])
        return {**super().get_form_kwargs(), "instance": self.object}

    @property
    def title(self):
        return _("Edit %(name)s") % {"name": self.object}

    def form_valid(self, form):
        try:
            product_update(product=self.object, by=self.request.user,
                           **{name: form.cleaned_data[name] for name in PRODUCT_EDIT_FIELDS})
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Product saved."))
        return redirect("clients:product_list")


class SuitabilityAlertResolveView(StaffRequiredMixin, View):
    """Compliance closes a mismatch alert it has dealt with (from the suitability worklist)."""

    allowed_roles = PRODUCT_EDITOR_ROLES

    def post(self, request, pk):
        alert = get_object_or_404(SuitabilityAlert.objects.visible_to(request.user), pk=pk)
        suitability_alert_resolve(alert=alert, by=request.user)
        messages.success(request, _("Alert resolved."))
        return redirect("service:suitability_worklist")


def mismatch_panel(client, user):
    """The client page's panel of open suitability mismatch alerts (registered in ClientsConfig.ready)."""
    return {"alerts": list(client.suitability_alerts.filter(status=SuitabilityAlertStatus.OPEN)
                           .select_related("product").order_by("-trade_date")[:20])}
