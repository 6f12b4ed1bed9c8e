"""`manage.py bench_import --accounts N --days D`: our import against a bare `psql \\copy` of the same CSV."""

import datetime
import os
import resource
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from clients.demo_settlement import ACCOUNT_HEADER, CONTRACT_HEADER, trading_days, write_client_book, write_history
from clients.imports.services import import_run
from clients.models import ImportBatch
from clients.models.imports import ImportSource

PREFIX = "7"  # bench accounts: 7xxxxxxxxx, never a demo or real account number here
BARE_TYPES = {"trade_date": "date", "account_id": "text", "exchange": "text", "instrument": "text",
              "product": "text", "hedge_flag": "text", "buy_lots": "bigint", "sell_lots": "bigint",
              "long_position": "bigint", "short_position": "bigint"}


def _rss_mb(who=resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


class Command(BaseCommand):
    help = "Generate settlement files, import them, and compare with a raw psql \\copy of the same CSV."

    def add_arguments(self, parser):
        parser.add_argument("--accounts", type=int, default=10_000)
        parser.add_argument("--days", type=int, default=5)
        parser.add_argument("--dir", default="", help="where to write the files (default: a temporary folder)")
        parser.add_argument("--keep", action="store_true", help="keep the imported rows afterwards")

    def handle(self, *args, accounts, days, dir, keep, **options):
        folder = Path(dir or tempfile.mkdtemp(prefix="bench_import_"))
        folder.mkdir(parents=True, exist_ok=True)
        self._cleanup()
        ids = [f"{PREFIX}{n:09d}" for n in range(accounts)]

        started = time.perf_counter()
        clients_path = folder / "clients_bench.csv"
        write_client_book(clients_path, ids)
        acc_path, con_path = folder / "accounts_bench.csv", folder / "contracts_bench.csv"
        with open(acc_path, "w", encoding="utf-8", newline="") as fa, \
                open(con_path, "w", encoding="utf-8", newline="") as fc:
            acc_rows, con_rows = write_history([(a, "individual") for a in ids],
                                               trading_days(days, datetime.date(2025, 6, 30)), fa, fc, seed=7)
        self.stdout.write(f"generated {accounts} clients, {acc_rows} account rows, {con_rows} contract rows "
                          f"in {time.perf_counter() - started:.1f}s ({folder})")
        rss_before = _rss_mb()

        timings = {}
        for kind, path in (("clients", clients_path), ("accounts", acc_path), ("contracts", con_path)):
            t0 = time.perf_counter()
            batch = import_run(kind=kind, path=path, source=ImportSource.BENCH)
            timings[kind] = time.perf_counter() - t0
            if batch.status != "imported":
                raise CommandError(f"{kind}: {batch.status} {batch.message} {batch.report['errors'][:3]}")
            self.stdout.write(f"import {kind}: {batch.rows_written} rows in {timings[kind]:.2f}s "
                              f"({batch.rows_written / timings[kind]:,.0f} rows/s); steps {batch.report['timings']}")
        t0 = time.perf_counter()
        batch = import_run(kind="accounts", path=self._touched(acc_path, folder), source=ImportSource.BENCH)
        timings["accounts_again"] = time.perf_counter() - t0
        self.stdout.write(f"re-import accounts (every row replaced): {batch.rows_replaced} rows in "
                          f"{timings['accounts_again']:.2f}s")
        rss = _rss_mb()

        raw = {}
        for kind, path, header, rows in (("accounts", acc_path, ACCOUNT_HEADER, acc_rows),
                                         ("contracts", con_path, CONTRACT_HEADER, con_rows)):
            raw[kind] = self._psql_copy(path, header)
            ours = timings[kind]
            self.stdout.write(
                f"{kind}: ours {rows / ours:,.0f} rows/s ({ours:.2f}s), psql \\copy {rows / raw[kind]:,.0f} rows/s "
                f"({raw[kind]:.2f}s), ratio {ours / raw[kind]:.2f}×")
        self.stdout.write(f"peak RSS of this process: {rss:.0f} MB (after generating: {rss_before:.0f} MB)")
        if not keep:
            self._cleanup()
        if not dir:
            for p in folder.iterdir():
                p.unlink()
            folder.rmdir()

    def _touched(self, path: Path, folder: Path) -> Path:
        # Same rows, one byte different (a trailing blank line): a new checksum, so every row is replaced.
        again = folder / "accounts_bench_again.csv"
        with open(path, "rb") as src, open(again, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
            dst.write(b"\n")
        return again

    def _psql_copy(self, path: Path, header: list[str]) -> float:
        db = settings.DATABASES["default"]
        cols = ", ".join(f"{c} {BARE_TYPES.get(c, 'numeric(20,2)')}" for c in header)
        env = {**os.environ, "PGPASSWORD": db.get("PASSWORD") or ""}
        base = ["psql", "-q", "-v", "ON_ERROR_STOP=1", "-h", db.get("HOST") or "127.0.0.1",
                "-p", str(db.get("PORT") or 5432), "-U", db.get("USER") or "postgres", "-d", db["NAME"]]
        setup = f"SET client_min_messages = warning; DROP TABLE IF EXISTS bench_bare; CREATE TABLE bench_bare ({cols})"
        subprocess.run([*base, "-c", setup], check=True, env=env)  # noqa: S603 - our own arguments
        t0 = time.perf_counter()
        copy = f"\\copy bench_bare FROM '{path}' WITH (FORMAT csv, HEADER true)"
        subprocess.run([*base, "-c", copy], check=True, env=env)  # noqa: S603
        elapsed = time.perf_counter() - t0
        subprocess.run([*base, "-c", "DROP TABLE bench_bare"], check=True, env=env)  # noqa: S603
        return elapsed

    def _cleanup(self):
        with connection.cursor() as cur:
            for table in ("clients_contractsettlement", "clients_accountsettlement", "clients_settlementalert"):
                cur.execute(f"DELETE FROM {table} t USING clients_client c "  # noqa: S608 - constant names
                            "WHERE c.id = t.client_id AND c.account_id LIKE %s", [PREFIX + "%"])
            cur.execute("DELETE FROM clients_client WHERE account_id LIKE %s", [PREFIX + "%"])
            # Deleted rows leave dead tuples behind; without this each run would pay for the last one's.
            for table in ("clients_contractsettlement", "clients_accountsettlement", "clients_client"):
                cur.execute(f"VACUUM ANALYZE {table}")
        ImportBatch.objects.filter(source=ImportSource.BENCH).delete()
