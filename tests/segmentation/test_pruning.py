"""ClientDay keeps what the windows need (251 trading days back), not every day ever imported.

ClientDay is partitioned by month: a night drops the months whose every day is older than the day
leaving D's 250-day window, whole (no row deleted); that day's month stays whole until it goes too.
"""

import datetime

import pytest

from clients import partitions
from segmentation.models import ClientDay, TradingDay

from .conftest import weekdays

pytestmark = pytest.mark.django_db

# From Monday 2025-01-06: January's 20 weekdays, then February's (days[20] is Monday 2025-02-03).
DAYS = weekdays(276)


def _kept():
    return list(ClientDay.objects.order_by("trade_date").values_list("trade_date", flat=True).distinct())


def _months():
    return [m.month for m in partitions.months(partitions.CLIENT_DAY_TABLE) if m.month and not m.archived]


def test_a_night_drops_the_client_day_months_older_than_the_day_leaving_the_250_day_window(filler, night):
    days = DAYS
    assert days[20] == datetime.date(2025, 2, 3)
    filler(days)
    night(days[-8])  # summarises its whole window, from days[19] (Friday 2025-01-31)
    assert ClientDay.objects.filter(trade_date=days[19]).exists()
    night(days[-2])
    night(days[-1])  # the nightly case: rolls forward from yesterday
    oldest = days[-251]  # D and the 250 days before it: the oldest of them leaves D's 250-day window
    assert oldest == datetime.date(2025, 2, 10)
    # January has gone whole; February's days before the oldest stay until February goes.
    assert _kept() == days[20:]
    assert datetime.date(2025, 1, 1) not in _months()
    assert datetime.date(2025, 2, 1) in _months()
    assert not TradingDay.objects.get(day=days[24]).summarised  # a run for that day would rebuild it
    assert TradingDay.objects.get(day=days[25]).summarised


def test_a_run_for_an_older_day_rebuilds_the_days_its_windows_need(filler, night):
    days = DAYS
    filler(days)
    night(days[-1])
    assert ClientDay.objects.filter(trade_date__in=days[:20]).count() == 0
    run = night(days[-8])  # a rerun seven trading days back: its 250-day window starts at days[19], in January
    assert run.mode == "full"
    assert datetime.date(2025, 1, 1) in _months()  # January's partition is made again for it
    assert ClientDay.objects.filter(trade_date=days[19]).count() == 1
    assert TradingDay.objects.get(day=days[19]).summarised
