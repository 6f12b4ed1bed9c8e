"""Calendar periods the analysis pages group by."""

import datetime


def months_between(start: datetime.date, end: datetime.date) -> list[tuple[datetime.date, datetime.date]]:
    """The calendar months from `start` to `end`, each as its (first, last) day within the range."""
    months, first = [], start.replace(day=1)
    while first <= end:
        following = (first + datetime.timedelta(days=32)).replace(day=1)
        months.append((max(first, start), min(following - datetime.timedelta(days=1), end)))
        first = following
    return months
