"""How pages show figures, the same in both languages (the formats themselves: futures_crm/formats).

`{{ amount|money }}` 28,452.90 · `{{ percent|pct }}` 37.5% · `{{ fraction|share }}` 37.5% ·
`{{ date|day }}` 2026-11-27 Fri / 2026-11-27 周五 · `{{ date|as_of }}` as of 2026-11-27 (trading day) ·
`{{ client|choice:"status" }}` the label of a field's value (as `get_status_display`, for long lists).
Pages only: exports and the API keep plain decimals and ISO dates.
"""

import datetime
import functools
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import get_language, gettext, pgettext_lazy

register = template.Library()

NOTHING = "—"
WEEKDAYS = (
    pgettext_lazy("weekday", "Mon"), pgettext_lazy("weekday", "Tue"), pgettext_lazy("weekday", "Wed"),
    pgettext_lazy("weekday", "Thu"), pgettext_lazy("weekday", "Fri"), pgettext_lazy("weekday", "Sat"),
    pgettext_lazy("weekday", "Sun"),
)


def _decimal(value) -> Decimal | None:
    """The value as an exact Decimal (a float goes through its shortest repr, never binary arithmetic)."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        return value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return None


def grouped(value, places: int) -> str | None:
    """`value` rounded half-up to `places` and grouped by thousands in the reader's locale; None if not a number."""
    d = _decimal(value)
    if d is None or not d.is_finite():
        return None
    d = d.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return number_format(d if d else abs(d), decimal_pos=places, force_grouping=True)  # never "-0.00"


@register.filter
def money(value, places=2):
    """An amount: thousands separators and two decimals; "—" for none."""
    text = grouped(value, int(places))
    return NOTHING if text is None else text


@register.filter
def pct(value, places=1):
    """A figure already in percent (37.46 → 37.5%)."""
    text = grouped(value, int(places))
    return NOTHING if text is None else f"{text}%"


@register.filter
def share(value, places=1):
    """A fraction shown in percent (0.3746 → 37.5%)."""
    d = _decimal(value)
    return pct(None if d is None else d * 100, places)


@register.filter
def day(value):
    """A date (or a date-time, in Asia/Shanghai) with its weekday, where the day of the week matters:
    due dates, deadlines, my day, visits."""
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        return f"{date_format(value)} {WEEKDAYS[value.weekday()]} {date_format(value, 'TIME_FORMAT')}"
    if isinstance(value, datetime.date):
        return f"{date_format(value)} {WEEKDAYS[value.weekday()]}"
    return NOTHING if value in (None, "") else value


@register.filter
def as_of(value):
    """Which trading day a computed figure is from."""
    if not isinstance(value, datetime.date):
        return ""
    return gettext("as of %(day)s (trading day)") % {"day": date_format(value)}


@functools.cache
def _choice_labels(model, field_name: str, language: str | None) -> dict:
    """The field's labels, translated once per language (a lazy label looks its catalogue up each time shown)."""
    return {value: str(label) for value, label in model._meta.get_field(field_name).flatchoices}


@register.filter
def choice(obj, field_name: str):
    """The label of `obj.<field_name>`, as `obj.get_<field_name>_display`, from a table built once per field.

    Django's `get_FOO_display` rebuilds the field's choice table on every call, translating every label to hash
    it: in a 50-row list with six such columns, a tenth of the page's time.
    """
    if obj is None:
        return ""
    value = getattr(obj, field_name)
    return _choice_labels(type(obj), field_name, get_language()).get(value, value)
