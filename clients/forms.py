"""Forms of the client pages; they validate input, the services in `services.py` do the writing."""

import datetime

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from futures_crm.roles import Role

from .choices import ClientType, IdType
from .identity import validate_id_number
from .models import Branch, Client, ContactLog, SuitabilityAssessment

# A suitability assessment is redone every two years unless the assessor says otherwise.
SUITABILITY_VALID_DAYS = 730

CLIENT_FORM_FIELDS = [
    "account_id", "name", "client_type", "id_type", "id_number", "birthday", "gender", "phone", "phone_alt",
    "email", "province", "city", "address", "occupation", "industry", "spot_products", "branch", "open_date",
    "close_date", "status", "churn_reason", "channel", "account_manager", "intermediary_code", "is_key",
    "consent_phone", "consent_sms", "consent_email", "consent_wechat",
]


class DateInput(forms.DateInput):
    input_type = "date"


class ManagerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        profile = obj.staff_profile
        return f"{profile.display_name} ({profile.employee_code})"


class ClientForm(forms.ModelForm):
    """Open or edit a client; what the user may choose (branch, manager) follows their role."""

    tags_text = forms.CharField(label=_("Tags"), required=False, help_text=_("Separate tags with commas."))

    class Meta:
        model = Client
        fields = CLIENT_FORM_FIELDS
        widgets = {
            "birthday": DateInput, "open_date": DateInput, "close_date": DateInput,
            "address": forms.TextInput(attrs={"size": 60}),
        }
        field_classes = {"account_manager": ManagerChoiceField}

    def __init__(self, *args, user, role, **kwargs):
        super().__init__(*args, **kwargs)
        self.user, self.role = user, role
        managers = get_user_model().objects.filter(
            staff_profile__role=Role.ACCOUNT_MANAGER, staff_profile__is_active=True
        ).select_related("staff_profile").order_by("staff_profile__employee_code")
        branches = Branch.objects.all()
        profile = getattr(user, "staff_profile", None)
        if role == Role.BRANCH_MANAGER and profile is not None:
            branches = branches.filter(pk=profile.branch_id)
            managers = managers.filter(staff_profile__branch_id=profile.branch_id)
        if role == Role.ACCOUNT_MANAGER:
            # An account manager works their own book: the client is theirs, in their branch.
            managers = managers.filter(pk=user.pk)
            if profile is not None and profile.branch_id:
                branches = branches.filter(pk=profile.branch_id)
            self.fields["account_manager"].required = True
            self.fields["account_manager"].empty_label = None
        self.fields["branch"].queryset = branches
        self.fields["account_manager"].queryset = managers
        self.fields["id_type"].required = True
        self.fields["open_date"].required = True
        if not self.instance.pk:
            self.fields["open_date"].initial = timezone.localdate()
            if role == Role.ACCOUNT_MANAGER:
                self.fields["account_manager"].initial = user.pk
            if profile is not None and profile.branch_id:
                self.fields["branch"].initial = profile.branch_id
        if self.instance.pk:
            # The stored number is never sent back to the browser; blank keeps it.
            self.initial["id_number"] = ""
            self.fields["id_number"].required = False
            self.fields["id_number"].help_text = _("Stored as %(masked)s. Leave blank to keep it.") % {
                "masked": self.instance.id_number_masked}
            self.fields["account_id"].disabled = True
            self.initial["tags_text"] = ", ".join(self.instance.tags or [])
        else:
            self.fields["id_number"].required = True
            self.fields["close_date"].widget = forms.HiddenInput()
            self.fields["churn_reason"].widget = forms.HiddenInput()

    def clean_account_id(self):
        value = (self.cleaned_data.get("account_id") or "").strip()
        if not self.instance.pk and not value.isdigit():
            raise forms.ValidationError(_("A fund account number is made of digits."), code="account_id")
        return value

    def clean(self):
        data = super().clean()
        id_type, number = data.get("id_type"), data.get("id_number")
        if number:
            try:
                data["id_number"] = validate_id_number(id_type, number)
            except ValidationError as exc:
                self.add_error(None, exc)
        elif self.instance.pk:
            data["id_number"] = self.instance.id_number
            if id_type != self.instance.id_type:
                self.add_error("id_number", _("Enter the number of the new document."))
        client_type = data.get("client_type")
        if client_type == ClientType.INDIVIDUAL and id_type == IdType.BUSINESS_LICENSE:
            self.add_error("id_type", _("An individual cannot hold a business licence."))
        if client_type and client_type != ClientType.INDIVIDUAL and id_type == IdType.ID_CARD:
            self.add_error("id_type", _("An institution is identified by its business licence."))
        birthday = data.get("birthday")
        if birthday and birthday > timezone.localdate():
            self.add_error("birthday", _("The birthday cannot be in the future."))
        open_date, close_date = data.get("open_date"), data.get("close_date")
        if open_date and close_date and close_date < open_date:
            self.add_error("close_date", _("The account cannot close before it opened."))
        data["tags"] = [t.strip() for t in (data.pop("tags_text", "") or "").replace("，", ",").split(",")
                        if t.strip()]
        return data

    def service_fields(self) -> dict:
        """The cleaned values the services take, without the read-only ones."""
        fields = {name: self.cleaned_data[name] for name in CLIENT_FORM_FIELDS if name in self.cleaned_data}
        fields["tags"] = self.cleaned_data["tags"]
        if self.instance.pk:
            fields.pop("account_id", None)
        return fields


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

    def clean_contacted_at(self):
        value = self.cleaned_data["contacted_at"]
        if value > timezone.now() + datetime.timedelta(minutes=5):
            raise forms.ValidationError(_("A contact cannot be logged in the future."), code="future")
        return value


class SuitabilityForm(forms.ModelForm):
    """A new suitability assessment; it becomes the client's current one."""

    class Meta:
        model = SuitabilityAssessment
        fields = ["investor_class", "risk_level", "knowledge_score", "assessed_on", "expires_on"]
        widgets = {"assessed_on": DateInput, "expires_on": DateInput}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["assessed_on"].initial = today
        self.fields["expires_on"].initial = today + datetime.timedelta(days=SUITABILITY_VALID_DAYS)
        self.fields["knowledge_score"].widget.attrs.update(min=0, max=100)

    def clean(self):
        data = super().clean()
        assessed, expires = data.get("assessed_on"), data.get("expires_on")
        if assessed and assessed > timezone.localdate():
            self.add_error("assessed_on", _("An assessment cannot be dated in the future."))
        if assessed and expires and expires <= assessed:
            self.add_error("expires_on", _("The expiry date must come after the assessment date."))
        score = data.get("knowledge_score")
        if score is not None and score > 100:
            self.add_error("knowledge_score", _("The knowledge-test score is out of 100."))
        return data
