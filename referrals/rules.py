"""Thresholds of the compliance checks and warning signs, in one place so compliance can read them."""

from decimal import ROUND_HALF_UP, Decimal

# A contract ending within this many days (or already ended) is flagged.
CONTRACT_WARNING_DAYS = 30
# An intermediary needs at least one training within this many days.
TRAINING_WINDOW_DAYS = 365
# Warning signs look at this many trading days of settlement data.
WARNING_WINDOW_TRADING_DAYS = 20
# Over-trading (炒单 for rebates): turnover in the window of at least this many times the average equity…
OVERTRADING_TURNOVER_TIMES = Decimal("50")
# …or commission in the window of at least this share of the average equity.
OVERTRADING_COMMISSION_SHARE = Decimal("0.05")
# Converging trades: this many of one intermediary's clients, same day, same instrument, same direction.
CONVERGING_MIN_CLIENTS = 3
# Workload shows the net commission of the last this-many trading days.
WORKLOAD_TRADING_DAYS = 20

CENT = Decimal("0.01")


def round_money(value: Decimal) -> Decimal:
    """The rebate rounding rule: each client line is rounded half-up to the cent; totals are sums of lines."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)
