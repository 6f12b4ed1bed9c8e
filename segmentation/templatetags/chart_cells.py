"""How a chart's table view shows a cell: dates as YYYY-MM-DD, money with thousands separators, missing as —."""

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
        return f"{value:,.2f}"
    return value
