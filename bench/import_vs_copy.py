"""Issue 16: `manage.py import_data accounts FILE` as a user runs it, against `psql \\copy` of the same file.

Generates an account-settlement file (ACCOUNTS × DAYS rows, the exact table columns) and a book of
ACCOUNTS clients (imported once through the clients import), then times, in turn and in the same run
(the subject going first moves by one each run, so all see the same load), RUNS times each:

  copy    psql -c "\\copy bench_bare FROM FILE CSV HEADER"  into a bare table of the same columns
          (no key, no index, logged; created again before each run, outside the timing): the issue's baseline;
  keyed   psql \\copy of the same rows with client ids into a table LIKE clients_accountsettlement (its
          primary key): PostgreSQL's own share, the floor of any route writing straight into the table;
  import  python manage.py import_data accounts FILE  as a subprocess (process start included);
  before  (with --compare CHECKOUT) the same command from another checkout, e.g. the code before a change.

Each import starts from the same state: the file's rows (and alerts) of the bench accounts are deleted
and the table vacuumed before it, and its batch deleted (else the same checksum is a duplicate); a
CHECKPOINT precedes every subject. Wall time by the clock around each child, peak RSS by GNU time
(/usr/bin/time -f %M), the load average before each. Prints min / median / max, the ratios of the
medians to the bare COPY, and each import's phase timings (its batch report) and the time outside them
(process start, commit, exit).

    DEBUG=1 DATABASE_URL=postgres://…/futures_crm_x python bench/import_vs_copy.py --accounts 20000 --days 50
    DEBUG=1 DATABASE_URL=postgres://…/futures_crm_x python bench/import_vs_copy.py --accounts 100000 --days 20

The database must be one of your own: the bench accounts (7xxxxxxxxx) and their rows are replaced.
"""

import argparse
import datetime
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "futures_crm.settings")

# The two plain COPYs: into a bare table (the baseline), and into a copy of the settlement table with
# its key, of the same rows with client ids (what any route writing straight into the table cannot go under).
TABLES = {"copy": "bench_bare", "keyed": "bench_keyed"}
PREFIX = "7"  # bench accounts, as in `manage.py bench_import`: never a demo or real account number


def child(argv: list[str], env: dict) -> tuple[float, float, str]:
    """(wall seconds, peak RSS in MB, output) of one child process.

    The peak RSS is GNU time's (`%M`): Linux counts a child's RSS from before its exec, so a child
    forked straight from this (large) process would report this process's size as its own.
    """
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss:
        t0 = time.perf_counter()
        # In the checkout's own folder: Django puts the working directory first on sys.path.
        cwd = Path(argv[1]).parent if argv[1].endswith("manage.py") else None
        proc = subprocess.run(["/usr/bin/time", "-o", rss.name, "-f", "%M", *argv], env=env, cwd=cwd,  # noqa: S603
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        elapsed = time.perf_counter() - t0
        if proc.returncode:
            raise SystemExit(f"{' '.join(argv)} exited {proc.returncode}:\n{proc.stdout[-3000:]}")
        return elapsed, int(rss.read().split()[-1]) / 1024, proc.stdout


def spread(values: list[float], unit: str = "s", digits: int = 2) -> str:
    return " / ".join(f"{v:.{digits}f}" for v in (min(values), statistics.median(values), max(values))) + f" {unit}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=20_000)
    parser.add_argument("--days", type=int, default=50)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--compare", default="", help="another checkout whose import is timed in the same turns")
    parser.add_argument("--dir", default=str(ROOT / "var" / "bench_import16"), help="where the files are kept")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    from clients.demo_settlement import trading_days, write_client_book, write_history
    from clients.imports.services import import_run
    from clients.models import Client, ImportBatch
    from clients.models.imports import ImportSource

    folder = Path(args.dir)
    folder.mkdir(parents=True, exist_ok=True)
    ids = [f"{PREFIX}{n:09d}" for n in range(args.accounts)]
    days = trading_days(args.days, datetime.date(2025, 6, 30))
    path = folder / f"accounts_{args.accounts}x{args.days}.csv"
    if not path.exists():
        t0 = time.perf_counter()
        part = path.with_suffix(".part")
        with open(part, "w", encoding="utf-8", newline="") as fa, open(os.devnull, "w") as fc:
            rows, _contracts = write_history([(a, "individual") for a in ids], days, fa, fc, seed=16)
        part.rename(path)
        print(f"generated {path} ({rows:,} rows) in {time.perf_counter() - t0:.1f}s")
    rows = sum(1 for _ in open(path, "rb")) - 1  # noqa: SIM115
    size_mb = path.stat().st_size / 1e6

    # The book: exactly the file's accounts among the bench clients.
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM clients_client WHERE account_id LIKE %s", [PREFIX + "%"])
        have = cur.fetchone()[0]
    if have != args.accounts or Client.objects.filter(account_id=ids[-1]).count() != 1:
        cleanup_rows(connection, None, None)
        with connection.cursor() as cur:
            cur.execute("DELETE FROM clients_client WHERE account_id LIKE %s", [PREFIX + "%"])
        book = folder / f"clients_{args.accounts}.csv"
        write_client_book(book, ids)
        ImportBatch.objects.filter(source=ImportSource.BENCH, kind="clients").delete()
        t0 = time.perf_counter()
        batch = import_run(kind="clients", path=book, source=ImportSource.BENCH)
        if batch.status != "imported":
            raise SystemExit(f"clients: {batch.status} {batch.message}")
        print(f"book: {args.accounts:,} clients imported in {time.perf_counter() - t0:.1f}s")
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM clients_client")
        book_size = cur.fetchone()[0]

    db = settings.DATABASES["default"]
    env = {**os.environ, "PGPASSWORD": db.get("PASSWORD") or ""}
    psql = ["psql", "-q", "-v", "ON_ERROR_STOP=1", "-h", db.get("HOST") or "127.0.0.1",
            "-p", str(db.get("PORT") or 5432), "-U", db.get("USER") or "postgres", "-d", db["NAME"]]
    header = open(path, encoding="utf-8").readline().strip().split(",")  # noqa: SIM115
    types = {"trade_date": "date", "account_id": "text"}
    bare_ddl = ", ".join(f"{c} {types.get(c, 'numeric(20,2)')}" for c in header)
    lo, hi = min(days).isoformat(), max(days).isoformat()
    # The same rows with client ids in place of account numbers, for `keyed`: PostgreSQL's part alone.
    keyed_path = path.with_name(path.stem + f"_ids{book_size}.csv")
    if not keyed_path.exists():
        ids_of = dict(Client.objects.filter(account_id__startswith=PREFIX).values_list("account_id", "id"))
        at = header.index("account_id")
        with open(path, encoding="utf-8") as src, open(keyed_path, "w", encoding="utf-8") as out:
            out.write(src.readline().replace("account_id", "client_id"))
            for line in src:
                cells = line.split(",", at + 1)
                cells[at] = str(ids_of[cells[at]])
                out.write(",".join(cells))
    subjects = {"copy": [*psql, "-c", f"\\copy bench_bare FROM '{path}' WITH (FORMAT csv, HEADER true)"],
                "keyed": [*psql, "-c", f"\\copy bench_keyed ({', '.join(header).replace('account_id', 'client_id')}) "
                          f"FROM '{keyed_path}' WITH (FORMAT csv, HEADER true)"],
                "import": [sys.executable, str(ROOT / "manage.py"), "import_data", "accounts", str(path)]}
    if args.compare:
        subjects["before"] = [sys.executable, str(Path(args.compare) / "manage.py"), "import_data", "accounts",
                              str(path)]

    print(f"file {path.name}: {rows:,} rows, {size_mb:.0f} MB; book {book_size:,} clients; "
          f"{os.cpu_count()} CPUs; {args.runs} runs each, in turn (the first one moves each run)")
    print(f"copy:   psql -c \"\\copy bench_bare FROM '{path.name}' WITH (FORMAT csv, HEADER true)\"")
    print(f"keyed:  psql -c \"\\copy bench_keyed (…client_id…) FROM '{keyed_path.name}' …\" into a table LIKE "
          "clients_accountsettlement INCLUDING ALL (its primary key)")
    print(f"import: python manage.py import_data accounts {path.name}")
    if args.compare:
        print(f"before: the same command from {args.compare}")
    seen = {name: {"time": [], "rss": [], "load": []} for name in subjects}
    names = list(subjects)
    for run in range(args.runs):
        for name in names[run % len(names):] + names[:run % len(names)]:
            if name in TABLES:
                ddl = f"({bare_ddl})" if name == "copy" else "(LIKE clients_accountsettlement INCLUDING ALL)"
                subprocess.run([*psql, "-c", "SET client_min_messages = warning; "  # noqa: S603
                                f"DROP TABLE IF EXISTS {TABLES[name]}; CREATE TABLE {TABLES[name]} {ddl}; CHECKPOINT"],
                               check=True, env=env)
            else:
                cleanup_rows(connection, lo, hi)
                ImportBatch.objects.filter(file_name=path.name).delete()
                subprocess.run([*psql, "-c", "CHECKPOINT"], check=True, env=env)  # noqa: S603
            load = os.getloadavg()[0]
            elapsed, peak, out = child(subjects[name], env)
            for key, value in (("time", elapsed), ("rss", peak), ("load", load)):
                seen[name][key].append(value)
            line = f"  run {run + 1} {name:6} {elapsed:6.2f} s  {peak:5.0f} MB  load {load:5.2f}"
            if name in TABLES:
                print(line, flush=True)
                subprocess.run([*psql, "-c", f"DROP TABLE {TABLES[name]}"], check=True, env=env)  # noqa: S603
                continue
            batch = ImportBatch.objects.filter(file_name=path.name).order_by("-pk").first()
            if batch is None or batch.status != "imported" or batch.rows_written != rows:
                raise SystemExit(f"{name} did not write every row:\n{out[-3000:]}")
            timings = batch.report.get("timings") or {}
            outside = elapsed - sum(timings.values())
            print(f"{line}  route {batch.report.get('route')}  {timings}  not in the timings {outside:.2f} s",
                  flush=True)
    cleanup_rows(connection, lo, hi)
    bare = statistics.median(seen["copy"]["time"])
    print()
    for name, got in seen.items():
        median = statistics.median(got["time"])
        ratio = "" if name == "copy" else f", ratio of medians {median / bare:.2f}x, per run " + ", ".join(
            f"{o / b:.2f}" for o, b in zip(got["time"], seen["copy"]["time"], strict=True))
        print(f"{name:6}: {spread(got['time'])} (min / median / max), {rows / median:,.0f} rows/s{ratio}")
        print(f"        peak RSS {spread(got['rss'], 'MB', 0)}; load average (1 min) before {spread(got['load'], '')}")


def cleanup_rows(connection, lo, hi) -> None:
    """The bench accounts' settlement rows and alerts (of the days lo..hi, or all), then VACUUM."""
    days = " AND t.trade_date BETWEEN %s AND %s" if lo else ""
    with connection.cursor() as cur:
        params = [PREFIX + "%", *([lo, hi] if lo else [])]
        for table in ("clients_accountsettlement", "clients_settlementalert", "clients_contractsettlement"):
            cur.execute(f"DELETE FROM {table} t USING clients_client c "  # noqa: S608 - constant names
                        f"WHERE c.id = t.client_id AND c.account_id LIKE %s{days}", params)
        cur.execute("VACUUM ANALYZE clients_accountsettlement")


if __name__ == "__main__":
    main()
