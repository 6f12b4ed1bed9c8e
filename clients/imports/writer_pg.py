"""PostgreSQL writer: COPY validated rows into a temporary staging table, then set-based SQL.

No per-row ORM work: placeholder clients and unknown branches are one INSERT … SELECT each, and
every settlement row is written by one INSERT … ON CONFLICT DO UPDATE (so a re-imported key
replaces its row and totals never double). `xmax = 0` tells inserted rows from replaced ones.
"""

import csv
import io
import time

from django.db import connection
from django.utils.translation import gettext as _

from ..models import Client
from .formats import DATE, LOTS, MONEY, Format
from .validate import CLIENT_DERIVED
from .writer_common import WARNING_EXAMPLES, column_defaults, placeholder_branch

CHUNK_ROWS = 4000
SQL_TYPES = {DATE: "date", MONEY: "numeric(20,2)", LOTS: "bigint"}


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


class PgWriter:
    """Stage, then apply: `stage(rows)` COPYs, `apply(batch)` writes and returns counts and warnings."""

    def __init__(self, fmt: Format):
        self.fmt = fmt
        self.columns = fmt.names + (CLIENT_DERIVED if fmt.kind == "clients" else [])
        self.timings: dict[str, float] = {}

    def stage(self, rows) -> None:
        t0 = time.perf_counter()
        types = {c.name: SQL_TYPES.get(c.type, "text") for c in self.fmt.columns}
        ddl = ", ".join(f"{name} {types.get(name, 'text')}" for name in self.columns)
        with connection.cursor() as cur:
            # Inside an outer transaction (tests, a caller's atomic block) ON COMMIT has not come yet.
            cur.execute("DROP TABLE IF EXISTS import_stage")
            # The one big sort (DISTINCT ON) stays in memory instead of spilling to disk.
            cur.execute("SET LOCAL work_mem = '256MB'")
            cur.execute(f"CREATE TEMP TABLE import_stage (line bigint, {ddl}) ON COMMIT DROP")
            cur.copy_expert(
                f"COPY import_stage (line, {', '.join(self.columns)}) FROM STDIN WITH (FORMAT csv)",
                _ChunkFile(_csv_chunks(rows)),
            )
            t1 = time.perf_counter()
            cur.execute("ANALYZE import_stage")
        self.timings.update(validate_and_copy=round(t1 - t0, 3), analyze=round(time.perf_counter() - t1, 3))

    def apply(self, batch) -> dict:
        result = getattr(self, f"_apply_{self.fmt.kind}")(batch)
        with connection.cursor() as cur:
            cur.execute("DROP TABLE import_stage")
        return result

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

    def _upsert(self, cur, table: str, key: list[str], values: list[str]) -> tuple[int, int]:
        cols = ", ".join(values)
        update = ", ".join(f"{c} = EXCLUDED.{c}" for c in values)
        order = ", ".join(f"s.{k}" for k in key)
        conflict = ", ".join("client_id" if k == "account_id" else k for k in key)
        # A new trading day (the nightly case) has nothing to replace: a plain INSERT skips the
        # speculative insertion ON CONFLICT needs. The index on trade_date makes the check cheap.
        cur.execute(
            f"SELECT EXISTS (SELECT 1 FROM {table} t WHERE t.trade_date IN "  # noqa: S608 - constant names
            "(SELECT DISTINCT trade_date FROM import_stage))"
        )
        on_conflict = f"ON CONFLICT ({conflict}) DO UPDATE SET {update}" if cur.fetchone()[0] else ""
        # DISTINCT ON: a key repeated inside one file counts once, its last line wins.
        cur.execute(
            f"""WITH up AS (
                    INSERT INTO {table} (client_id, {cols})
                    SELECT DISTINCT ON ({order}) c.id, {", ".join(f"s.{v}" for v in values)}
                    FROM import_stage s JOIN clients_client c ON c.account_id = s.account_id
                    ORDER BY {order}, s.line DESC
                    {on_conflict}
                    RETURNING (xmax = 0) AS inserted)
                SELECT count(*), count(*) FILTER (WHERE NOT inserted) FROM up"""  # noqa: S608 - identifiers are the format's constants
        )
        counts = cur.fetchone()
        # Fresh statistics after a bulk write, or the cross-check that follows plans a nested loop
        # over millions of rows (seen: minutes instead of a second). ANALYZE samples, so it is cheap.
        cur.execute(f"ANALYZE {table}")
        return counts

    def _apply_accounts(self, batch) -> dict:
        values = [n for n in self.fmt.names if n != "account_id"]
        with connection.cursor() as cur:
            t0 = time.perf_counter()
            warnings = self._placeholders(cur)
            t1 = time.perf_counter()
            written, replaced = self._upsert(cur, "clients_accountsettlement", ["trade_date", "account_id"], values)
            t2 = time.perf_counter()
            self.timings.update(placeholders=round(t1 - t0, 3), upsert=round(t2 - t1, 3))
            cur.execute(
                """INSERT INTO clients_settlementalert (client_id, trade_date, kind, amount, batch_id, created_at)
                   SELECT client_id, trade_date, kind, amount, %s, now() FROM (
                       SELECT DISTINCT ON (s.trade_date, s.account_id) c.id AS client_id, s.trade_date,
                              s.equity, s.margin_call
                       FROM import_stage s JOIN clients_client c ON c.account_id = s.account_id
                       WHERE s.equity < 0 OR s.margin_call > 0
                       ORDER BY s.trade_date, s.account_id, s.line DESC) r
                   CROSS JOIN LATERAL (VALUES ('negative_equity', r.equity), ('margin_call', r.margin_call))
                       AS a(kind, amount)
                   WHERE (a.kind = 'negative_equity' AND r.equity < 0)
                      OR (a.kind = 'margin_call' AND r.margin_call > 0)
                   ON CONFLICT (client_id, trade_date, kind)
                   DO UPDATE SET amount = EXCLUDED.amount, batch_id = EXCLUDED.batch_id""",
                [batch.pk],
            )
            alerts = cur.rowcount
        return {"written": written, "replaced": replaced, "alerts": alerts, "warnings": warnings}

    def _apply_contracts(self, batch) -> dict:
        values = [n for n in self.fmt.names if n != "account_id"]
        with connection.cursor() as cur:
            warnings = self._placeholders(cur)
            written, replaced = self._upsert(
                cur, "clients_contractsettlement", ["trade_date", "account_id", "instrument", "hedge_flag"], values
            )
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
