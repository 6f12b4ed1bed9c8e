"""`{{ user|person }}`: a person's name that survives a missing user or staff profile (see futures_crm.people)."""

from django import template

from futures_crm import people

register = template.Library()


@register.filter
def person(user, default=people.NOBODY):
    """Display name, else user name, else "—" (or the argument)."""
    return people.display_name(user, default)


@register.filter
def employee_code(user, default=""):
    return people.employee_code(user, default)
