"""Forms of the service pages; they only parse input, the services hold the rules and do the writing."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from clients.choices import ContactChannel
from clients.models import Product
from futures_crm.forms import StaffChoiceField
from privacy.choices import ConsentPurpose

from .choices import (
    ActivityKind,
    DeadlineUnit,
    MessageChannel,
    Priority,
    ProspectGrade,
    ProspectSource,
    Queue,
    RecipientStatus,
    ReturnVisitProblem,
    TaskKind,
    TicketStatus,
    TicketType,
)
from .models import MessageTemplate

STAFF = (get_user_model().objects.filter(staff_profile__isnull=False, is_active=True).select_related("staff_profile")
         .order_by("staff_profile__employee_code"))
YES_NO = [("", "—"), ("yes", _("Yes")), ("no", _("No"))]


class TicketOpenForm(forms.Form):
    ticket_type = forms.ChoiceField(label=_("Type"), choices=TicketType.choices)
    channel = forms.ChoiceField(label=_("Channel"), choices=ContactChannel.choices, initial=ContactChannel.PHONE)
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices, initial=Priority.NORMAL)
    subject = forms.CharField(label=_("Subject"), max_length=255)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 4}), required=False)
    caller_phone = forms.CharField(label=_("Caller phone"), max_length=32, required=False)
    queue = forms.ChoiceField(label=_("Queue"), choices=[("", _("Automatic routing"))] + Queue.choices,
                              required=False)


class CareRunForm(forms.Form):
    on = forms.DateField(label=_("Day"), required=False, widget=forms.DateInput(attrs={"type": "date"}))


class DeadlineTableForm(forms.Form):
    """The deadline table: an amount and a unit per ticket type and priority; an empty amount leaves the cell
    as it is. What was typed comes back with its error when a cell is wrong."""

    MAX_AMOUNT = 999  # far beyond any real deadline, and safe for the calendar arithmetic

    def __init__(self, *args, policies: dict, **kwargs):
        super().__init__(*args, **kwargs)
        for t, t_label in TicketType.choices:
            for pr, pr_label in Priority.choices:
                policy = policies.get((t, pr))
                label = f"{t_label} · {pr_label}"
                self.fields[f"{t}-{pr}-amount"] = forms.IntegerField(
                    label=label, required=False, min_value=0, max_value=self.MAX_AMOUNT,
                    initial=policy.amount if policy else None,
                    widget=forms.TextInput(attrs={"size": 3, "inputmode": "numeric", "aria-label": label}))
                self.fields[f"{t}-{pr}-unit"] = forms.ChoiceField(
                    label=_("Unit"), choices=DeadlineUnit.choices, required=False,
                    initial=policy.unit if policy else None, widget=forms.Select(attrs={"aria-label": _("Unit")}))

    def cell(self, ticket_type: str, priority: str) -> dict:
        return {"amount": self[f"{ticket_type}-{priority}-amount"], "unit": self[f"{ticket_type}-{priority}-unit"]}

    def clean(self):
        data = super().clean()
        for t, _l in TicketType.choices:
            for pr, _p in Priority.choices:
                if data.get(f"{t}-{pr}-amount") is not None and not data.get(f"{t}-{pr}-unit"):
                    self.add_error(f"{t}-{pr}-unit", _("Choose the unit of this deadline."))
        return data

    def entries(self):
        """(ticket type, priority, amount, unit) of every cell with an amount."""
        for t, _l in TicketType.choices:
            for pr, _p in Priority.choices:
                amount = self.cleaned_data.get(f"{t}-{pr}-amount")
                if amount is not None:
                    yield t, pr, amount, self.cleaned_data[f"{t}-{pr}-unit"]


class TicketStatusForm(forms.Form):
    to_status = forms.ChoiceField(label=_("New status"), choices=TicketStatus.choices)
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), required=False)


class TicketCommentForm(forms.Form):
    text = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 3}))
    reply = forms.BooleanField(label=_("Reply sent to the client"), required=False)


class TicketAssignForm(forms.Form):
    owner = StaffChoiceField(label=_("Owner"), queryset=STAFF, required=False)
    queue = forms.ChoiceField(label=_("Queue"), choices=Queue.choices)
    reason = forms.CharField(label=_("Reason"), max_length=255, required=False)


class LinkClientForm(forms.Form):
    account_id = forms.CharField(label=_("Fund account"), max_length=32)


class SatisfactionForm(forms.Form):
    score = forms.IntegerField(label=_("Satisfaction (0–10)"))


class TaskForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=TaskKind.choices, initial=TaskKind.CALL_BACK)
    title = forms.CharField(label=_("Title"), max_length=255, required=False)
    due_on = forms.DateField(label=_("Due on"), widget=forms.DateInput(attrs={"type": "date"}))
    owner = StaffChoiceField(label=_("Owner"), queryset=STAFF, required=False,
                             help_text=_("Empty: the client's account manager"))


class TaskCompleteForm(forms.Form):
    outcome = forms.CharField(label=_("Outcome"), widget=forms.Textarea(attrs={"rows": 2}))
    cancelled = forms.BooleanField(label=_("Cancel instead of done"), required=False)


class ProspectForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=128)
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    grade = forms.ChoiceField(label=_("Grade"), choices=ProspectGrade.choices, initial=ProspectGrade.F)
    source = forms.ChoiceField(label=_("Source"), choices=ProspectSource.choices)
    intermediary_code = forms.CharField(label=_("Intermediary code"), max_length=32, required=False)
    notes = forms.CharField(label=_("Notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False)


class ProspectVisitForm(forms.Form):
    at = forms.DateTimeField(label=_("When"), required=False, help_text=_("Empty: now"))
    place = forms.CharField(label=_("Place"), max_length=128, required=False)
    said = forms.CharField(label=_("What was said"), widget=forms.Textarea(attrs={"rows": 2}))
    impression = forms.CharField(label=_("Impression"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    failure_reason = forms.CharField(label=_("Why the meeting failed"), required=False)
    service_given = forms.CharField(label=_("Service given"), required=False)
    assessment = forms.CharField(label=_("Own assessment"), required=False)


class ProspectGradeForm(forms.Form):
    grade = forms.ChoiceField(label=_("Grade"), choices=ProspectGrade.choices)
    reason = forms.CharField(label=_("Reason"), max_length=255, required=False)


class ProspectConvertForm(forms.Form):
    account_id = forms.CharField(label=_("Fund account of the new client"), max_length=32)


class ActivityForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=ActivityKind.choices)
    title = forms.CharField(label=_("Title"), max_length=255)
    held_on = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    place = forms.CharField(label=_("Place"), max_length=128, required=False)
    cost = forms.DecimalField(label=_("Cost (CNY)"), max_digits=14, decimal_places=2, initial=0)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    products = forms.ModelMultipleChoiceField(label=_("Promoted products"), queryset=Product.objects.all(),
                                              required=False)


class InviteForm(forms.Form):
    channel = forms.ChoiceField(label=_("Channel"), choices=[("", _("Record only"))] + MessageChannel.choices,
                                required=False)
    template = forms.ModelChoiceField(label=_("Template"), queryset=MessageTemplate.objects.all(), required=False)


class RecipientForm(forms.Form):
    recipient = forms.IntegerField(widget=forms.HiddenInput)
    status = forms.ChoiceField(label=_("Status"), choices=RecipientStatus.choices)
    response = forms.CharField(label=_("Response"), max_length=500, required=False)


class SurveyForm(forms.Form):
    satisfaction = forms.IntegerField(label=_("Satisfaction (0–10)"), required=False)
    trades_elsewhere = forms.ChoiceField(label=_("Do you trade futures with any other firm?"), choices=YES_NO,
                                         required=False)
    suggestion = forms.CharField(label=_("Suggestions"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    comments = forms.CharField(label=_("Comments"), widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def clean_trades_elsewhere(self):
        return {"yes": True, "no": False}.get(self.cleaned_data.get("trades_elsewhere"))


class MessageForm(forms.Form):
    channel = forms.ChoiceField(label=_("Channel"), choices=MessageChannel.choices)
    # The consent that must hold (privacy); left out, a message to a client is a service message.
    purpose = forms.TypedChoiceField(label=pgettext_lazy("consent", "Purpose"), choices=ConsentPurpose.choices,
                                     required=False, initial=ConsentPurpose.SERVICE,
                                     empty_value=ConsentPurpose.SERVICE)
    template = forms.ModelChoiceField(label=_("Template"), queryset=MessageTemplate.objects.all(), required=False)
    subject = forms.CharField(label=_("Subject"), max_length=255, required=False)
    body = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    product = forms.ModelChoiceField(label=_("Promoted product"), queryset=Product.objects.all(), required=False)


class ReturnVisitForm(forms.Form):
    channel = forms.ChoiceField(label=_("Channel"), choices=ContactChannel.choices, initial=ContactChannel.PHONE)
    questions = forms.CharField(label=_("Questions asked"), widget=forms.Textarea(attrs={"rows": 3}))
    answers = forms.CharField(label=_("Answers"), widget=forms.Textarea(attrs={"rows": 3}))
    problems = forms.MultipleChoiceField(label=_("Problems found"), choices=ReturnVisitProblem.choices,
                                         widget=forms.CheckboxSelectMultiple, required=False)
    notes = forms.CharField(label=_("Notes"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
