"""Writes of personal-information records; every door (page, API, admin, demo) goes through these."""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clients.models import Client
from futures_crm.audit import audit_record
from futures_crm.roles import CLIENT_EDITOR_ROLES, Role, user_role

from .choices import ConsentChannel, ConsentHow, ConsentPurpose
from .models import ConsentRecord, PersonalDataAccess
from .selectors import FLAG_OF_CHANNEL, may_contact

# Who records consent: the client's editors (their scope applies), and the service desk, which records
# what a caller says on the phone (so only "on a call").
CONSENT_ROLES = CLIENT_EDITOR_ROLES | {Role.SERVICE_AGENT}


@transaction.atomic
def consent_record(*, client: Client, by, channel: str, purpose: str, given: bool, how: str,
                   evidence: str = "", at: datetime.datetime | None = None) -> ConsentRecord:
    """Append one consent given or withdrawn; refresh the client's cached service-purpose flag."""
    role = user_role(by)
    if role not in CONSENT_ROLES:
        raise PermissionDenied(_("Your role cannot record consent."))
    client = Client.objects.visible_to(by).select_for_update().filter(pk=client.pk).first()
    if client is None:
        raise PermissionDenied(_("This client is outside your scope."))
    errors = {}
    if channel not in ConsentChannel.values:
        errors["channel"] = _("Choose a channel.")
    if purpose not in ConsentPurpose.values:
        errors["purpose"] = _("Choose a purpose.")
    if how not in ConsentHow.values or how == ConsentHow.MIGRATED:
        errors["how"] = _("Say how the client gave or withdrew consent.")
    elif role == Role.SERVICE_AGENT and how != ConsentHow.CALL:
        errors["how"] = _("The service desk records what a caller says: consent on a call.")
    elif how == ConsentHow.PAPER and not (evidence or "").strip():
        errors["evidence"] = _("Give the reference of the signed form.")
    at = at or timezone.now()
    if timezone.is_naive(at):
        errors["at"] = _("Give the time with its time zone.")
    elif at > timezone.now() + datetime.timedelta(minutes=5):
        errors["at"] = _("Consent cannot be recorded in the future.")
    if errors:
        raise ValidationError(errors)
    record = ConsentRecord.objects.create(client=client, channel=channel, purpose=purpose, given=bool(given),
                                          at=at, how=how, evidence=(evidence or "").strip(), recorded_by=by)
    flag = FLAG_OF_CHANNEL.get(channel)
    if flag and purpose == ConsentPurpose.SERVICE:
        # The flag caches the newest record, which a back-dated record may not be.
        Client.objects.filter(pk=client.pk).update(**{flag: may_contact(client, channel, purpose)})
    audit_record(actor=by, action="client.consent", obj=record, client=client,
                 after={"channel": channel, "purpose": purpose, "given": record.given, "how": how, "at": at,
                        "evidence": record.evidence})
    return record


def consents_from_flags(clients, *, how: str = ConsentHow.MIGRATED, at: datetime.datetime | None = None) -> int:
    """Service and marketing consent per channel as the clients' flags say, for clients without records yet.

    The demo and the test factories use this, as the migration turned the stored flags into records.
    """
    at = at or timezone.now()
    rows = [
        ConsentRecord(client_id=pk, channel=channel, purpose=purpose, given=flags[flag], at=at, how=how)
        for pk, *values in clients.filter(consents__isnull=True).values_list("pk", *FLAG_OF_CHANNEL.values())
        for flags in [dict(zip(FLAG_OF_CHANNEL.values(), values, strict=True))]
        for channel, flag in FLAG_OF_CHANNEL.items()
        for purpose in (ConsentPurpose.SERVICE, ConsentPurpose.MARKETING)
    ]
    ConsentRecord.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def consent_refusal(client: Client, channel: str, purpose: str) -> str:
    """Why a message on `channel` for `purpose` may not go to the client, or "" when it may."""
    if may_contact(client, channel, purpose):
        return ""
    return _("No %(purpose)s consent for %(channel)s") % {
        "purpose": ConsentPurpose(purpose).label, "channel": ConsentChannel(channel).label}


def access_record(*, by, client_ids: list[int], fields: list[str], via: str, path: str = "") -> int:
    """Log one request's view of unmasked personal data: one row per client, written in one insert."""
    if not getattr(by, "is_authenticated", False):
        return 0
    at = timezone.now()
    rows = [PersonalDataAccess(client_id=pk, by=by, at=at, fields=fields, via=via, path=path) for pk in client_ids]
    PersonalDataAccess.objects.bulk_create(rows)
    return len(rows)
