"""Time the dashboard pages and GET /api/indicators/ on the data `bench_nightly --indicators` left in the
benchmark's database (100,000 clients, two years of daily snapshots), without running a night again.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench python manage.py bench_dashboards --runs 20

`--step N --against REV` times the indicators statement of git revision REV and today's alternately, N rounds in
the same session (so the machine's load weighs on both alike), and says whether they wrote the same rows.
"""

import datetime
import subprocess
import types

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
        parser.add_argument("--step", type=int, default=0, metavar="N",
                            help="also time the nightly indicators step of the newest day N times (each in a "
                                 "transaction rolled back) against the rest of that day's recorded night")
        parser.add_argument("--day", type=datetime.date.fromisoformat, default=None, metavar="YYYY-MM-DD",
                            help="with --step: the night's day to time (default: the newest snapshot day)")
        parser.add_argument("--against", metavar="REV", default="",
                            help="with --step: alternate with the indicators statement of this git revision")

    def handle(self, *args, runs, step=0, against="", day=None, **options):
        step_day = day
        day = selectors.dashboard_day()
        if day is None:
            raise CommandError("No snapshot with the dashboard's figures: run bench_nightly --indicators first.")
        days = IndicatorSnapshot.objects.filter(scope="firm").count()
        self.stdout.write(f"newest snapshot {day.isoformat()}, {days} days of history, "
                          f"{IndicatorSnapshot.objects.count()} rows")
        if runs:
            bench_indicators.report(self.stdout.write, day, runs)
        if step:
            self.step(step_day or day, step, against)

    def step(self, day, n: int, against: str = "") -> None:
        import os
        import statistics
        import time

        from django.db import transaction

        from segmentation import indicators, services
        from segmentation.models import NightlyRun

        policy = services.current_policy()
        score = int(policy.value("retention_score"))
        versions = {"": indicators}
        if against:
            versions = {against: _module_at(against), **versions}
        seconds = {label: [] for label in versions}
        rows = {}
        for _ in range(n):
            for label, module in versions.items():
                with transaction.atomic():
                    started = time.monotonic()
                    module.write_day(day, policy_version=policy.version, score=score)
                    seconds[label].append(time.monotonic() - started)
                    if label not in rows:
                        rows[label] = _snapshot_rows(day)
                    transaction.set_rollback(True)
        if against:
            old = seconds[against]
            self.stdout.write(f"RESULT {against} indicators statement: min {min(old):.2f}s, median "
                              f"{statistics.median(old):.2f}s, max {max(old):.2f}s; new/old at the median "
                              f"{statistics.median(seconds['']) / statistics.median(old):.2f}")
            same = rows[against] == rows[""]
            self.stdout.write(f"same rows as {against}: {'yes' if same else 'NO'} ({len(rows[''])} scopes)")
        seconds = seconds[""]
        run = NightlyRun.objects.filter(trade_date=day).order_by("-pk").first()
        steps = {s["name"]: s["seconds"] for s in (run.steps if run else [])}
        # prepare … publish: the tasks step is left out (in the benchmark's data it opens tens of thousands of
        # return visits one by one and runs for minutes, a matter of its own), which makes the share larger.
        rest = sum(v for k, v in steps.items() if k not in ("indicators", "rollups", "tasks"))
        self.stdout.write(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        self.stdout.write(f"RESULT indicators step: min {min(seconds):.2f}s, median {statistics.median(seconds):.2f}s, "
                          f"max {max(seconds):.2f}s ({n} runs)")
        if rest:
            self.stdout.write(f"rest of the night of {day} (run #{run.pk}, {run.mode}): {rest:.2f}s "
                              f"({', '.join(f'{k} {v:.2f}s' for k, v in steps.items())}); share at the median "
                              f"{100 * statistics.median(seconds) / rest:.1f} %")


def _module_at(rev: str) -> types.ModuleType:
    """segmentation/indicators.py as it was at git revision `rev`, importable beside today's."""
    source = subprocess.run(["git", "show", f"{rev}:segmentation/indicators.py"], capture_output=True, text=True,  # noqa: S603, S607
                            check=True).stdout
    module = types.ModuleType(f"segmentation.indicators_{rev}")
    module.__package__ = "segmentation"
    exec(compile(source, f"{rev}:segmentation/indicators.py", "exec"), module.__dict__)  # noqa: S102
    return module


def _snapshot_rows(day) -> list:
    """Every figure of `day`'s snapshot, scope by scope (to tell whether two statements wrote the same)."""
    from segmentation.models import IndicatorSnapshot

    fields = [f.name for f in IndicatorSnapshot._meta.concrete_fields if f.name != "id"]
    return list(IndicatorSnapshot.objects.filter(on_date=day).order_by("scope", "code").values_list(*fields))
