"""The prospect funnel and the tickets' deadline performance: counts over the records a user sees (their
`visible_to`), in rows (the total, then one per group), each row with the list filters that select the same
records, so an analysis page can link every figure to the list that makes it."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db.models import Aggregate, Count, DurationField, Exists, F, OuterRef, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from futures_crm import people
from futures_crm.periods import months_between

from .choices import OPEN_TICKET_STATUSES, ProspectGrade, TaskStatus
from .models import Prospect, ProspectGradeChange, Ticket

# The funnel's stages from the widest: F (not likely within a year) up to A (ready to open).
GRADES_UP = [ProspectGrade.F, ProspectGrade.E, ProspectGrade.D, ProspectGrade.C, ProspectGrade.B, ProspectGrade.A]
GROUPINGS = {"branch": _("Branch"), "owner": _("Owner")}
HOUR_PLACES = Decimal("0.1")
# The rows of records with no branch, or no owner, and the list filters' value that selects them (django-filter's
# null_value): the filters offer them under the same names.
NO_BRANCH = _("No branch")
NOBODY = _("Nobody")
NULL = "null"


def reached_grade_q(grade: str) -> Q:
    """Prospects that reached `grade` or better at some time (their grade history or their grade now), or opened
    an account (past every grade). A grade letter earlier in the alphabet is better."""
    better = ProspectGradeChange.objects.filter(prospect=OuterRef("pk"), to_grade__lte=grade)
    return Q(grade__lte=grade) | Q(client__isnull=False) | Q(Exists(better))


def prospect_cohort(*, user, start: datetime.date, end: datetime.date):
    """The prospects `user` sees that were recorded from `start` to `end` (local dates)."""
    return Prospect.objects.visible_to(user).filter(created_at__date__range=(start, end))


def _group_rows(queryset, by: str, aggregates: dict) -> list[dict]:
    """The total row, then one row per value of `by` (a branch or a person), ordered by code; `filters` are the
    list parameters that select a row's records ("null" for the records with no branch or no owner)."""
    from clients.models import Branch

    rows = [{"label": _("Total"), "filters": {}, **queryset.aggregate(**aggregates)}]
    grouped = list(queryset.values(by).annotate(**aggregates).order_by())
    keys = [g[by] for g in grouped if g[by] is not None]
    if by.endswith("branch"):
        named = {b.pk: (b.code, str(b)) for b in Branch.objects.filter(pk__in=keys)}
        missing = NO_BRANCH
    else:
        from django.contrib.auth import get_user_model

        named = {u.pk: (people.employee_code(u, u.username), people.label(u))
                 for u in get_user_model().objects.filter(pk__in=keys).select_related("staff_profile")}
        missing = NOBODY
    param = "branch" if by.endswith("branch") else "owner"
    for g in sorted(grouped, key=lambda g: (g[by] is None, named.get(g[by], ("", ""))[0])):
        key = g.pop(by)
        rows.append({"label": named[key][1] if key is not None else missing,
                     "filters": {param: key if key is not None else NULL}, **g})
    return rows


def prospect_funnel(*, user, start: datetime.date, end: datetime.date, by: str = "branch") -> list[dict]:
    """The prospects recorded from `start` to `end` that `user` sees: per row (total, then per branch or owner)
    how many were recorded, reached each grade E…A (`reached_E`…), and opened an account (`opened`)."""
    aggregates = {"recorded": Count("pk"),
                  **{f"reached_{g}": Count("pk", filter=reached_grade_q(g)) for g in GRADES_UP[1:]},
                  "opened": Count("pk", filter=Q(client__isnull=False))}
    return _group_rows(prospect_cohort(user=user, start=start, end=end).order_by(), by, aggregates)


# ---------------------------------------------------------------- tickets against their deadlines

SLA_GROUPINGS = {"month": _("Month"), "branch": _("Branch"), "owner": _("Owner")}


class MedianHours(Aggregate):
    """The median of a duration (PostgreSQL's percentile_cont over intervals: no float on the way); `_hours`
    turns it into hours."""

    function = "percentile_cont"
    template = "percentile_cont(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = DurationField()


def within_deadline_q() -> Q:
    return Q(resolved_at__isnull=False, resolved_at__lte=F("deadline"))


def on_time_q() -> Q:
    """A task done by its due date (the day it was done, Asia/Shanghai)."""
    return Q(status=TaskStatus.DONE, done_at__date__lte=F("due_on"))


def overdue_q(now) -> Q:
    return Q(status__in=OPEN_TICKET_STATUSES, deadline__lt=now)


def _hours(value: datetime.timedelta | None) -> Decimal | None:
    """A duration in hours, exactly (counted in microseconds), to a tenth."""
    if value is None:
        return None
    return (Decimal(value // datetime.timedelta(microseconds=1)) / Decimal(3_600_000_000)).quantize(HOUR_PLACES)


def ticket_sla(*, user, start: datetime.date, end: datetime.date, by: str = "month", now=None) -> list[dict]:
    """The tickets `user` sees against their deadlines, per row (total, then per month, branch or owner):
    `resolved` from `start` to `end`, of which `within` by their deadline, their `median_hours` from opening to
    resolution, and `overdue` — still open now with a deadline from `start` to `end` that has passed. A month
    row counts the tickets resolved in it and those whose deadline fell in it."""
    now = now or timezone.now()
    tickets = Ticket.objects.visible_to(user).order_by()
    was_resolved = Q(resolved_at__isnull=False, resolved_at__date__range=(start, end))
    is_overdue = overdue_q(now) & Q(deadline__date__range=(start, end))
    resolved, overdue = tickets.filter(was_resolved), tickets.filter(is_overdue)
    resolved_counts = {"resolved": Count("pk"), "within": Count("pk", filter=within_deadline_q()),
                       "median_hours": MedianHours(F("resolved_at") - F("created_at"))}
    if by != "month":
        counts = {"resolved": Count("pk", filter=was_resolved),
                  "within": Count("pk", filter=was_resolved & within_deadline_q()),
                  "median_hours": MedianHours(F("resolved_at") - F("created_at"), filter=was_resolved),
                  "overdue": Count("pk", filter=is_overdue)}
        rows = _group_rows(tickets.filter(was_resolved | is_overdue),
                           "client__branch" if by == "branch" else "owner", counts)
        return [row | {"median_hours": _hours(row["median_hours"]), "dates": {"from": start, "to": end}}
                for row in rows]
    by_month = {timezone.localtime(r.pop("m")).date(): r for r in resolved.annotate(m=TruncMonth("resolved_at"))
                .values("m").annotate(**resolved_counts)}
    late = {timezone.localtime(m).date(): n for m, n in overdue.annotate(m=TruncMonth("deadline"))
            .values_list("m").annotate(Count("pk"))}
    empty = {"resolved": 0, "within": 0, "median_hours": None}
    rows = [{"label": _("Total"), "filters": {}, "dates": {"from": start, "to": end},
             **resolved.aggregate(**resolved_counts), "overdue": sum(late.values())}]
    rows += [{"label": first.strftime("%Y-%m"), "filters": {}, "dates": {"from": first, "to": last},
              **by_month.get(first.replace(day=1), empty), "overdue": late.get(first.replace(day=1), 0)}
             for first, last in months_between(start, end)]
    return [row | {"median_hours": _hours(row["median_hours"])} for row in rows]
