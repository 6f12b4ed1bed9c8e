"""The nightly chain under real faults, with real Celery worker processes on the real Redis broker.

- A worker killed with SIGKILL in the middle of a step (the whole worker: its main process and the pool process
  running the step), then a second worker started: the broker hands the unacknowledged step out again, the
  chain ends, the run succeeds.
- The pool process running a step killed with SIGKILL (a prefork worker stays up): the step is rejected back
  to the queue at once and run again once the dead process's database session has gone.
- Two nights started at the same moment, through the API: one 202, the other a 409 naming the winner.

Each compares the night's results, row by row, with a clean run of the same night: nothing lost, nothing
doubled, nothing stuck. The figures are printed (`faults injected`, `rows compared`, `lost`, `doubled`).

To stop a worker in the middle of a step, the test locks a table the step reads (segment overrides: only the
"axes" step reads them) and waits until the worker's database session is seen waiting on that lock.
"""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.db import connection, connections
from rest_framework.test import APIClient

from futures_crm.celery import app
from segmentation import services, tasks
from segmentation.models import ClientMetrics, ClientSegment, NightlyRun, SegmentTransition
from service.models import Task

from ..factories import ClientFactory
from .conftest import Book, weekdays

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
DAYS = weekdays(30)
VISIBILITY = 3  # seconds before Redis hands an unacknowledged task out again (the setting is 1800)
FIGURES = {"faults injected": 0, "rows compared": 0, "lost": 0, "doubled": 0}


@pytest.fixture(scope="module", autouse=True)
def _print_figures(request):
    yield
    with request.config.pluginmanager.get_plugin("capturemanager").global_and_fixture_disabled():
        print("\nnightly fault suite: " + ", ".join(f"{k} {v}" for k, v in FIGURES.items()))


@pytest.fixture
def brokerage(branches, staff):
    """120 clients with 30 trading days; the night of the 29th day already run (yesterday's results)."""
    if app.conf.task_always_eager:
        pytest.fail("CELERY_BROKER_URL is not set: the fault suite needs Redis (see `make test`)")
    app.control.purge()
    book = Book()
    for i in range(120):
        c = ClientFactory(branch=branches[i % 2], account_manager=staff["am1"] if i % 3 else None)
        trades = {"lots": i % 7, "position": i % 3, "hedge": i % 5 == 0, "commission": 3 * i}
        if i % 4 == 1:  # a deposit tonight lifts the 20-day average equity: the fund size changes on D
            book.days(c, DAYS[:-1], equity=400_000, **trades)
            book.days(c, DAYS[-1:], equity=30_000_000, deposit=29_600_000, **trades)
        elif i % 4 == 2:  # a withdrawal and a loss tonight: equity outflow and heavy loss, a retention task
            book.days(c, DAYS[:-1], equity=2_000_000, **trades)
            book.days(c, DAYS[-1:], equity=600_000, withdrawal=1_400_000, close_profit=-700_000, **trades)
        elif i % 4 == 3:  # stopped trading after the tenth day
            book.days(c, DAYS[:10], equity=80_000, **trades)
        else:
            book.days(c, DAYS, equity=50_000 * (i + 1) ** 2, **trades)
    book.save()
    services.run_night(day=DAYS[-2])


class Worker:
    """`celery -A futures_crm worker` in a process of its own, on the test database and broker."""

    def __init__(self, name: str, pool: str, visibility: int = VISIBILITY):
        db = connection.settings_dict
        env = os.environ | {
            "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:"
                            f"{db['PORT'] or 5432}/{db['NAME']}",
            "CELERY_VISIBILITY_TIMEOUT": str(visibility), "DEBUG": "1",
        }
        self.name = f"{name}@faults"
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            [sys.executable, "-m", "celery", "-A", "futures_crm", "worker", "--pool", pool, "--concurrency", "1",
             "--hostname", self.name, "--loglevel", "INFO", "--without-gossip", "--without-mingle",
             "--without-heartbeat"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: app.control.ping(destination=[self.name], timeout=0.5), 60, f"{self.name} to start")

    def pool_process(self) -> int:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        return int(children[0])

    def kill(self, *, pool_process_only: bool = False):
        """SIGKILL to the process running the task, and unless told otherwise to the worker itself."""
        child = self.pool_process()
        os.kill(child, signal.SIGKILL)
        if not pool_process_only:
            os.kill(self.process.pid, signal.SIGKILL)
        FIGURES["faults injected"] += 1

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def wait_for(condition, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"waited {seconds} s for {what}")


class TableLock:
    """An exclusive lock on a table, from a session of its own, until released."""

    def __init__(self, table: str):
        self.table, self.held, self.release = table, threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._hold)
        self.thread.start()
        assert self.held.wait(10)

    def _hold(self):
        try:
            with connection.cursor() as cur:
                cur.execute("BEGIN")
                cur.execute(f"LOCK TABLE {self.table} IN ACCESS EXCLUSIVE MODE")
                self.held.set()
                self.release.wait(120)
                cur.execute("COMMIT")
        finally:
            connections.close_all()

    def waiting_sessions(self) -> list[int]:
        with connection.cursor() as cur:
            cur.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                        " AND wait_event_type = 'Lock' AND query ILIKE %s", [f"%{self.table}%"])
            return [r[0] for r in cur.fetchall()]

    def free(self):
        self.release.set()
        self.thread.join()


def session_alive(pid: int) -> bool:
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
        return cur.fetchone()[0] > 0


def results() -> dict:
    """The night's published rows, keyed as the product reads them."""
    day = DAYS[-1]
    return {
        "segments": [tuple(r) for r in ClientSegment.objects.order_by("client").values_list(
            "client", "as_of", "purpose", "fund_size", "volume", "tenure", "churn_score", "churned",
            "lifetime_value", "loyalty_points")],
        "transitions": sorted(SegmentTransition.objects.filter(on_date=day).values_list(
            "client", "axis", "from_value", "to_value", "source")),
        "metrics": [tuple(r) for r in ClientMetrics.objects.order_by("client").values_list(
            "client", "as_of", "equity_sum_20", "lots_60", "traded_days_60", "net_commission_250")],
        "open tasks": sorted(Task.objects.filter(status="open").values_list("client", "kind")),
    }


def compare_with_a_clean_run(faulty: dict) -> None:
    """Run the same night again in-process (a rerun replaces the day's results) and compare row by row."""
    clean = services.run_night(day=DAYS[-1])
    assert clean.status == "succeeded", clean.error
    expected = results()
    for name, rows in expected.items():
        lost = [r for r in rows if r not in faulty[name]]
        doubled = len(faulty[name]) - len(set(faulty[name]))
        FIGURES["rows compared"] += len(rows)
        FIGURES["lost"] += len(lost)
        FIGURES["doubled"] += doubled
        assert lost == [] and doubled == 0 and sorted(faulty[name]) == sorted(rows), name
    assert len(expected["segments"]) == 120 and all(r[1] == DAYS[-1] for r in expected["segments"])
    assert expected["transitions"] and expected["open tasks"]  # the night changed something to compare


def assert_the_night_ended_well(run: NightlyRun) -> dict:
    run = wait_for(lambda: NightlyRun.objects.filter(pk=run.pk, status__in=["succeeded", "failed"]).first(), 90,
                   "the run to end")
    assert run.status == "succeeded", run.error
    assert [s["name"] for s in run.steps] == services.STEP_NAMES  # each step once
    assert not NightlyRun.objects.filter(status="running").exists()  # nothing stuck
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM segmentation_stage_metrics")
        assert cur.fetchone()[0] == 0  # no staging rows left behind
    return results()


def _stop_in_axes():
    """Open tonight's run, queue its chain, and hold it in the "axes" step: (run, lock, waiting session)."""
    lock = TableLock("segmentation_segmentoverride")
    run = services.run_open(day=DAYS[-1])
    tasks.run_chain(run.pk).apply_async()
    [session] = wait_for(lock.waiting_sessions, 60, "the axes step to wait on the lock")
    assert [s["name"] for s in NightlyRun.objects.get(pk=run.pk).steps] == ["prepare", "metrics"]
    return run, lock, session


def test_a_worker_killed_in_the_middle_of_a_night_leaves_the_step_to_another(brokerage):
    first = Worker("first", "prefork")
    second = None
    try:
        run, lock, session = _stop_in_axes()
        first.kill()  # the whole worker, both processes: nobody is left to return the step to the queue
        assert first.process.wait(10) == -signal.SIGKILL
        lock.free()
        # Its database session notices the client is gone and ends, with its locks and its half-done step.
        wait_for(lambda: not session_alive(session), 30, "the killed worker's session to end")
        run.refresh_from_db()
        assert run.status == "running" and len(run.steps) == 2
        time.sleep(VISIBILITY)
        second = Worker("second", "prefork")  # hands the unacknowledged step out again as it starts
        faulty = assert_the_night_ended_well(run)
    finally:
        first.stop()
        if second:
            second.stop()
    compare_with_a_clean_run(faulty)


def test_the_pool_process_killed_in_a_step_is_rejected_back_and_run_again(brokerage):
    worker = Worker("prefork", "prefork", visibility=1800)  # only the rejection can bring the step back
    try:
        run, lock, session = _stop_in_axes()
        worker.kill(pool_process_only=True)  # the worker stays; its process running the step does not
        # Rejected back to the queue at once; the new copy is refused the engine while the dead process's
        # session holds it, and tries again.
        time.sleep(2)
        lock.free()
        wait_for(lambda: not session_alive(session), 30, "the killed process's session to end")
        faulty = assert_the_night_ended_well(run)
    finally:
        worker.stop()
    compare_with_a_clean_run(faulty)


def test_two_nights_started_at_once_one_wins_and_the_other_is_told_which(brokerage, staff):
    worker = Worker("pair", "prefork")
    try:
        for _round in range(3):
            barrier, answers = threading.Barrier(2), []

            def start(barrier=barrier, answers=answers):
                client = APIClient()
                client.force_authenticate(staff["head"])
                barrier.wait()
                try:
                    answers.append(client.post("/api/segmentation/runs/start/", {"trade_date": DAYS[-1]},
                                               format="json"))
                finally:
                    connections.close_all()

            threads = [threading.Thread(target=start) for _ in range(2)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            FIGURES["faults injected"] += 1
            assert sorted(a.status_code for a in answers) == [202, 409]
            won = next(a.json() for a in answers if a.status_code == 202)
            refused = next(a.json() for a in answers if a.status_code == 409)
            # The loser names the winner's run, unless it lost the race for the lock before that run was recorded.
            assert refused["run"] in (won["run"], None) and refused["detail"], refused
            faulty = assert_the_night_ended_well(NightlyRun.objects.get(pk=won["run"]))
        assert NightlyRun.objects.filter(trade_date=DAYS[-1]).count() == 3  # one a round, none refused kept
    finally:
        worker.stop()
    compare_with_a_clean_run(faulty)
