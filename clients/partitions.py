"""Monthly range partitions of the day-keyed tables (PostgreSQL declarative partitioning on trade_date).

The settlement tables and ClientDay are partitioned by month: `<table>_pYYYYMM` holds the days
[first of the month, first of the next). The primary keys are unchanged in meaning (they lead with
trade_date, which a partitioned table's key must contain). A query that constrains trade_date reads
only the months it names (partition pruning; see tests/clients/test_partitions.py).

- Months are created ahead by a periodic task (`ensure_ahead`, three months) and on demand by whoever
  writes a month that may have none: the import before its COPY, the engine before it summarises.
- `<table>_default` catches a row of a month that has no partition yet (an ORM write, a demo load),
  so such an insert never fails, and never silently either: `partitions list` shows its rows, and
  `ensure_month` (run by the periodic task for every month found there) moves them into their month.
- An old month can be detached to an archive table `<table>_archive_YYYYMM` (a plain table, out of
  every query) and attached again; writing a month that is archived is refused (`MonthArchived`).
- Creating a month is `CREATE TABLE … (LIKE parent)` then `ATTACH PARTITION`, which locks the parent
  less than `CREATE TABLE … PARTITION OF` (SHARE UPDATE EXCLUSIVE: readers and writers go on).
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

SETTLEMENT_TABLES = ("clients_accountsettlement", "clients_contractsettlement")
CLIENT_DAY_TABLE = "segmentation_clientday"
PARTITIONED = (*SETTLEMENT_TABLES, CLIENT_DAY_TABLE)
AHEAD_MONTHS = 3


class MonthArchived(Exception):
    """Rows for a month that is detached to its archive table: attach it first (`partitions attach`)."""


def month_of(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def next_month(month: datetime.date) -> datetime.date:
    return (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


def months_between(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    """The first days of every month from `first`'s to `last`'s, both included."""
    out, month = [], month_of(first)
    while month <= last:
        out.append(month)
        month = next_month(month)
    return out


def months_ahead(today: datetime.date | None = None, ahead: int = AHEAD_MONTHS) -> list[datetime.date]:
    """This month (Asia/Shanghai) and the `ahead` months after it."""
    out = [month_of(today or timezone.localdate())]
    for _ in range(ahead):
        out.append(next_month(out[-1]))
    return out


def partition_name(table: str, month: datetime.date) -> str:
    return f"{table}_p{month:%Y%m}"


def archive_name(table: str, month: datetime.date) -> str:
    return f"{table}_archive_{month:%Y%m}"


def default_name(table: str) -> str:
    return f"{table}_default"


def _check(table: str) -> str:
    if table not in PARTITIONED:
        raise ValueError(f"{table} is not a partitioned table")
    return table


def _month_from(name: str, prefix: str) -> datetime.date | None:
    found = re.fullmatch(re.escape(prefix) + r"(\d{4})(\d{2})", name)
    return datetime.date(int(found[1]), int(found[2]), 1) if found else None


@dataclass
class Month:
    table: str
    month: datetime.date | None  # None: the default partition
    name: str
    rows: int  # the planner's estimate (exact for the default partition)
    archived: bool = False


def _exists(cur, name: str) -> bool:
    cur.execute("SELECT to_regclass(%s) IS NOT NULL", [name])
    return cur.fetchone()[0]


def _attached(cur, table: str) -> dict[str, int]:
    cur.execute(
        """SELECT c.relname, GREATEST(c.reltuples, 0)::bigint FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
           WHERE i.inhparent = %s::regclass""", [table])
    return dict(cur.fetchall())


def months(table: str) -> list[Month]:
    """The months of `table`: attached partitions, the default partition (its exact rows), archives."""
    _check(table)
    with connection.cursor() as cur:
        out = []
        for name, rows in sorted(_attached(cur, table).items()):
            if name == default_name(table):
                cur.execute(f"SELECT count(*) FROM {name}")  # noqa: S608 - our own table names
                out.append(Month(table, None, name, cur.fetchone()[0]))
            else:
                out.append(Month(table, _month_from(name, f"{table}_p"), name, rows))
        cur.execute("SELECT relname, GREATEST(reltuples, 0)::bigint FROM pg_class WHERE relkind = 'r'"
                    " AND relname LIKE %s ORDER BY relname", [f"{table}\\_archive\\_%"])
        out += [Month(table, _month_from(name, f"{table}_archive_"), name, rows, archived=True)
                for name, rows in cur.fetchall()]
    return out


def _lock(cur, table: str) -> None:
    """One partition-managing transaction per table at a time (the import and the periodic task may meet)."""
    cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"partitions:{table}"])


def ensure_month(table: str, month: datetime.date) -> bool:
    """Create `month`'s partition of `table` if missing (moving its rows out of the default). True if created."""
    _check(table)
    month = month_of(month)
    name = partition_name(table, month)
    with transaction.atomic(), connection.cursor() as cur:
        if _exists(cur, name):
            return False
        _lock(cur, table)
        if _exists(cur, name):
            return False
        if _exists(cur, archive_name(table, month)):
            raise MonthArchived(f"{month:%Y-%m} of {table} is archived: attach it first")
        bounds = [month, next_month(month)]
        cur.execute(f"CREATE TABLE {name} (LIKE {table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
        # Rows written while the month had no partition: into the new one before it is attached (the
        # attach checks that the default keeps none of the month's rows).
        cur.execute(
            f"""WITH moved AS (DELETE FROM {default_name(table)} WHERE trade_date >= %s AND trade_date < %s
                               RETURNING *)
                INSERT INTO {name} SELECT * FROM moved""",  # noqa: S608 - our own table names
            bounds)
        cur.execute(f"ALTER TABLE {table} ATTACH PARTITION {name} FOR VALUES FROM (%s) TO (%s)", bounds)
    return True


def ensure_months(table: str, first: datetime.date | None, last: datetime.date | None) -> list[str]:
    """Every month from `first`'s to `last`'s has its partition; returns the ones created."""
    if first is None or last is None:
        return []
    return [partition_name(table, m) for m in months_between(first, last) if ensure_month(table, m)]


def ensure_days(table: str, days) -> list[str]:
    """A partition for the month of each of `days` (dates or ISO days) and no other; returns the ones created."""
    months = sorted({month_of(datetime.date.fromisoformat(d) if isinstance(d, str) else d) for d in days if d})
    return [partition_name(table, m) for m in months if ensure_month(table, m)]


def ensure_settlement_months(first: datetime.date, last: datetime.date) -> list[str]:
    """Both settlement tables, for the days a write is about to bring."""
    return [name for table in SETTLEMENT_TABLES for name in ensure_months(table, first, last)]


def analyze_months(table: str, first, last, columns: str = "") -> None:
    """ANALYZE after a bulk write of the days `first` … `last` (dates or ISO days).

    One month: its partition only (the queries of a day or a month plan with their partition's own
    statistics; an ANALYZE of the parent would sample every month and then analyze each of them too).
    Several months (a backfill, a first night): the parent as well, whose statistics estimate what
    spans months (a DISTINCT or a GROUP BY over them: without them PostgreSQL guesses 200 distinct values
    a column and may pick a parallel hash aggregate that runs for minutes instead of seconds).
    """
    if first is None or last is None:
        return
    first, last = (datetime.date.fromisoformat(d) if isinstance(d, str) else d for d in (first, last))
    months = months_between(first, last)
    with connection.cursor() as cur:
        if len(months) > 1:
            analyze_parent(cur, table, columns)
            if connection.pg_version < 180000:
                return  # there ANALYZE of the parent has analyzed every partition too
        attached = _attached(cur, _check(table))
        for month in months:
            if partition_name(table, month) in attached:
                cur.execute(f"ANALYZE {partition_name(table, month)} {columns}")


def analyze_parent(cur, table: str, columns: str = "") -> None:
    """The statistics of the partitioned table as a whole (autovacuum never gathers them).

    PostgreSQL 18 samples the parent only (`ANALYZE ONLY`); before 18 it analyzes every partition as well.
    """
    only = "ONLY " if connection.pg_version >= 180000 else ""
    cur.execute(f"ANALYZE {only}{_check(table)} {columns}")


def months_in_default(table: str) -> list[datetime.date]:
    with connection.cursor() as cur:
        cur.execute(f"SELECT DISTINCT date_trunc('month', trade_date)::date FROM {default_name(_check(table))}")  # noqa: S608
        return sorted(r[0] for r in cur.fetchall())


def ensure_ahead(today: datetime.date | None = None, ahead: int = AHEAD_MONTHS) -> list[str]:
    """The periodic task: this month and `ahead` more for every table, a month for any row in a default,
    and the parents' statistics."""
    wanted = months_ahead(today, ahead)
    created = []
    for table in PARTITIONED:
        created += ensure_months(table, wanted[0], wanted[-1])
        created += [partition_name(table, m) for m in months_in_default(table) if ensure_month(table, m)]
        with connection.cursor() as cur:
            analyze_parent(cur, table)  # once a day: estimates of queries spanning months stay current
    return created


def detach_month(table: str, month: datetime.date) -> str:
    """Take `month` out of `table` into its archive table (a plain table no query of the CRM reads)."""
    _check(table)
    month = month_of(month)
    name, archive = partition_name(table, month), archive_name(table, month)
    with transaction.atomic(), connection.cursor() as cur:
        _lock(cur, table)
        if name not in _attached(cur, table):
            raise ValueError(f"{table} has no partition for {month:%Y-%m}")
        cur.execute(f"ALTER TABLE {table} DETACH PARTITION {name}")
        cur.execute(f"ALTER TABLE {name} RENAME TO {archive}")
    return archive


def attach_month(table: str, month: datetime.date) -> str:
    """Put an archived month back (an empty partition created for it since is replaced)."""
    _check(table)
    month = month_of(month)
    name, archive = partition_name(table, month), archive_name(table, month)
    bounds = [month, next_month(month)]
    with transaction.atomic(), connection.cursor() as cur:
        _lock(cur, table)
        if not _exists(cur, archive):
            raise ValueError(f"{table} has no archived {month:%Y-%m}")
        if _exists(cur, name):
            cur.execute(f"SELECT EXISTS (SELECT 1 FROM {name})")  # noqa: S608 - our own table names
            if cur.fetchone()[0]:
                raise ValueError(f"{name} holds rows already: the archive cannot replace it")
            cur.execute(f"DROP TABLE {name}")
        cur.execute(f"ALTER TABLE {archive} RENAME TO {name}")
        cur.execute(f"ALTER TABLE {table} ATTACH PARTITION {name} FOR VALUES FROM (%s) TO (%s)", bounds)
    return name


def drop_months_before(table: str, day: datetime.date) -> list[tuple[str, int]]:
    """Drop the partitions whose every day is before `day` (a whole month at once, no row deleted).

    Returns (partition, rows it held) for each one dropped.
    """
    _check(table)
    dropped = []
    with transaction.atomic(), connection.cursor() as cur:
        _lock(cur, table)
        for name in sorted(_attached(cur, table)):
            month = _month_from(name, f"{table}_p")
            if month is not None and next_month(month) <= day:
                cur.execute(f"SELECT count(*) FROM {name}")  # noqa: S608 - our own table names
                dropped.append((name, cur.fetchone()[0]))
                cur.execute(f"DROP TABLE {name}")
    return dropped


# -- the migrations ---------------------------------------------------------------------------------

def partition_table(cur, table: str, key: str, drop_columns=(), today: datetime.date | None = None) -> None:
    """Turn `table` into a table partitioned by month on trade_date, its rows moved into their months.

    For the migrations: the same columns, NOT NULL and CHECK constraints, primary key `key` and the
    other (non-unique) indexes under their names; a month for every month the rows span, this month
    and AHEAD_MONTHS more, and the default partition.
    """
    old = f"{table}_unpartitioned"
    cur.execute("SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = %s"
                " AND indexdef NOT LIKE 'CREATE UNIQUE %%'", [table])
    indexes = [r[0] for r in cur.fetchall()]
    cur.execute(f"ALTER TABLE {table} RENAME TO {old}")
    cur.execute(f"CREATE TABLE {table} (LIKE {old} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
                " PARTITION BY RANGE (trade_date)")
    for column in drop_columns:
        cur.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    cur.execute(f"SELECT min(trade_date), max(trade_date) FROM {old}")  # noqa: S608 - our own table names
    first, last = cur.fetchone()
    wanted = set(months_ahead(today)) | (set(months_between(first, last)) if first else set())
    for month in sorted(wanted):
        cur.execute(f"CREATE TABLE {partition_name(table, month)} PARTITION OF {table}"
                    " FOR VALUES FROM (%s) TO (%s)", [month, next_month(month)])
    cur.execute(f"CREATE TABLE {default_name(table)} PARTITION OF {table} DEFAULT")
    cur.execute("SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute"
                " WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped", [table])
    columns = cur.fetchone()[0]
    # Month by month in key order, so each partition is laid out as the nightly appends keep it.
    cur.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {old} ORDER BY {key}")  # noqa: S608
    cur.execute(f"DROP TABLE {old}")
    cur.execute(f"ALTER TABLE {table} ADD CONSTRAINT {table}_pkey PRIMARY KEY ({key})")
    for indexdef in indexes:
        cur.execute(indexdef)
    cur.execute(f"ANALYZE {table}")  # the parent's statistics (autovacuum analyzes only the partitions)
