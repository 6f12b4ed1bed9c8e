"""The settlement tables and ClientDay are partitioned by month (issue 16): their layout, the months made ahead,
on demand (the import, far in the past too) and by hand (detach to an archive, attach again), and the main
queries of the pages, the API, the import and the engine reading only the months they need, as PostgreSQL's
own `EXPLAIN ANALYZE` shows (a partition pruned when planning, or at run time, is never read)."""

import csv
import datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from clients import partitions
from clients.imports.services import import_run
from clients.models import AccountSettlement, Client, ContractSettlement
from futures_crm.settings import CELERY_BEAT_SCHEDULE
from segmentation import services
from tests.imports.conftest import HEADERS, account_row, contract_row
from tests.segmentation.conftest import contract, weekdays, zero_account

from .history_data import build_history

pytestmark = pytest.mark.django_db

ACC, CON, DAY = partitions.PARTITIONED
M = datetime.date


def names(table, *months):
    return {partitions.partition_name(table, m) for m in months}


class _Undo(Exception):
    pass


def _read(node: dict) -> set[str]:
    """The partitions a plan node and its children read (a node pruned at run time has no loop; the parent
    named by an INSERT's or DELETE's node is not a read)."""
    out = set()
    name = node.get("Relation Name", "")
    if node.get("Actual Loops") and name.startswith(partitions.PARTITIONED) and name not in partitions.PARTITIONED:
        out.add(node["Relation Name"])
    for child in node.get("Plans", []):
        out |= _read(child)
    return out


def partitions_read(fn) -> set[str]:
    """Run `fn`, then replay what it sent (its queries and writes, in order) under EXPLAIN ANALYZE, its effects
    undone afterwards: the partitions read by the statements that name a partitioned table."""
    with CaptureQueriesContext(connection) as ctx:
        fn()
    sent = [q["sql"] for q in ctx.captured_queries
            if q["sql"].lstrip().upper().startswith(("SELECT", "WITH", "INSERT", "UPDATE", "DELETE", "CREATE TEMP",
                                                     "DROP TABLE"))]
    assert any(t in sql for sql in sent for t in partitions.PARTITIONED)
    read = set()
    try:
        with transaction.atomic(), connection.cursor() as cur:
            for sql in sent:
                if sql.lstrip().upper().startswith(("CREATE", "DROP")):  # a step's scratch table, made again
                    cur.execute(sql)
                    continue
                cur.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql)
                plan = cur.fetchone()[0]
                if any(t in sql for t in partitions.PARTITIONED):
                    read |= _read(plan[0]["Plan"])
            raise _Undo
    except _Undo:
        pass
    return read


def counters() -> dict[str, int]:
    """Per partition, the scans and writes of this transaction so far (PostgreSQL's own counters)."""
    with connection.cursor() as cur:
        cur.execute("""SELECT relname, seq_scan + COALESCE(idx_scan, 0) + n_tup_ins + n_tup_upd + n_tup_del
                       FROM pg_stat_xact_user_tables WHERE relname LIKE ANY(%s)""",
                    [[f"{t}\\_%" for t in partitions.PARTITIONED]])
        return dict(cur.fetchall())


@pytest.fixture
def months(db):
    for table in partitions.PARTITIONED:
        partitions.ensure_months(table, M(2024, 12, 1), M(2025, 7, 1))


def test_the_tables_are_partitioned_by_month_on_trade_date_with_their_keys():
    with connection.cursor() as cur:
        for table, key in ((ACC, ["trade_date", "client_id"]),
                           (CON, ["trade_date", "client_id", "instrument", "hedge_flag"]),
                           (DAY, ["trade_date", "client_id"])):
            cur.execute("""SELECT p.partstrat, a.attname FROM pg_partitioned_table p
                           JOIN pg_attribute a ON a.attrelid = p.partrelid AND a.attnum = p.partattrs[0]
                           WHERE p.partrelid = %s::regclass""", [table])
            assert cur.fetchone() == ("r", "trade_date")
            cur.execute("""SELECT array_agg(a.attname ORDER BY k.n) FROM pg_index i
                           CROSS JOIN unnest(i.indkey) WITH ORDINALITY AS k(attnum, n)
                           JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                           WHERE i.indrelid = %s::regclass AND i.indisprimary""", [table])
            assert cur.fetchone()[0] == key
            listed = {m.name for m in partitions.months(table)}
            # Made by the migration: this month and three ahead, and the default.
            assert names(table, *partitions.months_ahead()) | {partitions.default_name(table)} <= listed


def test_a_row_of_a_month_without_partition_waits_in_the_default_until_its_month_is_made():
    client = Client.objects.create(account_id="P1", name="P1", branch_id=_branch())
    AccountSettlement.objects.bulk_create([zero_account(client, M(2023, 5, 4), equity=5)])
    out = StringIO()
    call_command("partitions", "list", "--table", ACC, stdout=out)
    assert f"default  {partitions.default_name(ACC)}" in out.getvalue() and " 1 rows" in out.getvalue()
    created = services_task()
    assert partitions.partition_name(ACC, M(2023, 5, 1)) in created
    assert partitions.months_in_default(ACC) == []
    with connection.cursor() as cur:
        cur.execute(f"SELECT equity FROM {partitions.partition_name(ACC, M(2023, 5, 1))}")  # noqa: S608
        assert cur.fetchall() == [(Decimal("5.00"),)]
    assert AccountSettlement.objects.get().equity == 5


def services_task():
    """The periodic task, as Celery beat runs it."""
    from clients.tasks import ensure_partitions

    assert CELERY_BEAT_SCHEDULE["clients-ensure-partitions"]["task"] == ensure_partitions.name
    return ensure_partitions()


def _branch():
    from tests.factories import BranchFactory

    return BranchFactory(code="PT01").pk


def test_a_month_detached_to_its_archive_leaves_every_query_and_comes_back_when_attached(months):
    client = Client.objects.create(account_id="P2", name="P2", branch_id=_branch())
    AccountSettlement.objects.bulk_create([zero_account(client, M(2025, 1, 2)), zero_account(client, M(2025, 2, 3))])
    ContractSettlement.objects.bulk_create([contract(client, M(2025, 1, 2), lots=2)])
    out = StringIO()
    call_command("partitions", "detach", "2025-01", stdout=out)
    assert out.getvalue().split() == [partitions.archive_name(ACC, M(2025, 1, 1)),
                                      partitions.archive_name(CON, M(2025, 1, 1))]
    assert list(AccountSettlement.objects.values_list("trade_date", flat=True)) == [M(2025, 2, 3)]
    assert not ContractSettlement.objects.exists()
    listed = {m.name: m.archived for m in partitions.months(ACC)}
    assert listed[partitions.archive_name(ACC, M(2025, 1, 1))] is True
    # Writing an archived month is refused, loudly: attach it first.
    with pytest.raises(partitions.MonthArchived):
        partitions.ensure_month(ACC, M(2025, 1, 1))
    call_command("partitions", "attach", "2025-01", stdout=StringIO())
    assert AccountSettlement.objects.count() == 2 and ContractSettlement.objects.count() == 1


def test_the_periodic_task_and_the_command_make_three_months_ahead():
    created = partitions.ensure_ahead(today=M(2031, 5, 20))
    for table in partitions.PARTITIONED:
        assert names(table, M(2031, 5, 1), M(2031, 6, 1), M(2031, 7, 1), M(2031, 8, 1)) <= set(created)
    out = StringIO()
    call_command("partitions", "ensure", "--from", "2031-08", "--to", "2031-09", "--table", DAY, stdout=out)
    assert out.getvalue().strip() == f"created 1: {partitions.partition_name(DAY, M(2031, 9, 1))}"


@pytest.fixture
def write_file(tmp_path):
    """write_file(kind, rows) → the path of a settlement CSV file (a column the format lacks is kept)."""

    def write(kind, rows):
        header = list(HEADERS[kind]) + [k for k in rows[0] if k not in HEADERS[kind]]
        path = tmp_path / f"{kind}{len(list(tmp_path.iterdir()))}.csv"
        with open(path, "w", newline="", encoding="utf-8") as f:
            out = csv.writer(f, lineterminator="\n")
            out.writerow(header)
            out.writerows([[r.get(h, "") for h in header] for r in rows])
        return path

    return write


@pytest.fixture
def known(db):
    return Client.objects.create(account_id="90000001", name="钱七", branch_id=_branch())


@pytest.mark.parametrize("extra", [False, True], ids=["direct", "staged"])
def test_an_import_far_in_the_past_makes_its_months_and_writes_into_them(known, write_file, extra):
    days = ["2019-01-31", "2019-02-01"]
    rows = [{**account_row(trade_date=d), **({"remark": "x"} if extra else {})} for d in days]

    def default_inserts():
        # PostgreSQL 15 keeps a backend's pending counters past the end of a transaction until it flushes them
        # (at most once a second), so an earlier test's inserts may still show: compare before and after.
        with connection.cursor() as cur:
            cur.execute("SELECT COALESCE(sum(n_tup_ins), 0) FROM pg_stat_xact_user_tables WHERE relname = %s",
                        [partitions.default_name(ACC)])
            return cur.fetchone()[0]

    before = default_inserts()
    batch = import_run(kind="accounts", path=write_file("accounts", rows))
    assert batch.status == "imported", batch.message
    # Both months were made before the rows went in: none passed through the default partition.
    assert default_inserts() == before
    assert batch.report["route"] == ("staged" if extra else "direct")
    with connection.cursor() as cur:
        for month in (M(2019, 1, 1), M(2019, 2, 1)):
            cur.execute(f"SELECT count(*) FROM {partitions.partition_name(ACC, month)}")  # noqa: S608
            assert cur.fetchone()[0] == 1
    assert partitions.months_in_default(ACC) == []


def test_a_nightly_import_reads_and_writes_only_its_month(months, book, write_file):
    build_history(book["zhang"], other=book["li"])  # history in December … June
    Client.objects.create(account_id="90000001", name="钱七", branch_id=_branch())
    before = counters()
    for kind, row in (("accounts", account_row(trade_date="2025-07-01")),
                      ("contracts", contract_row(trade_date="2025-07-01"))):
        batch = import_run(kind=kind, path=write_file(kind, [row]))
        assert batch.status == "imported" and batch.report["route"] == "direct", batch.message
    changed = {name for name, n in counters().items() if n != before.get(name, 0)}
    assert changed == names(ACC, M(2025, 7, 1)) | names(CON, M(2025, 7, 1))


def test_the_history_page_and_api_read_only_the_months_asked_for(months, client, api, staff, book):
    build_history(book["zhang"], other=book["li"])
    pk, am1 = book["zhang"].pk, staff["am1"]
    client.force_login(am1)
    asked = {"group": "month", "from": "2025-03-01", "to": "2025-04-30"}
    expected = names(ACC, M(2025, 3, 1), M(2025, 4, 1)) | names(CON, M(2025, 3, 1), M(2025, 4, 1))
    api_client = api(am1)
    assert partitions_read(lambda: client.get(f"/clients/{pk}/history/", asked)) == expected
    assert partitions_read(lambda: api_client.get(f"/api/clients/{pk}/settlement/", asked)) == expected
    by_day = {"group": "day", "from": "2025-04-01", "to": "2025-04-02", "product": "rb"}
    assert partitions_read(lambda: client.get(f"/clients/{pk}/history/", by_day)) == (
        names(ACC, M(2025, 4, 1)) | names(CON, M(2025, 4, 1)))


def test_the_statement_reads_the_month_asked_for_and_the_calendar_just_before_it(months, client, staff, book):
    days = [d for d in weekdays(120, M(2025, 1, 6)) if d < M(2025, 6, 1)]
    zhang = book["zhang"]
    AccountSettlement.objects.bulk_create([zero_account(zhang, d, equity=100) for d in days])
    ContractSettlement.objects.bulk_create([contract(zhang, d, lots=2) for d in days])
    client.force_login(staff["am1"])
    read = partitions_read(lambda: client.get(f"/clients/{zhang.pk}/statement/", {"month": "2025-04"}))
    # April's rows, and the trading calendar's 31 days back from April's last (one or two months a probe).
    assert names(ACC, M(2025, 4, 1)) | names(CON, M(2025, 4, 1)) <= read
    assert read <= names(ACC, M(2025, 2, 1), M(2025, 3, 1), M(2025, 4, 1)) | names(CON, M(2025, 4, 1))


def test_a_rolling_night_reads_the_day_and_the_days_leaving_its_windows(months, branches):
    from tests.factories import ClientFactory

    days = [d for d in weekdays(120, M(2025, 1, 6)) if d < M(2025, 5, 1)]
    c = ClientFactory(branch=branches[0])
    AccountSettlement.objects.bulk_create([zero_account(c, d, equity=100) for d in days])
    ContractSettlement.objects.bulk_create([contract(c, d, lots=2, position=1) for d in days])
    assert services.run_night(day=days[-2]).status == "succeeded"
    night = {}
    read = partitions_read(lambda: night.setdefault("run", services.run_night(day=days[-1])))
    assert night["run"].mode == "rolling"
    # D (30 April), and the days leaving its 20-, 60- and 80-day windows: never March's partition.
    leaving = [days[-1 - n] for n in (20, 60, 80)]
    assert leaving == [M(2025, 4, 2), M(2025, 2, 5), M(2025, 1, 8)]
    assert {r for r in read if r.startswith(DAY)} == names(DAY, M(2025, 4, 1), M(2025, 2, 1), M(2025, 1, 1))
    # The settlement rows of D only (the calendar looks from the newest known day to D).
    assert {r for r in read if not r.startswith(DAY)} == names(ACC, M(2025, 4, 1)) | names(CON, M(2025, 4, 1))
