"""Relationship fixtures: intermediaries and settlement rows built directly with the ORM."""

import datetime
from decimal import Decimal

import pytest

from clients.models import AccountSettlement, ContractSettlement
from referrals.models import Intermediary, IntermediaryLink

D = Decimal


def settle(client, day, *, equity="100000", commission="0", exchange_fee="0", balance=None):
    """One account settlement row; fields the tests do not look at are zero."""
    equity = D(equity)
    return AccountSettlement.objects.create(
        trade_date=day, client=client, pre_balance=equity, deposit=0, withdrawal=0, close_profit=0,
        position_profit=0, commission=D(commission), exchange_fee=D(exchange_fee),
        balance=D(balance) if balance is not None else equity, equity=equity, margin=0, available=equity,
        margin_call=0,
    )


def trade(client, day, *, instrument="rb2501", buy=0, sell=0, turnover="0", commission="0", exchange_fee="0"):
    """One contract settlement row."""
    return ContractSettlement.objects.create(
        trade_date=day, client=client, exchange="SHFE", instrument=instrument, product=instrument[:2],
        hedge_flag="speculation", buy_lots=buy, sell_lots=sell, turnover=D(turnover), commission=D(commission),
        exchange_fee=D(exchange_fee), close_profit=0, long_position=0, short_position=0, margin=0,
    )


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """Ten staff users per test: a fast hasher keeps the permission suite quick."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def empty_cache():
    """Warning signs are cached by data stamp; each test starts cold anyway."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def intermediary(db):
    return Intermediary.objects.create(
        code="IB001", name="周居间", rebate_rate=D("0.4000"), contract_start=datetime.date(2024, 1, 1),
        contract_end=datetime.date(2030, 12, 31),
    )


@pytest.fixture
def other_intermediary(db):
    return Intermediary.objects.create(code="IB002", name="吴居间", rebate_rate=D("0.3000"),
                                       contract_end=datetime.date(2030, 12, 31))


def link(client, intermediary, since=datetime.date(2024, 1, 1), until=None):
    return IntermediaryLink.objects.create(client=client, intermediary=intermediary, valid_from=since,
                                           valid_to=until)
