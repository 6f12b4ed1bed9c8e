# ruff: noqa: S608 — the SQL below is built from constants and integers only.
"""Benchmark the night's return visits and suitability renewal tasks (issue 16): N clients, each a candidate.

Generates the clients set-based, a quarter of each kind: a new account, a new account an intermediary introduced,
an open suitability mismatch, a closed complaint; every second one's assessment expires within the month. Then
times `suitability_renewals` and `schedule_return_visits` for the day, each run in one transaction (foreign keys
checked at once, as the commit would) rolled back so the next one sees the same book: `--impl new` the current
set-based code, `--impl old` the per-client code of `--old-commit` (loaded from `git show`), `--impl both` one
after the other. The generated clients are deleted at the end.
"""

import os
import subprocess
import time
import types
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.utils import timezone

from clients.models import Branch, Client, Product, StaffProfile, SuitabilityAlert, SuitabilityAssessment
from futures_crm.roles import Role
from referrals.models import Intermediary, IntermediaryLink
from service.models import ReturnVisit, Ticket

from .bench_lookup import _column_defaults

PREFIX = "BT"
MANAGERS = 50


class Rollback(Exception):
    pass


def _old_module(commit: str, path: str):
    """A module of the service app as it was at `commit` (its relative imports resolve against today's app)."""
    source = subprocess.run(["git", "show", f"{commit}:{path}"], capture_output=True, text=True, check=True,  # noqa: S603, S607
                            cwd=settings.BASE_DIR).stdout
    module = types.ModuleType("service._bench_old_" + Path(path).stem)
    module.__package__ = "service"
    exec(compile(source, path, "exec"), module.__dict__)  # noqa: S102 - the project's own history
    return module


class Command(BaseCommand):
    help = "Time the night's return visits and suitability renewal tasks with N candidate clients."

    def add_arguments(self, parser):
        parser.add_argument("--clients", type=int, default=20_000)
        parser.add_argument("--impl", choices=["new", "old", "both"], default="both")
        parser.add_argument("--old-commit", default="3fd4505", help="The commit whose per-client code is 'old'.")

    def handle(self, *args, **opts):
        n, day = opts["clients"], timezone.localdate()
        self.cleanup()
        try:
            self.generate(n, day)
            impls = ["old", "new"] if opts["impl"] == "both" else [opts["impl"]]
            for impl in impls:
                if impl == "old":
                    visits = _old_module(opts["old_commit"], "service/return_visits.py").schedule_return_visits
                    renewals = _old_module(opts["old_commit"], "service/suitability.py").suitability_renewals
                else:
                    from service.return_visits import schedule_return_visits as visits
                    from service.suitability import suitability_renewals as renewals
                load = os.getloadavg()[0]
                started = time.perf_counter()
                try:
                    with transaction.atomic():
                        # The foreign keys are checked as each row is written, as a commit would check them.
                        with connection.cursor() as cur:
                            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
                        opened = renewals(day=day)
                        middle = time.perf_counter()
                        result = visits(day=day)
                        ended = time.perf_counter()
                        raise Rollback
                except Rollback:
                    pass
                self.stdout.write(
                    f"{impl}: {n:,} clients · renewals {opened:,} in {middle - started:.2f} s · return visits "
                    f"{result['return_visits_opened']:,} in {ended - middle:.2f} s · total {ended - started:.2f} s "
                    f"· load average {load:.1f} → {os.getloadavg()[0]:.1f}")
        finally:
            self.cleanup()

    @transaction.atomic
    def generate(self, n: int, day):
        branch, _ = Branch.objects.get_or_create(code="BENCHT", defaults={"name": "Benchmark branch (tasks)"})
        User = get_user_model()
        managers = []
        for i in range(MANAGERS):
            user, _ = User.objects.get_or_create(username=f"bench_t_am{i}")
            StaffProfile.objects.get_or_create(user=user, defaults={
                "employee_code": f"BENCH-T{i}", "display_name": f"Bench manager {i}", "role": Role.ACCOUNT_MANAGER,
                "branch": branch})
            managers.append(user.pk)
        ib, _ = Intermediary.objects.get_or_create(code="BENCHT-IB", defaults={"name": "Bench intermediary"})
        product = Product.objects.get(exchange="CFFEX", code="IF")
        ids = f"SELECT id, row_number() OVER (ORDER BY id) AS g FROM {Client._meta.db_table} " \
              f"WHERE account_id LIKE '{PREFIX}%'"

        def insert(model, overrides, where):
            columns, exprs = _column_defaults(model, overrides)
            cur.execute(f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) "
                        f"SELECT {', '.join(exprs)} FROM ({ids}) c WHERE {where}")

        with connection.cursor() as cur:
            columns, exprs = _column_defaults(Client, {
                "account_id": f"'{PREFIX}' || lpad(g::text, 8, '0')", "name": "'客户' || g",
                "name_pinyin": "'kehu' || g", "name_initials": "'kh'", "client_type": "'individual'",
                "id_type": "'id_card'", "id_number": "'11010119800101' || lpad((g % 10000)::text, 4, '0')",
                "id_last4": "lpad((g % 10000)::text, 4, '0')", "phone": "'151' || lpad(g::text, 8, '0')",
                "branch": str(branch.pk), "status": "'active'",
                "account_manager": f"(ARRAY{managers})[1 + g % {MANAGERS}]",
                "open_date": f"CASE WHEN g % 4 IN (0, 3) THEN date '{day}' - (g % 25)::int "
                             f"ELSE date '{day}' - 400 END",
            })
            cur.execute(f"INSERT INTO {Client._meta.db_table} ({', '.join(columns)}) "
                        f"SELECT {', '.join(exprs)} FROM generate_series(1, {int(n)}) g")
            insert(IntermediaryLink, {"client": "id", "intermediary": str(ib.pk), "valid_from": f"date '{day}' - 30",
                                      "source": "'import'"}, "g % 4 = 3")
            insert(SuitabilityAlert, {"client": "id", "product": str(product.pk), "trade_date": f"date '{day}'",
                                      "lots": "1", "client_level": "'C1'", "product_level": "'R4'",
                                      "kind": "'level'", "status": "'open'"}, "g % 4 = 1")
            insert(Ticket, {"client": "id", "ticket_type": "'complaint'", "channel": "'phone'", "subject": "'bench'",
                            "status": "'closed'", "deadline": "now()", "queue": "'compliance'",
                            "priority": "'normal'"}, "g % 4 = 2")
            insert(SuitabilityAssessment, {"client": "id", "investor_class": "'ordinary'", "risk_level": "'C3'",
                                           "assessed_on": f"date '{day}' - 700",
                                           "expires_on": f"date '{day}' - 10 + (g % 40)::int"}, "g % 2 = 0")
            for model in (Client, IntermediaryLink, SuitabilityAlert, Ticket, SuitabilityAssessment, ReturnVisit):
                cur.execute(f"ANALYZE {model._meta.db_table}")

    def cleanup(self):
        with connection.cursor() as cur:
            sub = f"SELECT id FROM {Client._meta.db_table} WHERE account_id LIKE '{PREFIX}%'"
            cur.execute(f"DELETE FROM futures_crm_auditentry WHERE client_id IN ({sub})")
            for model in (ReturnVisit, IntermediaryLink, SuitabilityAlert, SuitabilityAssessment):
                cur.execute(f"DELETE FROM {model._meta.db_table} WHERE client_id IN ({sub})")
            cur.execute(f"DELETE FROM service_ticketevent WHERE ticket_id IN "
                        f"(SELECT id FROM service_ticket WHERE client_id IN ({sub}))")
            for table in ("service_ticket", "service_task"):
                cur.execute(f"DELETE FROM {table} WHERE client_id IN ({sub})")
            cur.execute(f"DELETE FROM {Client._meta.db_table} WHERE account_id LIKE '{PREFIX}%'")
