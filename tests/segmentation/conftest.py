"""Settlement rows written straight with the ORM (the importer is another issue), and a night runner."""

import contextlib
import datetime
import threading
from decimal import Decimal

import pytest
from django.db import connections

from clients.models import AccountSettlement, ContractSettlement
from segmentation import services

START = datetime.date(2025, 1, 6)  # a Monday


def weekdays(n: int, start: datetime.date = START) -> list[datetime.date]:
    out, d = [], start
    while len(out) < n:
        if d.weekday() < 5:
            out.append(d)
        d += datetime.timedelta(days=1)
    return out


def zero_account(client, day, **money):
    fields = {k: Decimal(0) for k in ("pre_balance", "deposit", "withdrawal", "close_profit", "position_profit",
                                      "commission", "exchange_fee", "balance", "equity", "margin", "available",
                                      "margin_call")}
    fields.update({k: Decimal(str(v)) for k, v in money.items()})
    return AccountSettlement(trade_date=day, client=client, **fields)


def contract(client, day, *, lots=0, hedge=False, position=0, instrument="rb2510", buy=None):
    buy = lots // 2 if buy is None else buy
    return ContractSettlement(
        trade_date=day, client=client, exchange="SHFE", instrument=instrument, product=instrument[:2],
        hedge_flag="hedge" if hedge else "speculation", buy_lots=buy, sell_lots=lots - buy, turnover=Decimal(0),
        commission=Decimal(0), exchange_fee=Decimal(0), close_profit=Decimal(0), long_position=position,
        short_position=0, margin=Decimal(0),
    )


class Book:
    """Writes a client's days in bulk: `book.days(client, days, equity=…, lots=…)`."""

    def __init__(self):
        self.accounts, self.contracts = [], []

    def days(self, client, days, *, lots=0, hedge=False, position=0, **money):
        for d in days:
            self.accounts.append(zero_account(client, d, **money))
            if lots or position:
                self.contracts.append(contract(client, d, lots=lots, hedge=hedge, position=position))
        return self

    def contract(self, client, day, **kw):
        self.contracts.append(contract(client, day, **kw))
        return self

    def save(self):
        AccountSettlement.objects.bulk_create(self.accounts, batch_size=2000)
        ContractSettlement.objects.bulk_create(self.contracts, batch_size=2000)
        self.accounts, self.contracts = [], []


@contextlib.contextmanager
def held_in_another_session(lock):
    """Hold `lock()` (a context manager) in a thread with a database session of its own while the block runs:
    what another worker holding the engine, or a step, looks like from here."""
    held, release = threading.Event(), threading.Event()

    def holder():
        try:
            with lock():
                held.set()
                release.wait(10)
        finally:
            connections.close_all()

    thread = threading.Thread(target=holder)
    thread.start()
    try:
        assert held.wait(10)
        yield
    finally:
        release.set()
        thread.join()


@pytest.fixture
def trader(branches, staff):
    """A client of am1's with an account and a position on each of the 64 weekdays from START."""
    from ..factories import ClientFactory

    c = ClientFactory(branch=branches[0], account_manager=staff["am1"])
    Book().days(c, weekdays(64), equity=600_000, lots=2, position=1).save()
    return c


@pytest.fixture
def book_rows(db):
    return Book()


@pytest.fixture
def night(db):
    """Run the whole pipeline for a day and return the run."""

    def run(day, **kw):
        run = services.run_night(day=day, **kw)
        assert run.status == "succeeded", run.error
        return run

    return run


@pytest.fixture
def filler(branches, book_rows):
    """A client with an account row every day, so the calendar holds every day of a test."""
    from ..factories import ClientFactory

    def make(days):
        c = ClientFactory(branch=branches[1], name="日历")
        Book().days(c, days, equity=1).save()
        return c

    return make


@pytest.fixture
def segment_of(night):
    """Run the night for `day` and return a client's published segment."""
    from segmentation.models import ClientSegment

    def get(client, day, **kw):
        night(day, **kw)
        return ClientSegment.objects.get(client=client)

    return get
