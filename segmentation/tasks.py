"""Thin Celery tasks of the nightly pipeline: they take ISO dates or run ids and call the services.

The chain: start → prepare → metrics → axes → signals → value → publish → tasks → indicators. Each step
holds the engine's advisory lock while it works, and the run record (heartbeat) keeps a second run
from starting between two steps. With `shards` > 1 the four per-client steps become groups of shard
tasks (mod(client_id, shards)) that several workers run side by side, each holding the lock shared.
The chain starts with the import app's `clients.import_drop_folder` (files waiting in the drop folder
are imported first), when that task is registered. A start from the page or the API opens its run at
once (a refusal is an answer, not a failed task) and queues the steps only (`run_chain`).

Every task here is acknowledged late and rejected (requeued) when its worker process is lost, so the step
of a killed worker runs again; the steps are idempotent (see services.run_step).
"""

import datetime

from celery import chain, group, shared_task

from futures_crm.celery import app as _app  # noqa: F401 - a task sent from here goes through the configured app

from . import services

# Late acknowledgement: a task is removed from the queue only once it has finished, so a worker killed in
# the middle of a step leaves the step to another worker (prefetch 1: it holds no other task hostage).
NIGHTLY_TASK = {"acks_late": True, "reject_on_worker_lost": True}


@shared_task(name="segmentation.nightly_start", **NIGHTLY_TASK)
def nightly_start(day_iso: str | None = None, by_id: int | None = None) -> int:
    """Open the run record for the day (default: newest imported); refuses while another run is live."""
    from django.contrib.auth import get_user_model

    by = get_user_model().objects.filter(pk=by_id).first() if by_id else None
    day = datetime.date.fromisoformat(day_iso) if day_iso else None
    with services.engine_lock():
        return services.run_start(day=day, by=by).pk


IMPORT_TASK = "clients.import_drop_folder"


def _run_id(value) -> int:
    """After a group of shards the next task receives their results as a list: all the same run id."""
    while isinstance(value, list):
        value = value[0]
    return int(value)


# A step refused the engine is tried again: a redelivered step may find the session of its killed worker
# still holding the lock for a few seconds, or a copy of itself at work (then it is skipped once recorded).
LOCKED_RETRY = {"countdown": 5, "max_retries": 60}


def _step(name):
    @shared_task(name=f"segmentation.nightly_{name}", bind=True, **NIGHTLY_TASK)
    def step(self, run_id) -> int:
        try:
            with services.engine_lock():
                return services.run_step(_run_id(run_id), name)
        except services.NightlyLocked as exc:
            raise self.retry(exc=exc, **LOCKED_RETRY) from exc

    step.__doc__ = f"Nightly step: {name}."
    return step


STEP_TASKS = {name: _step(name) for name in services.STEP_NAMES}


@shared_task(name="segmentation.nightly_shard", bind=True, **NIGHTLY_TASK)
def nightly_shard(self, run_id, name: str, shard: int, shards: int) -> int:
    """One shard of a per-client step; the other shards run at the same time on other workers."""
    try:
        with services.engine_lock(shared=True):
            return services.run_step(_run_id(run_id), name, (shard, shards))
    except services.NightlyLocked as exc:
        raise self.retry(exc=exc, **LOCKED_RETRY) from exc


def _step_links(shards: int) -> list:
    links = []
    for name in services.STEP_NAMES:
        if shards > 1 and name in services.SHARDED_STEPS:
            links.append(group([nightly_shard.s(name, i, shards) for i in range(shards)]))
        else:
            links.append(STEP_TASKS[name].s())
    return links


def nightly_chain(day_iso: str | None = None, by_id: int | None = None, shards: int = 1):
    """The Celery chain for one trading day (import first when the import app provides the task)."""
    from futures_crm.celery import app

    links = [nightly_start.si(day_iso, by_id), *_step_links(shards)]
    if IMPORT_TASK in app.tasks:
        links.insert(0, app.tasks[IMPORT_TASK].si())
    return chain(*links)


def run_chain(run_id: int, shards: int | None = None):
    """The steps of a run already opened (services.run_open), the first one given the run id."""
    from django.conf import settings

    first = services.STEP_NAMES[0]  # "prepare": never sharded
    return chain(STEP_TASKS[first].si(run_id), *_step_links(shards or settings.NIGHTLY_SHARDS)[1:])


@shared_task(name="segmentation.nightly", **NIGHTLY_TASK)
def nightly(day_iso: str | None = None, by_id: int | None = None, skip_done: bool = False,
            shards: int | None = None) -> str | None:
    """Beat's entry point: start the chain for the day (default: the newest imported)."""
    from .models import NightlyRun

    day = day_iso or (services.engine.latest_trade_date() or datetime.date.min).isoformat()
    if skip_done and NightlyRun.objects.filter(trade_date=day, status="succeeded").exists():
        return None
    from django.conf import settings

    return nightly_chain(day, by_id, shards or settings.NIGHTLY_SHARDS).apply_async().id


@shared_task(name="segmentation.nightly_backfill", **NIGHTLY_TASK)
def nightly_backfill(start_iso: str, end_iso: str | None = None) -> int:
    """Recompute from a chosen day to the newest (e.g. after a new policy version), day by day."""
    start = datetime.date.fromisoformat(start_iso)
    end = datetime.date.fromisoformat(end_iso) if end_iso else services.engine.latest_trade_date()
    return len(services.run_range(start=start, end=end))


@shared_task(name="segmentation.send_scheduled_reports", acks_late=True, reject_on_worker_lost=True)
def send_scheduled_reports(day_iso: str | None = None) -> dict:
    """Daily (beat): e-mail the dashboards due this week or month; a second run or a redelivery sends nothing
    twice (reports.send_due_reports records each send)."""
    from . import reports

    return reports.send_due_reports(datetime.date.fromisoformat(day_iso) if day_iso else None)
