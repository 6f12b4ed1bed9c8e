"""API permissions by role; row-level scoping is the queryset's job (see clients.querysets)."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from futures_crm.roles import CLIENT_EDITOR_ROLES, user_role


class IsStaffMember(BasePermission):
    """Any active staff member with a role (the back-office system included)."""

    def has_permission(self, request, view):
        return user_role(request.user) is not None


class RolePermission(IsStaffMember):
    """Reads for the roles in `view.read_roles` (default: all), writes for `view.write_roles`."""

    def has_permission(self, request, view):
        role = user_role(request.user)
        if role is None:
            return False
        if request.method in SAFE_METHODS:
            read_roles = getattr(view, "read_roles", None)
            return read_roles is None or role in read_roles
        return role in getattr(view, "write_roles", CLIENT_EDITOR_ROLES)
