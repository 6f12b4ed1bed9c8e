"""How a chart's table view shows a cell: dates as YYYY-MM-DD, decimals with thousands separators and their own
places (money two, a rate one), missing as —."""

import datetime
from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def chart_cell(value):
    if value is None:
        return "—"
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        exponent = value.as_tuple().exponent
        places = -exponent if isinstance(exponent, int) and exponent < 0 else 2
        return f"{value:,.{places}f}"
    return value
