"""Segmentation codes as readers see them: a churn signal's code → its label in the reader's language."""

from django import template
from django.utils.html import format_html

from ..choices import Signal

register = template.Library()


@register.filter
def signal_label(code: str) -> str:
    """A stored churn signal's label (a code this version does not know stays as it is)."""
    return str(Signal(code).label) if code in Signal.values else code


@register.filter
def signal_labels(codes) -> str:
    return ", ".join(signal_label(c) for c in codes or ())


@register.simple_tag
def figure(number, url=None):
    """A dashboard number: a link to the client list that makes it, or the number alone when there is no list
    to open (a past day's figure)."""
    return format_html('<a href="{}">{}</a>', url, number) if url else number
