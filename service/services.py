"""Service-desk writes: tasks, tickets, care, prospects, activities, surveys.

Every function is keyword-only, atomic and leaves an audit record. Other apps call
`task_upsert` (the nightly engine opens retention tasks through it).
"""

import datetime
import logging
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Max
from django.template import Context, Template
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from clients.imports.writer_common import column_defaults
from clients.models import AccountSettlement, Client
from clients.suitability import clients_below
from futures_crm import people, texts
from futures_crm.audit import audit_record, diff, snapshot
from futures_crm.roles import API_ONLY_ROLES, Role, user_role
from futures_crm.validation import RuleErrors, planning_horizon
from privacy.choices import ConsentPurpose
from privacy.selectors import clients_without_consent
from privacy.services import consent_refusal

from . import calendar
from .choices import (
    OPEN_TICKET_STATUSES,
    ActivityKind,
    CarePlanKind,
    MessageResult,
    Priority,
    Queue,
    RecipientStatus,
    TaskKind,
    TaskStatus,
    TicketEventKind,
    TicketStatus,
    TicketType,
)
from .messaging import get_backend
from .models import (
    Activity,
    ActivityRecipient,
    CarePlan,
    CommunicationLog,
    DeadlinePolicy,
    MessageTemplate,
    Notification,
    Prospect,
    ProspectGradeChange,
    ProspectVisit,
    Survey,
    Task,
    Ticket,
    TicketEvent,
)
from .selectors import birthday_q

logger = logging.getLogger(__name__)

# ---------------------------------------------------------------- tasks

def _may_own(owner, *, client=None, prospect=None) -> bool:
    """Whether `owner` may own work on this client (or prospect): a staff member of the pages who sees it.

    A task or ticket shows its client to its owner, so naming an owner must not widen who sees a client.
    """
    role = user_role(owner)
    if role is None or role in API_ONLY_ROLES:
        return False
    if client is not None and owner.pk != client.account_manager_id and \
            not Client.objects.visible_to(owner).filter(pk=client.pk).exists():
        return False
    return prospect is None or Prospect.objects.visible_to(owner).filter(pk=prospect.pk).exists()


def _check_owner(errors: RuleErrors, owner, *, client=None, prospect=None) -> None:
    if owner is not None and not _may_own(owner, client=client, prospect=prospect):
        errors.add("owner", _("%(name)s may not see this client: the owner must be a staff member who does.")
                   % {"name": owner.get_username()}, code="owner")


def task_upsert(*, client, kind: str, due_on: datetime.date, owner=None, title: str | texts.Text = "",
                source: str = "", prospect=None) -> Task:
    """Open a task for (client, kind), or update the open one: never two open tasks of a kind.

    A named owner must be a staff member allowed to see the client (or prospect); the due date a real date.
    `title`: as a person typed it, or a generated one (a texts.Text, shown in the reader's language).
    """
    errors = RuleErrors()
    _check_owner(errors, owner, client=client, prospect=prospect)
    errors.date_in_range("due_on", due_on, latest=planning_horizon())
    errors.raise_if_any()
    if client is not None:
        branch = client.branch
        if owner is None:
            owner = client.account_manager
    else:
        branch = prospect.branch if prospect is not None else None
    defaults = {"owner": owner, "branch": branch, "due_on": due_on, "source": source, **texts.fields(title, "title")}
    for _attempt in range(2):
        try:
            with transaction.atomic():
                task, created = Task.objects.update_or_create(
                    client=client, prospect=prospect, kind=kind, status=TaskStatus.OPEN, defaults=defaults
                )
                audit_record(actor=None, action="task.open" if created else "task.update", obj=task,
                             client=client, after={"kind": kind, "due_on": due_on, "source": source})
                return task
        except IntegrityError:
            # A concurrent writer opened it first; the second attempt updates that one.
            continue
    raise RuntimeError("task_upsert: could not open or update the task")


def tasks_upsert_many(*, kind: str, rows: str, params, source: str) -> int:
    """`task_upsert` for many clients in one statement; returns how many tasks were opened or updated.

    `rows` (with its positional `params`) is a SELECT of (client_id, due_on, title, title_code, title_params), one
    row per client. As task_upsert without a named owner: the task goes to the client's account manager (none: its
    branch's worklist); the open task of (client, kind) is updated, else one is opened; each gets its audit entry.
    """
    given = {"client", "kind", "owner", "branch", "due_on", "source", "title", "title_code", "title_params"}
    defaults = column_defaults(Task, given)
    # Each row finds its open task once, through the (client, kind) index, as it is built: the update joins on the
    # task's id and the insert takes the rows without one. Joined on (client_id, kind) instead, the planner went
    # by service_task's statistics: taken before the night's tasks were written they saw no task of the kind,
    # so it looped over every open task of the kind for each row (20,000 x 35,000 at 100,000 clients).
    with connection.cursor() as cur:
        cur.execute(
            f"""WITH r (client_id, due_on, title, title_code, title_params) AS ({rows}),
                c AS (SELECT r.*, cl.account_manager_id AS owner_id, cl.branch_id,
                             (SELECT t.id FROM service_task t WHERE t.client_id = r.client_id AND t.kind = %s
                                AND t.status = 'open') AS task_id
                      FROM r JOIN clients_client cl ON cl.id = r.client_id),
                updated AS (
                    UPDATE service_task t SET owner_id = c.owner_id, branch_id = c.branch_id, due_on = c.due_on,
                        source = %s, title = left(c.title, 255), title_code = c.title_code,
                        title_params = c.title_params, updated_at = now()
                    FROM c WHERE t.id = c.task_id
                    RETURNING t.id, t.client_id, t.due_on, 'task.update' AS action),
                opened AS (
                    INSERT INTO service_task (client_id, kind, owner_id, branch_id, due_on, source, title,
                                              title_code, title_params, {", ".join(c for c, _v in defaults)})
                    SELECT c.client_id, %s, c.owner_id, c.branch_id, c.due_on, %s, left(c.title, 255),
                           c.title_code, c.title_params, {", ".join(["%s"] * len(defaults))}
                    FROM c WHERE c.task_id IS NULL
                    ON CONFLICT (client_id, kind) WHERE status = 'open' DO NOTHING
                    RETURNING id, client_id, due_on, 'task.open' AS action)
                INSERT INTO futures_crm_auditentry (at, actor_id, action, object_type, object_id, client_id, before,
                                                    after, reason)
                SELECT now(), NULL, w.action, %s, w.id::text, w.client_id, '{{}}'::jsonb,
                       jsonb_build_object('kind', %s::text, 'due_on', to_char(w.due_on, 'YYYY-MM-DD'),
                                          'source', %s::text), ''
                FROM (SELECT * FROM updated UNION ALL SELECT * FROM opened) w""",  # noqa: S608 - names are constants
            [*params, kind, source, kind, source, *(v for _c, v in defaults),
             Task._meta.label_lower, kind, source])
        return cur.rowcount


@transaction.atomic
def task_complete(*, task: Task, by, outcome: str, status: str = TaskStatus.DONE) -> Task:
    """Close a task as done (or cancelled) with what came of it."""
    if task.status != TaskStatus.OPEN:
        raise ValidationError(_("This task is already closed."))
    if status not in (TaskStatus.DONE, TaskStatus.CANCELLED):
        raise ValidationError(_("A task is closed as done or cancelled."))
    task.status, task.outcome, task.done_at = status, outcome, timezone.now()
    task.save(update_fields=["status", "outcome", "done_at", "updated_at"])
    audit_record(actor=by, action="task.complete", obj=task, client=task.client,
                 after={"status": status, "outcome": outcome})
    return task


# ---------------------------------------------------------------- tickets

# Used when no policy row exists for a type and priority.
DEFAULT_DEADLINE = (2, "trading_days")

TRANSITIONS = {
    TicketStatus.NEW: {TicketStatus.IN_PROGRESS, TicketStatus.WAITING, TicketStatus.RESOLVED},
    TicketStatus.IN_PROGRESS: {TicketStatus.WAITING, TicketStatus.RESOLVED},
    TicketStatus.WAITING: {TicketStatus.IN_PROGRESS, TicketStatus.RESOLVED},
    # Reopening goes back to work in progress.
    TicketStatus.RESOLVED: {TicketStatus.CLOSED, TicketStatus.IN_PROGRESS},
    TicketStatus.CLOSED: {TicketStatus.IN_PROGRESS},
}


def ticket_deadline(*, ticket_type: str, priority: str, opened_at: datetime.datetime) -> datetime.datetime:
    """The answer-by time from the policy for this type and priority."""
    policy = DeadlinePolicy.objects.filter(ticket_type=ticket_type, priority=priority).first()
    amount, unit = (policy.amount, policy.unit) if policy else DEFAULT_DEADLINE
    return calendar.add_period(opened_at, amount, unit)


@transaction.atomic
def deadline_policy_set(*, ticket_type: str, priority: str, amount: int, unit: str, by) -> DeadlinePolicy:
    """Set how long tickets of a type and priority may stay open (applies to tickets opened afterwards)."""
    policy = DeadlinePolicy.objects.filter(ticket_type=ticket_type, priority=priority).first()
    before = {"amount": policy.amount, "unit": policy.unit} if policy else {}
    policy = policy or DeadlinePolicy(ticket_type=ticket_type, priority=priority)
    policy.amount, policy.unit = amount, unit
    policy.full_clean()
    policy.save()
    if before != {"amount": amount, "unit": unit}:
        audit_record(actor=by, action="deadline_policy.set", obj=policy, before=before,
                     after={"amount": amount, "unit": unit})
    return policy


def ticket_route(*, ticket_type: str, client) -> tuple[str, object]:
    """(queue, owner) for a new ticket: complaints to compliance, the rest to the manager or the desk."""
    if ticket_type == TicketType.COMPLAINT:
        return Queue.COMPLIANCE, None
    if client is not None and client.account_manager_id:
        return Queue.ACCOUNT_MANAGER, client.account_manager
    return Queue.SERVICE_DESK, None


def _event(ticket, by, kind, text: str | texts.Text = "", from_status="", to_status=""):
    return TicketEvent.objects.create(ticket=ticket, by=by if getattr(by, "is_authenticated", False) else None,
                                      kind=kind, from_status=from_status, to_status=to_status,
                                      **texts.fields(text, "text"))


@transaction.atomic
def ticket_open(*, by, ticket_type: str, channel: str, subject: str, description: str = "",
                priority: str = Priority.NORMAL, client=None, caller_phone: str = "", queue: str | None = None,
                owner=None, opened_at: datetime.datetime | None = None) -> Ticket:
    """Record a consultation, complaint, change request or suggestion, routed and with its deadline."""
    opened_at = opened_at or timezone.now()
    routed_queue, routed_owner = ticket_route(ticket_type=ticket_type, client=client)
    ticket = Ticket(
        client=client, ticket_type=ticket_type, channel=channel, priority=priority, subject=subject,
        description=description, caller_phone=caller_phone, opened_by=by,
        queue=queue or routed_queue, owner=owner if owner is not None else (None if queue else routed_owner),
        deadline=ticket_deadline(ticket_type=ticket_type, priority=priority, opened_at=opened_at),
    )
    ticket.full_clean()
    ticket.save()
    _event(ticket, by, TicketEventKind.CREATED, description)
    audit_record(actor=by, action="ticket.open", obj=ticket, client=client,
                 after=snapshot(ticket, ["ticket_type", "channel", "priority", "queue", "owner", "deadline"]))
    return ticket


@transaction.atomic
def ticket_transition(*, ticket: Ticket, to_status: str, by, note: str = "") -> Ticket:
    """Move a ticket along new → in progress → waiting → resolved → closed (reopen allowed)."""
    current = TicketStatus(ticket.status)
    if to_status not in TRANSITIONS[current]:
        raise ValidationError(
            _("A ticket cannot go from “%(from)s” to “%(to)s”.")
            % {"from": current.label, "to": TicketStatus(to_status).label if to_status in TicketStatus else to_status}
        )
    if to_status == TicketStatus.RESOLVED and not note.strip():
        raise ValidationError(_("Say how the ticket was resolved."))
    ticket.status = to_status
    if to_status == TicketStatus.RESOLVED:
        ticket.resolved_at = timezone.now()
    elif to_status == TicketStatus.IN_PROGRESS and current in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
        ticket.resolved_at = None
        ticket.satisfaction = None
    ticket.save(update_fields=["status", "resolved_at", "satisfaction", "updated_at"])
    _event(ticket, by, TicketEventKind.STATUS, note, from_status=current, to_status=to_status)
    audit_record(actor=by, action="ticket.status", obj=ticket, client=ticket.client,
                 before={"status": current}, after={"status": to_status}, reason=note)
    return ticket


@transaction.atomic
def ticket_comment(*, ticket: Ticket, by, text: str, reply: bool = False) -> TicketEvent:
    """Add an internal note or a reply to the client to the timeline."""
    if not text.strip():
        raise ValidationError(_("Write something first."))
    event = _event(ticket, by, TicketEventKind.REPLY if reply else TicketEventKind.NOTE, text)
    audit_record(actor=by, action="ticket.reply" if reply else "ticket.note", obj=ticket, client=ticket.client)
    return event


@transaction.atomic
def ticket_assign(*, ticket: Ticket, by, owner=None, queue: str | None = None, reason: str = "") -> Ticket:
    """Give the ticket to a person and/or a queue; the move is on the timeline and in the audit trail."""
    fields = ["owner", "queue"]
    before = snapshot(ticket, fields)
    ticket.owner = owner
    if queue:
        ticket.queue = queue
    ticket.save(update_fields=["owner", "queue", "updated_at"])
    old, new = diff(before, snapshot(ticket, fields))
    if new:
        _event(ticket, by, TicketEventKind.ASSIGN, texts.text("ticket.assigned", queue=ticket.queue, reason=reason,
                                                              owner=people.display_name(owner, "")))
        audit_record(actor=by, action="ticket.reassign", obj=ticket, client=ticket.client, before=old, after=new,
                     reason=reason)
    return ticket


@transaction.atomic
def ticket_link_client(*, ticket: Ticket, client: Client, by) -> Ticket:
    """Attach an unknown caller's ticket to the client once identified; routing follows the client."""
    if ticket.client_id:
        raise ValidationError(_("This ticket already belongs to a client."))
    ticket.client = client
    fields = ["client"]
    if ticket.owner_id is None and ticket.queue == Queue.SERVICE_DESK:
        ticket.queue, ticket.owner = ticket_route(ticket_type=ticket.ticket_type, client=client)
        fields += ["queue", "owner"]
    ticket.save(update_fields=[*fields, "updated_at"])
    _event(ticket, by, TicketEventKind.ASSIGN, str(client))
    audit_record(actor=by, action="ticket.link_client", obj=ticket, client=client, after={"client": client.pk})
    return ticket


def notifications_mark_read(*, user, ids=None) -> int:
    """Mark a user's notifications read (all of them, or the given ids)."""
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=timezone.now())


@transaction.atomic
def ticket_record_satisfaction(*, ticket: Ticket, by, score: int) -> Ticket:
    """The client's satisfaction (0–10) once the ticket is resolved."""
    if ticket.status not in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
        raise ValidationError(_("Satisfaction is asked after the ticket is resolved."))
    if not 0 <= int(score) <= 10:
        raise ValidationError({"score": _("Satisfaction is a score from 0 to 10.")})
    ticket.satisfaction = int(score)
    ticket.save(update_fields=["satisfaction", "updated_at"])
    _event(ticket, by, TicketEventKind.SATISFACTION, str(score))
    audit_record(actor=by, action="ticket.satisfaction", obj=ticket, client=ticket.client,
                 after={"satisfaction": ticket.satisfaction})
    return ticket


def _branch_managers(branch_id):
    return get_user_model().objects.filter(
        staff_profile__role=Role.BRANCH_MANAGER, staff_profile__branch_id=branch_id, staff_profile__is_active=True,
        is_active=True,
    )


def tickets_escalate_overdue(*, at: datetime.datetime) -> int:
    """Flag open tickets past their deadline and tell the owner's branch manager (once per ticket)."""
    overdue = (Ticket.objects.filter(status__in=OPEN_TICKET_STATUSES, deadline__lt=at, escalated_at__isnull=True)
               .select_related("owner__staff_profile", "client"))
    count = 0
    for ticket in overdue.iterator(chunk_size=500):
        with transaction.atomic():
            # Claim it first so two beat runs never notify twice.
            if not Ticket.objects.filter(pk=ticket.pk, escalated_at__isnull=True).update(escalated_at=at):
                continue
            profile = getattr(ticket.owner, "staff_profile", None) if ticket.owner_id else None
            branch_id = profile.branch_id if profile and profile.branch_id else (
                ticket.client.branch_id if ticket.client_id else None)
            managers = list(_branch_managers(branch_id)) if branch_id else []
            message = texts.text("notification.ticket_overdue", id=ticket.pk, subject=ticket.subject,
                                 deadline=timezone.localtime(ticket.deadline).strftime("%Y-%m-%d %H:%M"))
            Notification.objects.bulk_create([Notification(recipient=m, ticket=ticket,
                                                           **texts.fields(message, "message")) for m in managers])
            _event(ticket, None, TicketEventKind.ESCALATED,
                   texts.text("ticket.escalated", notified=[people.display_name(m) for m in managers]))
            audit_record(actor=None, action="ticket.escalate", obj=ticket, client=ticket.client,
                         after={"escalated_at": at, "notified": [m.pk for m in managers]})
            for manager in (m for m in managers if m.email):  # each in the recipient's language
                language = texts.user_language(manager)
                with translation.override(language):
                    subject, body = str(_("Overdue ticket")), message.in_language(language)
                transaction.on_commit(lambda to=manager.email, subject=subject, body=body: send_mail(
                    subject, body, settings.DEFAULT_FROM_EMAIL, [to], fail_silently=True))
            count += 1
    return count


# ---------------------------------------------------------------- messages and care

def message_render(*, template: MessageTemplate, client: Client, language: str = "zh-hans") -> tuple[str, str]:
    """(subject, body) of a template for a client, in `language` (Chinese when no English text)."""
    english = language.startswith("en") and template.body_en
    subject = template.subject_en if english else template.subject_zh
    body = template.body_en if english else template.body_zh
    manager = client.account_manager
    ctx = Context({"client": client, "manager": getattr(getattr(manager, "staff_profile", None), "display_name", "")})
    with translation.override(language):
        return Template(subject).render(ctx).strip(), Template(body).render(ctx).strip()


def message_send(*, client: Client, channel: str, by=None, template: MessageTemplate | None = None,
                 subject: str = "", body: str = "", occasion: str = "", language: str = "zh-hans",
                 purpose: str = "service", product=None):
    """Send one message if the client accepts the channel; every attempt lands in the communications log.
    A message naming the `product` it promotes is not sent to a client below the product's risk level.

    Returns the log entry, or None when this occasion's message was already sent. A message has a template
    or a text.
    """
    if template is None and not (body or "").strip():
        raise ValidationError({"body": _("Choose a template or write the text.")})
    if template is not None:
        subject, body = message_render(template=template, client=client, language=language)
    address = client.email if channel == "email" else client.phone
    # The newest consent record for this channel and purpose decides (privacy app); a refusal says why.
    if refusal := consent_refusal(client, channel, purpose):
        result, detail = MessageResult.REFUSED, refusal
    elif product is not None and clients_below(product.risk_level).filter(pk=client.pk).exists():
        result, detail = MessageResult.UNSUITABLE, str(texts.Text("activity.refusal", {
            "level": product.risk_level, "client_level": client.risk_level or "C1"}))
    elif not address:
        result, detail = MessageResult.NO_ADDRESS, ""
    else:
        result, detail = MessageResult.SENT, ""
    entry = CommunicationLog(client=client, channel=channel, template=template, subject=subject, body=body,
                             by=by if getattr(by, "is_authenticated", False) else None, result=result,
                             occasion=occasion, detail=detail)
    try:
        with transaction.atomic():
            entry.save()
    except IntegrityError:
        return None
    if result == MessageResult.SENT:
        try:
            if channel == "email":
                send_mail(subject or body[:60], body, settings.DEFAULT_FROM_EMAIL, [address])
                detail = "email"
            else:
                detail = get_backend().send(to=address, channel=channel, subject=subject, body=body)
        except Exception as exc:  # noqa: BLE001 — a gateway failure is recorded, never raised at the caller
            entry.result, detail = MessageResult.FAILED, str(exc)[:255]
        entry.detail = (detail or "")[:255]
        entry.save(update_fields=["result", "detail"])
    audit_record(actor=by, action="message.send", obj=entry, client=client, after={
        "channel": channel, "purpose": purpose, "result": entry.result, "product": str(product or "")})
    return entry


def _care(plan: CarePlan, clients, *, task_due: datetime.date | None, occasion: str, send: bool,
          title: texts.Text | str):
    """Open care tasks for `clients` (due `task_due`) and/or send the plan's greeting; returns counts."""
    tasks = messages = 0
    for client in clients.select_related("account_manager__staff_profile", "branch").iterator(chunk_size=500):
        if task_due is not None and (not plan.key_clients_only or client.is_key):
            task_upsert(client=client, kind=TaskKind.CARE, due_on=task_due, title=title, source=f"care:{occasion}")
            tasks += 1
        if send and plan.template_id and message_send(client=client, channel=plan.channel, template=plan.template,
                                                      occasion=occasion):
            messages += 1
    return tasks, messages


def care_run(*, on: datetime.date) -> dict:
    """Run every active care plan for day `on`; idempotent (tasks upsert, one message per occasion)."""
    active = Client.objects.filter(status="active")
    counts = {}
    for plan in CarePlan.objects.filter(active=True).select_related("template"):
        ahead = on + datetime.timedelta(days=plan.days_ahead)
        tasks = messages = 0
        if plan.kind == CarePlanKind.BIRTHDAY:
            t, _m = _care(plan, active.filter(birthday_q(ahead)), task_due=ahead, send=False,
                          occasion=f"birthday:{ahead}", title=texts.text("task.care.birthday", date=ahead))
            _t, m = _care(plan, active.filter(birthday_q(on)), task_due=None, send=True,
                          occasion=f"birthday:{on}", title="")
            tasks, messages = t, m
        elif plan.kind in (CarePlanKind.SPRING_FESTIVAL, CarePlanKind.MID_AUTUMN, CarePlanKind.NATIONAL_DAY):
            if ahead == calendar.holiday_date(plan.kind, ahead.year):
                tasks, _m = _care(plan, active, task_due=ahead, send=False, occasion=f"{plan.kind}:{ahead}",
                                  title=texts.text("task.care.occasion", kind=plan.kind))
            if on == calendar.holiday_date(plan.kind, on.year):
                _t, messages = _care(plan, active, task_due=None, send=True, occasion=f"{plan.kind}:{on}", title="")
        else:
            # Settlement days whose facts arrived by `on`: the day before, or the last trading day.
            since = on - datetime.timedelta(days=max(plan.days_ahead, 1) + 3)
            days = AccountSettlement.objects.filter(trade_date__gt=since, trade_date__lte=on)
            if plan.kind == CarePlanKind.MARGIN_CALL:
                days = days.filter(margin_call__gt=0)
            else:
                days = days.filter(pre_balance__gt=0).filter(
                    **{"close_profit__lt": -F("pre_balance") * plan.loss_ratio - F("position_profit")})
            for trade_date, ids in _group_by_date(days):
                t, m = _care(plan, active.filter(pk__in=ids), task_due=on + datetime.timedelta(days=1), send=True,
                             occasion=f"{plan.kind}:{trade_date}", title=texts.text("task.care.occasion",
                                                                                     kind=plan.kind))
                tasks += t
                messages += m
        counts[plan.kind] = {"tasks": tasks, "messages": messages}
    return counts


def _group_by_date(settlements):
    by_date: dict = {}
    for trade_date, client_id in settlements.values_list("trade_date", "client_id"):
        by_date.setdefault(trade_date, []).append(client_id)
    return sorted(by_date.items())


# ---------------------------------------------------------------- prospects

PROSPECT_FIELDS = ["name", "phone", "email", "grade", "source", "owner", "branch", "referrer", "intermediary_code",
                   "notes"]


@transaction.atomic
def prospect_create(*, by, name: str, source: str, grade: str = "F", owner=None, **fields) -> Prospect:
    """Record a prospect; the grade history starts with its first grade."""
    from clients.identity import normalise_phone

    owner = owner or by
    if fields.get("phone"):
        fields["phone"] = normalise_phone(fields["phone"])
    branch = fields.pop("branch", None) or getattr(getattr(owner, "staff_profile", None), "branch", None)
    prospect = Prospect(name=name, source=source, grade=grade, owner=owner, branch=branch, **fields)
    prospect.full_clean()
    prospect.save()
    ProspectGradeChange.objects.create(prospect=prospect, to_grade=grade, by=by,
                                       **texts.fields(texts.text("prospect.first_grade"), "reason"))
    audit_record(actor=by, action="prospect.create", obj=prospect, after=snapshot(prospect, PROSPECT_FIELDS))
    return prospect


@transaction.atomic
def prospect_grade(*, prospect: Prospect, by, grade: str, reason: str = "") -> Prospect:
    """Change a prospect's grade, keeping the history."""
    if grade == prospect.grade:
        return prospect
    ProspectGradeChange.objects.create(prospect=prospect, from_grade=prospect.grade, to_grade=grade, by=by,
                                       reason=reason)
    audit_record(actor=by, action="prospect.grade", obj=prospect, before={"grade": prospect.grade},
                 after={"grade": grade}, reason=reason)
    prospect.grade = grade
    prospect.save(update_fields=["grade", "updated_at"])
    return prospect


@transaction.atomic
def prospect_visit_add(*, prospect: Prospect, by, said: str, **fields) -> ProspectVisit:
    """Log a visit or call to a prospect (not in the future: a log is of what happened)."""
    visit = ProspectVisit(prospect=prospect, by=by, said=said, **fields)
    errors = RuleErrors()
    errors.happened("at", visit.at, _("A visit cannot be logged in the future."))
    errors.raise_if_any()
    visit.full_clean()
    visit.save()
    audit_record(actor=by, action="prospect.visit", obj=prospect, after={"visit": visit.pk})
    return visit


@transaction.atomic
def prospect_convert(*, prospect: Prospect, client: Client, by) -> Prospect:
    """Link a prospect to the account it opened; visits, grades and the referral stay with it."""
    from clients.services import client_record_origin

    if prospect.client_id:
        raise ValidationError(_("This prospect is already linked to an account."))
    if Prospect.objects.filter(client=client).exists():
        raise ValidationError(_("This account is already linked to another prospect."))
    prospect.client, prospect.converted_at = client, timezone.now()
    prospect.save(update_fields=["client", "converted_at", "updated_at"])
    missing_referrer = prospect.referrer_id and not client.referrer_id
    if missing_referrer or (prospect.intermediary_code and not client.intermediary_code):
        client_record_origin(client=client, by=by, referrer=prospect.referrer,
                             intermediary_code=prospect.intermediary_code,
                             reason=texts.text("audit.prospect_conversion"))
    # Open follow-ups move with the person.
    Task.objects.filter(prospect=prospect, status=TaskStatus.OPEN).exclude(
        kind__in=Task.objects.filter(client=client, status=TaskStatus.OPEN).values("kind")
    ).update(client=client)
    audit_record(actor=by, action="prospect.convert", obj=prospect, client=client, after={"client": client.pk})
    return prospect


# ---------------------------------------------------------------- activities and campaigns


@transaction.atomic
def activity_create(*, by, kind: str, title: str, held_on: datetime.date, place: str = "",
                    cost: Decimal = Decimal("0"), description: str = "", products=()) -> Activity:
    """Plan an activity (training, seminar, briefing, push, mailing, gift, survey): a real date, a cost not
    below zero; `products` it promotes, if any (invitations then respect each recipient's suitability)."""
    errors = RuleErrors()
    errors.non_negative("cost", cost)
    errors.date_in_range("held_on", held_on, latest=planning_horizon())
    errors.raise_if_any()
    activity = Activity(kind=kind, title=title, held_on=held_on, place=place, cost=Decimal(cost),
                        description=description, created_by=by)
    activity.full_clean()
    activity.save()
    activity.products.set(products)
    audit_record(actor=by, action="activity.create", obj=activity,
                 after={**snapshot(activity, ["kind", "title", "held_on", "place", "cost"]),
                        "products": sorted(str(p) for p in products)})
    return activity


@transaction.atomic
def activity_target(*, activity: Activity, by, filters: dict) -> int:
    """Add the clients the filters choose (client-list filters plus `product`) to the recipients; returns the count."""
    from .selectors import campaign_clients

    queryset = campaign_clients(user=by, filters=filters).values("id")
    sql, params = queryset.query.sql_with_params()
    now = timezone.now()
    table = ActivityRecipient._meta.db_table
    # One INSERT … SELECT: the recipient list can be tens of thousands of clients.
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (activity_id, client_id, status, response, created_at, updated_at) "  # noqa: S608
            f"SELECT %s, sub.id, %s, '', %s, %s FROM ({sql}) sub "
            f"ON CONFLICT (activity_id, client_id) DO NOTHING",
            [activity.pk, RecipientStatus.SELECTED, now, now, *params],
        )
        added = cursor.rowcount
    activity.target_filters = {k: v for k, v in filters.items() if v not in ("", None)}
    activity.save(update_fields=["target_filters", "updated_at"])
    audit_record(actor=by, action="activity.target", obj=activity,
                 after={"filters": activity.target_filters, "added": added})
    return added


@transaction.atomic
def activity_target_prospects(*, activity: Activity, by, filters: dict) -> int:
    """Add the prospects (准客户) the prospect-list filters choose to the recipients; returns the count.

    Only prospects `by` sees (an account manager their own, a branch manager their branch's) and not yet
    converted: a prospect who opened an account is a client and is targeted as one. A filter the list does not
    know, or a value it cannot read, is refused by name (dropped, it would widen the target)."""
    from .filtersets import ProspectFilterSet

    data = {k: v for k, v in filters.items() if v not in ("", None)}
    filterset = ProspectFilterSet(data, queryset=Prospect.objects.visible_to(by).filter(client__isnull=True))
    unknown = sorted(set(data) - set(filterset.filters))
    if unknown:
        raise ValidationError({key: _("There is no prospect filter of this name.") for key in unknown})
    if not filterset.is_valid():
        raise ValidationError(filterset.errors)
    have = ActivityRecipient.objects.filter(activity=activity, prospect__isnull=False).values("prospect_id")
    now = timezone.now()
    added = ActivityRecipient.objects.bulk_create(
        [ActivityRecipient(activity=activity, prospect_id=pk, status=RecipientStatus.SELECTED, created_at=now,
                           updated_at=now)
         for pk in filterset.qs.exclude(pk__in=have).order_by().values_list("pk", flat=True)],
        batch_size=1000)
    audit_record(actor=by, action="activity.target_prospects", obj=activity,
                 after={"filters": data, "added": len(added)})
    return len(added)


@transaction.atomic
def recipient_record(*, recipient: ActivityRecipient, by, status: str, response: str = "") -> ActivityRecipient:
    """Record an invitation, attendance or a client's (or prospect's) response."""
    before = snapshot(recipient, ["status", "response"])
    recipient.status = status
    if response:
        recipient.response = response
    recipient.full_clean()
    recipient.save(update_fields=["status", "response", "updated_at"])
    old, new = diff(before, snapshot(recipient, ["status", "response"]))
    audit_record(actor=by, action="activity.recipient", obj=recipient, client=recipient.client, before=old, after=new)
    return recipient


@transaction.atomic
def activity_invite(*, activity: Activity, by, channel: str | None = None, template=None) -> texts.Text:
    """Mark selected recipients invited; with a channel and template, send each an invitation.

    When the activity promotes products, a recipient whose suitability level is below the highest of their risk
    levels is not invited: marked refused with the reason (nothing dropped silently). With a channel, a recipient
    whose newest consent for that channel and the invitation's purpose (marketing; research for a report push) is
    not a given one is refused likewise, and nothing is sent to it. Returns the result's text (params `invited`,
    `refused`, `level`, `no_consent`)."""
    selected = activity.recipients.filter(status=RecipientStatus.SELECTED)
    level = activity.products.aggregate(top=Max("risk_level"))["top"]  # "R1" < … < "R5" as text
    now = timezone.now()
    refused = no_consent = 0
    if level:
        # A prospect has no suitability assessment: left out of a product's promotion above R1, as an
        # unassessed client is (C1).
        if level > "R1":
            reason = texts.Text("activity.prospect_refusal", {"level": level})
            refused += selected.filter(prospect__isnull=False).update(
                status=RecipientStatus.REFUSED, **texts.fields(reason, "refusal"), updated_at=now)
        below = selected.filter(client__in=clients_below(level))
        # Unassessed clients count as C1 (the matching's rule); one UPDATE per client level.
        for client_level in set(below.values_list("client__risk_level", flat=True)):
            reason = texts.Text("activity.refusal", {"level": level, "client_level": client_level or "C1"})
            refused += below.filter(client__risk_level=client_level).update(
                status=RecipientStatus.REFUSED, **texts.fields(reason, "refusal"), updated_at=now)
    purpose = ConsentPurpose.RESEARCH if activity.kind == ActivityKind.REPORT_PUSH else ConsentPurpose.MARKETING
    if channel:
        reason = texts.Text("activity.no_consent", {"channel": channel, "purpose": purpose})
        no_consent = selected.filter(client__in=clients_without_consent(channel, purpose)).update(
            status=RecipientStatus.REFUSED, **texts.fields(reason, "refusal"), updated_at=now)
        # Consent records belong to a client: a prospect has none, so nothing is sent to it through a channel
        # (invited without a channel, in person or by a call the manager records, it may be).
        reason = texts.Text("activity.prospect_no_consent", {"channel": channel})
        no_consent += selected.filter(prospect__isnull=False).update(
            status=RecipientStatus.REFUSED, **texts.fields(reason, "refusal"), updated_at=now)
    count = 0
    for recipient in selected.select_related("client").iterator(chunk_size=500):
        if channel and template is not None:
            message_send(client=recipient.client, channel=channel, template=template, by=by,
                         occasion=f"activity:{activity.pk}", purpose=purpose)
        count += 1
    selected.update(status=RecipientStatus.INVITED, updated_at=timezone.now())
    audit_record(actor=by, action="activity.invite", obj=activity,
                 after={"invited": count, "refused": refused, "level": level or "", "no_consent": no_consent,
                        "channel": channel or ""})
    params = {"invited": count, "refused": refused, "level": level or "", "no_consent": no_consent}
    if no_consent:
        return texts.Text("activity.invited_no_consent", params | {"channel": channel, "purpose": purpose})
    if refused:
        return texts.Text("activity.invited_refused", params)
    return texts.Text("activity.invited", params)


# ---------------------------------------------------------------- surveys


@transaction.atomic
def survey_record(*, client: Client, by, answered_on: datetime.date | None = None, satisfaction: int | None = None,
                  trades_elsewhere: bool | None = None, suggestion: str = "", comments: str = "",
                  activity: Activity | None = None) -> Survey:
    """Record a client's survey answers."""
    if satisfaction is not None and not 0 <= int(satisfaction) <= 10:
        raise ValidationError({"satisfaction": _("Satisfaction is a score from 0 to 10.")})
    errors = RuleErrors()
    errors.date_in_range("answered_on", answered_on)
    errors.raise_if_any()
    survey = Survey(client=client, by=by, answered_on=answered_on or timezone.localdate(), satisfaction=satisfaction,
                    trades_elsewhere=trades_elsewhere, suggestion=suggestion, comments=comments, activity=activity)
    survey.full_clean()
    survey.save()
    audit_record(actor=by, action="survey.record", obj=survey, client=client,
                 after=snapshot(survey, ["satisfaction", "trades_elsewhere", "suggestion"]))
    if activity is not None:
        ActivityRecipient.objects.filter(activity=activity, client=client).update(
            response=suggestion or comments, updated_at=timezone.now())
    return survey
