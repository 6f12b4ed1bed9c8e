"""Benchmark the relationship computations on generated data; figures go to docs/BENCHMARKS.md.

Everything runs inside one transaction that is rolled back, so the database is left as it was.
Run against PostgreSQL: `DATABASE_URL=... manage.py bench_relationships --clients 20000 --days 20`.
"""

import datetime
import random
import re
import time
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.utils import timezone

from clients.models import AccountSettlement, Branch, Client, ContractSettlement, StaffProfile
from futures_crm.roles import Role
from referrals import selectors, services
from referrals.choices import HandoverStrategy
from referrals.models import Intermediary, IntermediaryLink

HEADING = "## Issue 4 — relationships (referrals app)"


class Rollback(Exception):
    pass


class Command(BaseCommand):
    help = "Time handover, workload, compliance checks, warning signs and rebate statements on generated data."

    def add_arguments(self, parser):
        parser.add_argument("--clients", type=int, default=20000)
        parser.add_argument("--days", type=int, default=20)
        parser.add_argument("--intermediaries", type=int, default=200)
        parser.add_argument("--managers", type=int, default=40)
        parser.add_argument("--seed", type=int, default=4)
        parser.add_argument("--output", default=str(Path(settings.BASE_DIR) / "docs" / "BENCHMARKS.md"))

    def handle(self, *args, **opts):
        self.rng = random.Random(opts["seed"])
        self.figures = []
        try:
            with transaction.atomic():
                self.run(opts)
                raise Rollback
        except Rollback:
            pass
        self.write(opts)

    def timed(self, label, fn):
        start = time.perf_counter()
        result = fn()
        elapsed = time.perf_counter() - start
        self.figures.append((label, elapsed))
        self.stdout.write(f"{label}: {elapsed * 1000:.0f} ms")
        return result

    def run(self, opts):
        rng = self.rng
        n, days = opts["clients"], opts["days"]
        branch = Branch.objects.create(code="BENCH", name="bench")
        users = get_user_model().objects.bulk_create(
            [get_user_model()(username=f"bench_am{i}") for i in range(opts["managers"])])
        StaffProfile.objects.bulk_create([
            StaffProfile(user=u, employee_code=f"BAM{i:04d}", display_name=f"经理{i}", branch=branch,
                         role=Role.ACCOUNT_MANAGER) for i, u in enumerate(users)])
        admin = get_user_model().objects.create(username="bench_admin", is_superuser=True)
        ibs = Intermediary.objects.bulk_create([
            Intermediary(code=f"BIB{i:04d}", name=f"居间{i}", rebate_rate=Decimal("0.4"),
                         contract_end=datetime.date(2026, 12, 1) + datetime.timedelta(days=i))
            for i in range(opts["intermediaries"])])

        def build():
            clients = Client.objects.bulk_create([
                Client(account_id=f"B{i:09d}", name=f"客户{i}", client_type="individual", branch=branch,
                       account_manager=users[i % len(users)], id_number=f"BENCH{i:013d}")
                for i in range(n)], batch_size=5000)
            IntermediaryLink.objects.bulk_create([
                IntermediaryLink(client=c, intermediary=ibs[i % len(ibs)], valid_from=datetime.date(2026, 1, 1))
                for i, c in enumerate(clients) if i % 2 == 0], batch_size=5000)
            start = datetime.date(2026, 11, 2)
            dates = [start + datetime.timedelta(days=d) for d in range(days)]
            acct, contracts = [], []
            for c in clients:
                equity = Decimal(rng.randint(10_000, 2_000_000))
                for d in dates:
                    commission = Decimal(rng.randint(0, 50_000)) / 100
                    fee = (commission * Decimal("0.3")).quantize(Decimal("0.01"))
                    acct.append(AccountSettlement(
                        trade_date=d, client=c, pre_balance=equity, deposit=0, withdrawal=0, close_profit=0,
                        position_profit=0, commission=commission, exchange_fee=fee, balance=equity, equity=equity,
                        margin=0, available=equity, margin_call=0))
                    buy = rng.randint(0, 5)
                    contracts.append(ContractSettlement(
                        trade_date=d, client=c, exchange="SHFE", instrument=rng.choice(["rb2601", "ag2602", "cu2601"]),
                        product="rb", hedge_flag="speculation", buy_lots=buy, sell_lots=rng.randint(0, 5),
                        turnover=Decimal(rng.randint(0, 3_000_000)), commission=commission, exchange_fee=fee,
                        close_profit=0, long_position=0, short_position=0, margin=0))
                if len(acct) >= 20000:
                    AccountSettlement.objects.bulk_create(acct, batch_size=5000)
                    ContractSettlement.objects.bulk_create(contracts, batch_size=5000)
                    acct, contracts = [], []
            AccountSettlement.objects.bulk_create(acct, batch_size=5000)
            ContractSettlement.objects.bulk_create(contracts, batch_size=5000)

        self.timed(f"generate {n} clients × {days} days (account + contract rows)", build)
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
        self.timed("workload, all managers", lambda: selectors.manager_workload(user=admin))
        self.timed("orphaned clients (count)", lambda: selectors.orphaned_clients().count())
        self.timed("key clients without manager (count)",
                   lambda: selectors.key_clients_without_manager(user=admin).count())
        working = Intermediary.objects.all()
        clients = selectors.current_clients_of(working)
        self.timed("check: contract expiring", lambda: list(selectors.contract_expiring(working)))
        self.timed("check: training missing", lambda: list(selectors.training_missing(working)))
        self.timed("check: relatives among clients", lambda: selectors.relative_conflicts(working))
        self.timed("sign: over-trading", lambda: list(selectors.over_trading(clients)))
        self.timed("sign: negative equity", lambda: list(selectors.negative_equity(clients)))
        self.timed("sign: converging trades", lambda: selectors.converging_trades(working))
        self.timed("compliance report: all checks and warning signs, all intermediaries",
                   lambda: selectors.compliance_report(user=admin))
        self.timed("compliance report again (warning signs cached until data or links change)",
                   lambda: selectors.compliance_report(user=admin))
        month = datetime.date(2026, 11, 1)
        self.timed("rebate statement, one intermediary", lambda: services.rebate_statement_draft(
            intermediary=ibs[0], month=month, by=admin))

        self.timed(f"rebate statements, all {len(ibs)} intermediaries (one grouped query)",
                   lambda: services.rebate_statements_draft_month(month=month, by=admin))
        leaving, successors = users[0], users[1:4]

        def handover():
            plan = services.handover_plan(leaving_manager=leaving, successors=successors,
                                          strategy=HandoverStrategy.EQUITY)
            return services.manager_handover(leaving_manager=leaving, plan=plan, strategy=HandoverStrategy.EQUITY,
                                             by=admin, reason="bench", notify=True)

        h = self.timed(f"handover by equity of a {n // len(users)}-client book to 3 successors, with notices",
                       handover)
        self.book = h.client_count

    def write(self, opts):
        path = Path(opts["output"])
        path.parent.mkdir(parents=True, exist_ok=True)
        text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
        lines = [HEADING, "",
                 f"`manage.py bench_relationships --clients {opts['clients']} --days {opts['days']} "
                 f"--intermediaries {opts['intermediaries']} --managers {opts['managers']}` on "
                 f"PostgreSQL {connection.pg_version // 10000}, {timezone.localdate():%Y-%m-%d}; "
                 "data generated and rolled back in one "
                 "transaction. Half the clients have an intermediary.", "",
                 "| operation | time |", "|---|---|"]
        lines += [f"| {label} | {secs * 1000:,.0f} ms |" for label, secs in self.figures]
        section = "\n".join(lines) + "\n"
        pattern = re.compile(re.escape(HEADING) + r".*?(?=^## |\Z)", re.S | re.M)
        text = pattern.sub(section + "\n", text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + section
        path.write_text(text, encoding="utf-8")
        self.stdout.write(f"written to {path}")
