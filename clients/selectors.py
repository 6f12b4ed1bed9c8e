"""Reads shared by the client pages, the export and the API."""

import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.db import connection
from django.utils import timezone

from futures_crm.roles import FIRM_WIDE_ROLES, Role, user_role

from .models import AccountSettlement, Branch, Client, SuitabilityAssessment


def client_list(*, user):
    """The clients `user` may see, with the joins every list needs."""
    return (
        Client.objects.visible_to(user)
        .select_related("branch", "account_manager__staff_profile", "segment")
    )


def active_account_managers():
    """Every active account manager (an active login with an active profile), by employee code."""
    return get_user_model().objects.filter(
        is_active=True, staff_profile__is_active=True, staff_profile__role=Role.ACCOUNT_MANAGER
    ).select_related("staff_profile__branch").order_by("staff_profile__employee_code")


def assignable_managers(*, user):
    """The account managers `user` may give a client to: the firm-wide roles any active one, a branch manager
    their own branch's, an account manager only themselves (their own book); other roles none.

    The one rule behind every door that names a manager: client create, reassignment, handover, a leaving
    intermediary's transfers, and the pages' choice lists.
    """
    managers = active_account_managers()
    role = user_role(user)
    if role in FIRM_WIDE_ROLES:
        return managers
    if role == Role.BRANCH_MANAGER and user.staff_profile.branch_id:
        return managers.filter(staff_profile__branch_id=user.staff_profile.branch_id)
    if role == Role.ACCOUNT_MANAGER:
        return managers.filter(pk=user.pk)
    return managers.none()


def client_branches(*, user):
    """The branches `user` may open a client in: every branch for the firm-wide roles, else their own."""
    role = user_role(user)
    if role in FIRM_WIDE_ROLES:
        return Branch.objects.all()
    if role in (Role.BRANCH_MANAGER, Role.ACCOUNT_MANAGER) and user.staff_profile.branch_id:
        return Branch.objects.filter(pk=user.staff_profile.branch_id)
    return Branch.objects.none()


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
    """The client's audit entries, each change spelled out with the field's name and readable values."""
    from futures_crm.models import AuditEntry

    entries = list(AuditEntry.objects.filter(client=client).select_related("actor__staff_profile")[:limit])
    # Foreign keys are stored as ids; show who or what they were, looked up once per model.
    related = {}
    for name in ("account_manager", "branch", "referrer"):
        field = Client._meta.get_field(name)
        ids = {e.before.get(name) for e in entries} | {e.after.get(name) for e in entries}
        ids.discard(None)
        related[name] = {obj.pk: str(getattr(obj, "staff_profile", obj)) if name == "account_manager" else str(obj)
                         for obj in field.related_model._default_manager.filter(pk__in=ids)}
    rows = []
    for entry in entries:
        changes = []
        for key in sorted(set(entry.before) | set(entry.after)):
            try:
                label = Client._meta.get_field(key).verbose_name
            except FieldDoesNotExist:  # keys of other record types (suitability) are shown as stored
                label = key
            before, after = entry.before.get(key, ""), entry.after.get(key, "")
            if key in related:
                before, after = related[key].get(before, before), related[key].get(after, after)
            changes.append({"field": label, "before": before, "after": after})
        rows.append({"entry": entry, "changes": changes})
    return rows


# ---------------------------------------------------------------- trading calendar (from the settlement rows)

# Each probe looks in the month before its day first (the settlement tables are partitioned by month, so it
# reads one or two partitions), and in the whole table only when that month holds no day (a long gap).
_TRADING_DAYS_SQL = """
WITH RECURSIVE d(day, n) AS (
    SELECT COALESCE((SELECT MAX(trade_date) FROM {table} WHERE trade_date <= %(until)s AND trade_date > %(recent)s),
                    (SELECT MAX(trade_date) FROM {table} WHERE trade_date <= %(until)s)), 1
    UNION ALL
    SELECT COALESCE((SELECT MAX(trade_date) FROM {table} WHERE trade_date < d.day AND trade_date >= d.day - 31),
                    (SELECT MAX(trade_date) FROM {table} WHERE trade_date < d.day)), n + 1 FROM d
    WHERE n < %(count)s AND d.day IS NOT NULL
)
SELECT day FROM d WHERE day IS NOT NULL
"""


def trading_days(count: int, until: datetime.date | None = None) -> list[datetime.date]:
    """The last `count` trading days with settlement rows, on or before `until`, newest first.

    A recursive "loose index scan": one probe per day of the settlement key (trade_date, client),
    instead of reading every row of the window to find its distinct dates.
    """
    sql = _TRADING_DAYS_SQL.format(table=connection.ops.quote_name(AccountSettlement._meta.db_table))
    until = until or datetime.date.max
    month = datetime.timedelta(days=31)
    recent = max(min(until, timezone.localdate()), datetime.date.min + month) - month  # year 1 stays in range
    with connection.cursor() as cursor:
        cursor.execute(sql, {"until": until, "recent": recent, "count": count})
        return [row[0] for row in cursor.fetchall()]


def latest_trade_date(until: datetime.date | None = None) -> datetime.date | None:
    """The last trading day with settlement data, on or before `until`."""
    days = trading_days(1, until)
    return days[0] if days else None


def trading_window(days: int, until: datetime.date | None = None) -> tuple[datetime.date, datetime.date] | None:
    """(first, last) of the last `days` trading days that have settlement rows, or None without data."""
    dates = trading_days(days, until)
    return (dates[-1], dates[0]) if dates else None


def recent_settlement_days(client: Client, count: int = 10) -> list:
    """The client's account rows of the last `count` trading days, newest first (one key probe a day)."""
    days = trading_days(count)
    return list(AccountSettlement.objects.filter(client=client, trade_date__in=days).order_by("-trade_date"))
