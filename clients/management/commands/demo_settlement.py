"""`manage.py demo_settlement --days D`: settlement history for every existing client (demo data)."""

import datetime

from django.core.management.base import BaseCommand, CommandError

from clients.demo_settlement import demo_settlement_load
from clients.imports.services import batch_report_text


class Command(BaseCommand):
    help = "Generate D trading days of account and contract settlement for every client and import them."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, required=True)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--end", type=datetime.date.fromisoformat, default=None,
                            help="last trading day (default: today)")

    def handle(self, *args, days, seed, end, **options):
        batches = demo_settlement_load(days=days, seed=seed, end=end)
        if not batches:
            self.stdout.write("no clients: nothing to generate")
        for batch in batches:
            self.stdout.write(batch_report_text(batch).splitlines()[0] + " — " + batch.message)
            if not batch.ok:
                raise CommandError(batch_report_text(batch))
