"""Forms of the segmentation pages."""

import datetime

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .choices import Axis
from .policy import DEFAULTS
from .selectors import AXIS_VALUES


class OverrideForm(forms.Form):
    axis = forms.ChoiceField(label=_("Axis"), choices=Axis.choices)
    value = forms.ChoiceField(label=_("Value"), choices=[
        (v, f"{Axis(a).label}: {label}") for a, enum in AXIS_VALUES.items() for v, label in enum.choices])
    reason = forms.CharField(label=_("Reason"), max_length=255)
    expires_on = forms.DateField(label=_("Valid until"), required=False,
                                 widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        axis, value = data.get("axis"), data.get("value")
        if axis and value and value not in AXIS_VALUES[axis].values:
            self.add_error("value", _("This value does not belong to the chosen axis."))
        return data


class PolicyForm(forms.Form):
    """One field per threshold or weight; saving creates a new version."""

    note = forms.CharField(label=_("Why it changes"), max_length=255)
    recompute_from = forms.DateField(
        label=_("Recompute from"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Empty: applies from the next nightly run. A date: recompute every trading day since then."))

    def __init__(self, *args, policy, **kwargs):
        super().__init__(*args, **kwargs)
        for key, (_default, label) in DEFAULTS.items():
            self.fields[key] = forms.DecimalField(label=label, initial=policy.value(key), max_digits=18,
                                                  decimal_places=4)

    def clean_recompute_from(self):
        value = self.cleaned_data.get("recompute_from")
        if value and value > datetime.date.today():  # noqa: DTZ011 - a calendar date typed by a person
            raise forms.ValidationError(_("Choose a past trading day."))
        return value


class RunForm(forms.Form):
    day = forms.DateField(label=_("Trading day"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
                          help_text=_("Empty: the newest imported day."))


class DashboardDayForm(forms.Form):
    """The dashboard's "as of" chooser: a past trading day's stored snapshot (empty: the newest)."""

    as_of = forms.DateField(label=pgettext_lazy("dashboard day", "As of"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}))
