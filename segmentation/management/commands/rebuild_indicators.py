"""Rebuild the indicator snapshots of a range of trading days (not the nightly results behind them)."""

from django.core.management.base import BaseCommand, CommandError

from segmentation import services

from .run_nightly import _date


class Command(BaseCommand):
    help = ("Rewrite the indicator history of the trading days from --from to --to from the settlement, service "
            "and transition tables; use run_nightly --from --to to redo the nights themselves.")

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="start", type=_date, required=True, help="first day YYYY-MM-DD")
        parser.add_argument("--to", dest="end", type=_date, help="last day YYYY-MM-DD (default: newest imported)")

    def handle(self, *args, start, end=None, **options):
        end = end or services.engine.latest_trade_date()
        if end is None or start > end:
            raise CommandError("--from must be on or before --to (and settlement data must have been imported)")
        try:
            written = services.indicators_rebuild(start=start, end=end)
        except services.NightlyLocked as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{len(written)} trading days rebuilt, {sum(written.values())} snapshot rows "
                          f"({start.isoformat()} to {end.isoformat()})")
