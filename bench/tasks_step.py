"""Time the nightly `tasks` step of one run alone, and roll it back (the database stays as it is).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/futures_crm_ind_bench DEBUG=1 RUN=2 TIMEOUT=600s \
        python manage.py shell -c "exec(open('bench/tasks_step.py').read())"

Prints every statement slower than half a second, the step's counts and its total time.
"""

import os
import time

from django.db import connection, transaction

from segmentation import services
from segmentation.models import NightlyRun


class _Rollback(Exception):
    pass


def _timed(execute, sql, params, many, context):
    started = time.monotonic()
    try:
        return execute(sql, params, many, context)
    finally:
        if (spent := time.monotonic() - started) > 0.5:
            print(f"  {spent:6.1f} s  {' '.join(sql.split())[:140]}", flush=True)


def main():
    run = NightlyRun.objects.get(pk=int(os.environ.get("RUN", "2")))
    print(f"run {run.pk}, day {run.trade_date}, {run.mode}, steps done: {[s['name'] for s in run.steps]}")
    started = time.monotonic()
    try:
        with connection.execute_wrapper(_timed), transaction.atomic():
            with connection.cursor() as cur:
                cur.execute("SELECT set_config('statement_timeout', %s, true)", [os.environ.get("TIMEOUT", "600s")])
            print(services.STEPS["tasks"](run))
            raise _Rollback
    except _Rollback:
        pass
    print(f"tasks step: {time.monotonic() - started:.1f} s")


main()
