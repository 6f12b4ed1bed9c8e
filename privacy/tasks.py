"""Thin Celery tasks of the privacy app."""

import datetime

from celery import shared_task
from django.utils import timezone

from futures_crm.celery import app as _app  # noqa: F401 - a task sent from here goes through the configured app

from . import retention


@shared_task(name="privacy.tasks.deidentify_due")
def deidentify_due(on: str | None = None) -> int:
    """De-identify the closed accounts whose retention period has ended (today by default); safe to repeat."""
    day = datetime.date.fromisoformat(on) if on else timezone.localdate()
    return retention.deidentify_due(on=day)
