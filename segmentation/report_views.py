"""The scheduled-reports page: a user's dashboard subscriptions, a form to subscribe to a scope they may see, and
a button to unsubscribe. The rules are in reports.report_subscribe and reports.report_unsubscribe."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from futures_crm.views import StaffRequiredMixin

from . import reports
from .choices import ReportFormat, ReportFrequency
from .models import ReportSubscription
from .selectors import DASHBOARD_ROLES


class SubscribeForm(forms.Form):
    scope = forms.ChoiceField(label=_("Dashboard of"))
    frequency = forms.ChoiceField(label=_("Frequency"), choices=ReportFrequency.choices)
    format = forms.ChoiceField(label=_("Format"), choices=ReportFormat.choices)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scope"].choices = reports.subscribable_scopes(user)
        self.fields["scope"].initial = reports.default_scope_key(user)


class ReportSubscriptionView(StaffRequiredMixin, TemplateView):
    allowed_roles = DASHBOARD_ROLES
    template_name = "segmentation/report_subscriptions.html"

    def get_context_data(self, **kwargs):
        rows = []
        for subscription in reports.subscriptions_of(self.request.user):
            scope = reports.scope_of(subscription)
            rows.append({"subscription": subscription, "scope": reports.scope_label(scope) if scope else None})
        return super().get_context_data(rows=rows, **kwargs)

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data(form=SubscribeForm(user=request.user)))

    def post(self, request, *args, **kwargs):
        if request.POST.get("action") == "unsubscribe":
            return self.unsubscribe(request)
        form = SubscribeForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                reports.report_subscribe(by=request.user, scope=form.cleaned_data["scope"],
                                         frequency=form.cleaned_data["frequency"], fmt=form.cleaned_data["format"],
                                         language=request.LANGUAGE_CODE)
            except (ValidationError, PermissionDenied) as exc:
                if isinstance(exc, ValidationError):
                    form.add_error(None, exc)  # each error under the field it names
                else:
                    form.add_error("scope", gettext("You may not subscribe to this dashboard."))
            else:
                messages.success(request, gettext("Subscribed. The report is e-mailed to you from tomorrow morning."))
                return redirect("segmentation:reports")
        return self.render_to_response(self.get_context_data(form=form))

    def unsubscribe(self, request):
        pk = request.POST.get("subscription", "")
        subscription = ReportSubscription.objects.filter(
            pk=int(pk) if pk.isdigit() and int(pk) < 2**31 else None, user=request.user, active=True).first()
        if subscription is None:
            raise Http404  # another user's subscription looks like one that does not exist
        reports.report_unsubscribe(by=request.user, subscription=subscription)
        messages.success(request, gettext("Unsubscribed."))
        return redirect("segmentation:reports")
