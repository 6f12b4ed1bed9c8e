"""Filters shared by the apps' FilterSets."""

import django_filters

from .forms import StaffChoiceField


class StaffChoiceFilter(django_filters.ModelChoiceFilter):
    """A person filter whose choices read "姓名 (工号)", not login names."""

    field_class = StaffChoiceField
