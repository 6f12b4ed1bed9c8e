"""Service API shapes: explicit fields; writes go through the services."""

from django.contrib.auth import get_user_model
from rest_framework import serializers

from clients.api.serializers import ClientBriefSerializer
from clients.choices import ContactChannel
from clients.models import Client, Product
from futures_crm.api.texts import GeneratedTextsMixin
from privacy.choices import ConsentPurpose

from ..choices import (
    ActivityKind,
    MessageChannel,
    Priority,
    ProspectGrade,
    Queue,
    ReturnVisitProblem,
    TicketStatus,
    TicketType,
)
from ..models import (
    Activity,
    ActivityRecipient,
    CommunicationLog,
    MessageTemplate,
    Prospect,
    ProspectGradeChange,
    ProspectVisit,
    ReturnVisit,
    Survey,
    Task,
    Ticket,
    TicketEvent,
)

User = get_user_model()


class TaskSerializer(GeneratedTextsMixin, serializers.ModelSerializer):
    """`title` reads in the requester's language (a generated title; `title_code`, `title_params` beside it)."""

    generated_texts = ("title",)
    client = ClientBriefSerializer(read_only=True)
    account_id = serializers.CharField(write_only=True, required=False)
    owner = serializers.SlugRelatedField(slug_field="username", queryset=User.objects.all(), required=False,
                                         allow_null=True)

    class Meta:
        model = Task
        fields = ["id", "client", "account_id", "prospect", "kind", "title", "title_code", "title_params", "owner",
                  "branch", "due_on", "status", "outcome", "source", "done_at", "created_at"]
        read_only_fields = ["id", "client", "prospect", "branch", "status", "outcome", "done_at", "created_at",
                            "title_code", "title_params"]


class TaskCompleteSerializer(serializers.Serializer):
    outcome = serializers.CharField()
    status = serializers.ChoiceField(choices=["done", "cancelled"], default="done")


class TicketEventSerializer(GeneratedTextsMixin, serializers.ModelSerializer):
    generated_texts = ("text",)
    by = serializers.CharField(source="by.username", default=None, read_only=True)

    class Meta:
        model = TicketEvent
        fields = ["id", "at", "by", "kind", "from_status", "to_status", "text", "text_code", "text_params"]


class TicketSerializer(serializers.ModelSerializer):
    client = ClientBriefSerializer(read_only=True)
    owner = serializers.CharField(source="owner.username", default=None, read_only=True)

    class Meta:
        model = Ticket
        fields = ["id", "client", "ticket_type", "channel", "priority", "subject", "description", "status", "queue",
                  "owner", "caller_phone", "deadline", "resolved_at", "satisfaction", "escalated_at", "created_at"]


class VisibleClientMixin:
    """The `client` field accepts only clients the requesting user may see."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["client"].queryset = Client.objects.visible_to(request.user)


class TicketOpenSerializer(VisibleClientMixin, serializers.Serializer):
    client = serializers.PrimaryKeyRelatedField(queryset=Client.objects.all(), required=False, allow_null=True)
    ticket_type = serializers.ChoiceField(choices=TicketType.choices)
    channel = serializers.ChoiceField(choices=ContactChannel.choices)
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.NORMAL)
    subject = serializers.CharField(max_length=255)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    caller_phone = serializers.CharField(required=False, allow_blank=True, default="")
    queue = serializers.ChoiceField(choices=Queue.choices, required=False, allow_null=True, default=None)


class TicketTransitionSerializer(serializers.Serializer):
    to_status = serializers.ChoiceField(choices=TicketStatus.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class TicketCommentSerializer(serializers.Serializer):
    text = serializers.CharField()
    reply = serializers.BooleanField(default=False)


class TicketAssignSerializer(serializers.Serializer):
    owner = serializers.SlugRelatedField(slug_field="username", queryset=User.objects.filter(is_active=True),
                                         allow_null=True, required=False)
    queue = serializers.ChoiceField(choices=Queue.choices, required=False)
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class SatisfactionSerializer(serializers.Serializer):
    score = serializers.IntegerField()


class ProspectVisitSerializer(serializers.ModelSerializer):
    by = serializers.CharField(source="by.username", default=None, read_only=True)

    class Meta:
        model = ProspectVisit
        fields = ["id", "at", "place", "said", "impression", "failure_reason", "service_given", "assessment", "by"]
        read_only_fields = ["id", "by"]


class GradeChangeSerializer(GeneratedTextsMixin, serializers.ModelSerializer):
    generated_texts = ("reason",)

    class Meta:
        model = ProspectGradeChange
        fields = ["at", "from_grade", "to_grade", "reason", "reason_code", "reason_params"]


class ProspectSerializer(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.username", default=None, read_only=True)
    client = ClientBriefSerializer(read_only=True)
    grade_history = GradeChangeSerializer(source="grade_changes", many=True, read_only=True)

    class Meta:
        model = Prospect
        fields = ["id", "name", "phone", "email", "grade", "source", "owner", "branch", "referrer",
                  "intermediary_code", "notes", "client", "converted_at", "grade_history", "created_at"]
        read_only_fields = ["id", "owner", "branch", "client", "converted_at", "grade_history", "created_at"]


class ProspectGradeSerializer(serializers.Serializer):
    grade = serializers.ChoiceField(choices=ProspectGrade.choices)
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class ProspectConvertSerializer(serializers.Serializer):
    account_id = serializers.CharField()


class ActivitySerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=ActivityKind.choices)
    products = serializers.PrimaryKeyRelatedField(queryset=Product.objects.all(), many=True, required=False,
                                                  help_text="Promoted products (ids): invitations respect suitability.")

    class Meta:
        model = Activity
        fields = ["id", "kind", "title", "held_on", "place", "cost", "description", "target_filters", "products"]
        read_only_fields = ["id", "target_filters"]


class ProspectBriefSerializer(serializers.ModelSerializer):
    """A prospect recipient: who it is and the account it opened, if any (the client's id)."""

    class Meta:
        model = Prospect
        fields = ["id", "name", "grade", "client"]


class RecipientSerializer(GeneratedTextsMixin, serializers.ModelSerializer):
    """A client recipient (`client` set, `prospect` null) or a prospect recipient (the other way round)."""

    client = ClientBriefSerializer(read_only=True, allow_null=True)
    prospect = ProspectBriefSerializer(read_only=True, allow_null=True)
    generated_texts = ("refusal",)

    class Meta:
        model = ActivityRecipient
        fields = ["id", "client", "prospect", "status", "response", "refusal", "refusal_code", "refusal_params",
                  "updated_at"]


class ResultCountsSerializer(serializers.Serializer):
    """One activity's counts among clients, or among prospects."""

    invited = serializers.IntegerField()
    responded = serializers.IntegerField()
    attended = serializers.IntegerField()
    converted = serializers.IntegerField()


class ActivityResultSerializer(serializers.Serializer):
    """An activity's results among the caller's clients (service.activity_results): money and the rate as decimal
    strings; `cost_per_conversion` and `conversion_rate` are null when there is nothing to divide by."""

    id = serializers.IntegerField(source="activity.pk")
    kind = serializers.CharField(source="activity.kind")
    title = serializers.CharField(source="activity.title")
    held_on = serializers.DateField(source="activity.held_on")
    invited = serializers.IntegerField()
    responded = serializers.IntegerField()
    attended = serializers.IntegerField()
    converted = serializers.IntegerField()
    clients = ResultCountsSerializer(help_text="The counts among client recipients (converted: traded again).")
    prospects = ResultCountsSerializer(help_text="The counts among prospect recipients (converted: opened an "
                                                 "account within N days of the activity).")
    conversion_rate = serializers.DecimalField(max_digits=7, decimal_places=4, allow_null=True,
                                               help_text="Converted ÷ invited, a fraction (0.2500).")
    cost = serializers.DecimalField(max_digits=16, decimal_places=2,
                                    help_text="The activity's cost in proportion to the caller's invited clients.")
    cost_per_conversion = serializers.DecimalField(max_digits=16, decimal_places=2, allow_null=True,
                                                   help_text="The cost over the conversions of clients and "
                                                             "prospects together.")
    conversion_days = serializers.IntegerField(help_text="N: a conversion is a trade within N days of the activity "
                                                         "by a client who had not traded in the N days before.")


class InviteSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=MessageChannel.choices, required=False, allow_blank=True)
    template = serializers.PrimaryKeyRelatedField(queryset=MessageTemplate.objects.all(), required=False,
                                                  allow_null=True)


class SurveySerializer(VisibleClientMixin, serializers.ModelSerializer):
    client = serializers.PrimaryKeyRelatedField(queryset=Client.objects.all())

    class Meta:
        model = Survey
        fields = ["id", "client", "answered_on", "satisfaction", "trades_elsewhere", "suggestion", "comments",
                  "activity"]
        read_only_fields = ["id"]
        extra_kwargs = {"answered_on": {"required": False}}


class CommunicationSerializer(serializers.ModelSerializer):
    client = ClientBriefSerializer(read_only=True)
    template = serializers.SlugRelatedField(slug_field="code", read_only=True)
    by = serializers.CharField(source="by.username", default=None, read_only=True)

    class Meta:
        model = CommunicationLog
        fields = ["id", "client", "channel", "template", "subject", "body", "sent_at", "by", "result", "detail",
                  "occasion"]




class MessageSendSerializer(VisibleClientMixin, serializers.Serializer):
    client = serializers.PrimaryKeyRelatedField(queryset=Client.objects.all())
    channel = serializers.ChoiceField(choices=MessageChannel.choices)
    purpose = serializers.ChoiceField(choices=ConsentPurpose.choices, default=ConsentPurpose.SERVICE)
    template = serializers.SlugRelatedField(slug_field="code", queryset=MessageTemplate.objects.all(), required=False,
                                            allow_null=True, default=None)
    subject = serializers.CharField(required=False, allow_blank=True, default="")
    body = serializers.CharField(required=False, allow_blank=True, default="")
    product = serializers.PrimaryKeyRelatedField(queryset=Product.objects.all(), required=False, allow_null=True,
                                                 default=None, help_text="The product it promotes (suitability).")


class LinkClientSerializer(serializers.Serializer):
    account_id = serializers.CharField()


class ReturnVisitSerializer(serializers.ModelSerializer):
    """A return visit (回访) with its reason, due date and, once done, what the call found."""

    client = ClientBriefSerializer(read_only=True)
    done_by = serializers.CharField(source="done_by.username", default=None, read_only=True)

    class Meta:
        model = ReturnVisit
        fields = ["id", "client", "reason", "status", "due_on", "task", "ticket", "done_at", "done_by", "channel",
                  "questions", "answers", "problems", "notes", "compliance_ticket"]
        read_only_fields = fields


class ReturnVisitRecordSerializer(serializers.Serializer):
    """The outcome of a visit: the page's form, field for field (`return_visit_record` holds the rules)."""

    channel = serializers.ChoiceField(choices=ContactChannel.choices)
    questions = serializers.CharField()
    answers = serializers.CharField()
    problems = serializers.ListField(child=serializers.ChoiceField(choices=ReturnVisitProblem.choices),
                                     required=False, default=list)
    notes = serializers.CharField(required=False, allow_blank=True, default="")
