"""Staff roles: one Django group per role, with the permissions that role holds.

The role itself lives on the staff profile (clients.StaffProfile.role); the groups carry the
Django permissions so that the admin and `user.has_perm` agree with the role.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "administrator", _("Administrator")
    HEAD_OFFICE = "head_office", _("Head-office manager")
    BRANCH_MANAGER = "branch_manager", _("Branch manager")
    ACCOUNT_MANAGER = "account_manager", _("Account manager")
    SERVICE_AGENT = "service_agent", _("Service agent")
    MARKETING = "marketing", _("Marketing")
    COMPLIANCE = "compliance", _("Compliance")
    BACK_OFFICE = "back_office", _("Back-office system")


# Roles that see every client of the firm.
FIRM_WIDE_ROLES = {Role.ADMIN, Role.HEAD_OFFICE, Role.COMPLIANCE, Role.MARKETING, Role.BACK_OFFICE}
# Roles that may edit client records (row-level rules still apply).
CLIENT_EDITOR_ROLES = {Role.ADMIN, Role.HEAD_OFFICE, Role.BRANCH_MANAGER, Role.ACCOUNT_MANAGER, Role.BACK_OFFICE}
# Roles that decide a client's account status; the back-office system reports openings and closings.
CLIENT_STATUS_ROLES = {Role.ADMIN, Role.HEAD_OFFICE, Role.BRANCH_MANAGER, Role.BACK_OFFICE}
# Roles that mark key clients (the firm gives each a named manager); an account manager proposes one.
KEY_CLIENT_ROLES = {Role.ADMIN, Role.HEAD_OFFICE, Role.BRANCH_MANAGER}
# Roles that read the audit trail.
AUDIT_READER_ROLES = {Role.ADMIN, Role.COMPLIANCE}
# Roles that log visits and calls (the service desk included: it edits nothing else).
CONTACT_LOG_ROLES = set(Role) - {Role.MARKETING}
# Roles that record suitability assessments (compliance reviews them too).
SUITABILITY_ROLES = CLIENT_EDITOR_ROLES | {Role.COMPLIANCE}
# Roles that edit the product risk table and settle suitability alerts (适当性).
PRODUCT_EDITOR_ROLES = {Role.ADMIN, Role.COMPLIANCE}
# Roles that work the suitability worklist (each within their own client scope).
SUITABILITY_WORKLIST_ROLES = {Role.ADMIN, Role.HEAD_OFFICE, Role.COMPLIANCE, Role.BRANCH_MANAGER, Role.ACCOUNT_MANAGER}
# Roles that never use the staff pages, only the API.
API_ONLY_ROLES = {Role.BACK_OFFICE}

# app_label.codename permissions granted to each role's group; other apps extend this dict.
ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.ADMIN: ["clients.reveal_id_number", "clients.view_auditentry_all"],
    Role.HEAD_OFFICE: ["clients.reveal_id_number"],
    Role.BRANCH_MANAGER: ["clients.reveal_id_number"],
    Role.ACCOUNT_MANAGER: [],
    Role.SERVICE_AGENT: [],
    Role.MARKETING: [],
    Role.COMPLIANCE: ["clients.reveal_id_number", "clients.view_auditentry_all"],
    Role.BACK_OFFICE: [],
}


def user_role(user) -> str | None:
    """The role a user works in: superusers are administrators; no profile means no role."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if user.is_superuser:
        return Role.ADMIN
    profile = getattr(user, "staff_profile", None)
    if profile is None or not profile.is_active:
        return None
    return profile.role


def sync_role_groups(**kwargs):
    """Create one group per role and give it exactly the permissions listed above."""
    from django.apps import apps
    from django.contrib.auth.management import create_permissions
    from django.contrib.auth.models import Group, Permission

    # post_migrate reaches this app before the apps after it in INSTALLED_APPS have their
    # permissions: create them all first, or a fresh database gets groups without them.
    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0)
    for role, perms in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role)
        wanted = []
        for dotted in perms:
            app_label, codename = dotted.split(".")
            perm = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
            if perm is not None:
                wanted.append(perm)
        group.permissions.set(wanted)
