"""Base views: role checks and row-level scoping shared by every app's pages."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.views.generic import TemplateView

from .roles import API_ONLY_ROLES, user_role


class StaffRequiredMixin(LoginRequiredMixin):
    """Logged-in staff with a role; `allowed_roles` (None: every page role) narrows it."""

    allowed_roles = None

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        role = user_role(request.user)
        if role is None or role in API_ONLY_ROLES:
            raise PermissionDenied
        if self.allowed_roles is not None and role not in self.allowed_roles:
            raise PermissionDenied
        self.role = role
        return super().dispatch(request, *args, **kwargs)


class ScopedQuerysetMixin(StaffRequiredMixin):
    """List/detail views: the model's `visible_to(user)` is applied before anything else."""

    def get_queryset(self):
        return super().get_queryset().visible_to(self.request.user)


class HomeView(StaffRequiredMixin, TemplateView):
    template_name = "home.html"

    def get(self, request, *args, **kwargs):
        # The landing page is the user's "my day" (service desk).
        return redirect("service:my_day")
