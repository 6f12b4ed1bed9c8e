"""`{% max_form_bytes %}`: the largest form body the server reads (DATA_UPLOAD_MAX_MEMORY_SIZE), so the page
can refuse a larger one before sending it and keep what was typed."""

from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def max_form_bytes() -> int:
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0
