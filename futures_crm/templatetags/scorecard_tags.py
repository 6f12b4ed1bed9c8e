"""A scorecard figure shown by its kind: money with separators, a fraction in percent, a count as is."""

from django import template

from futures_crm.templatetags.display import NOTHING, money, pct, share

from ..scorecards import FRACTION, MONEY, SCORE

register = template.Library()


@register.filter
def figure(value, kind):
    if value is None:
        return NOTHING
    if kind == MONEY:
        return money(value)
    if kind == FRACTION:
        return share(value)
    if kind == SCORE:
        return money(value)  # two decimals
    return value


@register.filter
def progress(value):
    return pct(value)
