"""The import's writer: COPY into a temporary staging table (or, new days, the table), then set-based SQL.

Settlement files arrive as CSV text PostgreSQL parses itself (`stage_text`: lines valid as written
pass untouched, the others checked in Python first), and the row identities are one SQL scan
(`identity_failures`); clients files and JSON rows are checked in Python and COPYed (`stage`).
The checks, alerts and merge rules are built from `rules`; the writer works for one `ImportRun`.

No per-row ORM work: placeholder clients and unknown branches are one INSERT … SELECT each, and
every settlement row is written by one INSERT … ON CONFLICT DO UPDATE (so a re-imported key
replaces its row and totals never double). `xmax = 0` tells inserted rows from replaced ones.
"""

import csv
import datetime
import io
import time

from django.db import IntegrityError, ProgrammingError, connection, transaction
from django.db.models.expressions import RawSQL

from futures_crm import texts

from ..models import Client
from ..partitions import analyze_months, ensure_days, ensure_months, months_between, next_month, partition_name
from .formats import DATE, LOTS, MONEY
from .hooks import clients_imported
from .rules import (
    ALERT_COLUMNS,
    CLIENT_LINKS,
    CLIENT_SET_WHEN_GIVEN,
    alert_candidates_sql,
    alert_raised_sql,
    alert_withdrawn_sql,
    identity_failed_sql,
    status_sql,
)
from .validate import CLIENT_DERIVED
from .writer_common import WARNING_EXAMPLES, column_defaults, placeholder_branch

CHUNK_ROWS = 4000
# unique_violation (plain INSERT) and cardinality_violation (ON CONFLICT DO UPDATE twice on one row).
REPEATED_KEY = {"23505", "21000"}
SQL_TYPES = {DATE: "date", MONEY: "numeric(20,2)", LOTS: "bigint"}
# The staged account rows that raise an alert; a key repeated in the file counts once (its last line).
STAGED_ALERTS = f"""SELECT DISTINCT ON (s.trade_date, s.account_id)
        c.id AS client_id, s.trade_date, {", ".join(f"s.{c}" for c in ALERT_COLUMNS)}
    FROM import_stage s JOIN clients_client c ON c.account_id = s.account_id
    WHERE {alert_raised_sql("s")} ORDER BY s.trade_date, s.account_id, s.line DESC"""  # noqa: S608 - constants
# Each settlement kind's table and its key (as the file names it).
TARGETS = {
    "accounts": ("clients_accountsettlement", ["trade_date", "account_id"]),
    "contracts": ("clients_contractsettlement", ["trade_date", "account_id", "instrument", "hedge_flag"]),
}


# The rows the direct COPY wrote whose lines raise an alert, by key (params: days, client ids, first and
# last day, the bounds pruning the months); a line whose row broke an identity was not written.
FLAGGED_ALERTS = f"""SELECT t.client_id, t.trade_date, {", ".join(f"t.{c}" for c in ALERT_COLUMNS)}
    FROM unnest(%s::date[], %s::bigint[]) AS k(trade_date, client_id)
    JOIN {TARGETS["accounts"][0]} t ON t.trade_date = k.trade_date AND t.client_id = k.client_id
    WHERE t.trade_date BETWEEN %s AND %s"""  # noqa: S608 - constants


class KeyCollision(Exception):
    """The direct COPY met a key that is already stored or repeated in the file."""


class _ChunkFile:
    """A read-only file whose read() pulls the next CSV chunk from a generator (COPY FROM STDIN).

    psycopg2 turns an exception raised in read() into "COPY from stdin failed" (QueryCanceled); the
    original (a file refused on line N, a time limit) is kept so that `_copy` raises it instead.
    """

    def __init__(self, chunks):
        self._chunks = chunks
        self.error = None

    def read(self, size=-1):
        try:
            return next(self._chunks, "")
        except BaseException as exc:
            self.error = exc
            raise

    readline = read


def _copy(cur, sql: str, chunks) -> None:
    """COPY … FROM STDIN fed by `chunks`; an exception of the generator comes out as itself."""
    source = _ChunkFile(chunks)
    try:
        cur.copy_expert(sql, source)
    except Exception as exc:
        if source.error is not None:
            raise source.error from exc
        raise


def _csv_chunks(rows):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    pending = 0
    for line, values in rows:
        writer.writerow((line, *values))
        pending += 1
        if pending == CHUNK_ROWS:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    if pending:
        yield buffer.getvalue()


def _session(cur) -> None:
    # The one big sort (DISTINCT ON) stays in memory instead of spilling to disk.
    cur.execute("SET LOCAL work_mem = '256MB'")
    # The import's own commit need not wait for the WAL flush: a crash in that instant loses a
    # batch that is then simply re-imported (idempotent by key); nothing else is at risk.
    cur.execute("SET LOCAL synchronous_commit = off")


class PgWriter:
    """Stage, then apply: `stage(rows)` COPYs, `apply()` writes and returns counts and warnings.

    It writes for one run (`ImportRun`): its format, its batch, and its timings, which it fills.
    """

    def __init__(self, run):
        self.run = run
        self.fmt = run.fmt
        self.columns = self.fmt.names + (CLIENT_DERIVED if self.fmt.kind == "clients" else [])
        self.timings = run.timings

    def _create_stage(self, cur, ignored=()) -> None:
        types = {c.name: SQL_TYPES.get(c.type, "text") for c in self.fmt.columns}
        ddl = ", ".join([f"{name} {types.get(name, 'text')}" for name in self.columns]
                        + [f"{name} text" for name in ignored])
        # Inside an outer transaction (tests, a caller's atomic block) ON COMMIT has not come yet.
        cur.execute("DROP TABLE IF EXISTS import_stage")
        _session(cur)
        cur.execute(f"CREATE TEMP TABLE import_stage (line bigint, {ddl}) ON COMMIT DROP")

    def stage(self, rows) -> None:
        """COPY rows already checked in Python: (line, values in the format's order)."""
        t0 = time.perf_counter()
        with connection.cursor() as cur:
            self._create_stage(cur)
            # A derived key may be empty (a name of symbols has no pinyin): '' then, not NULL.
            keep = f", FORCE_NOT_NULL ({', '.join(CLIENT_DERIVED)})" if self.fmt.kind == "clients" else ""
            _copy(cur, f"COPY import_stage (line, {', '.join(self.columns)}) FROM STDIN WITH (FORMAT csv{keep})",
                  _csv_chunks(rows))
        self._analyze(t0)

    def stage_text(self, chunks, layout: list) -> None:
        """COPY CSV text laid out like the file's header (`layout`: column name or None per position).

        PostgreSQL parses the lines; the row identities are then checked by `identity_failures`.
        """
        t0 = time.perf_counter()
        names = [name or f"ignored_{i}" for i, name in enumerate(layout)]
        with connection.cursor() as cur:
            self._create_stage(cur, ignored=[n for n, given in zip(names, layout, strict=True) if not given])
            _copy(cur, f"COPY import_stage (line, {', '.join(names)}) FROM STDIN WITH (FORMAT csv)", chunks)
        self._analyze(t0)

    def _analyze(self, t0) -> None:
        t1 = time.perf_counter()
        with connection.cursor() as cur:
            cur.execute("ANALYZE import_stage")
        self.timings.update(validate_and_copy=round(t1 - t0, 3), analyze=round(time.perf_counter() - t1, 3))

    def _identity_failed(self, t: str) -> str:
        return identity_failed_sql(self.fmt.kind, t)

    def identity_failures(self) -> list[int]:
        """Lines of staged rows that break a row identity of the format (one set-based scan)."""
        t0 = time.perf_counter()
        with connection.cursor() as cur:
            cur.execute(f"SELECT s.line FROM import_stage s WHERE {self._identity_failed('s')} "  # noqa: S608
                        "ORDER BY s.line")
            lines = [r[0] for r in cur.fetchall()]
        self.timings["identities"] = round(time.perf_counter() - t0, 3)
        return lines

    def discard(self, lines: list[int]) -> None:
        with connection.cursor() as cur:
            cur.execute("DELETE FROM import_stage WHERE line = ANY(%s)", [lines])

    def day_range(self):
        with connection.cursor() as cur:
            # ISO text, as the Python checks give the days.
            cur.execute("SELECT min(trade_date)::text, max(trade_date)::text FROM import_stage")
            return cur.fetchone()

    def apply(self) -> dict:
        result = getattr(self, f"_apply_{self.fmt.kind}")(self.run.batch)
        with connection.cursor() as cur:
            cur.execute("DROP TABLE import_stage")
        return result

    def ensure_months(self, first: str, last: str) -> None:
        """The target table's month partitions from `first` to `last` (ISO days) before rows go in: a month
        with none would take them into the default partition (see clients/partitions.py). Months more than
        a year apart get only their own two (a mistyped year must not make hundreds of empty months)."""
        first_day, last_day = (datetime.date.fromisoformat(d) for d in (first, last))
        if len(months_between(first_day, last_day)) <= 13:
            ensure_months(TARGETS[self.fmt.kind][0], first_day, last_day)
        else:
            self.ensure_days([first, last])

    def ensure_days(self, days) -> None:
        """The partitions of exactly the months of `days` (ISO days)."""
        ensure_days(TARGETS[self.fmt.kind][0], days)

    # -- the direct route (see pg_file) ----------------------------------------------------------
    def direct_ok(self) -> bool:
        """The header names exactly the table's columns: a line can go into the table as it is."""
        validator = self.run.validator
        return self.fmt.kind in TARGETS and sorted(validator.positions) == sorted(self.fmt.names) \
            and validator.width == len(self.fmt.names)

    def has_day(self, day: str) -> bool:
        with connection.cursor() as cur:
            cur.execute(f"SELECT EXISTS (SELECT 1 FROM {TARGETS[self.fmt.kind][0]} WHERE trade_date = %s)",  # noqa: S608
                        [day])
            return cur.fetchone()[0]

    @staticmethod
    def client_ids() -> dict[str, str]:
        """account number → client id as text (what the direct COPY writes in its place)."""
        with connection.cursor() as cur:
            cur.execute("SELECT account_id, id::text FROM clients_client")
            return dict(cur.fetchall())

    def _direct_columns(self, layout: list) -> str:
        return ", ".join("client_id" if name == "account_id" else name for name in layout)

    def copy_direct(self, chunks, layout: list) -> int:
        """COPY the lines straight into the table; a row breaking an identity of the format is not written.

        Returns the rows written: fewer than the lines sent means some broke an identity (`broken_lines`
        finds them). Checked inside the COPY, the identities cost no scan of the fresh rows afterwards.
        """
        t0 = time.perf_counter()
        table = TARGETS[self.fmt.kind][0]
        with connection.cursor() as cur:
            _session(cur)
            # IS NOT TRUE: a row whose identity is unknown (an empty cell) is written, as the scan after it kept it.
            _copy(cur, f"COPY {table} ({self._direct_columns(layout)}) FROM STDIN WITH (FORMAT csv) "
                       f"WHERE ({self._identity_failed(table)}) IS NOT TRUE", chunks)
            written = cur.rowcount
        self.timings["validate_and_copy"] = round(time.perf_counter() - t0, 3)
        return written

    def broken_lines(self, chunks, layout: list) -> list[int]:
        """The lines, among `chunks` (the direct COPY's lines, each after its line number), that break an
        identity: COPYed again into a temporary table of the target's shape that keeps only those."""
        t0 = time.perf_counter()
        table = TARGETS[self.fmt.kind][0]
        with connection.cursor() as cur:
            cur.execute("DROP TABLE IF EXISTS import_broken")
            cur.execute(f"CREATE TEMP TABLE import_broken ON COMMIT DROP AS "  # noqa: S608 - constants
                        f"SELECT 0::bigint AS line, t.* FROM {table} t WITH NO DATA")
            _copy(cur, f"COPY import_broken (line, {self._direct_columns(layout)}) FROM STDIN WITH (FORMAT csv) "
                       f"WHERE {self._identity_failed('import_broken')}", chunks)
            cur.execute("SELECT line FROM import_broken ORDER BY line")
            lines = [r[0] for r in cur.fetchall()]
            cur.execute("DROP TABLE import_broken")
        self.timings["broken_lines"] = round(time.perf_counter() - t0, 3)
        return lines

    def apply_direct(self, *, written: int, staged: bool, flagged: tuple[list, list], days: list[str]) -> dict:
        """After the direct COPY: the leftover lines (staged), statistics, alerts.

        `flagged`: (ISO days, client ids) of the lines the direct COPY took that raise an alert, found as
        the block check went by (`pg_file._whole_blocks`); `days`: the days it wrote.
        """
        batch = self.run.batch
        table, key = TARGETS[self.fmt.kind]
        warnings = []
        t0 = time.perf_counter()
        # Statistics that know the new days (sampled, cheap): else the cross-check and the nightly engine that
        # follow take the fresh millions of rows for a few and walk them through the index.
        analyze_months(table, min(days, default=None), max(days, default=None), "(trade_date, client_id)")
        t1 = time.perf_counter()
        with connection.cursor() as cur:
            alerts = 0
            if staged:
                warnings = self._placeholders(cur)
                more, _replaced = self._upsert(cur, table, key, self._values(), replace=False)
                written += more
                if self.fmt.kind == "accounts":
                    alerts += self._alerts(cur, batch, STAGED_ALERTS)
                cur.execute("DROP TABLE import_stage")
            if self.fmt.kind == "accounts" and flagged[0]:
                alerts += self._alerts(cur, batch, FLAGGED_ALERTS, [*flagged, min(days), max(days)])
        self.timings.update(statistics=round(t1 - t0, 3), apply=round(time.perf_counter() - t1, 3))
        return {"written": written, "replaced": 0, "alerts": alerts, "warnings": warnings}

    # -- settlement rows -------------------------------------------------------------------------
    def _placeholders(self, cur) -> list[texts.Text]:
        branch = placeholder_branch()
        given = {"account_id", "name", "branch", "profile_complete"}
        defaults = column_defaults(Client, given)
        cols = ", ".join(["account_id", "name", "branch_id", "profile_complete"] + [c for c, _v in defaults])
        holders = ", ".join(["%s"] * len(defaults))
        cur.execute(
            f"""INSERT INTO clients_client ({cols})
                SELECT n.account_id, n.account_id, %s, false, {holders}
                FROM (SELECT DISTINCT account_id FROM import_stage) n
                WHERE NOT EXISTS (SELECT 1 FROM clients_client c WHERE c.account_id = n.account_id)
                RETURNING account_id""",  # noqa: S608 - identifiers are the format's constants
            [branch.pk] + [v for _c, v in defaults],
        )
        created = sorted(r[0] for r in cur.fetchall())
        if not created:
            return []
        shown = ", ".join(created[:WARNING_EXAMPLES]) + (" …" if len(created) > WARNING_EXAMPLES else "")
        return [texts.text("import.placeholders", n=len(created), ids=shown)]

    def _upsert(self, cur, table: str, key: list[str], values: list[str], replace: bool | None = None
                ) -> tuple[int, int]:
        """Write the staged rows. `replace`: None looks whether the days hold rows already; False
        (after a direct COPY) never replaces: a key met again raises KeyCollision."""
        cols = ", ".join(values)
        update = ", ".join(f"{c} = EXCLUDED.{c}" for c in values)
        order = ", ".join(f"s.{k}" for k in key)
        cur.execute("SELECT DISTINCT date_trunc('month', trade_date)::date FROM import_stage ORDER BY 1")
        months = [r[0] for r in cur.fetchall() if r[0]]
        ensure_days(table, months)  # the staged days' month partitions (clients/partitions.py)
        days = (months[0], next_month(months[-1]) - datetime.timedelta(days=1)) if months else (None, None)
        conflict = ", ".join("client_id" if k == "account_id" else k for k in key)
        # A new trading day (the nightly case) has nothing to replace: a plain INSERT skips the
        # speculative insertion ON CONFLICT needs. The index on trade_date makes the check cheap.
        if replace is None:
            cur.execute(
                f"SELECT EXISTS (SELECT 1 FROM {table} t WHERE t.trade_date BETWEEN %s AND %s"  # noqa: S608
                " AND t.trade_date IN (SELECT DISTINCT trade_date FROM import_stage))", days,  # only those months
            )
            replace = cur.fetchone()[0]
        on_conflict = f"ON CONFLICT ({conflict}) DO UPDATE SET {update}" if replace else ""
        insert = """INSERT INTO {table} (client_id, {cols})
                SELECT {distinct} c.id, {values}
                FROM import_stage s JOIN clients_client c ON c.account_id = s.account_id
                WHERE s.trade_date >= %s AND s.trade_date < %s
                {order}
                {on_conflict}"""
        # Only a replacing write needs to tell inserted rows from replaced ones (`xmax = 0`); a plain
        # INSERT's row count says it all without collecting millions of RETURNING rows.
        counted = "WITH up AS ({0} RETURNING (xmax = 0) AS inserted) " \
                  "SELECT count(*), count(*) FILTER (WHERE NOT inserted) FROM up"
        statement = counted.format(insert) if on_conflict else insert
        # A product left empty is the instrument's letters (lines COPY took as written were not touched).
        select = ["COALESCE(s.product, substring(s.instrument from '^[A-Za-z]+'))" if v == "product" else f"s.{v}"
                  for v in values]
        parts = {"table": table, "cols": cols, "values": ", ".join(select),
                 "on_conflict": on_conflict}
        written = replaced = 0
        # Month by month into the month's own partition: through the partitioned parent PostgreSQL gives
        # no `xmax` ("cannot retrieve a system column"), and a month's rows need no routing.
        for month in months:
            parts["table"] = partition_name(table, month)
            bounds = [month, next_month(month)]
            try:
                # A file rarely repeats a key: write without the 2 M-row sort first; a repeated key makes
                # PostgreSQL refuse the statement (unique violation, or "cannot affect row a second time").
                with transaction.atomic():
                    cur.execute(statement.format(distinct="", order="", **parts), bounds)
            except (IntegrityError, ProgrammingError) as exc:
                if getattr(exc.__cause__, "pgcode", None) not in REPEATED_KEY:
                    raise
                # DISTINCT ON: a key repeated inside one file counts once, its last line wins.
                try:
                    with transaction.atomic():
                        cur.execute(statement.format(distinct=f"DISTINCT ON ({order})",
                                                     order=f"ORDER BY {order}, s.line DESC", **parts), bounds)
                except IntegrityError as again:
                    if getattr(again.__cause__, "pgcode", None) == "23505":
                        raise KeyCollision from again  # the key is among the rows the direct COPY wrote
                    raise
            month_written, month_replaced = cur.fetchone() if on_conflict else (cur.rowcount, 0)
            written, replaced = written + month_written, replaced + month_replaced
        counts = (written, replaced)
        # Fresh statistics after a bulk write, or the cross-check that follows plans a nested loop
        # over millions of rows (seen: minutes instead of a second). ANALYZE samples, so it is cheap.
        analyze_months(table, *days)  # the written months' partitions only
        return counts

    def _values(self) -> list[str]:
        return [n for n in self.fmt.names if n != "account_id"]

    def _alerts(self, cur, batch, rows: str, params=()) -> int:
        """The alerts (`rules.ALERTS`) among `rows` (client_id, trade_date, then the alert columns; SQL
        taking `params`).

        A day imported again updates its alert; a changed amount re-opens an acknowledged one.
        """
        cur.execute(
            f"""INSERT INTO clients_settlementalert AS a0 (client_id, trade_date, kind, amount, batch_id, created_at)
                SELECT a.client_id, a.trade_date, k.kind, k.amount, %s, now() FROM ({rows}) a
                CROSS JOIN LATERAL (VALUES {alert_candidates_sql("a")}) AS k(kind, amount, raised)
                WHERE k.raised
                ON CONFLICT (client_id, trade_date, kind)
                DO UPDATE SET amount = EXCLUDED.amount, batch_id = EXCLUDED.batch_id,
                    acknowledged_at = CASE WHEN a0.amount = EXCLUDED.amount THEN a0.acknowledged_at END,
                    acknowledged_by_id = CASE WHEN a0.amount = EXCLUDED.amount THEN a0.acknowledged_by_id END""",  # noqa: S608
            [batch.pk, *params],
        )
        return cur.rowcount

    def _apply_accounts(self, batch) -> dict:
        with connection.cursor() as cur:
            t0 = time.perf_counter()
            warnings = self._placeholders(cur)
            t1 = time.perf_counter()
            written, replaced = self._upsert(cur, *TARGETS["accounts"], self._values())
            t2 = time.perf_counter()
            self.timings.update(placeholders=round(t1 - t0, 3), upsert=round(t2 - t1, 3))
            alerts = self._alerts(cur, batch, STAGED_ALERTS)
            if replaced:
                # A corrected day withdraws the open alerts its new figures no longer bear out; an
                # acknowledged one stays, as the record that someone acted on it.
                cur.execute(
                    f"""DELETE FROM clients_settlementalert a USING (
                           SELECT DISTINCT ON (s.trade_date, s.account_id) c.id AS client_id, s.trade_date,
                                  {", ".join(f"s.{c}" for c in ALERT_COLUMNS)}
                           FROM import_stage s JOIN clients_client c ON c.account_id = s.account_id
                           WHERE EXISTS (SELECT 1 FROM clients_settlementalert x
                                         WHERE x.client_id = c.id AND x.trade_date = s.trade_date)
                           ORDER BY s.trade_date, s.account_id, s.line DESC) r
                       WHERE a.client_id = r.client_id AND a.trade_date = r.trade_date AND a.acknowledged_at IS NULL
                         AND ({alert_withdrawn_sql("a", "r")})""")  # noqa: S608 - constants
        return {"written": written, "replaced": replaced, "alerts": alerts, "warnings": warnings}

    def _apply_contracts(self, batch) -> dict:
        with connection.cursor() as cur:
            warnings = self._placeholders(cur)
            written, replaced = self._upsert(cur, *TARGETS["contracts"], self._values())
        return {"written": written, "replaced": replaced, "alerts": 0, "warnings": warnings}

    # -- clients ---------------------------------------------------------------------------------
    def _apply_clients(self, batch) -> dict:
        warnings = []
        with connection.cursor() as cur:
            cur.execute(
                """INSERT INTO clients_branch (code, name, city, is_complete, created_at, updated_at)
                   SELECT DISTINCT s.branch_code, s.branch_code, '', false, now(), now() FROM import_stage s
                   WHERE NOT EXISTS (SELECT 1 FROM clients_branch b WHERE b.code = s.branch_code)
                   RETURNING code"""
            )
            created = sorted(r[0] for r in cur.fetchall())
            if created:
                warnings.append(texts.text("import.branches_created", c=", ".join(created)))
            warnings += self._unknown_links(cur)
            file_cols, joins = self._client_columns()
            defaults = column_defaults(Client, set(file_cols))
            cols = list(file_cols) + [c for c, _v in defaults]
            select = list(file_cols.values()) + ["%s"] * len(defaults)
            sets = [f"{col} = {self._merged(col)}" for col in file_cols if col != "account_id"]
            sets.append("updated_at = now()")
            cur.execute(
                f"""WITH up AS (
                        INSERT INTO clients_client ({", ".join(cols)})
                        SELECT DISTINCT ON (s.account_id) {", ".join(select)}
                        FROM import_stage s
                        JOIN clients_branch b ON b.code = s.branch_code
                        {" ".join(joins)}
                        ORDER BY s.account_id, s.line DESC
                        ON CONFLICT (account_id) DO UPDATE SET {", ".join(sets)}
                        RETURNING (xmax = 0) AS inserted)
                    SELECT count(*), count(*) FILTER (WHERE NOT inserted) FROM up""",  # noqa: S608 - identifiers are the format's constants
                [v for _c, v in defaults],
            )
            written, replaced = cur.fetchone()
            # A link that may name a client of the same file is set once every client of the file exists.
            for link in CLIENT_LINKS:
                if link.in_file:
                    cur.execute(
                        f"""UPDATE clients_client c SET {link.target} = r.{link.value}
                            FROM import_stage s JOIN {link.table} r ON r.{link.key} = s.{link.column}
                            WHERE c.account_id = s.account_id AND r.id <> c.id"""  # noqa: S608 - the rules' constants
                    )
        # In the import's transaction: what other apps make of these clients (referrals, intermediary links).
        written_clients = Client.objects.filter(account_id__in=RawSQL("SELECT account_id FROM import_stage", ()))
        clients_imported(clients=written_clients, by=batch.created_by)
        return {"written": written, "replaced": replaced, "alerts": 0, "warnings": warnings}

    @staticmethod
    def _unknown_links(cur) -> list[texts.Text]:
        """One warning per link column whose values name no record (the first 50 lines)."""
        warnings = []
        for link in CLIENT_LINKS:
            lookup = f"SELECT 1 FROM {link.table} x WHERE x.{link.key} = s.{link.column}"  # noqa: S608
            if link.in_file:
                lookup += f" UNION ALL SELECT 1 FROM import_stage t WHERE t.account_id = s.{link.column}"  # noqa: S608
            cur.execute(
                f"""SELECT s.line, s.{link.column} FROM import_stage s
                    WHERE s.{link.column} IS NOT NULL AND NOT EXISTS ({lookup}) ORDER BY s.line LIMIT 50"""  # noqa: S608 - the rules' constants
            )
            unknown = cur.fetchall()
            if unknown:
                warnings.append(texts.text("import.unknown_links", column=link.column,
                                           lines=[[ln, v] for ln, v in unknown]))
        return warnings

    def _client_columns(self) -> tuple[dict[str, str], list[str]]:
        """(client column → its value from the staged row `s`, the joins those values need)."""
        links = {link.column: link for link in CLIENT_LINKS}
        file_cols, joins = {}, []
        for name in self.columns:
            link = links.get(name)
            if name == "branch_code":
                file_cols["branch_id"] = "b.id"
            elif link is None:
                file_cols[name] = f"s.{name}"
            elif not link.in_file:
                alias = f"l{len(joins)}"
                joins.append(f"LEFT JOIN {link.table} {alias} ON {alias}.{link.key} = s.{name}")
                file_cols[link.target] = f"{alias}.{link.value}"
        file_cols["status"] = status_sql("s", None)
        file_cols["profile_complete"] = "true"
        for col in CLIENT_SET_WHEN_GIVEN:
            if col in file_cols and not Client._meta.get_field(col).null:  # a text column: empty is ''
                file_cols[col] = f"COALESCE({file_cols[col]}, '')"
        return file_cols, joins

    @staticmethod
    def _merged(col: str) -> str:
        """A stored client's `col` after the upsert (rules: replaced, set only when given, or closed)."""
        if col == "status":
            return status_sql("EXCLUDED", "clients_client")
        if col not in CLIENT_SET_WHEN_GIVEN:
            return f"EXCLUDED.{col}"
        given = f"EXCLUDED.{col}" if Client._meta.get_field(col).null else f"NULLIF(EXCLUDED.{col}, '')"
        return f"COALESCE({given}, clients_client.{col})"
