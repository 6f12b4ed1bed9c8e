"""Forms of the relationship pages; they only collect input, the services decide.

Choice lists come from the selectors the services check against (`active_managers(user=…)`), so a page
offers what the service accepts; any other rule is the service's.
"""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from clients.choices import ContactChannel
from clients.models import Client
from futures_crm.forms import StaffChoiceField, StaffMultipleChoiceField

from . import selectors
from .choices import ClubLevel, HandoverStrategy, IntermediaryStatus, MembershipStatus, ReferralStatus
from .models import DEFAULT_NOTICE_CHANNEL, Intermediary

DATE = forms.DateInput(attrs={"type": "date"})


class ScopedClientField(forms.CharField):
    """A fund account number, resolved among the clients the user may see."""

    def __init__(self, *args, **kwargs):
        self.user = None
        super().__init__(*args, max_length=32, **kwargs)

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        client = Client.objects.visible_to(self.user).filter(account_id=value.strip()).first()
        if client is None:
            raise forms.ValidationError(_("No client with this fund account."))
        return client


class UserScopedForm(forms.Form):
    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        for field in self.fields.values():
            if isinstance(field, ScopedClientField):
                field.user = user


class AssignForm(UserScopedForm):
    to_manager = StaffChoiceField(queryset=None, label=_("New account manager"))
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self.fields["to_manager"].queryset = selectors.active_managers(user=user)


class HandoverForm(UserScopedForm):
    leaving_manager = StaffChoiceField(queryset=None, label=_("Leaving manager"))
    successors = StaffMultipleChoiceField(queryset=None, label=_("Successors"),
                                            widget=forms.SelectMultiple(attrs={"size": 6}))
    strategy = forms.ChoiceField(choices=HandoverStrategy.choices, label=_("Spread"))
    # Not required for the preview (a GET); the handover service insists on it when confirming.
    reason = forms.CharField(label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    notify = forms.BooleanField(label=_("Log a notice to each client"), required=False)
    notice_channel = forms.ChoiceField(choices=ContactChannel.choices, initial=DEFAULT_NOTICE_CHANNEL,
                                       label=_("Notice channel"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        managers = selectors.active_managers(user=user)
        self.fields["leaving_manager"].queryset = managers
        self.fields["successors"].queryset = managers


class IntermediaryForm(forms.ModelForm):
    class Meta:
        model = Intermediary
        fields = ["code", "name", "kind", "status", "id_number", "phone", "qualification_certificate",
                  "association_registration", "contract_start", "contract_end", "exclusive", "rebate_rate",
                  "exchange_rebate_share", "branch"]
        widgets = {"contract_start": DATE, "contract_end": DATE}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # The stored number is never sent back to the browser; blank keeps it.
            self.initial["id_number"] = ""
            self.fields["id_number"].help_text = _("Stored as %(masked)s. Leave blank to keep it.") % {
                "masked": self.instance.id_number_masked or "—"}
        if self.instance.status != IntermediaryStatus.LEFT:
            # Leaving goes through the leave page, which lists the clients for transfer.
            self.fields["status"].choices = [c for c in self.fields["status"].choices
                                             if c[0] != IntermediaryStatus.LEFT]

    def _get_validation_exclusions(self):
        # The rate's range is `intermediary_save`'s rule (it names the field); the model's check constraint
        # would otherwise answer first, unnamed, on the page only.
        return {*super()._get_validation_exclusions(), "rebate_rate"}


class LeaveForm(forms.Form):
    """The departure of an intermediary (the transfers are the page's per-client choices)."""

    left_on = forms.DateField(label=_("Left on"), widget=DATE)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class TrainingForm(forms.Form):
    trained_on = forms.DateField(label=_("Date"), widget=DATE)
    hours = forms.DecimalField(label=_("Hours"), max_digits=5, decimal_places=1)
    topic = forms.CharField(label=_("Topic"), max_length=255)


class RelativeForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=128)
    relation = forms.CharField(label=_("Relation"), max_length=32, required=False)
    id_number = forms.CharField(label=_("ID number"), max_length=64)


class LinkForm(UserScopedForm):
    client = ScopedClientField(label=_("Fund account"))
    valid_from = forms.DateField(label=pgettext_lazy("date range", "From"), widget=DATE, initial=timezone.localdate)
    reason = forms.CharField(label=_("Reason"), max_length=255)


class StatementDraftForm(forms.Form):
    month = forms.DateField(label=_("Month"), input_formats=["%Y-%m"], widget=forms.DateInput(
        attrs={"type": "month"}, format="%Y-%m"))
    exchange_refund_rate = forms.DecimalField(label=_("Exchange refund rate"), max_digits=5, decimal_places=4,
                                              initial=0)


class ReferralForm(UserScopedForm):
    referrer_account = ScopedClientField(label=_("Referring client (fund account)"), required=False)
    referrer_is_me = forms.BooleanField(label=_("I referred this person myself"), required=False)
    prospect_name = forms.CharField(label=_("Referred person"), max_length=128, required=False)
    prospect_phone = forms.CharField(label=_("Phone"), max_length=32, required=False)
    referred_account = ScopedClientField(label=_("Already opened: fund account"), required=False)
    referred_on = forms.DateField(label=_("Referred on"), widget=DATE, initial=timezone.localdate)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class AdvanceForm(UserScopedForm):
    status = forms.ChoiceField(choices=ReferralStatus.choices[1:], label=_("New state"))
    on = forms.DateField(label=_("On"), widget=DATE, initial=timezone.localdate)
    referred_account = ScopedClientField(label=_("Opened fund account"), required=False)


class RewardForm(forms.Form):
    what = forms.CharField(label=_("Reward"), max_length=255)
    amount = forms.DecimalField(label=_("Value (CNY)"), max_digits=18, decimal_places=2, required=False)
    given_on = forms.DateField(label=_("Given on"), widget=DATE, initial=timezone.localdate)


class MembershipForm(forms.Form):
    level = forms.ChoiceField(choices=ClubLevel.choices, label=_("Level"))
    status = forms.ChoiceField(choices=MembershipStatus.choices, label=_("Status"))
    joined_on = forms.DateField(label=_("Joined on"), widget=DATE, required=False)
