"""Return visits (回访): the nightly scheduling, recording a visit, and the due/done/overdue report.

A visit is scheduled for a new account in its first month, a low-category investor trading above its level (an
open suitability mismatch alert), a client an intermediary introduced (the 2025 intermediary rules: check what
the intermediary promised) and a complaint once closed. Each opens the client's return-visit task. Problems the
client reports (a promised profit, credit, margins below the rules) open a complaint ticket in the compliance
queue, the same compliance item a client's own complaint is.
"""

import datetime
import json

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef, Subquery
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from clients.choices import AccountStatus, ContactChannel, SuitabilityAlertStatus
from clients.imports.writer_common import column_defaults
from clients.models import Client, SuitabilityAlert
from futures_crm import texts
from futures_crm.audit import audit_record, snapshot
from futures_crm.roles import user_role
from referrals.models import IntermediaryLink

from .choices import (
    OPEN_RETURN_VISIT_STATUSES,
    Priority,
    Queue,
    ReturnVisitProblem,
    ReturnVisitReason,
    ReturnVisitStatus,
    TaskKind,
    TaskStatus,
    TicketStatus,
    TicketType,
)
from .models import ReturnVisit, Ticket
from .roles import RETURN_VISIT_WRITE_ROLES
from .services import task_complete, tasks_upsert_many, ticket_open

# A new account is visited within its first month; the other reasons within a week.
FIRST_MONTH_DAYS = 30
VISIT_WITHIN_DAYS = 7
# A complaint closed this many days back or less is still followed up (a missed night is caught up).
COMPLAINT_LOOKBACK_DAYS = 30


# ---------------------------------------------------------------- scheduling

def _open_clients():
    return Client.objects.exclude(status=AccountStatus.CLOSED).select_related("branch", "account_manager")


def _visited(reason: str, **since):
    return Exists(ReturnVisit.objects.filter(client=OuterRef("pk"), reason=reason, **since))


def _in_first_month(day: datetime.date):
    return _open_clients().filter(open_date__gt=day - datetime.timedelta(days=FIRST_MONTH_DAYS), open_date__lte=day)


def new_account_candidates(*, day: datetime.date):
    """Accounts opened within the last month that were never visited as new accounts."""
    return _in_first_month(day).exclude(_visited(ReturnVisitReason.NEW_ACCOUNT))


def intermediary_candidates(*, day: datetime.date):
    """Clients in their first month with a current intermediary attribution, never visited for it."""
    linked = IntermediaryLink.objects.filter(client=OuterRef("pk"), valid_to__isnull=True)
    return _in_first_month(day).filter(Exists(linked)).exclude(_visited(ReturnVisitReason.INTERMEDIARY))


def suitability_candidates(*, day: datetime.date):
    """Clients with an open mismatch alert and no visit for it since the oldest open alert was raised."""
    since = (SuitabilityAlert.objects.filter(client=OuterRef("pk"), status=SuitabilityAlertStatus.OPEN)
             .order_by("created_at").values("created_at")[:1])
    return (_open_clients().annotate(alert_since=Subquery(since)).filter(alert_since__isnull=False)
            .exclude(_visited(ReturnVisitReason.SUITABILITY, created_at__gte=OuterRef("alert_since"))))


def complaint_candidates(*, day: datetime.date):
    """Complaints closed within the look-back that no visit follows up yet."""
    start = day - datetime.timedelta(days=COMPLAINT_LOOKBACK_DAYS)
    return (Ticket.objects.filter(ticket_type=TicketType.COMPLAINT, status=TicketStatus.CLOSED,
                                  client__isnull=False, updated_at__date__gte=start)
            .exclude(client__status=AccountStatus.CLOSED)
            .exclude(Exists(ReturnVisit.objects.filter(ticket=OuterRef("pk"))))
            .select_related("client__branch", "client__account_manager").order_by("updated_at", "id"))


def _sql(queryset) -> tuple[str, tuple]:
    """A queryset's ids as SQL to select from (the candidates' rules stay in the selectors above)."""
    return queryset.order_by().values("pk").query.sql_with_params()


def _candidates(day: datetime.date) -> tuple[str, list]:
    """The night's new visits as SQL rows (client_id, reason, due_on, ticket_id, rank): each reason's candidates
    but a client already having an open visit for that reason; a client's complaint closed first of the night's.
    `rank` is the order the reasons are taken in."""
    week = day + datetime.timedelta(days=VISIT_WITHIN_DAYS)
    first_month = f"LEAST(%s::date, c.open_date + {FIRST_MONTH_DAYS})"
    no_open = """NOT EXISTS (SELECT 1 FROM service_returnvisit v WHERE v.client_id = {client} AND v.reason = %s
                 AND v.status IN ('due', 'overdue'))"""
    parts, params = [], []
    for rank, (reason, due, queryset) in enumerate([
            (ReturnVisitReason.NEW_ACCOUNT, first_month, new_account_candidates(day=day)),
            (ReturnVisitReason.INTERMEDIARY, first_month, intermediary_candidates(day=day)),
            (ReturnVisitReason.SUITABILITY, "%s::date", suitability_candidates(day=day))]):
        sql, sql_params = _sql(queryset)
        parts.append(f"""SELECT c.id, %s::text, {due}, NULL::bigint, {rank} FROM clients_client c
                         WHERE c.id IN ({sql}) AND {no_open.format(client="c.id")}""")  # noqa: S608
        params += [reason.value, week, *sql_params, reason.value]
    sql, sql_params = _sql(complaint_candidates(day=day))
    parts.append(f"""(SELECT DISTINCT ON (t.client_id) t.client_id, %s::text, %s::date, t.id, 3
                      FROM service_ticket t WHERE t.id IN ({sql}) AND {no_open.format(client="t.client_id")}
                      ORDER BY t.client_id, t.updated_at, t.id)""")  # noqa: S608 - names are constants
    params += [ReturnVisitReason.COMPLAINT.value, week, *sql_params, ReturnVisitReason.COMPLAINT.value]
    return " UNION ALL ".join(parts), params


@transaction.atomic
def schedule_return_visits(*, day: datetime.date) -> dict:
    """The night's return visits, set-based: overdue ones marked, new ones opened (at most one open visit per
    client and reason), each on the client's open return-visit task (one per client, whatever the reason; owned
    by its account manager, else on the branch worklist), opened or brought forward to the earliest new visit's
    due date. A rerun opens nothing new."""
    overdue = ReturnVisit.objects.filter(status=ReturnVisitStatus.DUE, due_on__lt=day).update(
        status=ReturnVisitStatus.OVERDUE, updated_at=timezone.now())
    candidates, params = _candidates(day)
    titles = []
    for reason in ReturnVisitReason.values:
        title = texts.fields(texts.text("task.return_visit", reason=reason), "title")
        titles += [reason, title["title"], title["title_code"], json.dumps(title["title_params"])]
    with connection.cursor() as cur:
        cur.execute("CREATE TEMPORARY TABLE return_visit_new (client_id, reason, due_on, ticket_id, rank) "
                    "ON COMMIT DROP AS " + candidates, params)
        cur.execute("ANALYZE return_visit_new")  # a temporary table has no statistics until told
    # A client's task takes the earliest new visit (the first reason of the earliest); an open task already due
    # by then is kept as it is.
    tasks_upsert_many(
        kind=TaskKind.RETURN_VISIT, source=f"return_visit:{day.isoformat()}",
        rows=f"""SELECT n.client_id, n.due_on, tt.title, tt.code, tt.params::jsonb FROM (
                     SELECT DISTINCT ON (client_id) * FROM return_visit_new ORDER BY client_id, due_on, rank) n
                 JOIN (VALUES {", ".join(["(%s, %s, %s, %s)"] * (len(titles) // 4))})
                      tt (reason, title, code, params)
                   ON tt.reason = n.reason
                 WHERE NOT EXISTS (SELECT 1 FROM service_task t WHERE t.client_id = n.client_id
                                   AND t.kind = %s AND t.status = 'open' AND t.due_on <= n.due_on)""",  # noqa: S608
        params=[*titles, TaskKind.RETURN_VISIT.value])
    given = {"client", "reason", "due_on", "task", "ticket"}
    defaults = column_defaults(ReturnVisit, given)
    with connection.cursor() as cur:
        cur.execute(
            f"""INSERT INTO service_returnvisit (client_id, reason, due_on, task_id, ticket_id,
                                                 {", ".join(c for c, _v in defaults)})
                SELECT n.client_id, n.reason, n.due_on, t.id, n.ticket_id, {", ".join(["%s"] * len(defaults))}
                FROM return_visit_new n
                LEFT JOIN service_task t ON t.client_id = n.client_id AND t.kind = %s AND t.status = 'open'
                ORDER BY n.rank, n.client_id
                ON CONFLICT (client_id, reason) WHERE status IN ('due', 'overdue') DO NOTHING""",  # noqa: S608
            [*(v for _c, v in defaults), TaskKind.RETURN_VISIT.value])
        opened = cur.rowcount
        cur.execute("DROP TABLE return_visit_new")  # a second run in the same transaction (tests) makes its own
    return {"return_visits_opened": opened, "return_visits_overdue": overdue}


# ---------------------------------------------------------------- recording

def _evidence(visit: ReturnVisit, language: str) -> tuple[str, str]:
    """The compliance ticket's subject and description (what was asked, answered and found), written in the
    recorder's language (the page's) as if typed: a ticket's subject is typed text."""
    with translation.override(language):
        found = ", ".join(str(ReturnVisitProblem(p).label) for p in visit.problems)
        lines = [
            _("Return visit #%(id)s (%(reason)s), %(channel)s, %(at)s.") % {
                "id": visit.pk, "reason": visit.get_reason_display(), "channel": visit.get_channel_display(),
                "at": timezone.localtime(visit.done_at).strftime("%Y-%m-%d %H:%M")},
            _("Problems found: %(problems)s") % {"problems": found},
            _("Questions asked: %(text)s") % {"text": visit.questions},
            _("Answers: %(text)s") % {"text": visit.answers},
        ]
        if visit.notes:
            lines.append(_("Notes: %(text)s") % {"text": visit.notes})
        subject = _("Return visit found: %(problems)s") % {"problems": found}
    return subject[:255], "\n".join(lines)


@transaction.atomic
def return_visit_record(*, visit: ReturnVisit, by, channel: str, questions: str, answers: str,
                        problems=(), notes: str = "") -> ReturnVisit:
    """Record a done visit: the account manager of the client, the service desk or compliance. Completes the
    task when no other open visit of the client waits on it; problems found open a compliance ticket."""
    if user_role(by) not in RETURN_VISIT_WRITE_ROLES or \
            not Client.objects.visible_to(by).filter(pk=visit.client_id).exists():
        raise PermissionDenied
    visit = ReturnVisit.objects.select_for_update().get(pk=visit.pk)
    if visit.status not in OPEN_RETURN_VISIT_STATUSES:
        raise ValidationError(_("This return visit is already closed."))
    problems = list(dict.fromkeys(problems))
    errors = {}
    if channel not in ContactChannel.values:
        errors["channel"] = _("Choose a channel.")
    if not questions.strip() or not answers.strip():
        errors["answers"] = _("Write down what was asked and what the client answered.")
    if any(p not in ReturnVisitProblem.values for p in problems):
        errors["problems"] = _("Unknown problem.")
    elif ReturnVisitProblem.OTHER in problems and not notes.strip():
        errors["notes"] = _("Describe the other problem in the notes.")
    if errors:
        raise ValidationError(errors)
    visit.status, visit.done_at, visit.done_by = ReturnVisitStatus.DONE, timezone.now(), by
    visit.channel, visit.questions, visit.answers, visit.problems, visit.notes = (
        channel, questions, answers, problems, notes)
    if problems:
        subject, description = _evidence(visit, translation.get_language() or texts.user_language(by))
        visit.compliance_ticket = ticket_open(
            by=by, ticket_type=TicketType.COMPLAINT, channel=channel, subject=subject, description=description,
            priority=Priority.HIGH, client=visit.client, queue=Queue.COMPLIANCE)
    visit.save()
    task = visit.task
    if task is not None and task.status == TaskStatus.OPEN and not task.return_visits.filter(
            status__in=OPEN_RETURN_VISIT_STATUSES).exists():
        task_complete(task=task, by=by, outcome=answers)
    audit_record(actor=by, action="return_visit.record", obj=visit, client=visit.client,
                 after=snapshot(visit, ["reason", "channel", "problems", "compliance_ticket"]))
    return visit


# ---------------------------------------------------------------- the report

REPORT_STATUSES = [ReturnVisitStatus.DUE, ReturnVisitStatus.OVERDUE, ReturnVisitStatus.DONE]


def return_visit_report(visits) -> list[dict]:
    """Visits due, overdue and done per branch (of `visits`, already scoped and filtered): one row per branch
    with a count per status, in the branch's code order."""
    rows = {}
    counts = (visits.filter(status__in=REPORT_STATUSES)
              .values("client__branch_id", "client__branch__code", "client__branch__name", "status")
              .annotate(n=Count("id")).order_by("client__branch__code"))
    for c in counts:
        row = rows.setdefault(c["client__branch_id"], {
            "branch_id": c["client__branch_id"], "code": c["client__branch__code"],
            "name": c["client__branch__name"], "counts": dict.fromkeys(REPORT_STATUSES, 0)})
        row["counts"][c["status"]] = c["n"]
    return list(rows.values())
