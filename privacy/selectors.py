"""Reads of consent: the newest record per (client, channel, purpose) is the one that holds."""

from django.db.models import OuterRef, Q, Subquery

from clients.models import Client
from futures_crm.roles import Role

from .models import ConsentRecord

# Who reviews the access log and the retention report: compliance and the administrator.
PRIVACY_READERS = {Role.ADMIN, Role.COMPLIANCE}

# The Client booleans are a cache of the service-purpose consent per channel (see services.consent_record).
FLAG_OF_CHANNEL = {"phone": "consent_phone", "sms": "consent_sms", "email": "consent_email",
                   "wechat": "consent_wechat"}


def latest_consent(client, channel: str, purpose: str) -> ConsentRecord | None:
    return (ConsentRecord.objects.filter(client=client, channel=channel, purpose=purpose)
            .order_by("-at", "-id").first())


def may_contact(client, channel: str, purpose: str) -> bool:
    """Whether the client's newest consent for this channel and purpose is a given one; no record is a no."""
    record = latest_consent(client, channel, purpose)
    return record is not None and record.given


def clients_without_consent(channel: str, purpose: str):
    """The clients `may_contact` refuses for this channel and purpose (newest record withdrawn, or none): the same
    rule set-based, a queryset to filter others by (`client__in=`)."""
    newest = (ConsentRecord.objects.filter(client=OuterRef("pk"), channel=channel, purpose=purpose)
              .order_by("-at", "-id").values("given")[:1])
    return (Client.objects.annotate(newest_given=Subquery(newest))
            .filter(Q(newest_given=False) | Q(newest_given__isnull=True)).values("pk"))


def consent_history(client):
    return client.consents.select_related("recorded_by__staff_profile").order_by("-at", "-id")


def client_panel(client, user) -> dict:
    """The consent history on the client page, newest first, with who recorded each change."""
    from futures_crm.roles import user_role

    from .services import CONSENT_ROLES

    return {"consents": consent_history(client)[:50], "can_record": user_role(user) in CONSENT_ROLES}
