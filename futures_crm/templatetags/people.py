"""`{{ user|person }}`: "姓名 (工号)", surviving a missing user or staff profile (see futures_crm.people)."""

from django import template

from futures_crm import people

register = template.Library()


@register.filter
def person(user, default=people.NOBODY):
    """Display name and employee code, else user name, else "—" (or the argument)."""
    return people.label(user, default)


@register.filter
def person_name(user, default=people.NOBODY):
    """Display name alone, where the employee code stands in a column of its own."""
    return people.display_name(user, default)


@register.filter
def employee_code(user, default=""):
    return people.employee_code(user, default)
