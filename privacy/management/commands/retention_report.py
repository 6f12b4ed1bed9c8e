"""`manage.py retention_report [--days N] [--run]`: closed accounts due for de-identification, and what was done."""

import datetime

from django.core.management.base import BaseCommand
from django.utils import timezone

from privacy import retention


class Command(BaseCommand):
    help = "List closed accounts whose personal-data retention ends within N days; --run de-identifies those due."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=90)
        parser.add_argument("--on", type=datetime.date.fromisoformat, default=None, help="today by default")
        parser.add_argument("--run", action="store_true", help="de-identify the accounts due by --on now")

    def handle(self, *args, **options):
        on = options["on"] or timezone.localdate()
        if options["run"]:
            done = retention.deidentify_due(on=on)
            self.stdout.write(f"De-identified {done} closed account(s) due by {on}.")
        report = retention.retention_report(on=on, days=options["days"])
        pending = list(report["pending"])
        self.stdout.write(f"Retention {report['years']} years; due by {on + datetime.timedelta(days=options['days'])}:"
                          f" {len(pending)} account(s).")
        for client in pending:
            self.stdout.write(f"  {client.account_id}  closed {client.close_date}  due {client.due_on}")
        self.stdout.write(f"Already de-identified: {report['done'].count()} account(s).")
