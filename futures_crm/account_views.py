"""The signed-in user's own account: change the password, see and revoke the API token."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import redirect
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.generic import TemplateView
from rest_framework.authtoken.models import Token

from .audit import audit_record


def token_revoke(*, token: Token, by) -> None:
    """Revoke an API token (its owner or an administrator); the next request with it is refused."""
    audit_record(actor=by, action="auth.token_revoke", obj=token.user,
                 after={"token_created": token.created, "owner": token.user.get_username()})
    token.delete()


class AccountView(LoginRequiredMixin, TemplateView):
    """My account: the password form's link and the API token, with a button to revoke it."""

    template_name = "registration/account.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(token=Token.objects.filter(user=self.request.user).first(), **kwargs)

    def post(self, request, *args, **kwargs):
        token = Token.objects.filter(user=request.user).first()
        if token is not None:
            token_revoke(token=token, by=request.user)
            messages.success(request, _("Your API token is revoked."))
        return redirect("account")


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's own form (old password, new one twice, the password validators), audited."""

    template_name = "registration/password_change.html"
    success_url = reverse_lazy("account")

    def form_valid(self, form):
        response = super().form_valid(form)
        audit_record(actor=self.request.user, action="auth.password_change", obj=self.request.user)
        messages.success(self.request, _("Your password is changed."))
        return response
