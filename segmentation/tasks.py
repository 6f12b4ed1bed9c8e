"""Thin Celery tasks of the nightly pipeline: they take ISO dates or run ids and call the services.

The chain: start → metrics → axes → signals → value → publish → tasks → rollups. Each step holds the
engine's advisory lock while it works, and the run record (heartbeat) keeps a second run from
starting between two steps. There is no drop-folder import task to put first yet (the import app
does not provide one on this branch); `nightly_chain` adds it when `clients.tasks.import_drop_folder`
exists.
"""

import datetime

from celery import chain, shared_task

from . import services


@shared_task(name="segmentation.nightly_start")
def nightly_start(day_iso: str | None = None, by_id: int | None = None) -> int:
    """Open the run record for the day (default: newest imported); refuses while another run is live."""
    from django.contrib.auth import get_user_model

    by = get_user_model().objects.filter(pk=by_id).first() if by_id else None
    day = datetime.date.fromisoformat(day_iso) if day_iso else None
    with services.engine_lock():
        return services.run_start(day=day, by=by).pk


def _step(name):
    @shared_task(name=f"segmentation.nightly_{name}")
    def step(run_id: int) -> int:
        with services.engine_lock():
            return services.run_step(run_id, name)

    step.__doc__ = f"Nightly step: {name}."
    return step


STEP_TASKS = {name: _step(name) for name in services.STEP_NAMES}


def nightly_chain(day_iso: str | None = None, by_id: int | None = None):
    """The Celery chain for one trading day (import first when the import app provides the task)."""
    from futures_crm.celery import app

    links = [nightly_start.si(day_iso, by_id)] + [STEP_TASKS[name].s() for name in services.STEP_NAMES]
    if "clients.tasks.import_drop_folder" in app.tasks:
        links.insert(0, app.tasks["clients.tasks.import_drop_folder"].si())
    return chain(*links)


@shared_task(name="segmentation.nightly")
def nightly(day_iso: str | None = None, by_id: int | None = None, skip_done: bool = False) -> str | None:
    """Beat's entry point: start the chain for the day (default: the newest imported)."""
    from .models import NightlyRun

    day = day_iso or (services.engine.latest_trade_date() or datetime.date.min).isoformat()
    if skip_done and NightlyRun.objects.filter(trade_date=day, status="succeeded").exists():
        return None
    return nightly_chain(day, by_id).apply_async().id


@shared_task(name="segmentation.nightly_backfill")
def nightly_backfill(start_iso: str, end_iso: str | None = None) -> int:
    """Recompute from a chosen day to the newest (e.g. after a new policy version), day by day."""
    start = datetime.date.fromisoformat(start_iso)
    end = datetime.date.fromisoformat(end_iso) if end_iso else services.engine.latest_trade_date()
    return len(services.run_range(start=start, end=end))
