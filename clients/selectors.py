"""Reads shared by the client pages, the export and the API."""

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
