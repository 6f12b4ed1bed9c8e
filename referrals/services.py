"""Relationship writes: each is keyword-only, atomic and leaves an audit record."""

import datetime
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Max, Min
from django.utils import timezone
from django.utils.translation import gettext as _

from clients.identity import mask_id_number
from clients.imports.writer_common import column_defaults
from clients.models import AccountSettlement, Client, ContactLog, StaffProfile
from clients.selectors import assignable_managers
from futures_crm import people
from futures_crm.audit import audit_record, diff, snapshot
from futures_crm.models import AuditEntry
from futures_crm.roles import user_role
from futures_crm.validation import RuleErrors, planning_horizon
from service.choices import TaskStatus
from service.models import Task

from . import selectors
from .access import ASSIGNERS, CLUB_EDITORS, INTERMEDIARY_EDITORS, REWARD_APPROVERS
from .choices import (
    REFERRAL_DATE_FIELD,
    REFERRAL_FLOW,
    AssignmentKind,
    HandoverStrategy,
    IntermediaryStatus,
    LinkSource,
    ReferralStatus,
    StatementStatus,
)
from .models import (
    DEFAULT_NOTICE_CHANNEL,
    ClubMembership,
    Handover,
    Intermediary,
    IntermediaryLink,
    IntermediaryRelative,
    IntermediaryTraining,
    ManagerAssignment,
    RebateLine,
    RebateStatement,
    Referral,
    ReferralReward,
)
from .rules import round_money

INTERMEDIARY_FIELDS = [
    "code", "name", "kind", "status", "id_number", "phone", "qualification_certificate", "association_registration",
    "contract_start", "contract_end", "exclusive", "rebate_rate", "exchange_rebate_share", "branch", "left_on",
]


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("A reason is required.")})
    return reason


def _require_role(by, roles) -> None:
    if user_role(by) not in roles:
        raise PermissionDenied(_("Your role cannot make this change."))


def _not_assignable(by, users) -> list:
    """Those of `users` who are not active account managers `by` may assign clients to."""
    allowed = set(assignable_managers(user=by).filter(pk__in=[u.pk for u in users]).values_list("pk", flat=True))
    return [u for u in users if u.pk not in allowed]


def _check_target(by, to_manager, field: str = "to_manager") -> None:
    """The new manager: an active account manager `by` may assign to (a branch manager: of their branch)."""
    if to_manager is None:
        raise ValidationError({field: _("Choose the new account manager.")})
    if _not_assignable(by, [to_manager]):
        raise ValidationError({field: _("%(name)s is not an active account manager you may assign clients to.")
                               % {"name": people.label(to_manager)}})


# ---------------------------------------------------------------- account managers

@transaction.atomic
def client_reassign(*, client: Client, to_manager, by, reason: str) -> ManagerAssignment:
    """Give a client a new account manager, keeping the history; the client follows the manager's branch.

    The only way a client's manager or branch changes by hand: by a role that moves clients (ASSIGNERS), for
    a client it sees, to an active account manager it may assign to (a branch manager: their own branch's).
    """
    _require_role(by, ASSIGNERS)
    return _reassign(client=client, to_manager=to_manager, by=by, reason=reason, kind=AssignmentKind.ASSIGN)


def _reassign(*, client: Client, to_manager, by, reason: str, kind: str) -> ManagerAssignment:
    """`client_reassign` without the role check, for services that have checked their own (a leaving
    intermediary's transfers are compliance's); the client, target and reason rules all apply."""
    reason = _require_reason(reason)
    client = Client.objects.visible_to(by).select_for_update().filter(pk=client.pk).first()
    if client is None:
        raise ValidationError({"client": _("This client is outside your scope.")})
    _check_target(by, to_manager)
    if client.account_manager_id == to_manager.pk:
        raise ValidationError({"to_manager": _("The client already has this manager.")})
    branch_id = to_manager.staff_profile.branch_id or client.branch_id
    now = timezone.now()
    assignment = ManagerAssignment.objects.create(
        client=client, from_manager_id=client.account_manager_id, to_manager=to_manager, at=now, by=by,
        reason=reason, kind=kind,
    )
    Client.objects.filter(pk=client.pk).update(account_manager=to_manager, branch_id=branch_id, updated_at=now)
    before, after = {"account_manager": client.account_manager_id}, {"account_manager": to_manager.pk}
    if branch_id != client.branch_id:
        before["branch"], after["branch"] = client.branch_id, branch_id
    audit_record(actor=by, action="client.reassign", obj=client, client=client, before=before, after=after,
                 reason=reason)
    return assignment


def _check_handover(*, by, leaving_manager, successors) -> None:
    """Who may hand over whose book to whom: an assigner, a manager of their scope, successors of their scope."""
    _require_role(by, ASSIGNERS)
    errors = RuleErrors()
    if _not_assignable(by, [leaving_manager]):
        errors.add("leaving_manager", _("%(name)s is not an active account manager of your scope.")
                   % {"name": people.label(leaving_manager)})
    if any(s.pk == leaving_manager.pk for s in successors):
        errors.add("successors", _("The leaving manager cannot be a successor."))
    outside = _not_assignable(by, [s for s in successors if s.pk != leaving_manager.pk])
    if outside:
        errors.add("successors", _("Not active account managers you may assign clients to: %(names)s.")
                   % {"names": ", ".join(people.label(u) for u in outside)})
    errors.raise_if_any()


def handover_preview(*, by, leaving_manager, successors: list, strategy: str, manual: dict | None = None) -> dict:
    """The plan a handover would carry out, for `by` (the preview shows a book: the same rules as the handover)."""
    _check_handover(by=by, leaving_manager=leaving_manager, successors=successors)
    return handover_plan(leaving_manager=leaving_manager, successors=successors, strategy=strategy, manual=manual)


def handover_plan(*, leaving_manager, successors: list, strategy: str, manual: dict | None = None) -> dict:
    """Which successor takes which client: {successor user id: [client ids]}, covering the whole book.

    Balanced by count: clients dealt round-robin, so shares differ by at most one.
    Balanced by equity: largest accounts first, each to the successor with the least equity so far.
    By hand: `manual` maps client id → successor id for every client of the book.
    """
    successors = [s for s in successors if s.pk != leaving_manager.pk]
    if not successors:
        raise ValidationError({"successors": _("Choose at least one successor.")})
    book = list(selectors.manager_book(leaving_manager).values_list("pk", "equity"))
    plan = {s.pk: [] for s in successors}
    if strategy == HandoverStrategy.MANUAL:
        manual = {int(k): int(v) for k, v in (manual or {}).items()}
        missing = [pk for pk, _eq in book if manual.get(pk) not in plan]
        if missing:
            raise ValidationError({"manual": _("Every client needs a successor (%(n)d without one).")
                                   % {"n": len(missing)}})
        for pk, _eq in book:
            plan[manual[pk]].append(pk)
    elif strategy == HandoverStrategy.COUNT:
        ordered = sorted(book, key=lambda row: row[0])
        for i, (pk, _eq) in enumerate(ordered):
            plan[successors[i % len(successors)].pk].append(pk)
    elif strategy == HandoverStrategy.EQUITY:
        load = {s.pk: Decimal(0) for s in successors}
        for pk, equity in sorted(book, key=lambda row: (-row[1], row[0])):
            target = min(load, key=lambda sid: (load[sid], len(plan[sid]), sid))
            plan[target].append(pk)
            load[target] += max(equity, Decimal(0))
    else:
        raise ValidationError({"strategy": _("Unknown strategy.")})
    return plan


@transaction.atomic
def manager_handover(*, leaving_manager, plan: dict, strategy: str, by, reason: str, notify: bool = False,
                     notice_channel: str = DEFAULT_NOTICE_CHANNEL, notice_text: str = "") -> Handover:
    """Move a leaving manager's whole book to successors, deactivate the manager, optionally log a notice.

    One transaction: either every client moves or none does. The plan must cover exactly the current book,
    so a client added after the preview stops the handover instead of being left behind.
    """
    reason = _require_reason(reason)
    successors = get_user_model().objects.select_related("staff_profile").in_bulk(list(plan.keys()))
    if any(sid not in successors for sid in plan):
        raise ValidationError({"successors": _("Invalid successor.")})
    _check_handover(by=by, leaving_manager=leaving_manager, successors=list(successors.values()))
    profile = StaffProfile.objects.select_for_update().get(user=leaving_manager)
    book = set(Client.objects.select_for_update().filter(account_manager=leaving_manager).values_list("pk", flat=True))
    planned = [pk for ids in plan.values() for pk in ids]
    if len(planned) != len(set(planned)) or set(planned) != book:
        raise ValidationError(_("The book changed since the preview; preview the handover again."))
    now = timezone.now()
    handover = Handover.objects.create(leaving_manager=leaving_manager, strategy=strategy, by=by, reason=reason,
                                       client_count=len(book), notified=notify)
    assignments, audits = [], []
    for sid, ids in plan.items():
        if not ids:
            continue
        # Set-based: one UPDATE per successor, guarded so only clients still in the book move.
        Client.objects.filter(pk__in=ids, account_manager=leaving_manager).update(account_manager_id=sid,
                                                                                   updated_at=now)
        Task.objects.filter(client_id__in=ids, owner=leaving_manager, status=TaskStatus.OPEN).update(owner_id=sid)
        for pk in ids:
            assignments.append(ManagerAssignment(
                client_id=pk, from_manager=leaving_manager, to_manager_id=sid, at=now, by=by, reason=reason,
                kind=AssignmentKind.HANDOVER, handover=handover))
            audits.append(AuditEntry(
                actor=by, action="client.reassign", object_type="clients.client", object_id=str(pk), client_id=pk,
                before={"account_manager": leaving_manager.pk}, after={"account_manager": sid},
                reason=reason))
    ManagerAssignment.objects.bulk_create(assignments, batch_size=1000)
    AuditEntry.objects.bulk_create(audits, batch_size=1000)
    if notify:
        names = {sid: u.staff_profile.display_name for sid, u in successors.items()}
        ContactLog.objects.bulk_create([
            ContactLog(client_id=a.client_id, contacted_at=now, channel=notice_channel, by=by,
                       summary=notice_text or _("Notice: your account manager is now %(name)s.")
                       % {"name": names[a.to_manager_id]})
            for a in assignments
        ], batch_size=1000)
    profile.is_active = False
    profile.left_on = timezone.localdate()
    profile.save(update_fields=["is_active", "left_on", "updated_at"])
    audit_record(actor=by, action="manager.handover", obj=handover, reason=reason,
                 before={"manager": leaving_manager.pk, "active": True},
                 after={"manager": leaving_manager.pk, "active": False, "strategy": strategy, "clients": len(book),
                        "plan": {str(k): len(v) for k, v in plan.items()}, "notified": notify})
    return handover


# ---------------------------------------------------------------- intermediaries

def _masked(values: dict) -> dict:
    # The audit trail must not become a way round ID masking.
    if values.get("id_number"):
        values = {**values, "id_number": mask_id_number(values["id_number"])}
    return values


def _share(errors: RuleErrors, field: str, value) -> None:
    if value is not None and not 0 <= value <= 1:
        errors.add(field, _("A share lies between 0 and 1."), code="share")


@transaction.atomic
def intermediary_save(*, by, intermediary: Intermediary | None = None, **fields) -> Intermediary:
    """Register an intermediary or change its registry fields (a blank ID number keeps the stored one).

    Rates and shares lie between 0 and 1; contract dates are real dates, the end not before the start; leaving
    is `intermediary_leave`'s, never a change of status here.
    """
    _require_role(by, INTERMEDIARY_EDITORS)
    creating = intermediary is None
    intermediary = intermediary or Intermediary()
    before = {} if creating else snapshot(intermediary, INTERMEDIARY_FIELDS)
    if not creating and not (fields.get("id_number") or "").strip():
        fields.pop("id_number", None)  # the stored number is never sent to a form, so blank means "keep"
    for name, value in fields.items():
        setattr(intermediary, name, value)
    errors = RuleErrors()
    if intermediary.status == IntermediaryStatus.LEFT and before.get("status") != IntermediaryStatus.LEFT:
        errors.add("status", _("An intermediary leaves through its leaving page, which transfers its clients."))
    _share(errors, "rebate_rate", intermediary.rebate_rate)
    _share(errors, "exchange_rebate_share", intermediary.exchange_rebate_share)
    errors.date_in_range("contract_start", intermediary.contract_start, latest=planning_horizon())
    errors.date_in_range("contract_end", intermediary.contract_end, latest=planning_horizon())
    errors.not_before("contract_end", intermediary.contract_end, intermediary.contract_start,
                      _("The contract cannot end before it starts."))
    errors.date_in_range("left_on", intermediary.left_on)
    errors.raise_if_any()
    intermediary.full_clean()
    intermediary.save()
    old, new = diff(before, snapshot(intermediary, INTERMEDIARY_FIELDS))
    if new:
        audit_record(actor=by, action="intermediary.create" if creating else "intermediary.update",
                     obj=intermediary, before=_masked(old), after=_masked(new))
    return intermediary


def intermediary_reveal_id_number(*, intermediary: Intermediary, by) -> str:
    """The full ID number, for a user allowed to see one (as for clients); the reveal itself is audited."""
    if not by.has_perm("clients.reveal_id_number"):
        raise PermissionDenied
    audit_record(actor=by, action="intermediary.reveal_id", obj=intermediary)
    return intermediary.id_number


@transaction.atomic
def intermediary_training_add(*, intermediary: Intermediary, by, trained_on, hours, topic) -> IntermediaryTraining:
    """Record a training the intermediary attended: on a past day, for a non-negative number of hours."""
    _require_role(by, INTERMEDIARY_EDITORS)
    record = IntermediaryTraining(intermediary=intermediary, trained_on=trained_on, hours=hours, topic=topic)
    errors = RuleErrors()
    errors.non_negative("hours", hours)
    errors.date_in_range("trained_on", trained_on)
    errors.raise_if_any()
    record.full_clean()
    record.save()
    audit_record(actor=by, action="intermediary.training", obj=intermediary,
                 after=snapshot(record, ["trained_on", "hours", "topic"]))
    return record


@transaction.atomic
def intermediary_relative_add(*, intermediary: Intermediary, by, name, id_number, relation="") -> IntermediaryRelative:
    """Record a relative the intermediary declared, for the conflict check."""
    _require_role(by, INTERMEDIARY_EDITORS)
    record = IntermediaryRelative(intermediary=intermediary, name=name, id_number=id_number.strip().upper(),
                                  relation=relation)
    record.full_clean()
    record.save()
    audit_record(actor=by, action="intermediary.relative", obj=intermediary,
                 after={"name": name, "relation": relation, "id_last4": record.id_number[-4:]})
    return record


@transaction.atomic
def intermediary_link(*, client: Client, intermediary: Intermediary | None, by, valid_from: datetime.date,
                      reason: str = "", source: str = LinkSource.MANUAL) -> IntermediaryLink | None:
    """Attribute a client to an intermediary from a date (None: end the attribution); the old link is closed."""
    _require_role(by, INTERMEDIARY_EDITORS)
    errors = RuleErrors()
    errors.date_in_range("valid_from", valid_from, latest=planning_horizon())
    errors.raise_if_any()
    current = IntermediaryLink.objects.select_for_update().filter(client=client, valid_to__isnull=True).first()
    if current and intermediary and current.intermediary_id == intermediary.pk:
        return current
    if current is None and intermediary is None:
        return None
    if current:
        if valid_from < current.valid_from:
            raise ValidationError({"valid_from": _("The new attribution cannot start before the current one.")})
        current.valid_to = valid_from
        current.save(update_fields=["valid_to", "updated_at"])
    link = None
    if intermediary is not None:
        if intermediary.status != IntermediaryStatus.ACTIVE:
            raise ValidationError({"intermediary": _("Only an active intermediary can take clients.")})
        link = IntermediaryLink.objects.create(client=client, intermediary=intermediary, valid_from=valid_from,
                                               source=source, created_by=by, reason=reason)
    audit_record(actor=by, action="intermediary.link", obj=link or current, client=client, reason=reason,
                 before={"intermediary": current.intermediary_id if current else None},
                 after={"intermediary": intermediary.pk if intermediary else None, "from": valid_from})
    return link


def _scope(clients) -> tuple[str, list]:
    """The SQL selecting the ids of `clients` (a queryset; None: every client), to scope a set-based write."""
    sql, params = (Client.objects.all() if clients is None else clients).order_by().values("pk").query.sql_with_params()
    return sql, list(params)


def _user_id(user) -> int | None:
    return user.pk if getattr(user, "is_authenticated", False) else None


@transaction.atomic
def intermediary_links_sync(*, clients=None, by=None, on: datetime.date | None = None) -> int:
    """Turn imported `Client.intermediary_code`s into links, set-based; returns how many links were created.

    `clients` (a queryset) limits the work to those clients, e.g. a clients file's; None takes every client.
    A client whose code names a different intermediary than its current link gets the old link closed.
    Codes that name no active registered intermediary are left alone (the registry must come first).
    """
    on = on or timezone.localdate()
    scope, params = _scope(clients)
    # Clients whose code names an active intermediary they are not currently linked to.
    pending = f"""SELECT c.id AS client_id, i.id AS intermediary_id, c.open_date FROM clients_client c
                  JOIN referrals_intermediary i ON i.code = c.intermediary_code AND i.status = %s
                  WHERE c.id IN ({scope}) AND NOT EXISTS (
                      SELECT 1 FROM referrals_intermediarylink l
                      WHERE l.client_id = c.id AND l.valid_to IS NULL AND l.intermediary_id = i.id)"""  # noqa: S608
    pending_params = [IntermediaryStatus.ACTIVE.value, *params]
    given = {"client", "intermediary", "valid_from", "valid_to", "source", "created_by"}
    defaults = column_defaults(IntermediaryLink, given)
    other_cols = ", ".join(c for c, _v in defaults)
    with connection.cursor() as cur:
        cur.execute(f"""UPDATE referrals_intermediarylink SET valid_to = %s, updated_at = now()
                        WHERE valid_to IS NULL AND client_id IN (SELECT p.client_id FROM ({pending}) p)""",  # noqa: S608
                    [on, *pending_params])
        # A first attribution dates from the account opening, so the opening month's rebate is counted;
        # a change of intermediary from the sync day. One statement writes the links and their audit entries.
        cur.execute(
            f"""WITH new AS (
                    INSERT INTO referrals_intermediarylink
                        (client_id, intermediary_id, valid_from, source, created_by_id, {other_cols})
                    SELECT p.client_id, p.intermediary_id,
                           CASE WHEN p.open_date IS NULL OR EXISTS (
                                    SELECT 1 FROM referrals_intermediarylink h WHERE h.client_id = p.client_id)
                                THEN %s::date ELSE LEAST(p.open_date, %s::date) END,
                           %s, %s, {", ".join(["%s"] * len(defaults))}
                    FROM ({pending}) p
                    RETURNING id, client_id, intermediary_id, valid_from)
                INSERT INTO futures_crm_auditentry (at, actor_id, action, object_type, object_id, client_id, before,
                                                    after, reason)
                SELECT now(), %s, 'intermediary.link', 'referrals.intermediarylink', new.id::text, new.client_id,
                       '{{}}'::jsonb, jsonb_build_object('intermediary', new.intermediary_id,
                                                         'from', to_char(new.valid_from, 'YYYY-MM-DD'), 'source', %s),
                       ''
                FROM new""",  # noqa: S608 - table and column names are constants
            [on, on, LinkSource.IMPORT.value, by.pk if by else None, *(v for _c, v in defaults), *pending_params,
             _user_id(by), LinkSource.IMPORT.value])
        return cur.rowcount


@transaction.atomic
def intermediary_leave(*, intermediary: Intermediary, by, reason: str, left_on: datetime.date,
                       transfers: dict | None = None) -> dict:
    """Mark an intermediary as left and move each listed client to a manager or another intermediary.

    `transfers` maps client id → ("manager", user) or ("intermediary", Intermediary). Clients not listed keep
    their link to the departed intermediary, so those without a manager show up as orphaned until taken.
    """
    _require_role(by, INTERMEDIARY_EDITORS)
    reason = _require_reason(reason)
    if intermediary.status == IntermediaryStatus.LEFT:
        raise ValidationError(_("This intermediary has already left."))
    errors = RuleErrors()
    errors.date_in_range("left_on", left_on)
    errors.raise_if_any()
    before = snapshot(intermediary, ["status", "left_on"])
    intermediary.status = IntermediaryStatus.LEFT
    intermediary.left_on = left_on
    intermediary.save(update_fields=["status", "left_on", "updated_at"])
    moved = {"manager": 0, "intermediary": 0}
    clients = {c.pk: c for c in selectors.current_clients_of(Intermediary.objects.filter(pk=intermediary.pk))
               .visible_to(by)}
    for client_id, (kind, target) in (transfers or {}).items():
        client = clients.get(int(client_id))
        if client is None:
            raise ValidationError({"transfers": _("Client %(id)s is not one of this intermediary's clients.")
                                   % {"id": client_id}})
        if kind == "intermediary":
            if target.pk == intermediary.pk:
                raise ValidationError({"transfers": _("A client cannot be transferred to the leaving intermediary.")})
            intermediary_link(client=client, intermediary=target, by=by, valid_from=left_on, reason=reason,
                              source=LinkSource.TRANSFER)
        elif kind == "manager":
            _check_target(by, target, field="transfers")
            # The attribution ends with the transfer; the history keeps who brought the client.
            intermediary_link(client=client, intermediary=None, by=by, valid_from=left_on, reason=reason)
            if client.account_manager_id != target.pk:
                _reassign(client=client, to_manager=target, by=by, reason=reason,
                          kind=AssignmentKind.INTERMEDIARY_LEFT)
            moved["manager"] += 1
            continue
        else:
            raise ValidationError({"transfers": _("A client goes to a manager or to another intermediary.")})
        moved[kind] += 1
    audit_record(actor=by, action="intermediary.leave", obj=intermediary, reason=reason, before=before,
                 after={"status": IntermediaryStatus.LEFT, "left_on": left_on, **moved})
    return moved


# ---------------------------------------------------------------- rebates

@transaction.atomic
def rebate_statement_draft(*, intermediary: Intermediary, month: datetime.date, by,
                           exchange_refund_rate: Decimal = Decimal(0), client_sums=None) -> RebateStatement:
    """(Re)compute a month's rebate statement from the settlement rows; a confirmed one is never recomputed.

    Rounding rule: each client's commission rebate (net commission × rate) and exchange rebate
    (exchange fee × refund rate × share) are rounded half-up to the cent; every total is the sum of the lines.
    `client_sums` lets the month run pass rows it already grouped for every intermediary.
    The month must lie within the stored settlement data; the refund rate is a share (0 to 1).
    """
    _require_role(by, INTERMEDIARY_EDITORS)
    month = _settlement_month(month)
    if not 0 <= exchange_refund_rate <= 1:
        raise ValidationError({"exchange_refund_rate": _("A share lies between 0 and 1.")})
    statement, _created = RebateStatement.objects.select_for_update().get_or_create(
        intermediary=intermediary, month=month,
        defaults={"rebate_rate": intermediary.rebate_rate, "drafted_by": by},
    )
    if statement.status == StatementStatus.CONFIRMED:
        raise ValidationError(_("This statement is confirmed and cannot be recomputed."))
    statement.rebate_rate = intermediary.rebate_rate
    statement.exchange_rebate_share = intermediary.exchange_rebate_share or Decimal(0)
    statement.exchange_refund_rate = exchange_refund_rate
    statement.drafted_by = by
    statement.lines.all().delete()
    if client_sums is None:
        client_sums = selectors.rebate_client_sums(intermediary, month)
    lines = []
    for row in client_sums:
        # Sums arrive exact; rounding to cents keeps a statement line's figures in the money format.
        commission, fee = round_money(row["commission"]), round_money(row["exchange_fee"])
        net = commission - fee
        commission_rebate = round_money(net * statement.rebate_rate)
        exchange_rebate = round_money(fee * exchange_refund_rate * statement.exchange_rebate_share)
        lines.append(RebateLine(
            statement=statement, client_id=row["client_id"], trading_days=row["days"], commission=commission,
            exchange_fee=fee, net_commission=net, commission_rebate=commission_rebate,
            exchange_rebate=exchange_rebate, total=commission_rebate + exchange_rebate))
    RebateLine.objects.bulk_create(lines)
    for name in ("commission", "exchange_fee", "net_commission", "commission_rebate", "exchange_rebate", "total"):
        setattr(statement, name, sum((getattr(line, name) for line in lines), Decimal("0.00")))
    statement.full_clean()
    statement.save()
    audit_record(actor=by, action="rebate.draft", obj=statement,
                 after={"month": month, "clients": len(lines), "total": statement.total,
                        "exchange_refund_rate": exchange_refund_rate})
    return statement


def _settlement_month(month: datetime.date) -> datetime.date:
    """The first day of `month`, which must lie between the first and the last month of stored settlement."""
    span = AccountSettlement.objects.aggregate(first=Min("trade_date"), last=Max("trade_date"))
    if span["first"] is None:
        raise ValidationError({"month": _("No settlement data is stored yet.")})
    first, last = span["first"].replace(day=1), span["last"].replace(day=1)
    if not first <= month.replace(day=1) <= last:
        raise ValidationError({"month": _("Choose a month with stored settlement data, from %(first)s to %(last)s.")
                               % {"first": f"{first:%Y-%m}", "last": f"{last:%Y-%m}"}})
    return month.replace(day=1)


@transaction.atomic
def rebate_statements_draft_month(*, month: datetime.date, by, exchange_refund_rate: Decimal = Decimal(0)) -> int:
    """Draft the month's statement of every intermediary with attributed rows; confirmed ones stay as they are."""
    month = _settlement_month(month)
    sums = selectors.rebate_client_sums_all(month)
    confirmed = set(RebateStatement.objects.filter(month=month, status=StatementStatus.CONFIRMED)
                    .values_list("intermediary_id", flat=True))
    count = 0
    for intermediary in Intermediary.objects.filter(pk__in=sums.keys()).exclude(pk__in=confirmed):
        rebate_statement_draft(intermediary=intermediary, month=month, by=by,
                               exchange_refund_rate=exchange_refund_rate, client_sums=sums[intermediary.pk])
        count += 1
    return count


@transaction.atomic
def rebate_statement_confirm(*, statement: RebateStatement, by) -> RebateStatement:
    """Freeze a draft statement; the rebate is then payable as shown."""
    statement = RebateStatement.objects.select_for_update().get(pk=statement.pk)
    if statement.status != StatementStatus.DRAFT:
        raise ValidationError(_("Only a draft can be confirmed."))
    statement.status = StatementStatus.CONFIRMED
    statement.confirmed_by = by
    statement.confirmed_at = timezone.now()
    statement.save(update_fields=["status", "confirmed_by", "confirmed_at", "updated_at"])
    audit_record(actor=by, action="rebate.confirm", obj=statement, before={"status": StatementStatus.DRAFT},
                 after={"status": StatementStatus.CONFIRMED, "total": statement.total})
    return statement


# ---------------------------------------------------------------- referrals

@transaction.atomic
def referral_create(*, by, prospect_name: str, referred_on: datetime.date, referrer_client: Client | None = None,
                    referrer_staff=None, referred_client: Client | None = None, prospect_phone: str = "",
                    note: str = "") -> Referral:
    """Record that a client or staff member referred a person, as a prospect or an opened account."""
    errors = RuleErrors()
    errors.date_in_range("referred_on", referred_on)
    if not (prospect_name or "").strip() and referred_client is None:
        errors.add("prospect_name", _("Name the referred person or their fund account."))
    if referrer_client is None and referrer_staff is None:
        errors.add("referrer_client", _("Name the referring client or staff member."))
    errors.raise_if_any()
    referral = Referral(
        referrer_client=referrer_client, referrer_staff=referrer_staff, referred_client=referred_client,
        prospect_name=prospect_name or (referred_client.name if referred_client else ""),
        prospect_phone=prospect_phone, referred_on=referred_on, note=note, created_by=by,
    )
    if referred_client is not None:
        if referrer_client is not None and referred_client.pk == referrer_client.pk:
            raise ValidationError({"referred_client": _("A client cannot refer themselves.")})
        referral.status = ReferralStatus.OPENED
        referral.opened_on = referred_client.open_date or referred_on
    referral.full_clean()
    referral.save()
    audit_record(actor=by, action="referral.create", obj=referral, client=referrer_client or referred_client,
                 after=snapshot(referral, ["referrer_client", "referrer_staff", "referred_client", "prospect_name",
                                           "status", "referred_on"]))
    return referral


@transaction.atomic
def referral_advance(*, referral: Referral, status: str, on: datetime.date, by,
                     referred_client: Client | None = None) -> Referral:
    """Move a referral forward (referred → contacted → opened → funded), dating each step."""
    referral = Referral.objects.select_for_update().get(pk=referral.pk)
    errors = RuleErrors()
    errors.date_in_range("on", on)
    errors.not_before("on", on, referral.referred_on, _("A step cannot come before the referral."))
    errors.raise_if_any()
    if REFERRAL_FLOW.index(status) <= REFERRAL_FLOW.index(referral.status):
        raise ValidationError({"status": _("A referral only moves forward.")})
    if status in (ReferralStatus.OPENED, ReferralStatus.FUNDED):
        if referred_client is not None:
            referral.referred_client = referred_client
        if referral.referred_client_id is None:
            raise ValidationError({"referred_client": _("Name the account that was opened.")})
    before = snapshot(referral, ["status", "referred_client"])
    # Skipped steps take the same date: a person who opened on the first call was contacted that day.
    for step in REFERRAL_FLOW[REFERRAL_FLOW.index(referral.status) + 1: REFERRAL_FLOW.index(status) + 1]:
        if getattr(referral, REFERRAL_DATE_FIELD[step]) is None:
            setattr(referral, REFERRAL_DATE_FIELD[step], on)
    referral.status = status
    referral.full_clean()
    referral.save()
    audit_record(actor=by, action="referral.advance", obj=referral, client=referral.referred_client,
                 before=before, after=snapshot(referral, ["status", "referred_client"]))
    return referral


@transaction.atomic
def referrals_sync_from_clients(*, clients=None, by=None) -> int:
    """Create a referral for each imported `Client.referrer` (referrer_account_id) that has none yet, set-based.

    `clients` (a queryset) limits the work to those clients, e.g. a clients file's; None takes every client.
    """
    scope, params = _scope(clients)
    given = {"referrer_client", "referred_client", "prospect_name", "status", "referred_on", "opened_on",
             "created_by"}
    defaults = column_defaults(Referral, given)
    with connection.cursor() as cur:
        cur.execute(
            f"""INSERT INTO referrals_referral (referrer_client_id, referred_client_id, prospect_name, status,
                    referred_on, opened_on, created_by_id, {", ".join(c for c, _v in defaults)})
                SELECT c.referrer_id, c.id, c.name, %s, COALESCE(c.open_date, %s), c.open_date, %s,
                       {", ".join(["%s"] * len(defaults))}
                FROM clients_client c
                WHERE c.id IN ({scope}) AND c.referrer_id IS NOT NULL
                  AND NOT EXISTS (SELECT 1 FROM referrals_referral r WHERE r.referred_client_id = c.id)""",  # noqa: S608
            [ReferralStatus.OPENED.value, timezone.localdate(), by.pk if by else None, *(v for _c, v in defaults),
             *params])
        return cur.rowcount


@transaction.atomic
def relationships_from_import(*, clients, by=None) -> dict:
    """A clients file's intermediary codes and referrer accounts become links and referrals (its clients only).

    Registered as the clients import's hook (see `apps.py`), so it runs in the import's transaction.
    """
    return {"links": intermediary_links_sync(clients=clients, by=by),
            "referrals": referrals_sync_from_clients(clients=clients, by=by)}


@transaction.atomic
def referral_reward_add(*, referral: Referral, by, what: str, given_on: datetime.date,
                        amount: Decimal | None = None) -> ReferralReward:
    """Record a reward given for a referral; the recording user is its approver. Its value is not negative."""
    _require_role(by, REWARD_APPROVERS)
    errors = RuleErrors()
    errors.non_negative("amount", amount)
    errors.date_in_range("given_on", given_on)
    errors.raise_if_any()
    reward = ReferralReward(referral=referral, what=what, given_on=given_on, amount=amount, approved_by=by)
    reward.full_clean()
    reward.save()
    audit_record(actor=by, action="referral.reward", obj=referral, client=referral.referrer_client,
                 after={"what": what, "amount": amount, "given_on": given_on})
    return reward


# ---------------------------------------------------------------- club

@transaction.atomic
def club_membership_set(*, client: Client, by, level: str, status: str,
                        joined_on: datetime.date | None = None) -> ClubMembership:
    """Enrol a client in the club or change its level or status."""
    _require_role(by, CLUB_EDITORS)
    errors = RuleErrors()
    errors.date_in_range("joined_on", joined_on)
    errors.raise_if_any()
    membership = ClubMembership.objects.filter(client=client).first()
    before = snapshot(membership, ["level", "status", "joined_on"]) if membership else {}
    membership = membership or ClubMembership(client=client, joined_on=joined_on or timezone.localdate())
    membership.level, membership.status = level, status
    if joined_on:
        membership.joined_on = joined_on
    membership.full_clean()
    membership.save()
    old, new = diff(before, snapshot(membership, ["level", "status", "joined_on"]))
    if new:
        audit_record(actor=by, action="club.membership", obj=membership, client=client, before=old, after=new)
    return membership
