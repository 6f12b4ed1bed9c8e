"""Benchmark of the activity results (service.activity_results): the converted count reads the settlement tables.

Run against an empty database (it builds its own data with set-based SQL):
    DEBUG=1 DATABASE_URL=postgres://... python bench/activity_results.py --clients 50000 --days 120
Builds `--clients` clients, an account-settlement row a client and trading day (commission on one day in three,
per client; one client in five trades only from the 45th day: its conversions), `--activities` activities a
month apart with `--recipients` invited clients each, then times the results list (every activity, firm-wide),
one activity's results and its converted recipients. Prints a Markdown table for docs/BENCHMARKS.md.
"""

import argparse
import datetime
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "futures_crm.settings")


def timed(fn, runs=5):
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def build(args, first_day: datetime.date) -> None:
    from django.db import connection

    from clients.models import Branch, Client
    from service.models import Activity

    branch = Branch.objects.create(code="BENCH", name="基准营业部")
    Client.objects.bulk_create((Client(account_id=f"B{i:09d}", name=f"客户{i}", client_type="individual",
                                       id_type="id_card", branch=branch) for i in range(1, args.clients + 1)),
                               batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO clients_accountsettlement (trade_date, client_id, pre_balance, deposit, withdrawal, "
            "close_profit, position_profit, commission, exchange_fee, balance, equity, margin, available, "
            "margin_call) SELECT d::date, c.id, 0, 0, 0, 0, 0, CASE WHEN (c.id + (d::date - %s)) %% 3 = 0 "
            "AND (c.id %% 5 <> 0 OR d::date - %s >= 45) THEN 5 ELSE 0 END, 0, 0, 100000, 0, 0, 0 "
            "FROM clients_client c, generate_series(%s::date, %s::date, '1 day') d WHERE extract(isodow FROM d) < 6",
            [first_day, first_day, first_day, first_day + datetime.timedelta(days=args.days)])
        cursor.execute("ANALYZE clients_client; ANALYZE clients_accountsettlement")
    for i in range(args.activities):
        activity = Activity.objects.create(kind="seminar", title=f"策略会 {i}", held_on=first_day + datetime.timedelta(
            days=30 * (i + 1)), cost=10000)
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO service_activityrecipient (activity_id, client_id, status, response, refusal, "
                "refusal_code, refusal_params, created_at, updated_at) SELECT %s, id, 'invited', '', '', '', '{}', "
                "now(), now() FROM clients_client ORDER BY md5(id::text || %s) LIMIT %s",
                [activity.pk, str(i), args.recipients])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE service_activityrecipient")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=50000)
    parser.add_argument("--days", type=int, default=120)
    parser.add_argument("--activities", type=int, default=3)
    parser.add_argument("--recipients", type=int, default=5000)
    args = parser.parse_args()
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from clients.models import AccountSettlement, Client
    from service import activity_results
    from service.filtersets import RecipientFilterSet
    from service.models import Activity

    call_command("migrate", verbosity=0)
    first_day = datetime.date(2026, 1, 5)
    start = time.perf_counter()
    if not Client.objects.exists():
        build(args, first_day)
    built = time.perf_counter() - start
    admin = get_user_model().objects.filter(is_superuser=True).first() or get_user_model().objects.create_superuser(
        "bench_admin", "bench@example.com", "bench-pass-2026")
    activities = Activity.objects.all()
    one = activities.last()

    def converted_list():
        rows = RecipientFilterSet({"result": "converted"}, queryset=one.recipients.all()).qs
        return rows.count(), list(rows[:500])

    results = activity_results.activity_results(user=admin, activities=activities)
    rows = [
        ("data built (clients, settlement rows, recipients)", f"{built:.1f} s"),
        ("settlement rows", f"{AccountSettlement.objects.count():,}"),
        ("results of every activity (one grouped query)", f"{timed(lambda: activity_results.activity_results(user=admin, activities=activities)):.0f} ms"),  # noqa: E501
        ("one activity's results (its page)", f"{timed(lambda: activity_results.activity_result(user=admin, activity=one)):.0f} ms"),  # noqa: E501
        ("its converted recipients (count + first 500)", f"{timed(converted_list):.0f} ms"),
        ("converted per activity", ", ".join(str(r["converted"]) for r in results)),
    ]
    print(f"{args.clients} clients × {args.days} days, {args.activities} activities × {args.recipients} recipients\n")
    print("| measure | value |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
