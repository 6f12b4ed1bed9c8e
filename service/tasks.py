"""Thin Celery tasks of the service desk: they take ISO dates and call a service."""

import datetime

from celery import shared_task
from django.utils import timezone

from futures_crm.celery import app as _app  # noqa: F401 - a task sent from here goes through the configured app

from . import services


@shared_task(name="service.tasks.escalate_overdue_tickets")
def escalate_overdue_tickets(at: str | None = None) -> int:
    """Flag tickets past their deadline and notify the branch managers (each ticket once)."""
    moment = datetime.datetime.fromisoformat(at) if at else timezone.now()
    return services.tickets_escalate_overdue(at=moment)


@shared_task(name="service.tasks.care_run_today")
def care_run_today(on: str | None = None) -> dict:
    """Run the care plans for a day (today by default); safe to repeat."""
    day = datetime.date.fromisoformat(on) if on else timezone.localdate()
    return services.care_run(on=day)
