"""`manage.py partitions list|ensure|detach|attach`: the month partitions of the day-keyed tables (operators).

    partitions list                          every month of every table, its rows (estimated), the default's rows
    partitions ensure [--ahead 3]            this month and the next ones, and a month for any row in a default
    partitions ensure --from 2024-01 --to 2024-06 [--table T]
    partitions detach 2023-01 [--table T]    into <table>_archive_202301 (default: both settlement tables)
    partitions attach 2023-01 [--table T]    back again
"""

import datetime

from django.core.management.base import BaseCommand, CommandError

from clients import partitions


def _month(text: str) -> datetime.date:
    try:
        return datetime.datetime.strptime(text, "%Y-%m").date()  # noqa: DTZ007 - a calendar month, no time
    except ValueError as exc:
        raise CommandError(f"{text!r}: a month is written YYYY-MM") from exc


class Command(BaseCommand):
    help = "List, create, detach (archive) and attach the month partitions of the settlement tables and ClientDay."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["list", "ensure", "detach", "attach"])
        parser.add_argument("month", nargs="?", type=_month, help="YYYY-MM (detach, attach)")
        parser.add_argument("--table", choices=partitions.PARTITIONED, action="append",
                            help="one table (repeatable); default: all for list/ensure, the settlement tables "
                                 "for detach/attach")
        parser.add_argument("--ahead", type=int, default=partitions.AHEAD_MONTHS)
        parser.add_argument("--from", dest="first", type=_month)
        parser.add_argument("--to", dest="last", type=_month)

    def handle(self, *args, action, month, table, ahead, first, last, **options):
        getattr(self, f"_{action}")(month=month, tables=table, ahead=ahead, first=first, last=last)

    def _list(self, tables, **_kw):
        for table in tables or partitions.PARTITIONED:
            self.stdout.write(table)
            for m in partitions.months(table):
                label = "default" if m.month is None else f"{m.month:%Y-%m}"
                state = " (archived)" if m.archived else ""
                self.stdout.write(f"  {label:8} {m.name:45} {m.rows:>12,} rows{state}")

    def _ensure(self, tables, ahead, first, last, **_kw):
        if first or last:
            created = [name for table in tables or partitions.PARTITIONED
                       for name in partitions.ensure_months(table, first or last, last or first)]
        elif tables:
            raise CommandError("--table goes with --from/--to; without them every table is brought ahead")
        else:
            created = partitions.ensure_ahead(ahead=ahead)
        self.stdout.write(f"created {len(created)}: {', '.join(created)}" if created else "nothing to create")

    def _one_by_one(self, month, tables, fn):
        if month is None:
            raise CommandError("give the month: YYYY-MM")
        for table in tables or partitions.SETTLEMENT_TABLES:
            try:
                self.stdout.write(fn(table, month))
            except (ValueError, partitions.MonthArchived) as exc:
                raise CommandError(str(exc)) from exc

    def _detach(self, month, tables, **_kw):
        self._one_by_one(month, tables, partitions.detach_month)

    def _attach(self, month, tables, **_kw):
        self._one_by_one(month, tables, partitions.attach_month)
