"""PostgreSQL writer: COPY into a temporary staging table, then set-based SQL.

Settlement files arrive as CSV text PostgreSQL parses itself (`stage_text`: lines valid as written
pass untouched, the others checked in Python first), and the row identities are one SQL scan
(`identity_failures`); clients files and JSON rows are checked in Python and COPYed (`stage`).

No per-row ORM work: placeholder clients and unknown branches are one INSERT … SELECT each, and
every settlement row is written by one INSERT … ON CONFLICT DO UPDATE (so a re-imported key
replaces its row and totals never double). `xmax = 0` tells inserted rows from replaced ones.
"""

import csv
import io
import time

from django.db import IntegrityError, ProgrammingError, connection, transaction
from django.utils.translation import gettext as _

from ..models import Client
from .formats import DATE, LOTS, MONEY, Format
from .pg_file import KeyCollision
from .validate import CLIENT_DERIVED
from .writer_common import WARNING_EXAMPLES, column_defaults, placeholder_branch

CHUNK_ROWS = 4000
# unique_violation (plain INSERT) and cardinality_violation (ON CONFLICT DO UPDATE twice on one row).
REPEATED_KEY = {"23505", "21000"}
SQL_TYPES = {DATE: "date", MONEY: "numeric(20,2)", LOTS: "bigint"}
# The staged account rows that raise an alert; a key repeated in the file counts once (its last line).
STAGED_ALERTS = """SELECT DISTINCT ON (s.trade_date, s.account_id)
        c.id AS client_id, s.trade_date, s.equity, s.margin_call
    FROM import_stage s JOIN clients_client c ON c.account_id = s.account_id
    WHERE s.equity < 0 OR s.margin_call > 0 ORDER BY s.trade_date, s.account_id, s.line DESC"""
# Each settlement kind's table and its key (as the file names it).
TARGETS = {
    "accounts": ("clients_accountsettlement", ["trade_date", "account_id"]),
    "contracts": ("clients_contractsettlement", ["trade_date", "account_id", "instrument", "hedge_flag"]),
}


class _ChunkFile:
    """A read-only file whose read() pulls the next CSV chunk from a generator (COPY FROM STDIN)."""

    def __init__(self, chunks):
        self._chunks = chunks

    def read(self, size=-1):
        return next(self._chunks, "")

    readline = read


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
    """Stage, then apply: `stage(rows)` COPYs, `apply(batch)` writes and returns counts and warnings."""

    def __init__(self, fmt: Format):
        self.fmt = fmt
        self.columns = fmt.names + (CLIENT_DERIVED if fmt.kind == "clients" else [])
        self.timings: dict[str, float] = {}

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
            cur.copy_expert(
                f"COPY import_stage (line, {', '.join(self.columns)}) FROM STDIN WITH (FORMAT csv)",
                _ChunkFile(_csv_chunks(rows)),
            )
        self._analyze(t0)

    def stage_text(self, chunks, layout: list) -> None:
        """COPY CSV text laid out like the file's header (`layout`: column name or None per position).

        PostgreSQL parses the lines; the row identities are then checked by `identity_failures`.
        """
        t0 = time.perf_counter()
        names = [name or f"ignored_{i}" for i, name in enumerate(layout)]
        with connection.cursor() as cur:
            self._create_stage(cur, ignored=[n for n, given in zip(names, layout, strict=True) if not given])
            cur.copy_expert(f"COPY import_stage (line, {', '.join(names)}) FROM STDIN WITH (FORMAT csv)",
                            _ChunkFile(chunks))
        self._analyze(t0)

    def _analyze(self, t0) -> None:
        t1 = time.perf_counter()
        with connection.cursor() as cur:
            cur.execute("ANALYZE import_stage")
        self.timings.update(validate_and_copy=round(t1 - t0, 3), analyze=round(time.perf_counter() - t1, 3))

    def _identity_failed(self, t: str) -> str:
        failed = f"{t}.exchange_fee > {t}.commission"
        if self.fmt.kind == "accounts":
            failed += (f" OR abs({t}.balance - ({t}.pre_balance + {t}.deposit - {t}.withdrawal + {t}.close_profit"
                       f" + {t}.position_profit - {t}.commission)) > 0.01")
        return failed

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
            cur.execute("SELECT min(trade_date)::text, max(trade_date)::text FROM import_stage")  # as the plain path
            return cur.fetchone()

    def apply(self, batch) -> dict:
        result = getattr(self, f"_apply_{self.fmt.kind}")(batch)
        with connection.cursor() as cur:
            cur.execute("DROP TABLE import_stage")
        return result

    # -- the direct route (see pg_file) ----------------------------------------------------------
    def direct_ok(self, validator) -> bool:
        """The header names exactly the table's columns: a line can go into the table as it is."""
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

    def copy_direct(self, chunks, layout: list) -> int:
        t0 = time.perf_counter()
        columns = ", ".join("client_id" if name == "account_id" else name for name in layout)
        with connection.cursor() as cur:
            _session(cur)
            cur.copy_expert(f"COPY {TARGETS[self.fmt.kind][0]} ({columns}) FROM STDIN WITH (FORMAT csv)",
                            _ChunkFile(chunks))
            written = cur.rowcount
        self.timings["validate_and_copy"] = round(time.perf_counter() - t0, 3)
        return written

    def direct_identity_failures(self, days: list[str]) -> list[tuple]:
        """Keys (ISO day, account, …) of rows written on `days` that break an identity of the format.

        One scan of those days, which also keeps the alert candidates (negative equity, margin call)
        in `import_flagged` for `apply_direct`: the rows are read once, not once per question.
        """
        table, key = TARGETS[self.fmt.kind]
        rest = "".join(f", t.{k}" for k in key[2:])
        failed = wanted = self._identity_failed("t")
        alert_cols = ""
        if self.fmt.kind == "accounts":  # the cheap tests first: most rows fail every test
            wanted, alert_cols = f"t.margin_call > 0 OR t.equity < 0 OR {failed}", ", t.equity, t.margin_call"
        t0 = time.perf_counter()
        with connection.cursor() as cur:
            # Statistics that know the new days first (sampled, cheap): else the planner takes the fresh
            # millions of rows for a few and walks them through the index instead of one parallel scan.
            cur.execute(f"ANALYZE {table} (trade_date, client_id)")
            cur.execute("DROP TABLE IF EXISTS import_flagged")
            # The planner guesses a third of the rows match each arithmetic test (under 1 % do), so it
            # will not pay for shipping them from parallel workers: say shipping is free, for this scan.
            cur.execute("SET LOCAL parallel_setup_cost = 0; SET LOCAL parallel_tuple_cost = 0")
            cur.execute(
                f"""CREATE TEMP TABLE import_flagged ON COMMIT DROP AS
                    SELECT t.trade_date, t.client_id{rest}{alert_cols}, ({failed}) AS bad FROM {table} t
                    WHERE t.trade_date BETWEEN %s AND %s AND ({wanted})""",  # noqa: S608 - constants
                [min(days, default=None), max(days, default=None)])
            cur.execute("RESET parallel_setup_cost; RESET parallel_tuple_cost")
            cur.execute(f"""SELECT f.trade_date::text, c.account_id{rest.replace("t.", "f.")}
                            FROM import_flagged f JOIN clients_client c ON c.id = f.client_id
                            WHERE f.bad""")  # noqa: S608 - constants
            failed = cur.fetchall()
        self.timings["identities"] = round(time.perf_counter() - t0, 3)
        return failed

    def delete_rows(self, keys: list[tuple]) -> None:
        """Remove rows of the direct COPY that failed an identity (they are in the quarantine now)."""
        if not keys:
            return
        table, key = TARGETS[self.fmt.kind]
        names = ["d", "a", *key[2:]]
        types = ["date", "text"] + ["text"] * (len(key) - 2)
        unnest = ", ".join(f"%s::{t}[]" for t in types)
        match = " AND ".join(["t.trade_date = k.d", "c.account_id = k.a"] + [f"t.{k} = k.{k}" for k in key[2:]])
        with connection.cursor() as cur:
            cur.execute(f"""DELETE FROM {table} t USING clients_client c, unnest({unnest}) AS k({", ".join(names)})
                            WHERE c.id = t.client_id AND {match}""",  # noqa: S608 - the format's constants
                        [list(col) for col in zip(*keys, strict=True)])

    def apply_direct(self, batch, *, written: int, staged: bool, days: tuple) -> dict:
        """After the direct COPY: the leftover lines (staged), statistics, alerts."""
        table, key = TARGETS[self.fmt.kind]
        warnings = []
        t0 = time.perf_counter()
        with connection.cursor() as cur:
            alerts = 0
            if staged:
                warnings = self._placeholders(cur)
                more, _replaced = self._upsert(cur, table, key, self._values(), replace=False)
                written += more
                if self.fmt.kind == "accounts":
                    alerts += self._alerts(cur, batch, STAGED_ALERTS)
                cur.execute("DROP TABLE import_stage")
            if self.fmt.kind == "accounts":
                alerts += self._alerts(cur, batch, "SELECT client_id, trade_date, equity, margin_call "
                                                   "FROM import_flagged WHERE NOT bad")
            cur.execute("DROP TABLE import_flagged")
        self.timings["apply"] = round(time.perf_counter() - t0, 3)
        return {"written": written, "replaced": 0, "alerts": alerts, "warnings": warnings}

    # -- settlement rows -------------------------------------------------------------------------
    def _placeholders(self, cur) -> list[str]:
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
        return [_("%(n)s unknown account(s) created as placeholder clients with an incomplete profile: %(ids)s")
                % {"n": len(created), "ids": shown}]

    def _upsert(self, cur, table: str, key: list[str], values: list[str], replace: bool | None = None
                ) -> tuple[int, int]:
        """Write the staged rows. `replace`: None looks whether the days hold rows already; False
        (after a direct COPY) never replaces: a key met again raises KeyCollision."""
        cols = ", ".join(values)
        update = ", ".join(f"{c} = EXCLUDED.{c}" for c in values)
        order = ", ".join(f"s.{k}" for k in key)
        conflict = ", ".join("client_id" if k == "account_id" else k for k in key)
        # A new trading day (the nightly case) has nothing to replace: a plain INSERT skips the
        # speculative insertion ON CONFLICT needs. The index on trade_date makes the check cheap.
        if replace is None:
            cur.execute(
                f"SELECT EXISTS (SELECT 1 FROM {table} t WHERE t.trade_date IN "  # noqa: S608 - constant names
                "(SELECT DISTINCT trade_date FROM import_stage))"
            )
            replace = cur.fetchone()[0]
        on_conflict = f"ON CONFLICT ({conflict}) DO UPDATE SET {update}" if replace else ""
        insert = """INSERT INTO {table} (client_id, {cols})
                SELECT {distinct} c.id, {values}
                FROM import_stage s JOIN clients_client c ON c.account_id = s.account_id
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
        try:
            # A file rarely repeats a key: write without the 2 M-row sort first; a repeated key makes
            # PostgreSQL refuse the statement (unique violation, or "cannot affect row a second time").
            with transaction.atomic():
                cur.execute(statement.format(distinct="", order="", **parts))
        except (IntegrityError, ProgrammingError) as exc:
            if getattr(exc.__cause__, "pgcode", None) not in REPEATED_KEY:
                raise
            # DISTINCT ON: a key repeated inside one file counts once, its last line wins.
            try:
                with transaction.atomic():
                    cur.execute(statement.format(distinct=f"DISTINCT ON ({order})",
                                                 order=f"ORDER BY {order}, s.line DESC", **parts))
            except IntegrityError as again:
                if getattr(again.__cause__, "pgcode", None) == "23505":
                    raise KeyCollision from again  # the key is among the rows the direct COPY wrote
                raise
        counts = cur.fetchone() if on_conflict else (cur.rowcount, 0)
        # Fresh statistics after a bulk write, or the cross-check that follows plans a nested loop
        # over millions of rows (seen: minutes instead of a second). ANALYZE samples, so it is cheap.
        cur.execute(f"ANALYZE {table}")
        return counts

    def _values(self) -> list[str]:
        return [n for n in self.fmt.names if n != "account_id"]

    def _alerts(self, cur, batch, rows: str) -> int:
        """Negative equity (穿仓) and margin calls among `rows` (client_id, trade_date, equity, margin_call).

        A day imported again updates its alert; a changed amount re-opens an acknowledged one.
        """
        cur.execute(
            f"""INSERT INTO clients_settlementalert AS a0 (client_id, trade_date, kind, amount, batch_id, created_at)
                SELECT a.client_id, a.trade_date, k.kind, k.amount, %s, now() FROM ({rows}) a
                CROSS JOIN LATERAL (VALUES ('negative_equity', a.equity), ('margin_call', a.margin_call))
                    AS k(kind, amount)
                WHERE (k.kind = 'negative_equity' AND a.equity < 0) OR (k.kind = 'margin_call' AND a.margin_call > 0)
                ON CONFLICT (client_id, trade_date, kind)
                DO UPDATE SET amount = EXCLUDED.amount, batch_id = EXCLUDED.batch_id,
                    acknowledged_at = CASE WHEN a0.amount = EXCLUDED.amount THEN a0.acknowledged_at END,
                    acknowledged_by_id = CASE WHEN a0.amount = EXCLUDED.amount THEN a0.acknowledged_by_id END""",  # noqa: S608
            [batch.pk],
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
                    """DELETE FROM clients_settlementalert a USING (
                           SELECT DISTINCT ON (s.trade_date, s.account_id) c.id AS client_id, s.trade_date,
                                  s.equity, s.margin_call
                           FROM import_stage s JOIN clients_client c ON c.account_id = s.account_id
                           WHERE EXISTS (SELECT 1 FROM clients_settlementalert x
                                         WHERE x.client_id = c.id AND x.trade_date = s.trade_date)
                           ORDER BY s.trade_date, s.account_id, s.line DESC) r
                       WHERE a.client_id = r.client_id AND a.trade_date = r.trade_date AND a.acknowledged_at IS NULL
                         AND ((a.kind = 'negative_equity' AND r.equity >= 0)
                              OR (a.kind = 'margin_call' AND r.margin_call <= 0))""")
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
                warnings.append(_("Unknown branch code(s) created as new branches named by their code: %(c)s")
                                % {"c": ", ".join(created)})
            for column, lookup, label in (
                ("manager_code", "SELECT 1 FROM clients_staffprofile p WHERE p.employee_code = s.manager_code",
                 _("Unknown account-manager code(s), link left empty")),
                ("intermediary_code", "SELECT 1 FROM referrals_intermediary i WHERE i.code = s.intermediary_code",
                 _("Unknown intermediary code(s), link left empty")),
                ("referrer_account_id",
                 "SELECT 1 FROM clients_client r WHERE r.account_id = s.referrer_account_id UNION ALL "
                 "SELECT 1 FROM import_stage t WHERE t.account_id = s.referrer_account_id",
                 _("Unknown referrer account(s), link left empty")),
            ):
                cur.execute(
                    f"""SELECT s.line, s.{column} FROM import_stage s
                        WHERE s.{column} IS NOT NULL AND NOT EXISTS ({lookup}) ORDER BY s.line LIMIT 50"""  # noqa: S608 - identifiers are the format's constants
                )
                unknown = cur.fetchall()
                if unknown:
                    warnings.append(f"{label}: " + ", ".join(_("line %(l)s (%(v)s)") % {"l": ln, "v": v}
                                                            for ln, v in unknown))

            file_cols = {
                "account_id": "s.account_id", "name": "s.name", "name_pinyin": "s.name_pinyin",
                "name_initials": "s.name_initials", "client_type": "s.client_type", "id_type": "s.id_type",
                "id_number": "s.id_number", "id_last4": "s.id_last4", "birthday": "s.birthday",
                "gender": "COALESCE(s.gender, '')", "phone": "COALESCE(s.phone, '')",
                "email": "COALESCE(s.email, '')", "province": "COALESCE(s.province, '')",
                "city": "COALESCE(s.city, '')", "branch_id": "b.id", "open_date": "s.open_date",
                "close_date": "s.close_date",
                "status": "CASE WHEN s.close_date IS NOT NULL THEN 'closed' ELSE 'active' END",
                "channel": "COALESCE(s.channel, '')", "account_manager_id": "p.user_id",
                "intermediary_code": "COALESCE(i.code, '')",
                "investor_class": "COALESCE(s.investor_class, '')", "risk_level": "COALESCE(s.risk_level, '')",
                "profile_complete": "true",
            }
            defaults = column_defaults(Client, set(file_cols))
            cols = list(file_cols) + [c for c, _v in defaults]
            select = list(file_cols.values()) + ["%s"] * len(defaults)
            keep_when_absent = {"gender", "phone", "email", "province", "city", "channel", "intermediary_code",
                                "investor_class", "risk_level"}
            sets = []
            for col in file_cols:
                if col == "account_id":
                    continue
                if col in keep_when_absent:
                    sets.append(f"{col} = COALESCE(NULLIF(EXCLUDED.{col}, ''), clients_client.{col})")
                elif col in {"birthday", "close_date", "account_manager_id"}:
                    sets.append(f"{col} = COALESCE(EXCLUDED.{col}, clients_client.{col})")
                elif col == "status":
                    sets.append("status = CASE WHEN EXCLUDED.close_date IS NOT NULL THEN 'closed' "
                                "ELSE clients_client.status END")
                else:
                    sets.append(f"{col} = EXCLUDED.{col}")
            sets.append("updated_at = now()")
            cur.execute(
                f"""WITH up AS (
                        INSERT INTO clients_client ({", ".join(cols)})
                        SELECT DISTINCT ON (s.account_id) {", ".join(select)}
                        FROM import_stage s
                        JOIN clients_branch b ON b.code = s.branch_code
                        LEFT JOIN clients_staffprofile p ON p.employee_code = s.manager_code
                        LEFT JOIN referrals_intermediary i ON i.code = s.intermediary_code
                        ORDER BY s.account_id, s.line DESC
                        ON CONFLICT (account_id) DO UPDATE SET {", ".join(sets)}
                        RETURNING (xmax = 0) AS inserted)
                    SELECT count(*), count(*) FILTER (WHERE NOT inserted) FROM up""",  # noqa: S608 - identifiers are the format's constants
                [v for _c, v in defaults],
            )
            written, replaced = cur.fetchone()
            cur.execute(
                """UPDATE clients_client c SET referrer_id = r.id
                   FROM import_stage s JOIN clients_client r ON r.account_id = s.referrer_account_id
                   WHERE c.account_id = s.account_id AND r.id <> c.id"""
            )
        return {"written": written, "replaced": replaced, "alerts": 0, "warnings": warnings}
