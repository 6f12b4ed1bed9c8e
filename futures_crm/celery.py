"""The Celery app, configured from Django settings (CELERY_* names).

Imported by the worker and beat (`-A futures_crm` finds `futures_crm.celery`) and by every module that
defines tasks, so a task sent from a web or command process goes through this configured app; not by
Django's start (the package's __init__), which would cost every process Celery and kombu (≈ 0.15 s).
"""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "futures_crm.settings")

app = Celery("futures_crm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def _crontabs(schedule: dict) -> None:
    """settings.CELERY_BEAT_SCHEDULE (the dict the app reads), its crontab fields made crontabs, in place."""
    for entry in schedule.values():
        if isinstance(entry["schedule"], dict):
            entry["schedule"] = crontab(**entry["schedule"])


_crontabs(app.conf.beat_schedule)
