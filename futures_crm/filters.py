"""Filters shared by the apps' FilterSets."""

import copy
import datetime
from urllib.parse import urlencode

import django_filters
from django.urls import reverse
from django_filters.fields import ModelChoiceField

from .forms import StaffChoiceField


class StaffFilterField(ModelChoiceField):
    """StaffChoiceField's labels on the filter field that reads `null_label`'s value ("null": nobody)."""

    label_from_instance = StaffChoiceField.label_from_instance


class StaffChoiceFilter(django_filters.ModelChoiceFilter):
    """A person filter whose choices read "姓名 (工号)", not login names; with `null_label`, "null" is nobody."""

    field_class = StaffFilterField


class _OwnFields(dict):
    """A filter form's fields, made for this one FilterSet: the form takes them as they are."""

    def __deepcopy__(self, memo):
        return dict(self)


class FilterSet(django_filters.FilterSet):
    """A FilterSet that copies its filters and their fields once per request, not three times.

    django-filter deep-copies every filter (choice lists, querysets) for each FilterSet, makes each filter's form
    field, and then the form deep-copies those fields again; on the client list that was a tenth of a request's
    CPU. Here each filter is copied shallowly with its own `extra` (the field's arguments, which a
    queryset-from-request filter writes to, and a `method` bound to the copy), and the form keeps the fields made
    for this FilterSet.
    """

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        base_filters = self.base_filters
        self.base_filters = {}  # nothing to deep-copy in super().__init__; the copies are made below
        try:
            super().__init__(data, queryset, request=request, prefix=prefix)
        finally:
            del self.base_filters
        model = self.queryset.model
        self.filters = {}
        for name, base in base_filters.items():
            f = copy.copy(base)
            f.__dict__.pop("_field", None)
            f.extra = base.extra.copy()
            if base.method is not None:
                f.method = base.method  # its FilterMethod calls this copy (and through it, this FilterSet)
            f.model, f.parent = model, self
            self.filters[name] = f

    def get_form_class(self):
        form_class = super().get_form_class()
        form_class.base_fields = _OwnFields(form_class.base_fields)
        return form_class


def list_url(name: str, figure: str, **params) -> str:
    """A list page (URL name `name`) filtered by `params` (dates as ISO, None left out), naming the figure it
    explains (`?figure=`: the list's banner says which one)."""
    clean = {k: v.isoformat() if isinstance(v, datetime.date) else v for k, v in params.items() if v is not None}
    return reverse(name) + "?" + urlencode(clean | {"figure": figure})
