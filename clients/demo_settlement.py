"""Settlement history for demo data and benchmarks, true to the format's identities.

Money is kept in integer fen (cents) so every figure is exact; each account carries its balance
over from one day to the next; commission always includes (so is ≥) the exchange fee; the contract
rows of an account add up to its account row. Profiles give the mix the segmentation rules need:
hedgers (hedge flags), scalpers (flat at the close, many lots), dormant accounts, heavy losers,
large accounts, money leaving (equity outflow), trading fading away (volume drop), the rest.
A chosen few accounts can be given a churn story instead (`STORIES`): in the last 20 trading days,
where the churn signals look, they stop trading and take their money out, or blow up and stop.
"""

import csv
import datetime
import random
import zlib
from dataclasses import dataclass

from django.utils import timezone

ACCOUNT_HEADER = ["trade_date", "account_id", "pre_balance", "deposit", "withdrawal", "close_profit",
                  "position_profit", "commission", "exchange_fee", "balance", "equity", "margin", "available",
                  "margin_call"]
CONTRACT_HEADER = ["trade_date", "account_id", "exchange", "instrument", "product", "hedge_flag", "buy_lots",
                   "sell_lots", "turnover", "commission", "exchange_fee", "close_profit", "long_position",
                   "short_position", "margin"]

# product, exchange, instrument, price (CNY), contract multiplier, commission per lot (fen)
PRODUCTS = [
    ("rb", "SHFE", "rb2505", 3500, 10, 350), ("cu", "SHFE", "cu2505", 75000, 5, 1900),
    ("au", "SHFE", "au2506", 480, 1000, 1000), ("m", "DCE", "m2505", 3000, 10, 150),
    ("i", "DCE", "i2505", 800, 100, 800), ("SR", "CZCE", "SR505", 6000, 10, 300),
    ("TA", "CZCE", "TA505", 5000, 5, 300), ("IF", "CFFEX", "IF2506", 3800, 300, 2600),
    ("sc", "INE", "sc2505", 550, 1000, 2000), ("si", "GFEX", "si2505", 12000, 5, 500),
    ("al", "SHFE", "al2505", 20000, 5, 300), ("zn", "SHFE", "zn2505", 23000, 5, 300),
    ("ag", "SHFE", "ag2506", 7500, 15, 500), ("hc", "SHFE", "hc2505", 3400, 10, 350),
    ("y", "DCE", "y2505", 7800, 10, 250), ("p", "DCE", "p2505", 8500, 10, 250), ("jm", "DCE", "jm2505", 1200, 60, 1000),
    ("CF", "CZCE", "CF505", 14000, 5, 430), ("MA", "CZCE", "MA505", 2500, 10, 200),
    ("IH", "CFFEX", "IH2506", 2700, 300, 1800),
]


@dataclass(frozen=True)
class Profile:
    name: str
    weight: int
    trade_p: float  # chance of trading on a day
    lots: tuple[int, int]  # lots per traded contract
    equity: tuple[int, int]  # opening equity, CNY
    drift: float = 0.0  # mean daily P&L as a share of equity
    hedge: bool = False
    flat: bool = False  # closes everything before the close
    holds: float = 0.3  # chance of holding a position overnight
    leverage: int = 30  # a day's lots may tie up this share (%) of the balance in margin (10 % a lot)


PROFILES = [
    Profile("hedger", 8, 0.35, (5, 40), (2_000_000, 20_000_000), hedge=True, holds=0.8),
    Profile("scalper", 7, 0.85, (40, 200), (300_000, 3_000_000), drift=-0.0005, flat=True, holds=0.0),
    Profile("dormant", 15, 0.0, (0, 0), (2_000, 200_000), holds=0.0),
    Profile("loser", 8, 0.5, (2, 15), (100_000, 800_000), drift=-0.02, leverage=90),  # margin calls follow
    Profile("large", 5, 0.4, (10, 80), (5_000_000, 30_000_000), holds=0.6),
    Profile("outflow", 5, 0.3, (1, 10), (200_000, 2_000_000)),
    Profile("fading", 5, 0.6, (5, 30), (100_000, 1_000_000)),
    Profile("ordinary", 47, 0.25, (1, 10), (50_000, 1_500_000)),
]
_WEIGHTED = [p for p in PROFILES for _ in range(p.weight)]

# Churn stories (segmentation-rules.md's signals), never drawn at random: the demo hands them to a chosen
# few accounts, so a realistic handful reach high churn risk. They trade like anyone until, counted in
# trading days before the end of the history (1 = the last day):
#   leaving: stops trading 24 days before the end and withdraws about three quarters of the money, so the
#            equity outflow and the volume drop both hold over the last 5 nights;
#   blowup:  loses about a third of its equity 20 and 19 days before the end, then stops trading (heavy
#            loss and volume drop over the last 20-day window);
#   cutting: withdraws over half of its equity 17 days before the end and trades less (equity outflow).
STORIES = {
    "leaving": Profile("leaving", 0, 0.7, (2, 20), (300_000, 3_000_000)),
    "blowup": Profile("blowup", 0, 0.8, (5, 30), (200_000, 1_000_000), holds=0.0),
    "cutting": Profile("cutting", 0, 0.6, (2, 15), (200_000, 2_000_000)),
}
STORY_SPAN, LEAVING_STOPS = 24, 24  # trading days before the end
# Story withdrawals: {story: {trading days before the end: share (%) of the balance withdrawn that day}}.
STORY_WITHDRAWALS = {"leaving": {22: 45, 17: 60}, "cutting": {17: 55}}
# Blowup: the days before the end it loses on (each this share, in %, of its balance); it stops after them.
BLOWUP_DAYS, BLOWUP_LOSS = (20, 19), (18, 22)


def profile_for(account_id: str, client_type: str = "individual") -> Profile:
    """A stable profile per account (spot enterprises hedge), so reruns give the same history."""
    if client_type == "spot_enterprise":
        return PROFILES[0]
    return _WEIGHTED[zlib.crc32(account_id.encode()) % len(_WEIGHTED)]


def trading_days(days: int, end: datetime.date | None = None) -> list[datetime.date]:
    """The last `days` weekdays up to `end` (holidays aside, the exchanges' calendar)."""
    day = end or timezone.localdate()
    out = []
    while len(out) < days:
        if day.weekday() < 5:
            out.append(day)
        day -= datetime.timedelta(days=1)
    return out[::-1]


def fen(value: int) -> str:
    sign = "-" if value < 0 else ""
    value = abs(value)
    return f"{sign}{value // 100}.{value % 100:02d}"


def write_client_book(path, accounts) -> None:
    """A clients file for the benchmarks' books: one individual per account id, spread over 20 branches."""
    from .identity import id_card_with_check

    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["account_id", "name", "client_type", "id_type", "id_number", "branch_code", "open_date"])
        for n, account in enumerate(accounts):
            w.writerow([account, f"客户{n}", "individual", "id_card",
                        id_card_with_check(f"110101198{n % 10}0101{n % 1000:03d}"), f"BR{n % 20:02d}", "2020-01-02"])


def write_history(accounts, days: list[datetime.date], account_out, contract_out, seed: int = 1,
                  stories: dict | None = None) -> tuple[int, int]:
    """Write account and contract rows for `accounts` over `days`; returns the two row counts.

    `accounts` holds (account_id, client_type) or (account_id, client_type, open_date, close_date):
    an account has rows only while it is open. `stories` maps account ids to a churn story (`STORIES`).
    Streams: one day at a time, only balances in memory.
    """
    rng = random.Random(seed)
    acc_writer, con_writer = csv.writer(account_out, lineterminator="\n"), csv.writer(contract_out,
                                                                                       lineterminator="\n")
    acc_writer.writerow(ACCOUNT_HEADER)
    con_writer.writerow(CONTRACT_HEADER)
    accounts = [tuple(a) + (None, None) for a in accounts]
    stories = stories or {}
    book = [(a[0], STORIES[stories[a[0]]] if a[0] in stories else profile_for(a[0], a[1])) for a in accounts]
    open_span = {a[0]: (a[2], a[3]) for a in accounts if a[2] or a[3]}
    balances = {a: rng.randint(*p.equity) * 100 for a, p in book}
    n_days = len(days)
    acc_rows = con_rows = 0
    for index, day in enumerate(days):
        date_text = day.isoformat()
        late = index >= n_days - 20  # the last 20 trading days, where churn signals look
        left = n_days - index  # trading days before the end: 1 on the last day
        story_time = left <= STORY_SPAN
        for account_id, p in book:
            span = open_span.get(account_id)
            if span and ((span[0] and day < span[0]) or (span[1] and day > span[1])):
                continue
            pre = balances[account_id]
            deposit = withdrawal = 0
            if pre < 0:
                deposit = -pre + rng.randint(10_000, 50_000) * 100  # a loser tops up after 穿仓
            elif p.name == "outflow" and late and rng.random() < 0.15 and pre > 0:
                withdrawal = pre * rng.randint(15, 35) // 100
            elif story_time and p.name in STORIES:
                withdrawal = pre * STORY_WITHDRAWALS.get(p.name, {}).get(left, 0) // 100 if pre > 0 else 0
            elif rng.random() < 0.02:
                deposit = rng.randint(1_000, 100_000) * 100
            trade_p = p.trade_p
            blowing_up = p.name == "blowup" and left in BLOWUP_DAYS
            if (late and p.name == "fading") or (p.name == "leaving" and left <= LEAVING_STOPS) \
                    or (p.name == "blowup" and left < min(BLOWUP_DAYS)):
                trade_p = 0.0
            elif blowing_up:
                trade_p = 1.0
            elif late and p.name == "cutting":
                trade_p = p.trade_p / 2
            blowup_loss = pre * rng.randint(*BLOWUP_LOSS) // 100 if blowing_up and pre > 0 else 0
            close_profit = position_profit = commission = fee = margin = 0
            contracts = []
            if rng.random() < trade_p:
                # distinct instruments: one row per (instrument, hedge flag) a day
                for product, exchange, instrument, price, mult, per_lot in rng.sample(
                        PRODUCTS, 1 if rng.random() < 0.6 else rng.randint(2, 3)):
                    lots = rng.randint(*p.lots)
                    if not p.flat:  # sized to the account: a day's margin (10 % a lot) within its leverage
                        lots = max(1, min(lots, max(pre, 0) * p.leverage // (price * mult * 1000)))
                    if blowing_up:  # the loss comes from the price, not the size: few lots, so the volume drops
                        lots = 1
                    buy = rng.randint(0, lots)
                    c_comm = per_lot * lots
                    c_fee = c_comm * rng.randint(30, 70) // 100
                    scale = max(pre, 0) // 400 + 1
                    c_profit = int(rng.gauss(p.drift * max(pre, 0) / 2, scale))
                    if blowup_loss:  # the whole day's loss on its first contract
                        c_profit, blowup_loss = -blowup_loss, 0
                    long_pos = short_pos = c_margin = 0
                    if not p.flat and rng.random() < p.holds:
                        long_pos, short_pos = (rng.randint(1, lots), 0) if buy >= lots - buy else (0, rng.randint(1,
                                                                                                              lots))
                        c_margin = (long_pos + short_pos) * price * mult * 10  # 10% margin, in fen
                    hedge = "hedge" if p.hedge else ("arbitrage" if rng.random() < 0.03 else "speculation")
                    contracts.append([date_text, account_id, exchange, instrument, product, hedge, buy, lots - buy,
                                      fen(lots * price * mult * 100), fen(c_comm), fen(c_fee), fen(c_profit),
                                      long_pos, short_pos, fen(c_margin)])
                    close_profit += c_profit
                    commission += c_comm
                    fee += c_fee
                    margin += c_margin
                if margin:
                    position_profit = int(rng.gauss(p.drift * max(pre, 0) / 2, margin // 50 + 1))
            balance = pre + deposit - withdrawal + close_profit + position_profit - commission
            equity = balance
            margin_call = max(0, margin - equity) if margin else (max(0, -equity))
            acc_writer.writerow([date_text, account_id, fen(pre), fen(deposit), fen(withdrawal), fen(close_profit),
                                 fen(position_profit), fen(commission), fen(fee), fen(balance), fen(equity),
                                 fen(margin), fen(equity - margin), fen(margin_call)])
            con_writer.writerows(contracts)
            acc_rows += 1
            con_rows += len(contracts)
            balances[account_id] = balance
    return acc_rows, con_rows


def demo_settlement_load(*, days: int, seed: int = 1, end: datetime.date | None = None, by=None,
                         stories: dict | None = None) -> list:
    """Settlement history for every existing client, imported through the ordinary import path.

    `stories` maps account ids to a churn story (`STORIES`) the demo chose for them.
    """
    import tempfile
    from pathlib import Path

    from .imports.services import import_run
    from .models import Client

    accounts = list(Client.objects.values_list("account_id", "client_type", "open_date", "close_date")
                    .order_by("account_id").iterator(chunk_size=5000))
    if not accounts or days <= 0:
        return []
    with tempfile.TemporaryDirectory(prefix="demo_settlement_") as folder:
        acc_path, con_path = Path(folder) / "accounts_demo.csv", Path(folder) / "contracts_demo.csv"
        with open(acc_path, "w", encoding="utf-8", newline="") as fa, \
                open(con_path, "w", encoding="utf-8", newline="") as fc:
            write_history(accounts, trading_days(days, end), fa, fc, seed=seed, stories=stories)
        return [import_run(kind=kind, path=path, by=by, file_name=f"demo-{kind}-{days}d-seed{seed}.csv")
                for kind, path in (("accounts", acc_path), ("contracts", con_path))]
