"""What the monthly scorecards share (the account managers' in segmentation, the intermediaries' in referrals):
the month parameter, month arithmetic, progress against a target, and the ranking."""

import datetime
import re
from dataclasses import dataclass
from decimal import Decimal

PERCENT = Decimal("0.1")
MONEY, COUNT, FRACTION, SCORE = "money", "count", "fraction", "score"


@dataclass(frozen=True)
class Figure:
    """One column of a scorecard: its key in the figures, its label, its kind (how it shows)."""

    key: str
    label: str
    kind: str
    target: bool = False  # a target can be set for it


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def add_months(month: datetime.date, n: int) -> datetime.date:
    index = month.year * 12 + month.month - 1 + n
    return datetime.date(index // 12, index % 12 + 1, 1)


def parse_month(text: str | None) -> datetime.date | None:
    """"YYYY-MM" → the month's first day; None for anything else."""
    match = re.fullmatch(r"(\d{4})-(\d{2})", text or "")
    if match is None or not 1900 <= int(match[1]) <= 9998 or not 1 <= int(match[2]) <= 12:
        return None
    return datetime.date(int(match[1]), int(match[2]), 1)


def progress(actual, target) -> Decimal | None:
    """Actual ÷ target in percent (one decimal); None without a positive target or an actual."""
    if actual is None or not target or target <= 0:
        return None
    return (Decimal(actual) * 100 / Decimal(target)).quantize(PERCENT)


def rank(rows: list[dict], key: str, *, ascending: bool = False) -> list[dict]:
    """`rows` sorted best first by `row["figures"][key]` (highest first unless `ascending`), each with its "rank";
    equal figures share a rank, rows without the figure come last without one."""
    have = [r for r in rows if r["figures"] and r["figures"].get(key) is not None]
    rest = [r for r in rows if r not in have]
    have.sort(key=lambda r: r["figures"][key], reverse=not ascending)
    previous, position = object(), 0
    for i, row in enumerate(have, start=1):
        value = row["figures"][key]
        if value != previous:
            position, previous = i, value
        row["rank"] = position
    for row in rest:
        row["rank"] = None
    return have + rest


def with_links(rows: list[dict], links_of) -> list[dict]:
    """Each row's `cells`: (figure, value, the list that makes it or None), `links_of(row)` giving figure key →
    URL; a missing value links nowhere."""
    for row in rows:
        links = links_of(row)
        row["cells"] = [(f, value, links.get(f.key) if value is not None else None) for f, value in row["values"]]
    return rows
