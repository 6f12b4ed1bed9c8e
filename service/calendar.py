"""Trading-time arithmetic for ticket deadlines and the holiday dates care plans use.

Trading hours are the service desk's working window: 09:00–15:00 Asia/Shanghai, Monday to
Friday (settings `SERVICE_TRADING_HOURS`), minus the dates in `SERVICE_CLOSED_DATES` (the
exchanges' holiday closures, which the calendar year's notice fixes; empty by default).
"""

import datetime
from zoneinfo import ZoneInfo

from django.conf import settings

from .choices import CarePlanKind, DeadlineUnit

SHANGHAI = ZoneInfo("Asia/Shanghai")

# Lunar festivals fall on different Gregorian dates each year; these are the published dates.
SPRING_FESTIVAL = {
    2025: datetime.date(2025, 1, 29), 2026: datetime.date(2026, 2, 17), 2027: datetime.date(2027, 2, 6),
    2028: datetime.date(2028, 1, 26), 2029: datetime.date(2029, 2, 13), 2030: datetime.date(2030, 2, 3),
    2031: datetime.date(2031, 1, 23), 2032: datetime.date(2032, 2, 11),
}
MID_AUTUMN = {
    2025: datetime.date(2025, 10, 6), 2026: datetime.date(2026, 9, 25), 2027: datetime.date(2027, 9, 15),
    2028: datetime.date(2028, 10, 3), 2029: datetime.date(2029, 9, 22), 2030: datetime.date(2030, 9, 12),
    2031: datetime.date(2031, 10, 1), 2032: datetime.date(2032, 9, 19),
}


def holiday_date(kind: str, year: int) -> datetime.date | None:
    """The date of a festival care plan in `year` (None when the table does not reach that year)."""
    if kind == CarePlanKind.NATIONAL_DAY:
        return datetime.date(year, 10, 1)
    table = {CarePlanKind.SPRING_FESTIVAL: SPRING_FESTIVAL, CarePlanKind.MID_AUTUMN: MID_AUTUMN}.get(kind)
    return table.get(year) if table else None


def _hours() -> tuple[datetime.time, datetime.time]:
    start, end = getattr(settings, "SERVICE_TRADING_HOURS", ("09:00", "15:00"))
    return datetime.time.fromisoformat(start), datetime.time.fromisoformat(end)


def is_trading_day(day: datetime.date) -> bool:
    closed = {datetime.date.fromisoformat(d) for d in getattr(settings, "SERVICE_CLOSED_DATES", [])}
    return day.weekday() < 5 and day not in closed


def _next_open(moment: datetime.datetime) -> datetime.datetime:
    """The first trading instant at or after `moment`."""
    start, end = _hours()
    day = moment.date()
    if moment.time() >= end or not is_trading_day(day):
        day += datetime.timedelta(days=1)
        while not is_trading_day(day):
            day += datetime.timedelta(days=1)
        return datetime.datetime.combine(day, start, tzinfo=SHANGHAI)
    if moment.time() < start:
        return datetime.datetime.combine(day, start, tzinfo=SHANGHAI)
    return moment


def add_trading_hours(moment: datetime.datetime, hours: int) -> datetime.datetime:
    """`moment` plus `hours` of trading time; time outside the window does not count."""
    _start, end = _hours()
    remaining = datetime.timedelta(hours=hours)
    current = _next_open(moment.astimezone(SHANGHAI))
    while True:
        close = datetime.datetime.combine(current.date(), end, tzinfo=SHANGHAI)
        if current + remaining <= close:
            return current + remaining
        remaining -= close - current
        current = _next_open(close)


def add_trading_days(moment: datetime.datetime, days: int) -> datetime.datetime:
    """The close of the `days`-th trading day after the day of `moment` (the opening day never counts)."""
    _start, end = _hours()
    day = moment.astimezone(SHANGHAI).date()
    counted = 0
    while counted < days:
        day += datetime.timedelta(days=1)
        if is_trading_day(day):
            counted += 1
    return datetime.datetime.combine(day, end, tzinfo=SHANGHAI)


def add_period(moment: datetime.datetime, amount: int, unit: str) -> datetime.datetime:
    """`moment` plus a policy's amount in its unit."""
    if unit == DeadlineUnit.TRADING_HOURS:
        return add_trading_hours(moment, amount)
    if unit == DeadlineUnit.TRADING_DAYS:
        return add_trading_days(moment, amount)
    if unit == DeadlineUnit.DAYS:
        return moment + datetime.timedelta(days=amount)
    return moment + datetime.timedelta(hours=amount)
