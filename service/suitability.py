"""Suitability renewals and the suitability worklist (适当性): the service desk's side of the matching.

The nightly run opens renewal tasks here; `clients.suitability` holds the products and the mismatch alerts.
"""

import datetime

from django.db.models import Count, DateField, Exists, OuterRef, Q, Subquery
from django.utils import timezone

from clients.choices import AccountStatus, SuitabilityAlertStatus
from clients.models import Client, SuitabilityAlert
from clients.suitability import eligibility_match, latest_assessment, suitability_match
from futures_crm import texts

from .choices import TaskKind, TaskStatus
from .models import Task
from .services import tasks_upsert_many

# A renewal task opens this many days before the assessment expires.
RENEWAL_NOTICE_DAYS = 30
# An already expired assessment is to be redone within a week.
RENEWAL_OVERDUE_DUE_DAYS = 7
# Stands for the expiry date in the title's stored text, each row's date put in its place in SQL.
_DATE = "\u2063date\u2063"


def renewal_candidates(*, day: datetime.date):
    """Open clients whose latest assessment expires within the notice period (or has expired) and who have no
    open renewal task."""
    open_task = Task.objects.filter(client=OuterRef("pk"), kind=TaskKind.SUITABILITY_RENEWAL, status=TaskStatus.OPEN)
    return (Client.objects.exclude(status=AccountStatus.CLOSED)
            .annotate(expires=latest_assessment("expires_on"))
            .filter(expires__lte=day + datetime.timedelta(days=RENEWAL_NOTICE_DAYS))
            .exclude(Exists(open_task))
            .select_related("branch", "account_manager__staff_profile"))


def suitability_renewals(*, day: datetime.date) -> int:
    """Open one renewal task per candidate (set-based), owned by its account manager (a departed one too, as
    task_upsert always gave it; none: on the branch worklist), due when the assessment expires (an expired one
    within a week); an open renewal task is never doubled, a rerun of the night opens nothing new."""
    sql, params = (renewal_candidates(day=day).order_by().values("pk", "expires").query.sql_with_params())
    # The title as stored (its text in settings.LANGUAGE_CODE, code and params), the date filled in by SQL.
    title = texts.fields(texts.text("task.suitability_expires", date=_DATE), "title")
    return tasks_upsert_many(
        kind=TaskKind.SUITABILITY_RENEWAL, source=f"suitability:{day.isoformat()}",
        rows=f"""SELECT q.id, CASE WHEN q.expires > %s::date THEN q.expires ELSE %s::date END,
                        replace(%s, %s, to_char(q.expires, 'YYYY-MM-DD')), %s,
                        jsonb_build_object('date', to_char(q.expires, 'YYYY-MM-DD'))
                 FROM ({sql}) q (id, expires)""",  # noqa: S608 - the candidates' compiled query
        params=[day, day + datetime.timedelta(days=RENEWAL_OVERDUE_DUE_DAYS), title["title"], _DATE,
                title["title_code"], *params])


def suitability_nightly(*, day: datetime.date) -> dict:
    """The nightly suitability work for a trading day: mismatch alerts (above the client's level, and exchange
    eligibility not met: one figure), then renewal tasks."""
    alerts = suitability_match(day=day) + eligibility_match(day=day)
    return {"suitability_alerts": alerts, "suitability_renewals": suitability_renewals(day=day)}


# ---------------------------------------------------------------- the worklist

def suitability_worklist(*, user, today: datetime.date | None = None):
    """The clients `user` may see whose assessment has expired or expires soon, or who have an open mismatch
    alert (above their level, or exchange eligibility not met); with the latest expiry, the open alerts and the
    open renewal task's due date."""
    today = today or timezone.localdate()
    alerts = (SuitabilityAlert.objects.filter(client=OuterRef("pk"), status=SuitabilityAlertStatus.OPEN)
              .values("client").annotate(n=Count("id")).values("n"))
    task_due = Task.objects.filter(client=OuterRef("pk"), kind=TaskKind.SUITABILITY_RENEWAL,
                                   status=TaskStatus.OPEN).values("due_on")[:1]
    return (Client.objects.visible_to(user).exclude(status=AccountStatus.CLOSED)
            .annotate(expires=latest_assessment("expires_on"), level_assessed_on=latest_assessment("assessed_on"),
                      open_alerts=Subquery(alerts), renewal_due=Subquery(task_due, output_field=DateField()))
            .filter(Q(expires__lte=today + datetime.timedelta(days=RENEWAL_NOTICE_DAYS)) | Q(open_alerts__gt=0))
            .select_related("branch", "account_manager__staff_profile")
            .order_by("expires", "account_id"))
