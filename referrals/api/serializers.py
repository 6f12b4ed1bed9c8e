"""Relationship API shapes: explicit fields, brief nested clients and staff."""

from django.contrib.auth import get_user_model
from rest_framework import serializers

from clients.api.serializers import EmployeeCodeField
from clients.models import Client

from ..choices import HandoverStrategy, ReferralStatus
from ..models import (
    ClubMembership,
    Handover,
    Intermediary,
    IntermediaryLink,
    IntermediaryRelative,
    IntermediaryTraining,
    ManagerAssignment,
    RebateLine,
    RebateStatement,
    Referral,
    ReferralReward,
)

EMPLOYEE = "staff_profile__employee_code"


class ScopedClientField(serializers.SlugRelatedField):
    """A client by fund account, looked up only among those the caller may see (unseen = invalid)."""

    def __init__(self, **kwargs):
        super().__init__(slug_field="account_id", queryset=Client.objects.all(), **kwargs)

    def get_queryset(self):
        return Client.objects.visible_to(self.context["request"].user)


def staff_field(**kwargs):
    return EmployeeCodeField(
        slug_field=EMPLOYEE, queryset=get_user_model().objects.filter(staff_profile__isnull=False), **kwargs)


class IntermediarySerializer(serializers.ModelSerializer):
    branch = serializers.SlugRelatedField(slug_field="code", read_only=True)
    # Written whole, read masked: the full number only through the audited reveal-id action.
    id_number = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=64)
    id_number_masked = serializers.CharField(read_only=True)

    class Meta:
        model = Intermediary
        fields = ["id", "code", "name", "kind", "status", "id_number", "id_number_masked", "phone",
                  "qualification_certificate", "association_registration", "contract_start", "contract_end",
                  "exclusive", "rebate_rate", "exchange_rebate_share", "branch", "left_on"]
        read_only_fields = ["left_on"]


class RevealedIdSerializer(serializers.Serializer):
    id_number = serializers.CharField(read_only=True)


class TrainingSerializer(serializers.ModelSerializer):
    class Meta:
        model = IntermediaryTraining
        fields = ["trained_on", "hours", "topic"]


class RelativeSerializer(serializers.ModelSerializer):
    id_number = serializers.CharField(write_only=True)
    id_last4 = serializers.SerializerMethodField()

    class Meta:
        model = IntermediaryRelative
        fields = ["name", "relation", "id_number", "id_last4"]

    def get_id_last4(self, obj) -> str:
        return obj.id_number[-4:]


class LinkSerializer(serializers.ModelSerializer):
    client = ScopedClientField()
    intermediary = serializers.SlugRelatedField(slug_field="code", queryset=Intermediary.objects.all())
    reason = serializers.CharField(required=False, allow_blank=True, max_length=255)

    class Meta:
        model = IntermediaryLink
        fields = ["id", "client", "intermediary", "valid_from", "valid_to", "source", "reason"]
        read_only_fields = ["valid_to", "source"]


class AssignmentSerializer(serializers.ModelSerializer):
    client = ScopedClientField()
    from_manager = EmployeeCodeField(slug_field=EMPLOYEE, read_only=True, allow_null=True)
    to_manager = staff_field(allow_null=True)
    by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = ManagerAssignment
        fields = ["id", "client", "from_manager", "to_manager", "at", "by", "reason", "kind"]
        read_only_fields = ["at", "kind"]


class RebateLineSerializer(serializers.ModelSerializer):
    client = serializers.SlugRelatedField(slug_field="account_id", read_only=True)

    class Meta:
        model = RebateLine
        fields = ["client", "trading_days", "commission", "exchange_fee", "net_commission", "commission_rebate",
                  "exchange_rebate", "total"]


class RebateStatementSerializer(serializers.ModelSerializer):
    intermediary = serializers.SlugRelatedField(slug_field="code", read_only=True)
    lines = RebateLineSerializer(many=True, read_only=True)

    class Meta:
        model = RebateStatement
        fields = ["id", "intermediary", "month", "status", "rebate_rate", "exchange_rebate_share",
                  "exchange_refund_rate", "commission", "exchange_fee", "net_commission", "commission_rebate",
                  "exchange_rebate", "total", "confirmed_at", "lines"]


class ReferralSerializer(serializers.ModelSerializer):
    referrer_client = ScopedClientField(required=False, allow_null=True)
    referrer_staff = EmployeeCodeField(slug_field=EMPLOYEE, read_only=True, allow_null=True)
    referred_client = ScopedClientField(required=False, allow_null=True)
    prospect_name = serializers.CharField(required=False, allow_blank=True, max_length=128)

    class Meta:
        model = Referral
        fields = ["id", "referrer_client", "referrer_staff", "referred_client", "prospect_name", "prospect_phone",
                  "status", "referred_on", "contacted_on", "opened_on", "funded_on", "note"]
        read_only_fields = ["status", "contacted_on", "opened_on", "funded_on"]


class AdvanceSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=ReferralStatus.choices)
    on = serializers.DateField()
    referred_client = ScopedClientField(required=False, allow_null=True)


class MembershipSerializer(serializers.ModelSerializer):
    client = ScopedClientField()

    class Meta:
        model = ClubMembership
        fields = ["id", "client", "level", "joined_on", "status"]
        extra_kwargs = {"joined_on": {"required": False}}


class WorkloadRowSerializer(serializers.Serializer):
    employee_code = serializers.CharField(source="manager.staff_profile.employee_code")
    branch = serializers.CharField(source="branch.code", allow_null=True, default=None)
    clients = serializers.IntegerField()
    equity = serializers.DecimalField(max_digits=20, decimal_places=2)
    net_commission_20d = serializers.DecimalField(max_digits=20, decimal_places=2, source="net_commission")
    open_tasks = serializers.IntegerField()


class OrphanSerializer(serializers.ModelSerializer):
    branch = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Client
        fields = ["id", "account_id", "name", "branch"]


class HandoverSerializer(serializers.ModelSerializer):
    leaving_manager = EmployeeCodeField(slug_field=EMPLOYEE, read_only=True)
    by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Handover
        fields = ["id", "leaving_manager", "strategy", "by", "reason", "client_count", "notified", "created_at"]


class HandoverRequestSerializer(serializers.Serializer):
    """Preview (`confirm` false) or carry out a handover; `manual` maps fund account → successor code."""

    leaving_manager = staff_field()
    successors = staff_field(many=True)
    strategy = serializers.ChoiceField(choices=HandoverStrategy.choices)
    manual = serializers.DictField(child=serializers.CharField(), required=False)
    reason = serializers.CharField(required=False, allow_blank=True)
    notify = serializers.BooleanField(default=False)
    confirm = serializers.BooleanField(default=False)


class StatementDraftSerializer(serializers.Serializer):
    intermediary = serializers.SlugRelatedField(slug_field="code", queryset=Intermediary.objects.all())
    month = serializers.DateField(help_text="Any day of the month.")
    exchange_refund_rate = serializers.DecimalField(max_digits=5, decimal_places=4, default=0)


class RewardSerializer(serializers.ModelSerializer):
    approved_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = ReferralReward
        fields = ["what", "amount", "given_on", "approved_by"]


class LeaveSerializer(serializers.Serializer):
    left_on = serializers.DateField()
    reason = serializers.CharField()
    transfers = serializers.DictField(child=serializers.CharField(), required=False, default=dict,
                                      help_text='fund account → "manager:<employee code>" or "intermediary:<code>"')
