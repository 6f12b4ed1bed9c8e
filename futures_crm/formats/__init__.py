"""The site's display formats (settings.FORMAT_MODULE_PATH): one way in both languages.

Dates are ISO (2026-11-27), date-times "2026-11-27 14:05", amounts grouped by thousands with a comma. Each
language's module takes these and keeps the input formats its forms accepted before, with ISO first: a
DateInput renders its value in the first input format, and `<input type="date">` only reads ISO.
Grouping is only applied where a page asks for it (`|money`, `floatformat:"2g"`): USE_THOUSAND_SEPARATOR
stays off, so form inputs, ids and exports keep plain numbers.
"""

DISPLAY = {
    "DATE_FORMAT": "Y-m-d",
    "SHORT_DATE_FORMAT": "Y-m-d",
    "DATETIME_FORMAT": "Y-m-d H:i",
    "SHORT_DATETIME_FORMAT": "Y-m-d H:i",
    "TIME_FORMAT": "H:i",
    "YEAR_MONTH_FORMAT": "Y-m",
    "MONTH_DAY_FORMAT": "m-d",
    "FIRST_DAY_OF_WEEK": 1,  # Monday
    "DECIMAL_SEPARATOR": ".",
    "THOUSAND_SEPARATOR": ",",
    "NUMBER_GROUPING": 3,  # 28,452.90 as on statements, not Django's zh 4-digit (万) grouping without a separator
}

ISO_DATE = "%Y-%m-%d"
ISO_DATETIME = ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M")


def iso_first(iso: tuple | list, accepted: list) -> list:
    """`iso` first, then every format the language accepted before (none lost, none twice)."""
    return list(iso) + [f for f in accepted if f not in iso]
