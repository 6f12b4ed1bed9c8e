"""Benchmark one nightly run against a hand-written SQL statement computing the same per-client aggregates.

Loads N clients × D trading days set-based (generate_series/unnest) into a DEDICATED database, runs the
night before the last day (setup: it summarises every day and builds the rolling sums from the
250-day window), then times the last day's night (the nightly case: rolling), a full rebuild of the
same day, and one hand-written statement over the settlement tables; prints all with the ratios.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench python manage.py migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench python manage.py bench_nightly --clients 100000 --days 250

With `--workers 1,2` (and CELERY_BROKER_URL naming a Redis db of its own) the nights are also run through
real Celery workers: for each count N a `celery -A futures_crm worker --concurrency N` is started as a
subprocess, the per-client steps are split in N shards (tasks.nightly_chain / tasks.run_chain), and the
wall time from sending the chain to its result is printed with the steps' times the run recorded. The
worker is stopped afterwards. `--skip-inprocess` (with `--reuse`) times only the workers.
"""

import contextlib
import datetime
import os
import pathlib
import socket
import statistics
import subprocess
import sys
import tempfile
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from clients.models import Branch, Client
from clients.partitions import ensure_settlement_months
from segmentation import engine, services, tasks
from segmentation.management import bench_indicators
from segmentation.models import NightlyRun

END = datetime.date(2026, 6, 30)

HAND_SQL = """
CREATE TEMP TABLE bench_hand AS
WITH k AS (
    SELECT client_id, trade_date, SUM(buy_lots + sell_lots) AS lots,
           SUM(buy_lots + sell_lots) FILTER (WHERE hedge_flag = 'hedge') AS hedge_lots,
           bool_and(long_position = 0 AND short_position = 0) AS all_flat
    FROM clients_contractsettlement WHERE trade_date BETWEEN %(w250)s AND %(d)s GROUP BY client_id, trade_date
), x AS (
    SELECT COALESCE(a.client_id, k.client_id) AS client_id, COALESCE(a.trade_date, k.trade_date) AS trade_date,
           a.equity, a.close_profit + a.position_profit - a.commission AS net_pnl,
           a.commission - a.exchange_fee AS net_commission, a.deposit, a.withdrawal,
           COALESCE(k.lots, 0) AS lots, COALESCE(k.hedge_lots, 0) AS hedge_lots,
           COALESCE(k.lots > 0 AND k.all_flat, false) AS flat
    FROM (SELECT * FROM clients_accountsettlement WHERE trade_date BETWEEN %(w250)s AND %(d)s) a
    FULL JOIN k ON k.client_id = a.client_id AND k.trade_date = a.trade_date
)
SELECT c.id,
  SUM(x.equity) FILTER (WHERE x.trade_date >= %(w20)s) AS equity_sum_20,
  COUNT(x.equity) FILTER (WHERE x.trade_date >= %(w20)s) AS equity_days_20,
  SUM(x.equity) FILTER (WHERE x.trade_date >= %(w60)s) AS equity_sum_60,
  COUNT(x.equity) FILTER (WHERE x.trade_date >= %(w60)s) AS equity_days_60,
  SUM(x.net_pnl) FILTER (WHERE x.trade_date >= %(w20)s) AS net_pnl_20,
  SUM(x.net_pnl) FILTER (WHERE x.trade_date >= %(w60)s) AS net_pnl_60,
  SUM(x.net_commission) AS net_commission_250,
  SUM(x.deposit) FILTER (WHERE x.trade_date >= %(w20)s) AS deposits_20,
  SUM(x.withdrawal) FILTER (WHERE x.trade_date >= %(w20)s) AS withdrawals_20,
  SUM(x.lots) FILTER (WHERE x.trade_date >= %(w20)s) AS lots_20,
  SUM(x.lots) FILTER (WHERE x.trade_date >= %(w60)s) AS lots_60,
  SUM(x.lots) FILTER (WHERE x.trade_date >= %(w80)s) AS lots_80,
  SUM(x.lots) AS lots_250, SUM(x.hedge_lots) AS hedge_lots_250,
  COUNT(*) FILTER (WHERE x.trade_date >= %(w60)s AND x.lots > 0) AS traded_days_60,
  COUNT(*) FILTER (WHERE x.trade_date >= %(w60)s AND x.flat) AS flat_days_60,
  COUNT(*) FILTER (WHERE x.trade_date >= %(w120)s AND x.lots > 0) AS traded_days_120,
  MAX(x.equity) FILTER (WHERE x.trade_date = %(o20)s) AS equity_20_ago,
  (array_agg(x.equity ORDER BY x.trade_date DESC) FILTER (WHERE x.equity IS NOT NULL))[1] AS last_equity
FROM clients_client c LEFT JOIN x ON x.client_id = c.id
GROUP BY c.id
"""


def weekdays_back(n: int, end: datetime.date = END) -> list[datetime.date]:
    out, d = [], end
    while len(out) < n:
        if d.weekday() < 5:
            out.append(d)
        d -= datetime.timedelta(days=1)
    return out[::-1]


def vacuum() -> None:
    """Nights are a day apart: autovacuum has cleaned up after the previous one by then."""
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE segmentation_clientday, segmentation_clientmetrics,"
                    " segmentation_clientsegment, segmentation_segmenttransition, segmentation_stage_metrics,"
                    " segmentation_stage_segment")


def uptime() -> str:
    """The 1-minute load average now (the machine is shared)."""
    return f"load {os.getloadavg()[0]:.2f}"


@contextlib.contextmanager
def celery_worker(concurrency: int, out):
    """A real `celery worker --concurrency N` on this database and broker, started for the block and stopped
    after it. Its drop folder is an empty directory of its own, so the chain's import step finds nothing."""
    from futures_crm.celery import app

    app.control.purge()  # nothing left over from an interrupted run is handed to the new worker
    node = f"bench-nightly-{os.getpid()}-{concurrency}@{socket.gethostname()}"
    with tempfile.TemporaryDirectory(prefix="bench-nightly-") as tmp, \
            open(os.path.join(tmp, "banner.log"), "w") as banner:
        log = os.path.join(tmp, "worker.log")
        proc = subprocess.Popen(  # noqa: S603 - this interpreter's own celery, with constant arguments
            [sys.executable, "-m", "celery", "-A", "futures_crm", "worker", "--concurrency", str(concurrency),
             "--pool", "prefork", "--prefetch-multiplier", "1", "-n", node, "--without-gossip", "--without-mingle",
             "--loglevel", "WARNING", "--logfile", log],
            env=os.environ | {"IMPORT_DROP_DIR": tmp}, cwd=settings.BASE_DIR, start_new_session=True,
            stdout=banner, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 120
            while not app.control.ping(destination=[node], timeout=1.0):
                if proc.poll() is not None or time.monotonic() > deadline:
                    tail = pathlib.Path(log).read_text()[-2000:] if os.path.exists(log) else ""
                    raise CommandError(f"the worker did not start (exit {proc.poll()}): {tail}")
            out(f"worker {node} up, concurrency {concurrency}")
            yield node
        finally:
            proc.terminate()  # warm shutdown: the task at work (none by now) would be finished first
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _column_defaults(model, overrides: dict) -> tuple[list[str], list[str]]:
    """Column names and SQL expressions for a set-based INSERT of `model`, with neutral values."""
    from django.db import models

    cols, exprs = [], []
    for f in model._meta.concrete_fields:
        if f.primary_key:
            continue
        cols.append(f.column)
        if f.name in overrides:
            exprs.append(overrides[f.name])
        elif f.null:
            exprs.append("NULL")
        elif isinstance(f, models.BooleanField):
            exprs.append("true" if f.default is True else "false")
        elif isinstance(f, models.JSONField):
            exprs.append("'[]'::jsonb")
        elif isinstance(f, models.DateTimeField):
            exprs.append("now()")
        elif isinstance(f, (models.CharField, models.TextField)):
            exprs.append("''")
        else:
            exprs.append("0")
    return cols, exprs


class Command(BaseCommand):
    help = "Benchmark the nightly run (N clients × D days) against hand-written SQL. Wipes the database's data."

    def add_arguments(self, parser):
        parser.add_argument("--clients", type=int, default=10_000)
        parser.add_argument("--days", type=int, default=250)
        parser.add_argument("--reuse", action="store_true", help="keep the data loaded by a previous call")
        parser.add_argument("--yes", action="store_true", help="confirm: this database is for benchmarks")
        parser.add_argument("--indicators", action="store_true",
                            help="spread the clients over branches, managers and intermediaries, give them tasks, "
                                 "tickets, contacts and surveys, store two years of indicator history, and time "
                                 "the indicator step's share of the night, the dashboard pages and "
                                 "GET /api/indicators/")
        parser.add_argument("--workers", default="",
                            help="worker process counts, e.g. 1,2: also time the nights through real Celery workers "
                                 "(needs CELERY_BROKER_URL), the per-client steps split in that many shards")
        parser.add_argument("--repeat", type=int, default=1, help="nights through the workers, per worker count")
        parser.add_argument("--skip-inprocess", action="store_true",
                            help="with --reuse: no setup night, no in-process nights, no hand-written SQL")

    def handle(self, *args, clients, days, reuse, yes, indicators=False, workers="", repeat=1, skip_inprocess=False,
               **options):
        name = connection.settings_dict["NAME"]
        if not (yes or "bench" in name):
            raise CommandError(f"bench_nightly wipes {name!r}; use a database named *bench* or pass --yes.")
        self.out = self.stdout.write
        cal = weekdays_back(days)
        counts = [int(n) for n in workers.split(",") if n.strip()]
        if counts and not settings.CELERY_BROKER_URL:
            raise CommandError("--workers needs CELERY_BROKER_URL (a Redis db of its own): the nights go through "
                               "a real broker to real worker processes.")
        if skip_inprocess:
            if not (reuse and counts):
                raise CommandError("--skip-inprocess goes with --reuse and --workers.")
            self.through_workers(cal, counts, repeat)
            return
        if not reuse:
            self.load(clients, cal)
            if indicators:
                bench_indicators.spread(cal[-1])
        # Setup: the night before, from scratch (summarises every day and builds the rolling sums).
        setup = self.timed("setup: first night (day D-1, builds ClientDay + window sums)",
                           lambda: services.run_night(day=cal[-2]))
        if indicators:
            self.out(f"indicator history: {bench_indicators.history(cal[-2])} rows (two years before D-1)")
        # Nights are a day apart: autovacuum has cleaned up after the previous one by then.
        vacuum()
        night = self.timed("night D (rolling)", lambda: services.run_night(day=cal[-1]))
        self.steps(night)
        if indicators:
            step = next(s["seconds"] for s in night[0].steps if s["name"] == "indicators")
            rest = sum(s["seconds"] for s in night[0].steps) - step
            self.out(f"RESULT indicators step {step:.2f}s = {100 * step / rest:.1f} % of the rest of the night "
                     f"({rest:.2f}s)")
            bench_indicators.report(self.out, cal[-1])
        full = self.timed("night D again, full rebuild from the 250-day window",
                          lambda: services.run_night(day=cal[-1], full=True))
        self.steps(full)
        c = engine.calendar_for(cal[-1])
        with connection.cursor() as cur:
            cur.execute("DROP TABLE IF EXISTS bench_hand")
            started = time.monotonic()
            cur.execute(HAND_SQL, c.params())
            hand = time.monotonic() - started
            cur.execute("SELECT count(*) FROM bench_hand")
            n = cur.fetchone()[0]
        self.out(f"hand-written SQL (same per-client aggregates, {n} clients): {hand:.2f}s")
        n_night, n_full = night[1], full[1]
        self.out(f"RESULT clients={clients} days={days} night={n_night:.2f}s full={n_full:.2f}s hand={hand:.2f}s "
                 f"night/hand={n_night / hand:.2f} full/hand={n_full / hand:.2f} setup={setup[1]:.1f}s")
        if counts:
            self.through_workers(cal, counts, repeat)

    def through_workers(self, cal, counts: list[int], repeat: int) -> None:
        """For each worker count N: yesterday's night in full (it puts D−1's sums in place), then D rolling, then D
        as a full rebuild, all through N worker processes and N shards; `repeat` times; min/median/max."""
        for n in counts:
            walls = {"full D-1": [], "rolling": [], "full": []}
            with celery_worker(n, self.out):
                for _i in range(repeat):
                    for label, day, full in (("full D-1", cal[-2], True), ("rolling", cal[-1], False),
                                             ("full", cal[-1], True)):
                        if label == "rolling":
                            vacuum()  # as between two nights (autovacuum has had the day)
                        walls[label].append(self.chain_night(n, label, day, full))
            for label, times in walls.items():
                self.out(f"RESULT workers={n} {label}: min {min(times):.2f}s median {statistics.median(times):.2f}s "
                         f"max {max(times):.2f}s over {len(times)} ({uptime()})")

    def chain_night(self, n: int, label: str, day: datetime.date, full: bool) -> float:
        """One night through the workers: the beat's chain (rolling) or the page's full rebuild (run_open with
        full=True, then the steps queued); wall time from sending it to the last step's result."""
        started = time.monotonic()
        if full:
            result = tasks.run_chain(services.run_open(day=day, full=True).pk, shards=n).apply_async()
        else:
            result = tasks.nightly_chain(day.isoformat(), shards=n).apply_async()
        run = NightlyRun.objects.get(pk=result.get(timeout=3600))
        wall = time.monotonic() - started
        wanted = "full" if full else "rolling"
        if run.mode != wanted or run.status != "succeeded":
            raise CommandError(f"run #{run.pk} for {day} is {run.status} {run.mode}, not a succeeded {wanted} night")
        # A step split in shards takes as long as its slowest shard (they run side by side).
        per_step: dict[str, float] = {}
        for s in run.steps:
            name = s["name"].split("[")[0]
            per_step[name] = max(per_step.get(name, 0.0), s["seconds"])
        overhead = wall - sum(per_step.values())
        self.out(f"workers={n} {label} night {day} [{run.mode}]: {wall:.2f}s wall, "
                 + ", ".join(f"{k} {v:.2f}s" for k, v in per_step.items())
                 + f", outside the steps (opening, queueing, commits) {overhead:.2f}s ({uptime()})")
        shards = [f"{s['name']} {s['seconds']:.2f}s" for s in run.steps if "[" in s["name"]]
        if shards:
            self.out("    shards: " + ", ".join(shards))
        return wall

    def timed(self, label, fn):
        started = time.monotonic()
        result = fn()
        elapsed = time.monotonic() - started
        self.out(f"{label}: {elapsed:.2f}s")
        return result, elapsed

    def steps(self, timed):
        run = timed[0]
        self.out("    " + ", ".join(f"{s['name']} {s['seconds']:.2f}s" for s in run.steps) + f" [{run.mode}]")

    def load(self, n_clients: int, cal: list[datetime.date]) -> None:
        started = time.monotonic()
        with connection.cursor() as cur:
            cur.execute("TRUNCATE clients_client, segmentation_tradingday, segmentation_clientday,"
                        " segmentation_stage_metrics, segmentation_stage_segment, segmentation_nightlyrun,"
                        " segmentation_indicatorsnapshot CASCADE")
            branch, _c = Branch.objects.get_or_create(code="BENCH", defaults={"name": "Bench"})
            cols, exprs = _column_defaults(Client, {
                "account_id": "'B' || lpad(g::text, 9, '0')", "name": "'客户' || g", "client_type":
                "CASE WHEN mod(g, 50) = 0 THEN 'spot_enterprise' WHEN mod(g, 10) = 0 THEN 'institution'"
                " ELSE 'individual' END",
                "branch": str(branch.pk), "status": "'active'",
                "open_date": "DATE '2026-06-30' - mod(g, 4000)", "birthday": "DATE '1960-01-01' + mod(g, 12000)",
            })
            cur.execute(f"INSERT INTO clients_client ({', '.join(cols)}) SELECT {', '.join(exprs)}"
                        f" FROM generate_series(1, %s) g", [n_clients])
            self.out(f"loaded {n_clients} clients")
            ensure_settlement_months(cal[0], cal[-1])  # each month into its partition, as the import does
            cur.execute("SELECT setseed(0.42)")
            # Steady books: equity per client, rare flows, small P&L; a few at-risk clients.
            cur.execute(
                """
                INSERT INTO clients_accountsettlement (trade_date, client_id, pre_balance, deposit, withdrawal,
                    close_profit, position_profit, commission, exchange_fee, balance, equity, margin, available,
                    margin_call)
                SELECT d.day, c.id, c.base, 0,
                       CASE WHEN random() < 0.01 THEN round((c.base * 0.05)::numeric, 2) ELSE 0 END,
                       round((c.base * (random() - 0.5) * 0.01)::numeric, 2), 0,
                       round((random() * 50)::numeric, 2), 2, c.base, c.base, 0, c.base, 0
                FROM unnest(%s::date[]) AS d(day)
                CROSS JOIN (SELECT id, (10000 + mod(id, 997) * 10000)::numeric AS base FROM clients_client) c
                """,
                [cal],
            )
            self.out(f"loaded {cur.rowcount} account rows ({time.monotonic() - started:.0f}s)")
            cur.execute(
                """
                INSERT INTO clients_contractsettlement (trade_date, client_id, exchange, instrument, product,
                    hedge_flag, buy_lots, sell_lots, turnover, commission, exchange_fee, close_profit,
                    long_position, short_position, margin)
                SELECT d.day, c.id, 'SHFE', 'rb2610', 'rb',
                       CASE WHEN mod(c.id, 30) = 0 THEN 'hedge' ELSE 'speculation' END,
                       1 + (random() * 10)::int, (random() * 10)::int, 0, 0, 0, 0,
                       CASE WHEN random() < 0.3 THEN 0 ELSE 1 END, 0, 0
                FROM unnest(%s::date[]) AS d(day) CROSS JOIN clients_client c
                WHERE random() < 0.4 AND mod(c.id, 7) <> 0
                """,
                [cal],
            )
            self.out(f"loaded {cur.rowcount} contract rows ({time.monotonic() - started:.0f}s)")
            cur.execute("ANALYZE clients_client; ANALYZE clients_accountsettlement; ANALYZE clients_contractsettlement")
