"""Filters shared by the apps' FilterSets."""

import django_filters
from django_filters.fields import ModelChoiceField

from .forms import StaffChoiceField


class StaffFilterField(ModelChoiceField):
    """StaffChoiceField's labels on the filter field that reads `null_label`'s value ("null": nobody)."""

    label_from_instance = StaffChoiceField.label_from_instance


class StaffChoiceFilter(django_filters.ModelChoiceFilter):
    """A person filter whose choices read "姓名 (工号)", not login names; with `null_label`, "null" is nobody."""

    field_class = StaffFilterField
