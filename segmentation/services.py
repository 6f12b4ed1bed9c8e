"""Writes of the nightly engine: runs and their steps, tasks, indicator snapshots, overrides, policy versions."""

from __future__ import annotations

import contextlib
import datetime
import logging
import threading
import time
import traceback
import zlib

from django.conf import settings
from django.core.mail import mail_admins
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clients.models import Client
from futures_crm import texts
from futures_crm.audit import audit_record
from service.choices import TaskKind
from service.return_visits import schedule_return_visits
from service.services import task_upsert
from service.suitability import suitability_nightly

from . import engine, indicators
from .choices import RunStatus, TransitionSource
from .models import ClientSegment, NightlyRun, Policy, SegmentOverride, SegmentTransition
from .policy import DEFAULTS, default_params

log = logging.getLogger(__name__)

# One advisory-lock key for the whole engine ("SEGM" in ASCII).
LOCK_KEY = 0x5345474D
STEP_NAMES = ["prepare", "metrics", "axes", "signals", "value", "publish", "tasks", "indicators"]
# Steps that split by client (mod(client_id, shards) = shard) over several Celery workers.
SHARDED_STEPS = {"metrics", "axes", "signals", "value"}


class NightlyLocked(RuntimeError):
    """Another nightly run holds the engine; `run` is that run when it is known."""

    def __init__(self, message: str, run: NightlyRun | None = None):
        super().__init__(message)
        self.run = run


class NoSettlementData(ValueError):
    """The day asked for has no settlement data to run on."""


# ---------------------------------------------------------------- policy


# The note of the first version: a code, shown in the reader's language (views.PolicyView).
DEFAULTS_NOTE = "defaults"


def current_policy() -> Policy:
    """The newest policy version (version 1, the rules' defaults, on first use)."""
    policy = Policy.objects.order_by("-version").first()
    if policy is None:
        policy, _created = Policy.objects.get_or_create(version=1, defaults={"params": default_params(),
                                                                             "note": DEFAULTS_NOTE})
    return policy


@transaction.atomic
def policy_create(*, params: dict, note: str, by) -> Policy:
    """Save edited thresholds as a new version; results already computed keep the version they used."""
    base = current_policy()
    merged = default_params() | base.params | {k: str(v) for k, v in params.items() if k in DEFAULTS}
    policy = Policy.objects.create(version=base.version + 1, params=merged, note=note, created_by=by)
    audit_record(actor=by, action="policy_create", obj=policy, before={"version": base.version},
                 after={"version": policy.version}, reason=note)
    return policy


# ---------------------------------------------------------------- locking and run records


@contextlib.contextmanager
def engine_lock(*, shared: bool = False):
    """PostgreSQL session advisory lock: a second holder is refused at once, never queued.

    The shards of one step hold it shared (they run side by side); everything else holds it exclusively.
    """
    kind = "_shared" if shared else ""
    with connection.cursor() as cur:
        if connection.pg_version >= 140000:
            # A worker killed in the middle of a step leaves its database session behind, still holding this
            # lock until its statement ends; checking the client every 2 s ends such a session (and frees the
            # lock) within seconds, so the step's retry is not refused for long.
            cur.execute("SET client_connection_check_interval = 2000")
        cur.execute(f"SELECT pg_try_advisory_lock{kind}(%s)", [LOCK_KEY])
        if not cur.fetchone()[0]:
            raise refusal(live_run())
    try:
        yield
    finally:
        with connection.cursor() as cur:
            cur.execute(f"SELECT pg_advisory_unlock{kind}(%s)", [LOCK_KEY])


def _stale_after() -> datetime.timedelta:
    return datetime.timedelta(minutes=settings.NIGHTLY_STALE_MINUTES)


def live_run() -> NightlyRun | None:
    """The run recorded as running whose heartbeat is fresh (a step at work, or a chain between two steps)."""
    return (NightlyRun.objects.filter(status=RunStatus.RUNNING, heartbeat_at__gte=timezone.now() - _stale_after())
            .order_by("-started_at", "-pk").first())


def refusal(run: NightlyRun | None) -> NightlyLocked:
    """The refusal of a start while `run` holds the engine, naming it (in the caller's language)."""
    if run is None:
        return NightlyLocked(_("Another nightly run is in progress."))
    return NightlyLocked(
        _("Nightly run #%(id)s for %(day)s holds the engine (running since %(started)s, last sign of life "
          "%(heartbeat)s); start again once it has finished.") % {
            "id": run.pk, "day": run.trade_date.isoformat(),
            "started": timezone.localtime(run.started_at).strftime("%Y-%m-%d %H:%M:%S"),
            "heartbeat": timezone.localtime(run.heartbeat_at).strftime("%H:%M:%S")},
        run=run)


def run_start(*, day: datetime.date | None = None, by=None, full: bool = False) -> NightlyRun:
    """Open a run record for `day` (default: newest imported day). Call under engine_lock().

    Refused (NightlyLocked, naming the run) while a run recorded as running has a fresh heartbeat: a step at
    work beats every NIGHTLY_HEARTBEAT_SECONDS, so a heartbeat older than NIGHTLY_STALE_MINUTES means the
    run was killed: it is marked failed and its staging rows cleared. A day without settlement data is
    refused (NoSettlementData) before anything is recorded.
    """
    holder = live_run()
    if holder is not None:
        raise refusal(holder)
    day = day or engine.latest_trade_date()
    if day is None:
        raise NoSettlementData(_("No settlement data has been imported yet."))
    engine.refresh_calendar(day)
    try:
        engine.calendar_for(day)
    except ValueError:
        raise NoSettlementData(_("%(day)s has no settlement data: choose a trading day that has been imported.")
                               % {"day": day.isoformat()}) from None
    NightlyRun.objects.filter(status=RunStatus.RUNNING).update(
        status=RunStatus.FAILED, error="abandoned (no sign of life)", finished_at=timezone.now())
    engine.clear_stage()
    return NightlyRun.objects.create(trade_date=day, policy_version=current_policy().version, triggered_by=by,
                                     mode="full" if full else "")


def run_open(*, day: datetime.date | None = None, by=None, full: bool = False) -> NightlyRun:
    """Open a run at once (the page and the API), so a refusal is an answer rather than a failed task."""
    with engine_lock():
        return run_start(day=day, by=by, full=full)


class _Heartbeat:
    """Beats the run's heartbeat from a thread of its own while a long step works, so a live run is never
    taken for a stale one. Its own database connection: the step's transaction does not hold the run row."""

    def __init__(self, run_id: int):
        self.run_id = run_id
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._beat, name=f"nightly-heartbeat-{run_id}", daemon=True)

    def _beat(self):
        from django.db import connections

        try:
            while not self.stop.wait(settings.NIGHTLY_HEARTBEAT_SECONDS):
                NightlyRun.objects.filter(pk=self.run_id, status=RunStatus.RUNNING).update(
                    heartbeat_at=timezone.now())
        except Exception:  # a missed beat must not end the step; the next one may get through
            log.exception("nightly heartbeat of run %s", self.run_id)
        finally:
            connections.close_all()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()


def _record_step(run: NightlyRun, label: str, seconds: float, rows) -> NightlyRun:
    """Record a step in the step's own transaction: a step is recorded exactly when its work is committed."""
    # Locked: the shards of a step finish side by side and must not overwrite each other's entries.
    locked = NightlyRun.objects.select_for_update().get(pk=run.pk)
    locked.steps = [s for s in locked.steps if s["name"] != label] + [
        {"name": label, "seconds": round(seconds, 3), "rows": rows}]
    locked.mode = run.mode or locked.mode
    if label == STEP_NAMES[-1]:
        locked.status = RunStatus.SUCCEEDED
        locked.finished_at = timezone.now()
    locked.save(update_fields=["steps", "mode", "status", "finished_at", "heartbeat_at"])
    return locked


def run_fail(run: NightlyRun, exc: BaseException) -> None:
    """Record the failure and tell the administrators."""
    run.status = RunStatus.FAILED
    run.error = "".join(traceback.format_exception(exc))[-4000:]
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "error", "finished_at", "heartbeat_at"])
    mail_admins(
        f"Nightly segmentation run {run.trade_date} failed",
        f"Run #{run.pk} for {run.trade_date} (policy v{run.policy_version}) failed:\n\n{run.error}",
        fail_silently=True,
    )


def _step_lock(run_id: int, label: str) -> bool:
    """A transaction lock on one step of one run: a redelivered copy of a step still at work is refused."""
    with connection.cursor() as cur:
        cur.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", [run_id, zlib.crc32(label.encode()) & 0x7FFFFFFF])
        return cur.fetchone()[0]


def run_step(run_id: int, name: str, shard: tuple[int, int] = (0, 1)) -> int:
    """Execute one step (or one shard of it) of a run, timing it and counting its rows.

    Idempotent, for a task delivered twice (its worker killed, the broker redelivering it): the step's work
    and its entry in `run.steps` commit together, a step already recorded is skipped, and a copy of a step
    another worker is running is refused (NightlyLocked) without touching the run. A failure of the work
    fails the run and alerts the administrators.
    """
    label = name if shard[1] == 1 else f"{name}[{shard[0]}/{shard[1]}]"
    failure = None
    with transaction.atomic():
        if not _step_lock(run_id, label):
            raise NightlyLocked(f"step {label} of run {run_id} is being run by another worker")
        run = NightlyRun.objects.get(pk=run_id)
        if any(s["name"] == label for s in run.steps):
            return run_id
        if run.status != RunStatus.RUNNING:
            raise RuntimeError(f"run {run_id} is {run.status}, not running")
        started = time.monotonic()
        try:
            with transaction.atomic():  # a step is all or nothing, its record included
                # The heartbeat stops before the record locks the run row: its thread must never wait on it.
                with _Heartbeat(run_id):
                    rows = STEPS[name](run, shard) if name in SHARDED_STEPS else STEPS[name](run)
                _record_step(run, label, time.monotonic() - started, rows)
        except Exception as exc:
            failure = exc
    if failure is not None:
        run_fail(run, failure)
        raise failure
    return run_id


def run_night(*, day: datetime.date | None = None, by=None, full: bool = False) -> NightlyRun:
    """The whole pipeline for one trading day, synchronously, holding the engine lock throughout."""
    with engine_lock():
        run = run_start(day=day, by=by, full=full)
        for name in STEP_NAMES:
            run_step(run.pk, name)
    run.refresh_from_db()
    return run


def run_range(*, start: datetime.date, end: datetime.date, by=None) -> list[NightlyRun]:
    """Backfill day by day, in order, so the transitions come out as they would have night after night."""
    days = trading_days_between(start, end)
    return [run_night(day=d, by=by) for d in days]


def indicators_rebuild(*, start: datetime.date, end: datetime.date) -> dict[datetime.date, int]:
    """Rewrite the indicator snapshots of the trading days from `start` to `end` (set-based, one statement a
    day, each day its own transaction), holding the engine so no night writes at the same time.

    What history holds (settlements, tasks, tickets, contacts, surveys, transitions) is recomputed; the figures
    only a night's own results give (segments, churn, value, loyalty, retention) are recomputed for the day
    the newest results are as of, and kept as stored for older days (`run_nightly --from --to` redoes them).
    """
    policy = current_policy()
    score = int(policy.value("retention_score"))
    out = {}
    with engine_lock():
        for day in trading_days_between(start, end):
            with transaction.atomic():
                out[day] = indicators.rebuild_day(day, policy_version=policy.version, score=score)
    return out


def trading_days_between(start: datetime.date, end: datetime.date) -> list[datetime.date]:
    engine.refresh_calendar(end)
    with connection.cursor() as cur:
        cur.execute("SELECT day FROM segmentation_tradingday WHERE day BETWEEN %s AND %s ORDER BY day",
                    [start, end])
        return [r[0] for r in cur.fetchall()]


# ---------------------------------------------------------------- the steps


def _step_prepare(run: NightlyRun):
    """Summarise the day (and any window day never summarised); choose rolling or full."""
    cal = engine.calendar_for(run.trade_date)
    days = engine.days_to_summarise(cal)
    summarised = engine.summarise_days(days)
    pruned = engine.prune_client_days(cal)
    # Any day other than D (re)summarised means the rolling sums of yesterday no longer hold.
    rolling = run.mode != "full" and days == [cal.day] and engine.can_roll_forward(cal)
    run.mode = "rolling" if rolling else "full"  # saved with the step's record (the run row stays unlocked)
    engine.clear_stage(run.pk)
    return {"days_summarised": len(days), "client_days": summarised, "client_days_pruned": pruned}


def _step_metrics(run: NightlyRun, shard):
    fn = engine.stage_metrics_rolling if run.mode == "rolling" else engine.stage_metrics_full
    return fn(run.pk, engine.calendar_for(run.trade_date), shard)


def _policy(run: NightlyRun) -> Policy:
    return Policy.objects.get(version=run.policy_version)


def _step_axes(run, shard):
    return engine.stage_axes(run.pk, engine.calendar_for(run.trade_date), _policy(run), shard)


def _step_signals(run, shard):
    return engine.stage_signals(run.pk, engine.calendar_for(run.trade_date), _policy(run), shard)


def _step_value(run, shard):
    return engine.stage_value(run.pk, engine.calendar_for(run.trade_date), _policy(run), shard)


def _step_publish(run):
    return engine.publish(run.pk, engine.calendar_for(run.trade_date), run.policy_version)


def _step_tasks(run):
    # Suitability alerts, renewal tasks and return visits ride on the tasks step: same day, same transaction.
    return {**tasks_for_day(run.trade_date, _policy(run)), **suitability_nightly(day=run.trade_date),
            **schedule_return_visits(day=run.trade_date)}


def _step_indicators(run):
    """The day's indicator snapshot, kept for ever (a rerun of the day rewrites that day only): the history, and
    the figures every dashboard reads."""
    policy = _policy(run)
    return indicators.write_day(run.trade_date, policy_version=policy.version,
                                score=int(policy.value("retention_score")))


STEPS = {
    "prepare": _step_prepare, "metrics": _step_metrics, "axes": _step_axes, "signals": _step_signals,
    "value": _step_value,
    "publish": _step_publish, "tasks": _step_tasks, "indicators": _step_indicators,
}


# ---------------------------------------------------------------- tasks


def _task_candidates(day: datetime.date, policy: Policy) -> dict[str, list[int]]:
    """Clients owed a task tonight, chosen set-based; a task already opened for the same cause is skipped."""
    source = f"segmentation:{day.isoformat()}"
    cooldown_from = timezone.make_aware(datetime.datetime.combine(
        day - datetime.timedelta(days=int(policy.value("retention_cooldown_days"))), datetime.time()))
    sql = {
        # One open retention task per client, and not a new one each night after a person closes it.
        TaskKind.RETENTION: """
            SELECT s.client_id FROM segmentation_clientsegment s
            WHERE s.as_of = %(d)s AND s.churn_score >= %(score)s AND NOT EXISTS (
                SELECT 1 FROM service_task t WHERE t.client_id = s.client_id AND t.kind = 'retention'
                  AND (t.status = 'open' OR t.created_at >= %(cooldown)s))""",
        TaskKind.REACTIVATION: """
            SELECT h.client_id FROM segmentation_segmenttransition h
            WHERE h.on_date = %(d)s AND h.axis = 'volume' AND h.to_value = 'dormant' AND h.source = 'rule'
              AND NOT EXISTS (SELECT 1 FROM service_task t WHERE t.client_id = h.client_id
                              AND t.kind = 'reactivation' AND (t.status = 'open' OR t.source = %(source)s))""",
        # A new hedger: the purpose turned hedger tonight, or a new account starts as one.
        TaskKind.HEDGING_PLAN: """
            SELECT h.client_id FROM segmentation_segmenttransition h
            JOIN segmentation_clientsegment s ON s.client_id = h.client_id
            WHERE h.on_date = %(d)s AND h.axis = 'purpose' AND h.to_value = 'hedger'
              AND (h.source = 'rule' OR (h.source = 'start' AND s.tenure = 'new'))
              AND NOT EXISTS (SELECT 1 FROM service_task t WHERE t.client_id = h.client_id
                              AND t.kind = 'hedging_plan' AND (t.status = 'open' OR t.source = %(source)s))""",
    }
    params = {"d": day, "score": policy.value("retention_score"), "cooldown": cooldown_from, "source": source}
    out = {}
    with connection.cursor() as cur:
        for kind, query in sql.items():
            cur.execute(query, params)
            out[kind] = [r[0] for r in cur.fetchall()]
    return out


# The title of each kind of task the night opens (codes of segmentation/texts.py).
TASK_TITLES = {
    TaskKind.RETENTION: "task.retention",
    TaskKind.REACTIVATION: "task.reactivation",
    TaskKind.HEDGING_PLAN: "task.hedging_plan",
}


def tasks_for_day(day: datetime.date, policy: Policy) -> dict:
    """Open the night's tasks through the service desk's task_upsert (only the few clients that need one)."""
    candidates = _task_candidates(day, policy)
    due = day + datetime.timedelta(days=int(policy.value("task_due_days")))
    ids = {i for v in candidates.values() for i in v}
    clients = Client.objects.filter(pk__in=ids).select_related("branch", "account_manager__staff_profile",
                                                                "segment").in_bulk()
    counts = {}
    for kind, client_ids in candidates.items():
        for cid in client_ids:
            client = clients[cid]
            manager = client.account_manager
            profile = getattr(manager, "staff_profile", None) if manager else None
            # A departed manager cannot act on it: the task goes to the branch's unassigned worklist.
            owner = manager if manager is not None and manager.is_active and (profile is None or profile.is_active) \
                else None
            title = texts.text(TASK_TITLES[kind], **(
                {"score": getattr(client.segment, "churn_score", "")} if kind == TaskKind.RETENTION else {}))
            task_upsert(client=client, kind=kind, due_on=due, owner=owner, title=title,
                        source=f"segmentation:{day.isoformat()}")
        counts[kind.value] = len(client_ids)
    return counts


# ---------------------------------------------------------------- overrides


@transaction.atomic
def override_set(*, client: Client, axis: str, value: str, reason: str, by,
                 expires_on: datetime.date | None = None) -> SegmentOverride:
    """Pin one axis of a client: it applies at once and wins over the rule until it expires or is removed."""
    now = timezone.now()
    SegmentOverride.objects.filter(client=client, axis=axis, removed_at__isnull=True).update(
        removed_at=now, removed_by=by)
    pin = SegmentOverride.objects.create(client=client, axis=axis, value=value, reason=reason, by=by,
                                         expires_on=expires_on)
    _apply_now(client=client, axis=axis, value=value, by=by, reason=reason)
    audit_record(actor=by, action="segment_override", obj=pin, client=client,
                 after={"axis": axis, "value": value, "expires_on": expires_on}, reason=reason)
    return pin


@transaction.atomic
def override_remove(*, pin: SegmentOverride, by) -> None:
    """Unpin: the rule's value comes back at the next nightly run."""
    pin.removed_at = timezone.now()
    pin.removed_by = by
    pin.save(update_fields=["removed_at", "removed_by"])
    audit_record(actor=by, action="segment_override_remove", obj=pin, client=pin.client,
                 before={"axis": pin.axis, "value": pin.value})


def _apply_now(*, client, axis, value, by, reason) -> None:
    """The pinned value shows at once and is kept as a person's transition."""
    segment = ClientSegment.objects.select_for_update().filter(client=client).first()
    if segment is None:
        return  # not classified yet: the first nightly run starts it at the pinned value
    old = getattr(segment, axis)
    if old == value:
        return
    setattr(segment, axis, value)
    segment.save(update_fields=[axis])
    SegmentTransition.objects.create(client=client, axis=axis, from_value=old, to_value=value,
                                     on_date=timezone.localdate(), source=TransitionSource.PERSON, by=by,
                                     reason=reason, policy_version=segment.policy_version)
