"""Each axis, each rule and each threshold boundary (≥ versus >) of segmentation-rules.md."""

import datetime

import pytest

from ..factories import ClientFactory
from .conftest import Book, weekdays

DAYS = weekdays(61)
D = DAYS[-1]


@pytest.fixture
def client(branches):
    return ClientFactory(branch=branches[0])


# ---- purpose


def test_spot_enterprise_is_hedger_without_any_hedge_lots(branches, segment_of):
    c = ClientFactory(branch=branches[0], client_type="spot_enterprise")
    Book().days(c, DAYS, equity=100, lots=10).save()
    assert segment_of(c, D).purpose == "hedger"


@pytest.mark.parametrize(("hedge", "spec", "expected"), [(50, 50, "hedger"), (49, 51, "speculator")])
def test_hedger_at_half_of_lots_hedged(client, segment_of, hedge, spec, expected):
    b = Book().days(client, DAYS, equity=100)
    b.contract(client, D, lots=hedge, hedge=True, instrument="m2509").contract(client, D, lots=spec).save()
    assert segment_of(client, D).purpose == expected


def test_hedge_lots_older_than_250_trading_days_do_not_count(client, segment_of):
    days = weekdays(251)
    b = Book().days(client, days, equity=100)
    b.contract(client, days[0], lots=100, hedge=True).contract(client, days[-1], lots=10).save()
    assert segment_of(client, days[-1]).purpose == "speculator"
    # …while 250 days back (the window's first day) still counts.
    assert segment_of(client, days[-2]).purpose == "hedger"


# ---- fund size


@pytest.mark.parametrize(("equity", "band"), [
    ("5000000", "large"), ("4999999.99", "medium"), ("500000", "medium"), ("499999.99", "retail")])
def test_fund_size_bands_on_average_equity_20(client, segment_of, equity, band):
    Book().days(client, DAYS, equity=equity).save()
    assert segment_of(client, D).fund_size == band


def test_fund_size_averages_only_the_last_20_trading_days(client, segment_of):
    Book().days(client, DAYS[:-20], equity=9_000_000).days(client, DAYS[-20:], equity=600_000).save()
    assert segment_of(client, D).fund_size == "medium"


def test_average_counts_only_days_with_a_row(client, filler, segment_of):
    filler(DAYS)
    # Two rows in the last 20 days, averaging 5,000,000: the 18 days without a row do not dilute it.
    Book().days(client, [DAYS[-5]], equity=4_000_000).days(client, [DAYS[-1]], equity=6_000_000).save()
    assert segment_of(client, D).fund_size == "large"


def test_no_row_in_20_days_keeps_the_last_known_band(client, filler, segment_of):
    filler(DAYS)
    Book().days(client, DAYS[:30], equity=600_000).save()
    assert segment_of(client, DAYS[29]).fund_size == "medium"
    assert segment_of(client, D).fund_size == "medium"


def test_never_seen_client_is_retail(client, filler, segment_of):
    filler(DAYS)
    assert segment_of(client, D).fund_size == "retail"


# ---- volume


def test_dormant_without_a_traded_day_in_60(client, segment_of):
    Book().days(client, DAYS, equity=100).contract(client, DAYS[0], lots=5).save()  # day 61 back: outside
    assert segment_of(client, D).volume == "dormant"


def test_a_position_without_trades_is_not_a_traded_day(client, segment_of):
    Book().days(client, DAYS, equity=100, position=3).save()
    assert segment_of(client, D).volume == "dormant"


def _scalper(client, *, traded=30, flat=30, lots=50):
    b = Book().days(client, DAYS, equity=100)
    for i, d in enumerate(DAYS[-traded:]):
        b.contract(client, d, lots=lots, position=0 if i < flat else 1)
    b.save()


@pytest.mark.parametrize(("kw", "expected"), [
    ({}, "active"),
    ({"traded": 29, "flat": 29}, "ordinary"),  # 29 of 60 days < 50%
    ({"flat": 24}, "active"),  # 24 of 30 traded days flat = 80%
    ({"flat": 23}, "ordinary"),
    ({"lots": 49}, "ordinary"),  # 49 lots a traded day < 50
])
def test_active_scalper_boundaries(client, segment_of, kw, expected):
    _scalper(client, **kw)
    assert segment_of(client, D).volume == expected


def test_a_flat_day_needs_every_contract_row_flat(client, segment_of):
    b = Book().days(client, DAYS, equity=100)
    for d in DAYS[-30:]:
        b.contract(client, d, lots=50).contract(client, d, lots=0, position=2, instrument="cu2510")
    b.save()
    assert segment_of(client, D).volume == "ordinary"


def test_hedger_is_key_service(branches, segment_of):
    c = ClientFactory(branch=branches[0], client_type="spot_enterprise")
    Book().days(c, DAYS, equity=100, lots=2, position=1).save()
    assert segment_of(c, D).volume == "key_service"


def test_scalper_rule_comes_before_hedger(branches, segment_of):
    c = ClientFactory(branch=branches[0], client_type="spot_enterprise")
    _scalper(c)
    assert segment_of(c, D).volume == "active"


@pytest.mark.parametrize(("traded", "loss", "expected"), [
    (12, "-200000", "key_service"),  # 12 of 60 = 20%, loss = 20% of 1,000,000
    (12, "-199999.99", "ordinary"),
    (11, "-500000", "ordinary"),  # 11 of 60 < 20%
])
def test_key_service_for_a_losing_regular_trader(client, segment_of, traded, loss, expected):
    b = Book().days(client, DAYS[:-1], equity=1_000_000).days(client, [D], equity=1_000_000, close_profit=loss)
    for d in DAYS[-traded:]:
        b.contract(client, d, lots=1, position=1)
    b.save()
    assert segment_of(client, D).volume == expected


def test_everyone_else_is_ordinary(client, segment_of):
    Book().days(client, DAYS, equity=1_000_000, lots=2, position=1).save()
    assert segment_of(client, D).volume == "ordinary"


# ---- tenure


@pytest.mark.parametrize(("days_before", "expected"), [(364, "new"), (365, "old")])
def test_tenure_new_for_less_than_365_days(branches, segment_of, days_before, expected):
    c = ClientFactory(branch=branches[0], open_date=D - datetime.timedelta(days=days_before))
    Book().days(c, DAYS, equity=100).save()
    assert segment_of(c, D).tenure == expected
