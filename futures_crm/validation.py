"""The common shapes of write rules: sane date ranges and non-negative amounts, collected per field.

A service builds a `RuleErrors`, lets every rule add what it finds, and raises once, so the page and
the API show every problem of a write at the same time, each on its field (the API as a 400 through
`futures_crm.api.exceptions`, the pages on the form).
"""

import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

# No business date of a Chinese futures firm comes before the first exchange opened (Zhengzhou, 1990).
EARLIEST_BUSINESS_DATE = datetime.date(1990, 1, 1)
EARLIEST_BIRTHDAY = datetime.date(1900, 1, 1)
# Planned dates (due dates, events, contract ends) lie at most this many years ahead.
PLANNING_HORIZON_YEARS = 10
# A time logged a few minutes ahead is a difference between clocks, not an event in the future.
CLOCK_SLACK = datetime.timedelta(minutes=5)


def planning_horizon(today: datetime.date | None = None) -> datetime.date:
    """The latest date a plan may name: today, PLANNING_HORIZON_YEARS on (29 February becomes the 28th)."""
    today = today or timezone.localdate()
    year = today.year + PLANNING_HORIZON_YEARS
    try:
        return today.replace(year=year)
    except ValueError:
        return today.replace(year=year, day=28)


def local_day(value) -> datetime.date | None:
    """The calendar day of a date, of a datetime (aware: in the local time zone) or of an ISO string;
    None for a string that is neither."""
    if isinstance(value, str):
        try:
            value = parse_datetime(value) or parse_date(value)
        except ValueError:
            return None
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value if isinstance(value, datetime.date) else None


class RuleErrors:
    """Field name → messages; `raise_if_any` raises them together as one ValidationError."""

    def __init__(self):
        self.errors: dict[str, list[ValidationError]] = {}

    def add(self, field: str, message, code: str | None = None) -> None:
        self.errors.setdefault(field, []).append(ValidationError(message, code=code))

    def __contains__(self, field: str) -> bool:
        return field in self.errors

    def date_in_range(self, field: str, value, *, earliest: datetime.date = EARLIEST_BUSINESS_DATE,
                      latest: datetime.date | None = None) -> None:
        """`value` (a date or datetime; None passes) must fall between `earliest` and `latest` (default today)."""
        if value is None:
            return
        latest = latest or timezone.localdate()
        day = local_day(value)
        if day is None:
            self.add(field, _("Enter a valid date."), code="invalid")
        elif not earliest <= day <= latest:
            self.add(field, _("Enter a date between %(earliest)s and %(latest)s.") % {
                "earliest": earliest.isoformat(), "latest": latest.isoformat()}, code="date_range")

    def happened(self, field: str, value, future_message, *, earliest: datetime.date = EARLIEST_BUSINESS_DATE) -> None:
        """`value` (a date or datetime; None passes) records something that happened: not in the future
        (`future_message` says so in the field's words), not before `earliest`."""
        if isinstance(value, datetime.datetime):
            future = value > timezone.now() + CLOCK_SLACK
        else:
            day = local_day(value)
            future = day is not None and day > timezone.localdate()
        if future:
            self.add(field, future_message, code="future")
        else:
            self.date_in_range(field, value, earliest=earliest)

    def not_before(self, field: str, value, other, message) -> None:
        """`value` must not come before `other` (either None passes)."""
        day, other_day = local_day(value), local_day(other)
        if day is not None and other_day is not None and day < other_day:
            self.add(field, message, code="order")

    def non_negative(self, field: str, value) -> None:
        if value is None or value == "":
            return
        try:
            negative = Decimal(str(value)) < 0
        except InvalidOperation:
            self.add(field, _("Enter a number."), code="invalid")
            return
        if negative:
            self.add(field, _("This cannot be negative."), code="negative")

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)
