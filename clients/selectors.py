"""Reads shared by the client pages, the export and the API."""

from django.core.exceptions import FieldDoesNotExist
from django.utils import timezone

from futures_crm.roles import Role, user_role

from .models import Client, SuitabilityAssessment


def client_list(*, user):
    """The clients `user` may see, with the joins every list needs."""
    return (
        Client.objects.visible_to(user)
        .select_related("branch", "account_manager__staff_profile", "segment")
    )


def sees_personal_data(user) -> bool:
    """The service desk answers calls with personal data masked; other roles see it (IDs stay masked)."""
    return user_role(user) not in {Role.SERVICE_AGENT, None}


def current_suitability(client: Client) -> SuitabilityAssessment | None:
    return client.suitability_assessments.order_by("-assessed_on", "-id").first()


def suitability_expired(assessment: SuitabilityAssessment | None) -> bool:
    return assessment is not None and assessment.expires_on < timezone.localdate()


def sees_several_managers(user) -> bool:
    """Whether the branch and manager filters mean anything to this user."""
    return user_role(user) not in {Role.ACCOUNT_MANAGER, None}


def reads_audit_trail(user) -> bool:
    return user.has_perm("clients.view_auditentry_all")


def client_audit_trail(client: Client, limit: int = 200) -> list[dict]:
    """The client's audit entries, each change spelled out with the field's name."""
    from futures_crm.models import AuditEntry

    entries = AuditEntry.objects.filter(client=client).select_related("actor__staff_profile")[:limit]
    rows = []
    for entry in entries:
        changes = []
        for key in sorted(set(entry.before) | set(entry.after)):
            try:
                label = Client._meta.get_field(key).verbose_name
            except FieldDoesNotExist:  # keys of other record types (suitability) are shown as stored
                label = key
            changes.append({"field": label, "before": entry.before.get(key, ""), "after": entry.after.get(key, "")})
        rows.append({"entry": entry, "changes": changes})
    return rows
