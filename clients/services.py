"""Writes to the client archive; each is atomic, holds its own rules and leaves an audit record.

Every door (the pages, the API, the admin, the demo) calls these functions, so a rule written here is
enforced everywhere: a refusal is a `ValidationError` naming the field, or `PermissionDenied`.
"""


from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from futures_crm import texts
from futures_crm.audit import audit_record, diff, snapshot
from futures_crm.roles import (
    CLIENT_EDITOR_ROLES,
    CLIENT_STATUS_ROLES,
    CONTACT_LOG_ROLES,
    KEY_CLIENT_ROLES,
    SUITABILITY_ROLES,
    Role,
    user_role,
)
from futures_crm.validation import EARLIEST_BIRTHDAY, RuleErrors, local_day, planning_horizon

from .choices import AccountStatus, ClientType, IdType
from .identity import mask_id_number, normalise_phone, validate_id_number
from .models import Client, ContactLog, SettlementAlert, SuitabilityAssessment
from .pinyin import pinyin_keys
from .selectors import assignable_managers, client_branches

# The key-client proposal has its own audit entries (client.key_propose, client.key_decide).
PROPOSAL_FIELDS = {"key_proposed_by", "key_proposed_at", "key_proposal_note"}
AUDITED_CLIENT_FIELDS = [
    f.name for f in Client._meta.concrete_fields
    if f.name not in {"id", "created_at", "updated_at", "name_pinyin", "name_initials", "id_last4"} | PROPOSAL_FIELDS
]
# Fields an edit never changes: each has its own service, which keeps the history the field needs.
# The consent flags cache consent records, written only by privacy.services.consent_record.
CONSENT_FLAGS = {"consent_phone", "consent_sms", "consent_email", "consent_wechat"}
ROUTED_FIELDS = {"account_id", "branch", "account_manager", "investor_class", "risk_level"} | PROPOSAL_FIELDS \
    | CONSENT_FLAGS


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


# ---------------------------------------------------------------- who may write

def _role_in(by, roles) -> str:
    role = user_role(by)
    if role not in roles:
        raise PermissionDenied(_("Your role cannot make this change."))
    return role


def _visible(client: Client, by, *, lock: bool = False) -> Client:
    """The client as stored, if `by` may see it (a fresh copy: the caller's instance is left alone)."""
    rows = Client.objects.visible_to(by).filter(pk=client.pk)
    found = (rows.select_for_update() if lock else rows).first()
    if found is None:
        raise PermissionDenied(_("This client is outside your scope."))
    return found


def refused_client_fields(by) -> dict[str, str]:
    """Field → why `by` may not change it on the edit form or through PATCH; the form disables these."""
    role = user_role(by)
    refused = {
        "account_id": _("The fund account number cannot be changed."),
        "branch": _("The branch changes only through a reassignment to a manager of the new branch."),
        "account_manager": _("The account manager changes only through a reassignment, which keeps the history."),
        "investor_class": _("The investor class changes only through a recorded suitability assessment."),
        "risk_level": _("The risk level changes only through a recorded suitability assessment."),
    }
    if role not in CLIENT_STATUS_ROLES:
        refused["status"] = _("A branch manager or above decides a client's status.")
    if role not in KEY_CLIENT_ROLES:
        refused["is_key"] = _("A branch manager or above marks key clients; propose the client as a key client.")
    return refused


def _values(client: Client) -> dict:
    """The stored values of the client's own fields, as Python values (foreign keys as ids)."""
    return {f.name: getattr(client, f.attname) for f in Client._meta.concrete_fields}


def _changed(client: Client, name: str, value) -> bool:
    field = Client._meta.get_field(name)
    if field.is_relation:
        return getattr(client, field.attname) != getattr(value, "pk", value)
    return getattr(client, name) != value


# ---------------------------------------------------------------- field rules

def _check_fields(client: Client, before: dict | None, errors: RuleErrors) -> None:
    """The rules on a client's own values; on an edit (`before`: `_values` of the stored record) only those
    whose fields changed, so an old record with a value the rules now refuse stays editable."""
    creating = before is None

    def changed(*names):
        return creating or any(before[n] != getattr(client, Client._meta.get_field(n).attname) for n in names)

    if creating and not (client.account_id or "").strip().isdigit():
        errors.add("account_id", _("A fund account number is made of digits."), code="account_id")
    if changed("client_type", "id_type"):
        if client.client_type == ClientType.INDIVIDUAL and client.id_type == IdType.BUSINESS_LICENSE:
            errors.add("id_type", _("An individual cannot hold a business licence."), code="id_type")
        if client.client_type and client.client_type != ClientType.INDIVIDUAL and client.id_type == IdType.ID_CARD:
            errors.add("id_type", _("An institution is identified by its business licence."), code="id_type")
    if not creating and before["id_number"] and not (client.id_number or "").strip():
        errors.add("id_number", _("A recorded ID number is replaced, never removed."), code="id_number")
    elif not creating and client.id_type != before["id_type"] and client.id_number == before["id_number"]:
        errors.add("id_number", _("Enter the number of the new document."), code="id_number")
    elif changed("id_type", "id_number"):
        try:
            client.id_number = validate_id_number(client.id_type, client.id_number)
        except ValidationError as exc:
            for message in exc.message_dict["id_number"]:
                errors.add("id_number", message, code="id_number")
    if changed("birthday"):
        errors.happened("birthday", client.birthday, _("The birthday cannot be in the future."),
                        earliest=EARLIEST_BIRTHDAY)
    if changed("open_date", "close_date"):
        errors.date_in_range("open_date", client.open_date)
        errors.date_in_range("close_date", client.close_date)
        errors.not_before("close_date", client.close_date, client.open_date,
                          _("The account cannot close before it opened."))


def _check_manager(client: Client, by, errors: RuleErrors) -> None:
    """The client's manager must be an active account manager `by` may assign to, of the client's branch."""
    manager = client.account_manager
    if manager is None:
        return
    if not assignable_managers(user=by).filter(pk=manager.pk).exists():
        errors.add("account_manager", _("An account manager opens clients in their own book.")
                   if user_role(by) == Role.ACCOUNT_MANAGER
                   else _("Choose an active account manager you may assign clients to."), code="account_manager")
        return
    branch_id = manager.staff_profile.branch_id
    if branch_id and branch_id != client.branch_id:
        errors.add("account_manager", _("This account manager works in another branch."), code="account_manager")


def _save(client: Client, *, by, before: dict | None, action: str, reason: str | texts.Text = "") -> Client:
    """Derive the keys, validate the model, save, audit what changed (`before`: the audited snapshot of the
    stored record; None for a new one), and re-check the scope (rule 14)."""
    client_derive_keys(client)
    client.full_clean()
    client.save()
    # An edit must not move the client out of its editor's sight; the transaction rolls back if it did.
    if by is not None and not Client.objects.visible_to(by).filter(pk=client.pk).exists():
        raise PermissionDenied(_("This change would move the client out of your scope."))
    after = snapshot(client, AUDITED_CLIENT_FIELDS)
    old, new = ({}, after) if before is None else diff(before, after)
    if new:
        audit_record(actor=by, action=action, obj=client, client=client, before=_masked(old), after=_masked(new),
                     reason=reason)
    return client


# ---------------------------------------------------------------- create and update

@transaction.atomic
def client_create(*, by, **fields) -> Client:
    """Open a client record: in a branch the caller may open clients in, with a manager they may assign to.

    An account manager opens clients in their own book and branch; the status and the key-client mark are
    a branch manager's (or above); the investor class and the risk level come from a suitability assessment.
    """
    role = _role_in(by, CLIENT_EDITOR_ROLES)
    if role == Role.ACCOUNT_MANAGER and fields.get("account_manager") is None:
        fields["account_manager"] = by  # their own book
    client = Client(**fields)
    errors = RuleErrors()
    for name in CONSENT_FLAGS & fields.keys():
        errors.add(name, _("Consent is recorded as a consent record, not set on the client."), code="routed")
    if client.branch_id and not client_branches(user=by).filter(pk=client.branch_id).exists():
        errors.add("branch", _("You may open clients only in your own branch."), code="branch")
    _check_manager(client, by, errors)
    refused = refused_client_fields(by)
    if client.status != AccountStatus.ACTIVE and "status" in refused:
        errors.add("status", refused["status"], code="role")
    if client.is_key and "is_key" in refused:
        errors.add("is_key", refused["is_key"], code="role")
    for name in ("investor_class", "risk_level"):
        if getattr(client, name):
            errors.add(name, refused[name], code="suitability")
    _check_fields(client, None, errors)
    errors.raise_if_any()
    return _save(client, by=by, before=None, action="client.create")


@transaction.atomic
def client_update(*, client: Client, by, reason: str = "", **changes) -> Client:
    """Change a client's own fields; the audit entry keeps only what changed.

    The branch and the manager change through `referrals.services.client_reassign`, the investor class and
    risk level through `suitability_record`, the key-client mark through a proposal a branch manager decides
    (or a branch manager's edit); a refused field is named in the error and nothing is saved.
    """
    _role_in(by, CLIENT_EDITOR_ROLES)
    client = _visible(client, by, lock=True)
    errors = RuleErrors()
    refused = refused_client_fields(by)
    for name, value in changes.items():
        if (name in refused or name in ROUTED_FIELDS) and _changed(client, name, value):
            errors.add(name, refused.get(name, _("This field is not changed by an edit.")), code="routed")
    errors.raise_if_any()
    before, stored = snapshot(client, AUDITED_CLIENT_FIELDS), _values(client)
    for name, value in changes.items():
        setattr(client, name, value)
    _check_fields(client, stored, errors)
    errors.raise_if_any()
    if changes.get("is_key") and client.key_proposed_at:
        _clear_proposal(client)  # a branch manager marking the client key settles the proposal too
    return _save(client, by=by, before=before, action="client.update", reason=reason)


@transaction.atomic
def client_record_origin(*, client: Client, by, referrer: Client | None = None, intermediary_code: str = "",
                         reason: str | texts.Text = "") -> Client:
    """Fill in who brought a client (the referring client, the intermediary's code) where the record has none;
    a recorded origin is never overwritten here. Used when a prospect's account opens."""
    client = _visible(client, by, lock=True)
    before = snapshot(client, AUDITED_CLIENT_FIELDS)
    if referrer is not None and not client.referrer_id and referrer.pk != client.pk:
        client.referrer = referrer
    if intermediary_code and not client.intermediary_code:
        client.intermediary_code = intermediary_code
    return _save(client, by=by, before=before, action="client.update", reason=reason)


# ---------------------------------------------------------------- key clients

def _clear_proposal(client: Client) -> None:
    client.key_proposed_by, client.key_proposed_at, client.key_proposal_note = None, None, ""


@transaction.atomic
def client_key_propose(*, client: Client, by, note: str = "") -> Client:
    """Propose a client as a key client (an account manager's step); a branch manager decides."""
    _role_in(by, CLIENT_EDITOR_ROLES)
    client = _visible(client, by, lock=True)
    if client.is_key:
        raise ValidationError({"is_key": _("This client is already a key client.")})
    if client.key_proposed_at:
        raise ValidationError({"is_key": _("This client is already proposed as a key client.")})
    client.key_proposed_by, client.key_proposed_at = by, timezone.now()
    client.key_proposal_note = (note or "").strip()[:255]
    client.save(update_fields=["key_proposed_by", "key_proposed_at", "key_proposal_note", "updated_at"])
    audit_record(actor=by, action="client.key_propose", obj=client, client=client,
                 after={"is_key": True}, reason=client.key_proposal_note)
    return client


@transaction.atomic
def client_key_decide(*, client: Client, by, confirm: bool, reason: str = "") -> Client:
    """A branch manager (or above) confirms a key-client proposal (the client becomes key) or declines it."""
    _role_in(by, KEY_CLIENT_ROLES)
    client = _visible(client, by, lock=True)
    if not client.key_proposed_at:
        raise ValidationError({"is_key": _("No key-client proposal is waiting for a decision.")})
    before = snapshot(client, AUDITED_CLIENT_FIELDS)
    proposed_by = client.key_proposed_by_id
    client.is_key = bool(confirm) or client.is_key
    _clear_proposal(client)
    client = _save(client, by=by, before=before, action="client.update", reason=reason)
    audit_record(actor=by, action="client.key_decide", obj=client, client=client,
                 before={"proposed_by": proposed_by}, after={"confirmed": bool(confirm)}, reason=reason)
    return client


def client_reveal_id_number(*, client: Client, by) -> str:
    """The full ID number, for a user allowed to see it; the reveal itself is audited."""
    if not by.has_perm("clients.reveal_id_number"):
        raise PermissionError("reveal_id_number")
    audit_record(actor=by, action="client.reveal_id", obj=client, client=client)
    return client.id_number


@transaction.atomic
def contact_log_add(*, client: Client, by, **fields) -> ContactLog:
    """Record a visit or call (not in the future: a log is of what happened)."""
    _role_in(by, CONTACT_LOG_ROLES)
    client = _visible(client, by)
    entry = ContactLog(client=client, by=by, **fields)
    errors = RuleErrors()
    errors.happened("contacted_at", entry.contacted_at, _("A contact cannot be logged in the future."))
    errors.raise_if_any()
    entry.full_clean()
    entry.save()
    return entry


@transaction.atomic
def suitability_record(*, client: Client, by, **fields) -> SuitabilityAssessment:
    """Add an assessment; it becomes current and the client's class and level follow it.

    The only way a client's investor class and risk level change.
    """
    _role_in(by, SUITABILITY_ROLES)
    client = _visible(client, by, lock=True)
    assessment = SuitabilityAssessment(client=client, assessed_by=by, **fields)
    errors = RuleErrors()
    errors.happened("assessed_on", assessment.assessed_on, _("An assessment cannot be dated in the future."))
    assessed, expires = local_day(assessment.assessed_on), local_day(assessment.expires_on)
    if assessed and expires and expires <= assessed:
        errors.add("expires_on", _("The expiry date must come after the assessment date."), code="order")
    else:
        errors.date_in_range("expires_on", assessment.expires_on, latest=planning_horizon())
    if assessment.knowledge_score is not None and not 0 <= assessment.knowledge_score <= 100:
        errors.add("knowledge_score", _("The knowledge-test score is out of 100."), code="score")
    errors.raise_if_any()
    assessment.full_clean()
    assessment.save()
    audit_record(actor=by, action="suitability.record", obj=assessment, client=client,
                 after=snapshot(assessment, ["investor_class", "risk_level", "knowledge_score", "assessed_on",
                                             "expires_on"]))
    before = snapshot(client, AUDITED_CLIENT_FIELDS)
    client.investor_class, client.risk_level = assessment.investor_class, assessment.risk_level
    _save(client, by=by, before=before, action="client.update", reason=texts.text("audit.suitability_assessment"))
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
