"""Run the nightly segmentation pipeline synchronously for one trading day, or backfill a range."""

import datetime

from django.core.management.base import BaseCommand, CommandError

from segmentation import services


def _date(value: str) -> datetime.date:
    return datetime.date.fromisoformat(value)


class Command(BaseCommand):
    help = "Run the nightly segmentation pipeline for a trading day (default: the newest imported one)."

    def add_arguments(self, parser):
        parser.add_argument("--date", type=_date, help="trading day YYYY-MM-DD")
        parser.add_argument("--from", dest="start", type=_date, help="backfill from this day…")
        parser.add_argument("--to", dest="end", type=_date, help="…to this day (default: newest imported)")
        parser.add_argument("--full", action="store_true",
                            help="rebuild the window figures from the 250-day window instead of rolling them")

    def handle(self, *args, date=None, start=None, end=None, full=False, **options):
        try:
            if start:
                end = end or services.engine.latest_trade_date()
                runs = services.run_range(start=start, end=end)
            else:
                runs = [services.run_night(day=date, full=full)]
        except (services.NightlyLocked, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        for run in runs:
            steps = ", ".join(f"{s['name']} {s['seconds']}s" for s in run.steps)
            self.stdout.write(f"{run.trade_date} run #{run.pk} {run.status} ({run.mode}, policy v{run.policy_version})"
                              f": {steps}")
