"""bench_nightly --indicators: the scopes, service records and two years of history the indicator step and
GET /api/indicators/ are measured with (set-based loads into the benchmark's dedicated database)."""

from __future__ import annotations

import datetime
import math
import statistics
import time

from django.db import connection

BRANCHES, MANAGERS, INTERMEDIARIES = 20, 500, 300
HISTORY_DAYS = 520  # two years of trading days


def _insert(cur, model, overrides: dict, source: str, params=None) -> int:
    """Set-based rows of `model`; people and branches already there from an earlier load are kept."""
    from .commands.bench_nightly import _column_defaults

    cols, exprs = _column_defaults(model, overrides)
    cur.execute(f"INSERT INTO {model._meta.db_table} ({', '.join(cols)}) SELECT {', '.join(exprs)} {source}"  # noqa: S608
                " ON CONFLICT DO NOTHING",
                params or [])
    return cur.rowcount


def spread(day: datetime.date) -> None:
    """Branches, account managers and intermediary codes over the clients; tasks, tickets, contacts, surveys."""
    from django.contrib.auth import get_user_model

    from clients.models import Branch, ContactLog, StaffProfile
    from service.models import Survey, Task, Ticket

    d = f"DATE '{day.isoformat()}'"
    with connection.cursor() as cur:
        _insert(cur, Branch, {"code": "'BB' || lpad(g::text, 2, '0')", "name": "'Bench ' || g"},
                "FROM generate_series(1, %s) g", [BRANCHES])
        _insert(cur, get_user_model(), {"username": "'bench_am' || g", "password": "'!'", "is_active": "true",
                                        "date_joined": "now()"}, "FROM generate_series(1, %s) g", [MANAGERS])
        _insert(cur, StaffProfile, {"user": "u.id", "employee_code": "'BAM' || lpad(g::text, 4, '0')",
                                    "display_name": "'经理' || g", "role": "'account_manager'", "is_active": "true",
                                    "branch": "(SELECT id FROM clients_branch WHERE code = 'BB' || "
                                              "lpad((1 + mod(g, %s))::text, 2, '0'))"},
                "FROM generate_series(1, %s) g JOIN auth_user u ON u.username = 'bench_am' || g",
                [BRANCHES, MANAGERS])
        # A manager's clients sit in the manager's branch; a third of the clients came through an intermediary.
        cur.execute("""
            WITH m AS (SELECT row_number() OVER (ORDER BY user_id) - 1 AS k, user_id, branch_id
                       FROM clients_staffprofile WHERE employee_code LIKE 'BAM%%')
            UPDATE clients_client c SET account_manager_id = m.user_id, branch_id = m.branch_id,
                   intermediary_code = CASE WHEN mod(c.id, 3) = 0 THEN 'IB' || lpad(mod(c.id, %s)::text, 3, '0')
                                            ELSE '' END
            FROM m WHERE m.k = mod(c.id, %s)""", [INTERMEDIARIES, MANAGERS])
        some = "FROM clients_client c WHERE mod(c.id, %s) = 0"
        when = f"({d} - mod(c.id, 90)::int)::timestamptz + interval '10 hours'"
        _insert(cur, Task, {"client": "c.id", "kind": "'retention'", "due_on": f"{d} - mod(c.id, 30)::int + 7",
                            "status": "CASE WHEN mod(c.id, 2) = 0 THEN 'open' ELSE 'done' END",
                            "done_at": f"CASE WHEN mod(c.id, 2) = 1 THEN {when} + interval '2 days' END",
                            "created_at": when, "updated_at": when}, some, [3])
        _insert(cur, Ticket, {"client": "c.id", "ticket_type": "CASE WHEN mod(c.id, 5) = 0 THEN 'complaint' "
                                                             "ELSE 'trading_consultation' END",
                              "channel": "'phone'", "subject": "'bench'", "priority": "'normal'",
                              "queue": "'service_desk'", "deadline": f"{when} + interval '2 days'",
                              "status": "CASE WHEN mod(c.id, 4) = 0 THEN 'new' ELSE 'resolved' END",
                              "resolved_at": f"CASE WHEN mod(c.id, 4) <> 0 THEN {when} + interval '1 day' END",
                              "created_at": when, "updated_at": when}, some, [4])
        _insert(cur, ContactLog, {"client": "c.id", "contacted_at": when, "channel": "'phone'", "summary": "'b'",
                                  "created_at": when, "updated_at": when}, some, [2])
        _insert(cur, Survey, {"client": "c.id", "answered_on": f"{d} - mod(c.id, 200)::int",
                              "satisfaction": "mod(c.id, 11)", "created_at": when, "updated_at": when}, some, [5])
        cur.execute("ANALYZE clients_client; ANALYZE service_task; ANALYZE service_ticket; ANALYZE clients_contactlog;"
                    " ANALYZE service_survey")


def history(day: datetime.date) -> int:
    """Two years of snapshots before `day`, copied from `day`'s own (the table as it is after two years)."""
    from segmentation.models import IndicatorSnapshot

    cols = [f.column for f in IndicatorSnapshot._meta.concrete_fields if f.name not in ("id", "on_date")]
    with connection.cursor() as cur:
        cur.execute("DELETE FROM segmentation_indicatorsnapshot WHERE on_date < %s", [day])  # a --reuse run's copy
        cur.execute(
            f"""INSERT INTO segmentation_indicatorsnapshot (on_date, {', '.join(cols)})
                SELECT d::date, {', '.join(f's.{c}' for c in cols)}
                FROM generate_series(%s::date - 1, %s::date - 760, interval '-1 day') d
                CROSS JOIN segmentation_indicatorsnapshot s
                WHERE s.on_date = %s AND extract(isodow FROM d) < 6
                ORDER BY d, s.scope, s.code""",  # noqa: S608 - column names of the model
            [day, day, day])
        n = cur.rowcount
        cur.execute("VACUUM ANALYZE segmentation_indicatorsnapshot")
    return n


def _users():
    """The firm-wide reader (created once) and the first bench account manager."""
    from django.conf import settings
    from django.contrib.auth import get_user_model

    from clients.models import StaffProfile
    from futures_crm.roles import Role

    settings.ALLOWED_HOSTS = ["testserver"]
    head, _new = get_user_model().objects.get_or_create(username="bench_head")
    StaffProfile.objects.get_or_create(user=head, defaults={"employee_code": "BHEAD", "display_name": "head",
                                                            "role": Role.HEAD_OFFICE})
    manager = StaffProfile.objects.filter(employee_code="BAM0001").select_related("user").first()
    return head, manager


def _timed(get, runs: int) -> dict:
    """Median, 95th percentile and extremes (ms) of `runs` calls after a warm-up, and the queries of one call."""
    from django.db import connection as conn

    queries = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    # Counted by a wrapper (it outlives the connection a request closes, unlike the queries log).
    with conn.execute_wrapper(count):
        get()  # warm-up
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        get()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {"median": statistics.median(samples), "p95": samples[max(0, math.ceil(0.95 * runs) - 1)],
            "min": samples[0], "max": samples[-1], "queries": len(queries)}


def api_times(day: datetime.date, runs: int = 20) -> list[tuple[str, dict]]:
    """GET /api/indicators/ over two years, for the firm, a branch and one account manager: _timed's figures."""
    from rest_framework.test import APIClient

    head, manager = _users()
    start = (day - datetime.timedelta(days=730)).isoformat()
    cases = [("firm, two years", head, {"scope": "firm"}),
             ("branch, two years", head, {"scope": "branch", "code": "BB01"})]
    if manager:
        cases.append(("account manager's own book, two years", manager.user, {"scope": "manager", "code": "BAM0001"}))
    out = []
    for label, user, query in cases:
        api = APIClient()
        api.force_authenticate(user)
        params = query | {"from": start, "to": day.isoformat()}
        points = len(api.get("/api/indicators/", params).json()["series"])

        def get(api=api, params=params):
            assert api.get("/api/indicators/", params).status_code == 200

        out.append((f"{label} ({points} points)", _timed(get, runs)))
    return out


def page_times(day: datetime.date, runs: int = 20) -> list[tuple[str, dict]]:
    """The dashboard PAGE (logged in, through the whole middleware stack, template rendered) for the firm, a
    branch with its 25 managers, and an account manager's own book; the newest day and one a year before."""
    from django.test import Client

    from clients.models import Branch

    head, manager = _users()
    branch = Branch.objects.get(code="BB01").pk
    year_ago = (day - datetime.timedelta(days=364)).isoformat()
    cases = [("firm", head, {}), ("branch BB01", head, {"branch": branch}),
             ("firm, as of a year before", head, {"as_of": year_ago}),
             ("branch BB01, as of a year before", head, {"branch": branch, "as_of": year_ago})]
    if manager:
        cases += [("own book (account manager)", manager.user, {}),
                  ("own book, as of a year before", manager.user, {"as_of": year_ago})]
    out = []
    for label, user, query in cases:
        browser = Client()
        browser.force_login(user)
        body = browser.get("/segments/", query).content.decode()
        assert 'id="segment-totals"' in body, (label, body[:2000])

        def get(browser=browser, query=query):
            assert browser.get("/segments/", query).status_code == 200

        out.append((label, _timed(get, runs)))
    return out


def report(out, day: datetime.date, runs: int = 20) -> None:
    """Print the pages' and the API's figures (RESULT lines, as bench_nightly prints its own)."""
    import os

    out(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for kind, rows in (("dashboard page", page_times(day, runs)), ("GET /api/indicators/", api_times(day, runs))):
        for label, t in rows:
            out(f"RESULT {kind} {label}: median {t['median']:.1f} ms, p95 {t['p95']:.1f} ms "
                f"(min {t['min']:.1f}, max {t['max']:.1f}; {runs} calls), {t['queries']} queries")
