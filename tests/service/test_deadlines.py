"""Deadlines count trading time (09:00–15:00 Mon–Fri Asia/Shanghai) and overdue tickets escalate."""

import datetime

import pytest
from django.core import mail

from service import services
from service.calendar import add_trading_days, add_trading_hours
from service.models import DeadlinePolicy, Notification
from service.selectors import overdue_complaint_client_ids

from .conftest import at

pytestmark = pytest.mark.django_db


def test_trading_hours_skip_nights_and_weekends():
    # Friday 14:00 + 2 trading hours: one hour on Friday, one on Monday morning.
    assert add_trading_hours(at(2026, 11, 27, 14, 0), 2) == at(2026, 11, 30, 10, 0)
    # Opened at night: the clock starts at the next open.
    assert add_trading_hours(at(2026, 11, 24, 20, 0), 4) == at(2026, 11, 25, 13, 0)
    # Saturday: starts Monday 09:00.
    assert add_trading_hours(at(2026, 11, 28, 10, 0), 1) == at(2026, 11, 30, 10, 0)


def test_trading_days_end_at_the_close_and_skip_closures(settings):
    # Thursday + 2 trading days: the close on Monday.
    assert add_trading_days(at(2026, 11, 26, 10, 0), 2) == at(2026, 11, 30, 15, 0)
    settings.SERVICE_CLOSED_DATES = ["2026-11-30"]
    assert add_trading_days(at(2026, 11, 26, 10, 0), 2) == at(2026, 12, 1, 15, 0)


def test_complaint_deadline_from_policy_and_editable(staff, book):
    opened = at(2026, 11, 27, 14, 30)  # a Friday afternoon
    ticket = services.ticket_open(by=staff["agent"], client=book["zhang"], ticket_type="complaint", channel="phone",
                                  priority="high", subject="Slow order channel", opened_at=opened)
    # Seeded policy: a high-priority complaint within 4 trading hours → Monday 12:30.
    assert ticket.deadline == at(2026, 11, 30, 12, 30)
    DeadlinePolicy.objects.filter(ticket_type="complaint", priority="high").update(amount=1, unit="trading_days")
    later = services.ticket_open(by=staff["agent"], client=book["zhang"], ticket_type="complaint", channel="phone",
                                 priority="high", subject="Again", opened_at=opened)
    assert later.deadline == at(2026, 11, 30, 15, 0)


def test_escalation_notifies_the_owners_branch_manager_once(staff, book, django_capture_on_commit_callbacks):
    staff["bm_sh"].email = "bm@example.com"
    staff["bm_sh"].save()
    opened = at(2026, 11, 23, 9, 30)
    ticket = services.ticket_open(by=staff["agent"], client=book["zhang"], ticket_type="trading_consultation",
                                  channel="phone", priority="normal", subject="Margin question", opened_at=opened)
    assert ticket.owner == staff["am1"]
    assert services.tickets_escalate_overdue(at=ticket.deadline - datetime.timedelta(minutes=1)) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert services.tickets_escalate_overdue(at=ticket.deadline + datetime.timedelta(minutes=1)) == 1
    note = Notification.objects.get()
    assert note.recipient == staff["bm_sh"] and note.ticket == ticket
    assert [m.to for m in mail.outbox] == [["bm@example.com"]]
    assert ticket.events.filter(kind="escalated").count() == 1
    # A second run does not notify again.
    assert services.tickets_escalate_overdue(at=ticket.deadline + datetime.timedelta(hours=5)) == 0
    assert Notification.objects.count() == 1
    assert not Notification.objects.filter(recipient=staff["bm_bj"]).exists()


def test_escalation_task_runs_through_celery_entry(staff, book):
    from service.tasks import escalate_overdue_tickets

    ticket = services.ticket_open(by=staff["agent"], client=book["li"], ticket_type="suggestion", channel="web",
                                  subject="More night sessions", opened_at=at(2026, 1, 5, 10, 0))
    assert escalate_overdue_tickets.apply(kwargs={"at": "2026-06-01T10:00:00+08:00"}).get() == 1
    ticket.refresh_from_db()
    assert ticket.escalated_at is not None


def test_overdue_complaints_are_exposed_for_the_churn_signal(staff, book):
    services.ticket_open(by=staff["agent"], client=book["zhang"], ticket_type="complaint", channel="phone",
                         subject="Fee too high", opened_at=at(2026, 11, 2, 10, 0))
    done = services.ticket_open(by=staff["agent"], client=book["li"], ticket_type="complaint", channel="phone",
                                subject="Resolved one", opened_at=at(2026, 11, 2, 10, 0))
    services.ticket_transition(ticket=done, to_status="resolved", by=staff["compliance"], note="Refunded")
    ids = set(overdue_complaint_client_ids(at=at(2026, 11, 20, 10, 0)))
    assert ids == {book["zhang"].pk}


def test_deadline_policy_page_edits_and_audits(page, staff):
    from futures_crm.models import AuditEntry

    assert page(staff["agent"]).post("/service/tickets/deadlines/", {"complaint-high-amount": "1"}).status_code == 403
    browser = page(staff["compliance"])
    assert "Trading hours are 09:00–15:00" in browser.get("/service/tickets/deadlines/").content.decode()
    browser.post("/service/tickets/deadlines/", {"complaint-high-amount": "3", "complaint-high-unit": "trading_hours",
                                                 "complaint-low-amount": "2", "complaint-low-unit": "trading_days"})
    policy = DeadlinePolicy.objects.get(ticket_type="complaint", priority="high")
    assert (policy.amount, policy.unit) == (3, "trading_hours")
    entry = AuditEntry.objects.get(action="deadline_policy.set")
    assert entry.before == {"amount": 4, "unit": "trading_hours"} and entry.actor == staff["compliance"]


def test_notifications_can_be_dismissed(page, staff, book):
    ticket = services.ticket_open(by=staff["agent"], client=book["zhang"], ticket_type="suggestion", channel="web",
                                  subject="Old one", opened_at=at(2026, 1, 5, 10, 0))
    services.tickets_escalate_overdue(at=at(2026, 6, 1, 10, 0))
    browser = page(staff["bm_sh"])
    assert f"Ticket #{ticket.pk}" in browser.get("/service/my-day/").content.decode()
    browser.post("/service/my-day/")
    assert f"Ticket #{ticket.pk}" not in browser.get("/service/my-day/").content.decode()
