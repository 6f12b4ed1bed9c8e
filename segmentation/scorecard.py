"""The account-manager scorecard (客户经理考核): monthly figures per manager read from the stored indicator
snapshots (never recomputed from settlement), the monthly targets a branch manager sets, progress and ranking.

Stocks (clients, equity under care, retention, overdue tasks) are the month's last snapshot; flows (new accounts,
reactivations, net commission, contacts, tasks created, tickets) are sums over the month's days; churn is the
growth of the churned count since the previous month's last snapshot; satisfaction the average of the days.
Tasks done on time are read from the tasks themselves (one grouped query): of the tasks of the manager's clients
due in the month (cancelled ones aside), the share done by their due date (Asia/Shanghai day).
"""

import datetime
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Count, Max
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from futures_crm import scorecards
from futures_crm.roles import FIRM_WIDE_ROLES, Role, user_role
from futures_crm.scorecards import (  # noqa: F401 - the pages and the API read them here
    COUNT,
    FRACTION,
    MONEY,
    SCORE,
    Figure,
    add_months,
    month_start,
    parse_month,
    progress,
)

from .models import IndicatorSnapshot, ScorecardTarget
from .selectors import manager_code

FIGURES = [
    Figure("new", _("New accounts"), COUNT, target=True),
    Figure("clients", _("Clients under care"), COUNT),
    Figure("equity", _("Equity under care"), MONEY, target=True),
    Figure("net_commission", _("Net commission"), MONEY, target=True),
    Figure("retention_rate", _("Retention rate"), FRACTION, target=True),
    Figure("churned", _("Churned in the month"), COUNT),
    Figure("reactivated", _("Reactivated dormant clients"), COUNT),
    Figure("tasks_created", _("Tasks created"), COUNT),
    Figure("overdue_tasks", _("Overdue tasks at month end"), COUNT),
    Figure("tasks_due", _("Tasks due in the month"), COUNT),
    Figure("tasks_on_time_rate", _("Tasks done on time"), FRACTION, target=True),
    Figure("tickets_within_deadline_rate", _("Tickets resolved within deadline"), FRACTION),
    Figure("avg_satisfaction", _("Average satisfaction"), SCORE),
    Figure("contacts", _("Contacts logged"), COUNT, target=True),
]
FIGURE_KEYS = [f.key for f in FIGURES]
TARGET_KEYS = [f.key for f in FIGURES if f.target]
# The figures the scorecard links to the client list (?figure=…), named in the list's banner (the task and ticket
# lists name theirs: service.views; the links: scorecard_views.figure_links).
CLIENT_FIGURES = {
    "scorecard_new": _("New accounts opened %(opened_from)s – %(opened_to)s"),
    "scorecard_clients": _("Clients under care on %(under_care_on)s"),
}
# Lower is better for these when ranking.
ASCENDING = {"churned", "overdue_tasks"}
TARGET_ROLES = {Role.ADMIN, Role.HEAD_OFFICE, Role.BRANCH_MANAGER}
SCORECARD_ROLES = {Role.ADMIN, Role.HEAD_OFFICE, Role.COMPLIANCE, Role.MARKETING, Role.BRANCH_MANAGER,
                   Role.ACCOUNT_MANAGER}
RATE = Decimal("0.0001")

_MONTHLY_SQL = """
WITH days AS (
    SELECT code, on_date, date_trunc('month', on_date)::date AS month, new, reactivated, contacts, tasks_created,
           net_commission, tickets_resolved, tickets_within_deadline, avg_satisfaction, clients, equity, churned,
           retention_rate, overdue_tasks,
           row_number() OVER (PARTITION BY code, date_trunc('month', on_date) ORDER BY on_date DESC) AS from_end
    FROM segmentation_indicatorsnapshot
    WHERE scope = 'manager' AND code = ANY(%(codes)s) AND on_date >= %(start)s AND on_date < %(end)s
), months AS (
    SELECT code, month, sum(new) AS new, sum(reactivated) AS reactivated, sum(contacts) AS contacts,
           sum(tasks_created) AS tasks_created, sum(net_commission) AS net_commission,
           sum(tickets_resolved) AS tickets_resolved, sum(tickets_within_deadline) AS tickets_within_deadline,
           round(avg(avg_satisfaction), 2) AS avg_satisfaction,
           max(clients) FILTER (WHERE from_end = 1) AS clients, max(equity) FILTER (WHERE from_end = 1) AS equity,
           max(churned) FILTER (WHERE from_end = 1) AS churned_end,
           max(retention_rate) FILTER (WHERE from_end = 1) AS retention_rate,
           max(overdue_tasks) FILTER (WHERE from_end = 1) AS overdue_tasks,
           min(on_date) AS first_day, max(on_date) AS last_day
    FROM days GROUP BY code, month
)
SELECT *, (SELECT max(day) FROM segmentation_tradingday WHERE day < first_day) AS prev_day,
       CASE WHEN lag(month) OVER w = (month - interval '1 month')::date
               THEN churned_end - lag(churned_end) OVER w END AS churned
FROM months WINDOW w AS (PARTITION BY code ORDER BY month)
ORDER BY code, month
"""


def latest_month() -> datetime.date:
    """The month of the newest manager snapshot (this month when there is none)."""
    last = IndicatorSnapshot.objects.filter(scope="manager").aggregate(d=Max("on_date"))["d"]
    return month_start(last or timezone.localdate())


def monthly_figures(codes: list[str], first: datetime.date, last: datetime.date) -> dict[tuple, dict]:
    """(code, month) → the month's figures for the managers `codes`, months `first`..`last`: one query."""
    if not codes:
        return {}
    with connection.cursor() as cur:
        cur.execute(_MONTHLY_SQL, {"codes": list(codes), "start": add_months(first, -1), "end": add_months(last, 1)})
        names = [c.name for c in cur.description]
        rows = [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    out = {}
    for row in rows:
        if row["month"] < first:
            continue  # only there for the churn of the first month
        resolved = row.pop("tickets_resolved")
        row["period"] = flow_period(row.pop("prev_day"), row.pop("first_day"), row.pop("last_day"))
        row["tickets_within_deadline_rate"] = _rate(row["tickets_within_deadline"], resolved)
        out[(row["code"], row["month"])] = row | NO_TASKS
    for (code, month), tasks in task_figures(codes, first, last).items():
        out.setdefault((code, month), {"code": code, "month": month}).update(tasks)  # tasks without a snapshot
    return out


def flow_period(prev_day, first_day, last_day) -> tuple[datetime.date, datetime.date]:
    """The calendar days the month's flows (new accounts, tickets, contacts, tasks created) were counted over:
    each snapshot day counts what happened since the previous trading day, so the month's days run from the day
    after the trading day before its first snapshot to its last snapshot (a weekend straddling two months counts
    in the later one)."""
    start = prev_day + datetime.timedelta(days=1) if prev_day else first_day
    return start, last_day


NO_TASKS = {"tasks_due": 0, "tasks_done_on_time": 0, "tasks_on_time_rate": None}


def _rate(part, whole) -> Decimal | None:
    return (Decimal(part) / whole).quantize(RATE) if whole else None


def task_figures(codes: list[str], first: datetime.date, last: datetime.date) -> dict[tuple, dict]:
    """(code, month) → tasks of the manager's clients due in the month (not cancelled) and the share of them done
    by their due date: one grouped query over the tasks."""
    from service.choices import TaskStatus
    from service.funnels import on_time_q
    from service.models import Task

    code_field = "client__account_manager__staff_profile__employee_code"
    rows = (Task.objects.filter(**{f"{code_field}__in": list(codes)}, due_on__gte=first, due_on__lt=add_months(last, 1))
            .exclude(status=TaskStatus.CANCELLED).annotate(month=TruncMonth("due_on"))
            .values(code_field, "month").order_by()
            .annotate(due=Count("pk"), on_time=Count("pk", filter=on_time_q())))
    return {(r[code_field], r["month"]): {"tasks_due": r["due"], "tasks_done_on_time": r["on_time"],
                                          "tasks_on_time_rate": _rate(r["on_time"], r["due"])} for r in rows}


def _targets(managers, months) -> dict:
    rows = ScorecardTarget.objects.filter(manager__in=managers, month__in=months)
    return {(t.manager_id, t.month): t for t in rows}


def _row(manager, month, figures, target) -> dict:
    row = {"manager": manager, "code": manager_code(manager), "month": month, "figures": figures,
           "has_data": figures is not None, "target": target, "progress": {}}
    for key in TARGET_KEYS:
        value = getattr(target, key) if target else None
        row["progress"][key] = progress((figures or {}).get(key), value)
    row["values"] = [(f, (figures or {}).get(f.key)) for f in FIGURES]
    row["targets"] = [(key, getattr(target, key) if target else None, row["progress"][key]) for key in TARGET_KEYS]
    return row


def rank(rows: list[dict], key: str) -> list[dict]:
    """`rows` ranked best first by figure `key` (lower is better for churn and overdue tasks)."""
    return scorecards.rank(rows, key, ascending=key in ASCENDING)


def branch_managers(branch):
    return (get_user_model().objects.filter(staff_profile__role=Role.ACCOUNT_MANAGER, staff_profile__branch=branch)
            .select_related("staff_profile").order_by("staff_profile__employee_code"))


def branch_scorecard(branch, month: datetime.date, sort: str = "net_commission") -> list[dict]:
    """The branch's account managers for `month`, ranked by figure `sort`, with their targets and progress."""
    managers = list(branch_managers(branch))
    figures = monthly_figures([manager_code(m) for m in managers], month, month)
    targets = _targets(managers, [month])
    rows = [_row(m, month, figures.get((manager_code(m), month)), targets.get((m.pk, month))) for m in managers]
    return rank(rows, sort)


def manager_history(manager, last: datetime.date, months: int = 12) -> list[dict]:
    """One manager's last `months` months up to `last`, newest first."""
    first = add_months(last, -(months - 1))
    code = manager_code(manager)
    figures = monthly_figures([code], first, last)
    wanted = [add_months(first, i) for i in range(months)]
    targets = _targets([manager], wanted)
    return [_row(manager, m, figures.get((code, m)), targets.get((manager.pk, m))) for m in reversed(wanted)]


# ---------------------------------------------------------------- scope


def visible_branches(user):
    """The branches whose scorecard `user` reads: a branch manager their own, firm-wide roles all."""
    from clients.models import Branch

    role = user_role(user)
    if role in FIRM_WIDE_ROLES:
        return Branch.objects.order_by("code")
    if role == Role.BRANCH_MANAGER and user.staff_profile.branch_id:
        return Branch.objects.filter(pk=user.staff_profile.branch_id)
    return Branch.objects.none()


def visible_manager(user, code: str):
    """The account manager of employee code `code` if `user` may read their scorecard, else None."""
    role = user_role(user)
    managers = get_user_model().objects.filter(staff_profile__role=Role.ACCOUNT_MANAGER,
                                               staff_profile__employee_code=code)
    if role == Role.ACCOUNT_MANAGER:
        managers = managers.filter(pk=user.pk)
    elif role == Role.BRANCH_MANAGER:
        managers = managers.filter(staff_profile__branch_id=user.staff_profile.branch_id or -1)
    elif role not in FIRM_WIDE_ROLES:
        return None
    return managers.select_related("staff_profile__branch").first()


def may_set_target(user, manager) -> bool:
    """Head office and admin set any manager's targets; a branch manager those of their branch's managers."""
    role = user_role(user)
    if role in (Role.ADMIN, Role.HEAD_OFFICE):
        return True
    branch_id = getattr(getattr(user, "staff_profile", None), "branch_id", None)
    return role == Role.BRANCH_MANAGER and branch_id is not None and manager.staff_profile.branch_id == branch_id


# ---------------------------------------------------------------- the write


@transaction.atomic
def scorecard_target_set(*, by, manager, month: datetime.date, values: dict) -> ScorecardTarget:
    """Set `manager`'s targets for `month` (blank values clear a target). Refused (PermissionDenied) unless
    `by` may set them; the manager must be an account manager."""
    profile = getattr(manager, "staff_profile", None)
    if profile is None or profile.role != Role.ACCOUNT_MANAGER:
        raise ValidationError(_("Targets are set for account managers only."))
    if not may_set_target(by, manager):
        raise PermissionDenied
    for key, value in values.items():
        if key not in TARGET_KEYS:
            raise ValidationError(_("Unknown target."))
        if value is not None and value < 0:
            raise ValidationError(_("A target cannot be negative."))
    target, _created = ScorecardTarget.objects.update_or_create(
        manager=manager, month=month_start(month), defaults={**values, "set_by": by})
    return target
