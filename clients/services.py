"""Writes to the client archive; each is atomic and leaves an audit record."""

from django.db import transaction
from django.utils import timezone

from futures_crm.audit import audit_record, diff, snapshot

from .identity import mask_id_number, normalise_phone, validate_id_number
from .models import Client, ContactLog, SettlementAlert, SuitabilityAssessment
from .pinyin import pinyin_keys

AUDITED_CLIENT_FIELDS = [
    f.name for f in Client._meta.concrete_fields
    if f.name not in {"id", "created_at", "updated_at", "name_pinyin", "name_initials", "id_last4"}
]


def client_derive_keys(client: Client) -> None:
    """Fill the stored search keys (pinyin, ID last four, phones) from the fields they come from."""
    client.id_number = (client.id_number or "").strip().upper()
    # Digits without +86, as the caller screen-pop matches them by indexed equality.
    client.phone, client.phone_alt = normalise_phone(client.phone), normalise_phone(client.phone_alt)
    client.name_pinyin, client.name_initials = pinyin_keys(client.name, person=client.client_type == "individual")
    client.id_last4 = (client.id_number or "")[-4:].upper()


def _masked(values: dict) -> dict:
    # The audit trail must not become a way round ID masking.
    if values.get("id_number"):
        values = {**values, "id_number": mask_id_number(values["id_number"])}
    return values


@transaction.atomic
def client_create(*, by, **fields) -> Client:
    """Open a client record."""
    client = Client(**fields)
    validate_id_number(client.id_type, client.id_number)
    client_derive_keys(client)
    client.full_clean()
    client.save()
    audit_record(actor=by, action="client.create", obj=client, client=client,
                 after=_masked(snapshot(client, AUDITED_CLIENT_FIELDS)))
    return client


@transaction.atomic
def client_update(*, client: Client, by, reason: str = "", **changes) -> Client:
    """Change a client's fields; the audit entry keeps only what changed."""
    before = snapshot(client, AUDITED_CLIENT_FIELDS)
    for name, value in changes.items():
        setattr(client, name, value)
    if (client.id_type, client.id_number) != (before["id_type"], before["id_number"]):
        # Checked only when the document changes: an old record with a bad number stays editable.
        validate_id_number(client.id_type, client.id_number)
    client_derive_keys(client)
    client.full_clean()
    client.save()
    old, new = diff(before, snapshot(client, AUDITED_CLIENT_FIELDS))
    if new:
        action = "client.reassign" if "account_manager" in new else "client.update"
        audit_record(actor=by, action=action, obj=client, client=client, before=_masked(old), after=_masked(new),
                     reason=reason)
    return client


def client_reveal_id_number(*, client: Client, by) -> str:
    """The full ID number, for a user allowed to see it; the reveal itself is audited."""
    if not by.has_perm("clients.reveal_id_number"):
        raise PermissionError("reveal_id_number")
    audit_record(actor=by, action="client.reveal_id", obj=client, client=client)
    return client.id_number


@transaction.atomic
def contact_log_add(*, client: Client, by, **fields) -> ContactLog:
    """Record a visit or call."""
    entry = ContactLog(client=client, by=by, **fields)
    entry.full_clean()
    entry.save()
    return entry


@transaction.atomic
def suitability_record(*, client: Client, by, **fields) -> SuitabilityAssessment:
    """Add an assessment; it becomes current and the client's class and level follow it."""
    assessment = SuitabilityAssessment(client=client, assessed_by=by, **fields)
    assessment.full_clean()
    assessment.save()
    audit_record(actor=by, action="suitability.record", obj=assessment, client=client,
                 after=snapshot(assessment, ["investor_class", "risk_level", "knowledge_score", "assessed_on",
                                             "expires_on"]))
    client_update(client=client, by=by, investor_class=assessment.investor_class, risk_level=assessment.risk_level,
                  reason="suitability assessment")
    return assessment


@transaction.atomic
def settlement_alert_acknowledge(*, alert: SettlementAlert, by) -> SettlementAlert:
    """Mark a settlement alert as seen; the first acknowledgement stands, a second one changes nothing."""
    now = timezone.now()
    # One conditional UPDATE, so two people acknowledging at once leave one name and one audit entry.
    if SettlementAlert.objects.filter(pk=alert.pk, acknowledged_at__isnull=True).update(
            acknowledged_at=now, acknowledged_by=by):
        audit_record(actor=by, action="settlement_alert.acknowledge", obj=alert, client=alert.client,
                     after={"kind": alert.kind, "trade_date": alert.trade_date, "acknowledged_at": now})
    alert.refresh_from_db(fields=["acknowledged_at", "acknowledged_by"])
    return alert
