"""Constructed settlement days for the trading-history tests: odd cents, a year, a quarter and a month boundary."""

import datetime
from decimal import Decimal

from clients.models import AccountSettlement, ContractSettlement

# 2024-12-30 … 2025-01-03 crosses a year; 2025-03-28 … 2025-04-02 a quarter (and a month); 2025-05-30 … 06-03 a month.
DAYS = [datetime.date(2024, 12, 30), datetime.date(2024, 12, 31), datetime.date(2025, 1, 2),
        datetime.date(2025, 1, 3), datetime.date(2025, 3, 28), datetime.date(2025, 3, 31),
        datetime.date(2025, 4, 1), datetime.date(2025, 4, 2), datetime.date(2025, 5, 30),
        datetime.date(2025, 6, 3)]
# Per day: (instrument, product, exchange); the rb row is missing on some days, the IF row on others.
CONTRACTS = [("rb2505", "rb", "SHFE"), ("IF2506", "IF", "CFFEX")]


def cents(i: int, k: int) -> Decimal:
    """A deterministic amount with cents that do not round away."""
    return Decimal(1000 * (i + 1) + 37 * k) + Decimal(i * 7 + k * 13 % 100) / 100 + Decimal("0.01")


def build_history(client, other=None) -> tuple[list[AccountSettlement], list[ContractSettlement]]:
    """The client's rows (returned, to compute the expected figures from); `other` gets rows on the same days
    that must never leak into the client's sums."""
    accounts, contracts = [], []
    for owner in filter(None, [client, other]):
        for i, day in enumerate(DAYS):
            equity = cents(i, 9) * 100 - (1_000_000 if i == 6 else 0)
            margin = cents(i, 10) * 10
            commission = (cents(i, 1) / 10).quantize(Decimal("0.01"))
            fee = (commission / 3).quantize(Decimal("0.01"))
            accounts.append(AccountSettlement(
                trade_date=day, client=owner, pre_balance=equity, deposit=cents(i, 2) if i % 3 == 0 else 0,
                withdrawal=cents(i, 3) if i % 4 == 1 else 0, close_profit=cents(i, 4) - 2500,
                position_profit=cents(i, 5) - 1800, commission=commission, exchange_fee=fee, balance=equity,
                equity=equity, margin=margin, available=equity - margin, margin_call=0))
            for j, (instrument, product, exchange) in enumerate(CONTRACTS):
                if (i + j) % 4 == 3:
                    continue
                share = Decimal(j + 1) / 3
                contracts.append(ContractSettlement(
                    trade_date=day, client=owner, exchange=exchange, instrument=instrument, product=product,
                    hedge_flag="speculation", buy_lots=i + j, sell_lots=j * 2, turnover=cents(i, 6 + j) * 1000,
                    commission=(commission * share).quantize(Decimal("0.01")),
                    exchange_fee=(fee * share).quantize(Decimal("0.01")),
                    close_profit=((cents(i, 4) - 2500) * share).quantize(Decimal("0.01")),
                    long_position=i, short_position=j, margin=(margin * share).quantize(Decimal("0.01"))))
    AccountSettlement.objects.bulk_create(accounts)
    ContractSettlement.objects.bulk_create(contracts)
    return [a for a in accounts if a.client == client], [c for c in contracts if c.client == client]
