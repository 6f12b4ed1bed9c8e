"""Forms of the personal-information pages; they parse, `services` holds the rules."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .choices import ConsentChannel, ConsentHow, ConsentPurpose

# What staff record by hand: the migration's own "how" is not one of them.
RECORDED_HOW = [(value, label) for value, label in ConsentHow.choices if value != ConsentHow.MIGRATED]


class ConsentForm(forms.Form):
    channel = forms.ChoiceField(label=_("Channel"), choices=ConsentChannel.choices)
    purpose = forms.ChoiceField(label=pgettext_lazy("consent", "Purpose"), choices=ConsentPurpose.choices)
    given = forms.TypedChoiceField(label=pgettext_lazy("consent", "Consent"), coerce=lambda v: v == "1",
                                   choices=[("1", pgettext_lazy("consent", "Given")),
                                            ("0", pgettext_lazy("consent", "Withdrawn"))])
    how = forms.ChoiceField(label=_("How"), choices=RECORDED_HOW)
    evidence = forms.CharField(label=_("Evidence reference"), max_length=255, required=False,
                               help_text=_("Form number, call recording or app log reference."))
    at = forms.DateTimeField(label=_("When"), required=False, help_text=_("Empty: now."),
                             widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
