"""Time the dashboard pages and GET /api/indicators/ on the data `bench_nightly --indicators` left in the
benchmark's database (100,000 clients, two years of daily snapshots), without running a night again.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench python manage.py bench_dashboards --runs 20
"""

from django.core.management.base import BaseCommand, CommandError

from segmentation import selectors
from segmentation.management import bench_indicators
from segmentation.models import IndicatorSnapshot


class Command(BaseCommand):
    help = ("Median and 95th percentile of the dashboard pages (firm, branch, own book; newest day and a year "
            "before) and of GET /api/indicators/, with their query counts, on a database bench_nightly "
            "--indicators loaded.")

    def add_arguments(self, parser):
        parser.add_argument("--runs", type=int, default=20, help="timed calls of each (after one warm-up)")

    def handle(self, *args, runs, **options):
        day = selectors.dashboard_day()
        if day is None:
            raise CommandError("No snapshot with the dashboard's figures: run bench_nightly --indicators first.")
        days = IndicatorSnapshot.objects.filter(scope="firm").count()
        self.stdout.write(f"newest snapshot {day.isoformat()}, {days} days of history, "
                          f"{IndicatorSnapshot.objects.count()} rows")
        bench_indicators.report(self.stdout.write, day, runs)
