"""Forms of the client pages; they parse input, the services in `services.py` hold the rules and write."""

import datetime

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from futures_crm.forms import StaffChoiceField
from futures_crm.roles import Role

from .models import Branch, Client, ContactLog, EligibilityRecord, Product, SuitabilityAssessment
from .selectors import assignable_managers, client_branches
from .services import refused_client_fields

# A suitability assessment is redone every two years unless the assessor says otherwise.
SUITABILITY_VALID_DAYS = 730

CLIENT_FORM_FIELDS = [
    "account_id", "name", "client_type", "id_type", "id_number", "birthday", "gender", "phone", "phone_alt",
    "email", "province", "city", "address", "occupation", "industry", "spot_products", "branch", "open_date",
    "close_date", "status", "churn_reason", "channel", "account_manager", "intermediary_code", "is_key",
]


class DateInput(forms.DateInput):
    input_type = "date"


class ClientForm(forms.ModelForm):
    """Open or edit a client. It only parses: `client_create`/`client_update` hold the rules.

    What the user may choose (branches, managers) and which fields are read-only for them come from the
    same selectors and rules the services apply, so the page offers what the service accepts.
    """

    tags_text = forms.CharField(label=_("Tags"), required=False, help_text=_("Separate tags with commas."))

    class Meta:
        model = Client
        fields = CLIENT_FORM_FIELDS
        widgets = {
            "birthday": DateInput, "open_date": DateInput, "close_date": DateInput,
            "address": forms.TextInput(attrs={"size": 60}),
        }
        field_classes = {"account_manager": StaffChoiceField}

    def __init__(self, *args, user, role, **kwargs):
        super().__init__(*args, **kwargs)
        self.user, self.role = user, role
        profile = getattr(user, "staff_profile", None)
        self.fields["branch"].queryset = client_branches(user=user)
        self.fields["account_manager"].queryset = assignable_managers(user=user)
        if role == Role.ACCOUNT_MANAGER:
            # An account manager works their own book: the client is theirs, in their branch.
            self.fields["account_manager"].required = True
            self.fields["account_manager"].empty_label = None
        self.fields["id_type"].required = True
        self.fields["open_date"].required = True
        refused = refused_client_fields(user)
        if self.instance.pk:
            # The stored number is never sent back to the browser; blank keeps it.
            self.initial["id_number"] = ""
            self.fields["id_number"].required = False
            self.fields["id_number"].help_text = _("Stored as %(masked)s. Leave blank to keep it.") % {
                "masked": self.instance.id_number_masked}
            self.initial["tags_text"] = ", ".join(self.instance.tags or [])
            # Shown, not edited here: each of these changes through its own service (see refused_client_fields).
            self.fields["branch"].queryset = Branch.objects.filter(pk=self.instance.branch_id)
            self.fields["account_manager"].queryset = get_user_model().objects.filter(
                pk=self.instance.account_manager_id).select_related("staff_profile")
            self.fields["account_manager"].required = False
            self.fields["account_manager"].empty_label = "—"
            disabled = [name for name in refused if name in self.fields]
        else:
            self.fields["id_number"].required = True
            self.fields["close_date"].widget = forms.HiddenInput()
            self.fields["churn_reason"].widget = forms.HiddenInput()
            self.fields["open_date"].initial = timezone.localdate()
            if role == Role.ACCOUNT_MANAGER:
                self.fields["account_manager"].initial = user.pk
            if profile is not None and profile.branch_id:
                self.fields["branch"].initial = profile.branch_id
            disabled = [name for name in ("status", "is_key") if name in refused]
        for name in disabled:
            self.fields[name].disabled = True
            self.fields[name].help_text = refused[name]

    def clean(self):
        data = super().clean()
        if self.instance.pk and not data.get("id_number"):
            data["id_number"] = self.instance.id_number
        data["tags"] = [t.strip() for t in (data.pop("tags_text", "") or "").replace("，", ",").split(",")
                        if t.strip()]
        return data

    def service_fields(self) -> dict:
        """The typed values the services take: read-only fields are left out, they are not changes."""
        fields = {name: self.cleaned_data[name] for name in CLIENT_FORM_FIELDS
                  if name in self.cleaned_data and not self.fields[name].disabled}
        fields["tags"] = self.cleaned_data["tags"]
        return fields


class KeyProposalForm(forms.Form):
    """Propose a key client, or decide a proposal; who may do which is the service's rule."""

    PROPOSE, CONFIRM, DECLINE = "propose", "confirm", "decline"
    decision = forms.ChoiceField(choices=[(PROPOSE, _("Propose as a key client")), (CONFIRM, _("Confirm")),
                                          (DECLINE, _("Decline"))])
    note = forms.CharField(label=_("Why"), max_length=255, required=False)


class ContactLogForm(forms.ModelForm):
    """A visit or call, as the person who made it records it."""

    class Meta:
        model = ContactLog
        fields = ["contacted_at", "channel", "place", "summary", "impression", "next_step"]
        widgets = {
            "contacted_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
            "summary": forms.Textarea(attrs={"rows": 3}),
            "impression": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contacted_at"].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]
        self.fields["contacted_at"].initial = timezone.localtime().replace(second=0, microsecond=0)


class SuitabilityForm(forms.ModelForm):
    """A new suitability assessment; it becomes the client's current one."""

    class Meta:
        model = SuitabilityAssessment
        fields = ["investor_class", "risk_level", "questionnaire_score", "knowledge_score", "evidence_ref",
                  "assessed_on", "expires_on"]
        widgets = {"assessed_on": DateInput, "expires_on": DateInput}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["assessed_on"].initial = today
        self.fields["expires_on"].initial = today + datetime.timedelta(days=SUITABILITY_VALID_DAYS)
        self.fields["knowledge_score"].widget.attrs.update(min=0, max=100)
        self.fields["questionnaire_score"].widget.attrs.update(min=0, max=100)


class EligibilityForm(forms.ModelForm):
    """Evidence of an exchange requirement for the client; `eligibility_record` holds the rules and writes."""

    class Meta:
        model = EligibilityRecord
        fields = ["kind", "dated_on", "funds", "score", "trading_days", "trades", "evidence_ref"]
        widgets = {"dated_on": DateInput}
        help_texts = {"funds": _("For verified funds: the lowest available funds of the days checked."),
                      "trading_days": _("For simulated trading: the days and trades on record.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dated_on"].initial = timezone.localdate()
        self.fields["score"].widget.attrs.update(min=0, max=100)


class ProductForm(forms.ModelForm):
    """A product's risk level, class and eligibility rules; `product_update` holds the rules and writes."""

    class Meta:
        model = Product
        fields = ["name", "product_class", "risk_level", "min_funds", "needs_knowledge_test", "min_knowledge_score",
                  "needs_trading_experience", "min_experience_days", "min_experience_trades"]

    THRESHOLDS = ("min_knowledge_score", "min_experience_days", "min_experience_trades")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.THRESHOLDS:  # left empty: the threshold stays as it is
            self.fields[name].required = False

    def clean(self):
        data = super().clean()
        for name in self.THRESHOLDS:
            if data.get(name) is None:
                data[name] = getattr(self.instance, name)
        return data
