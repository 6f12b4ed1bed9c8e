"""Small builders for the service tests."""

import datetime
from decimal import Decimal

from clients.models import AccountSettlement, ContractSettlement, SettlementAlert

ZERO = Decimal("0")


def settle(client, day: datetime.date, **money):
    """One day of account settlement; unspecified amounts are zero."""
    fields = {f: ZERO for f in ("pre_balance", "deposit", "withdrawal", "close_profit", "position_profit",
                                "commission", "exchange_fee", "balance", "equity", "margin", "available",
                                "margin_call")}
    fields.update({k: Decimal(str(v)) for k, v in money.items()})
    row = AccountSettlement.objects.create(client=client, trade_date=day, **fields)
    # The import raises these alerts from the same row.
    if row.margin_call > 0:
        SettlementAlert.objects.create(client=client, trade_date=day, kind="margin_call", amount=row.margin_call)
    if row.equity < 0:
        SettlementAlert.objects.create(client=client, trade_date=day, kind="negative_equity", amount=row.equity)
    return row


def trade(client, day: datetime.date, product: str, exchange: str = "SHFE"):
    return ContractSettlement.objects.create(
        client=client, trade_date=day, exchange=exchange, instrument=f"{product}2605", product=product,
        hedge_flag="speculation", buy_lots=1, sell_lots=0, turnover=Decimal("10000"), commission=Decimal("5"),
        exchange_fee=Decimal("2"), close_profit=ZERO, long_position=1, short_position=0, margin=Decimal("1000"))
