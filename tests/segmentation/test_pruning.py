"""ClientDay keeps what the windows need (251 trading days back), not every day ever imported."""

import pytest

from segmentation.models import ClientDay, TradingDay

from .conftest import weekdays

pytestmark = pytest.mark.django_db


def test_a_night_drops_client_days_older_than_the_day_leaving_the_250_day_window(filler, night):
    days = weekdays(253)
    filler(days)
    night(days[-2])  # summarises the whole window of the day before
    night(days[-1])  # the nightly case: rolls forward from yesterday
    kept = list(ClientDay.objects.order_by("trade_date").values_list("trade_date", flat=True).distinct())
    # D and the 250 days before it: the oldest of them is the day leaving D's 250-day window.
    assert kept == days[-251:]
    assert not TradingDay.objects.get(day=days[1]).summarised  # a run for that day would rebuild it
    assert TradingDay.objects.get(day=days[2]).summarised


def test_a_run_for_an_older_day_rebuilds_the_days_its_windows_need(filler, night):
    days = weekdays(253)
    filler(days)
    night(days[-1])
    assert ClientDay.objects.filter(trade_date__in=days[:2]).count() == 0
    run = night(days[-3])  # a rerun two trading days back: its 250-day window starts at days[1]
    assert run.mode == "full"
    assert ClientDay.objects.filter(trade_date=days[1]).count() == 1
    assert TradingDay.objects.get(day=days[1]).summarised
