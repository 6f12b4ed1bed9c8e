"""The night's return visits and suitability renewal tasks are written set-based: the same rows as the former
one-client-at-a-time path (kept below as the reference), nothing new on a rerun, nothing half-written by a crash."""

import datetime
import json
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone, translation

from clients.models import Product, SuitabilityAlert, SuitabilityAssessment
from futures_crm import texts
from futures_crm.models import AuditEntry
from futures_crm.roles import Role
from referrals.models import Intermediary, IntermediaryLink
from service.choices import ReturnVisitReason, TaskKind, TaskStatus
from service.models import ReturnVisit, Task, Ticket
from service.return_visits import (
    FIRST_MONTH_DAYS,
    VISIT_WITHIN_DAYS,
    complaint_candidates,
    intermediary_candidates,
    new_account_candidates,
    schedule_return_visits,
    suitability_candidates,
)
from service.services import task_upsert
from service.suitability import RENEWAL_OVERDUE_DUE_DAYS, renewal_candidates, suitability_renewals
from tests.factories import ClientFactory, make_staff

pytestmark = pytest.mark.django_db
DAY = timezone.localdate()


def days(n):
    return DAY + datetime.timedelta(days=n)


# ---------------------------------------------------------------- the former per-client path (the reference)

def _old_visit_task(client, *, reason, due, day):
    task = Task.objects.filter(client=client, kind=TaskKind.RETURN_VISIT, status=TaskStatus.OPEN).first()
    if task is not None and task.due_on <= due:
        return task
    return task_upsert(client=client, kind=TaskKind.RETURN_VISIT, due_on=due,
                       title=texts.text("task.return_visit", reason=reason), source=f"return_visit:{day.isoformat()}")


def _old_schedule(client, *, reason, due, day, ticket=None):
    try:
        with transaction.atomic():
            visit = ReturnVisit.objects.create(client=client, reason=reason, due_on=due, ticket=ticket)
            visit.task = _old_visit_task(client, reason=reason, due=due, day=day)
            visit.save(update_fields=["task", "updated_at"])
    except IntegrityError:
        return False
    return True


def old_schedule_return_visits(*, day):
    week = day + datetime.timedelta(days=VISIT_WITHIN_DAYS)

    def first_month(client):
        return min(week, client.open_date + datetime.timedelta(days=FIRST_MONTH_DAYS))

    opened = sum(_old_schedule(c, reason=ReturnVisitReason.NEW_ACCOUNT, due=first_month(c), day=day)
                 for c in new_account_candidates(day=day))
    opened += sum(_old_schedule(c, reason=ReturnVisitReason.INTERMEDIARY, due=first_month(c), day=day)
                  for c in intermediary_candidates(day=day))
    opened += sum(_old_schedule(c, reason=ReturnVisitReason.SUITABILITY, due=week, day=day)
                  for c in suitability_candidates(day=day))
    opened += sum(_old_schedule(t.client, reason=ReturnVisitReason.COMPLAINT, due=week, day=day, ticket=t)
                  for t in complaint_candidates(day=day))
    return opened


def old_suitability_renewals(*, day):
    count = 0
    for client in renewal_candidates(day=day):
        manager = client.account_manager
        profile = getattr(manager, "staff_profile", None) if manager else None
        owner = manager if manager is not None and manager.is_active and (profile is None or profile.is_active) \
            else None
        due = client.expires if client.expires > day else day + datetime.timedelta(days=RENEWAL_OVERDUE_DUE_DAYS)
        task_upsert(client=client, kind=TaskKind.SUITABILITY_RENEWAL, due_on=due, owner=owner,
                    title=texts.text("task.suitability_expires", date=client.expires.isoformat()),
                    source=f"suitability:{day.isoformat()}")
        count += 1
    return count


# ---------------------------------------------------------------- a book with every case

@pytest.fixture
def night_book(staff, branches, book):
    sh, bj = branches
    departed = make_staff(Role.ACCOUNT_MANAGER, branch=sh, username="gone")
    departed.is_active = False
    departed.save(update_fields=["is_active"])
    ib = Intermediary.objects.create(code="IB01", name="居间甲", rebate_rate=Decimal("0.3000"),
                                     contract_end=datetime.date(2030, 12, 31))
    product = Product.objects.get(exchange="CFFEX", code="IF")

    def client(name, *, opened=-400, manager=None, branch=sh, **kw):
        return ClientFactory(name=name, branch=branch, account_manager=manager, open_date=days(opened), **kw)

    c = {
        "new": client("新开户", opened=-5, manager=staff["am1"]),
        # Its month ends before the week: due at the month's end, the task titled for the first reason.
        "new_ib": client("月末居间", opened=-28, manager=staff["am2"]),
        "new_bj": client("北京新户", opened=-1, branch=bj),
        "new_departed": client("离职经理", opened=-3, manager=departed),
        "new_task_earlier": client("任务更早", opened=-2, manager=staff["am1"]),
        "new_task_later": client("任务更晚", opened=-2, manager=staff["am1"]),
        "ib_only": client("只居间", opened=-10, manager=staff["am1"]),
        "closed": client("销户", opened=-4, manager=staff["am1"], status="closed"),
        "visited_before_alert": client("旧回访", manager=staff["am2"]),
        "expired": client("已过期", manager=staff["am1"]),
        "expiring": client("将过期", manager=departed),
        "renewal_open": client("已有续评", manager=staff["am1"]),
        "renewal_bj": client("北京续评", branch=bj),
        "later": client("远未过期", manager=staff["am1"]),
    }
    for name in ("new_ib", "ib_only"):
        IntermediaryLink.objects.create(client=c[name], intermediary=ib, valid_from=c[name].open_date)
    ReturnVisit.objects.create(client=c["ib_only"], reason="new_account", due_on=days(-3), status="done")
    task_upsert(client=c["new_task_earlier"], kind="return_visit", due_on=days(1), title="早回访")
    task_upsert(client=c["new_task_later"], kind="return_visit", due_on=days(20), title="晚回访")
    # An open suitability visit from before the alert: the alert is not visited twice.
    ReturnVisit.objects.create(client=c["visited_before_alert"], reason="suitability", due_on=days(2))
    for name in ("zhang", "zhao"):
        SuitabilityAlert.objects.create(client=book[name], product=product, trade_date=DAY, lots=2,
                                        client_level="C1", product_level="R4")
    SuitabilityAlert.objects.create(client=c["visited_before_alert"], product=product, trade_date=DAY, lots=1,
                                    client_level="C1", product_level="R4")
    # Complaints closed: zhao's two (the first closed is visited), li's one while an open complaint visit waits.
    for who, subject in (("zhao", "手续费"), ("zhao", "保证金"), ("li", "服务态度"), ("wang", "出金慢")):
        Ticket.objects.create(client=book[who], ticket_type="complaint", channel="phone", subject=subject,
                              status="closed", deadline=timezone.now())
    ReturnVisit.objects.create(client=book["li"], reason="complaint", due_on=days(1))
    for name, expires in (("expired", -3), ("expiring", 10), ("renewal_open", 5), ("renewal_bj", 29),
                          ("later", 40)):
        SuitabilityAssessment.objects.create(client=c[name], investor_class="ordinary", risk_level="C3",
                                             assessed_on=days(-700), expires_on=days(expires))
    task_upsert(client=c["renewal_open"], kind="suitability_renewal", due_on=days(5), title="续评")
    return {**book, **c}


def state(since: int):
    """Every task, visit and audit entry, ids left out (a task by its client and kind)."""
    tasks = {t.pk: t for t in Task.objects.all()}
    key = {str(pk): (t.client_id, t.kind) for pk, t in tasks.items()}
    return {
        "tasks": sorted((t.client_id, t.kind, t.owner_id, t.branch_id, t.due_on, t.status, t.source, t.title,
                         t.title_code, json.dumps(t.title_params, sort_keys=True)) for t in tasks.values()),
        "visits": sorted((v.client_id, v.reason, v.status, v.due_on, v.task and (v.task.client_id, v.task.kind),
                          v.ticket_id or 0) for v in ReturnVisit.objects.select_related("task")),
        "audit": sorted((a.action, a.object_type, key.get(a.object_id), a.client_id, a.actor_id,
                         json.dumps(a.before, sort_keys=True), json.dumps(a.after, sort_keys=True), a.reason,
                         a.reason_code) for a in AuditEntry.objects.filter(pk__gt=since)),
    }


class Rollback(Exception):
    pass


def run_old(since):
    try:
        with transaction.atomic():
            counts = {"renewals": old_suitability_renewals(day=DAY), "visits": old_schedule_return_visits(day=DAY)}
            raise Rollback(counts, state(since))
    except Rollback as done:
        return done.args


def run_new():
    return {"renewals": suitability_renewals(day=DAY),
            "visits": schedule_return_visits(day=DAY)["return_visits_opened"]}


def test_the_set_based_night_writes_the_same_rows_as_the_per_client_path(night_book, staff, branches):
    since = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    old_counts, old = run_old(since)
    assert run_new() == old_counts == {"renewals": 3, "visits": 12}
    new = state(since)
    assert new["tasks"] == old["tasks"] and new["visits"] == old["visits"] and new["audit"] == old["audit"]
    b = night_book
    # What the rows say, for the cases that matter.
    task = Task.objects.get(client=b["new_ib"], kind="return_visit")
    assert (task.due_on, task.owner, task.title_params) == (days(2), staff["am2"], {"reason": "new_account"})
    assert set(ReturnVisit.objects.filter(client=b["new_ib"]).values_list("reason", "due_on", "task")) == {
        ("new_account", days(2), task.pk), ("intermediary", days(2), task.pk)}
    assert Task.objects.get(client=b["new_task_earlier"], kind="return_visit").due_on == days(1)
    assert Task.objects.get(client=b["new_task_later"], kind="return_visit").due_on == days(7)
    assert (Task.objects.get(client=b["new_bj"]).owner, Task.objects.get(client=b["new_bj"]).branch) == (
        None, branches[1])
    assert not ReturnVisit.objects.filter(client=b["closed"]).exists()
    assert ReturnVisit.objects.filter(client=b["visited_before_alert"]).count() == 1
    zhao = ReturnVisit.objects.get(client=b["zhao"], reason="complaint")
    assert zhao.ticket == Ticket.objects.filter(client=b["zhao"]).order_by("updated_at", "id").first()
    assert ReturnVisit.objects.filter(client=b["li"], reason="complaint").count() == 1
    renewal = Task.objects.get(client=b["expired"], kind="suitability_renewal")
    assert (renewal.due_on, renewal.title_params, renewal.title_code) == (
        days(7), {"date": days(-3).isoformat()}, "task.suitability_expires")
    with translation.override(settings.LANGUAGE_CODE):  # the stored text is in the site's language
        assert renewal.title == str(texts.text("task.suitability_expires", date=days(-3).isoformat()))
    assert Task.objects.get(client=b["renewal_open"], kind="suitability_renewal").title == "续评"
    assert not Task.objects.filter(client=b["later"]).exists()


def test_a_rerun_of_the_night_writes_nothing_new(night_book):
    run_new()
    before = state(0)
    assert run_new() == {"renewals": 0, "visits": 0}
    assert state(0) == before


def test_a_night_that_fails_half_way_leaves_nothing_and_its_rerun_writes_everything(night_book):
    since = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    _counts, reference = run_old(since)
    before = state(since)
    # The database refuses the visits after the tasks were written: the whole step rolls back.
    with connection.cursor() as cur:
        cur.execute("""CREATE FUNCTION pg_temp.refuse() RETURNS trigger LANGUAGE plpgsql
                       AS $$ BEGIN RAISE EXCEPTION 'crash'; END $$;
                       CREATE TRIGGER crash BEFORE INSERT ON service_returnvisit
                       FOR EACH STATEMENT EXECUTE FUNCTION pg_temp.refuse()""")
    with pytest.raises(DatabaseError, match="crash"), transaction.atomic():
        suitability_renewals(day=DAY)
        schedule_return_visits(day=DAY)
    assert state(since) == before
    with connection.cursor() as cur:
        cur.execute("DROP TRIGGER crash ON service_returnvisit")
    assert run_new() == {"renewals": 3, "visits": 12}
    assert state(since) == reference
