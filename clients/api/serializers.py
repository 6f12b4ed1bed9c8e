"""Client API shapes. `segments`, `churn`, `lifetime_value` and `loyalty` are always present."""

from django.contrib.auth import get_user_model
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from futures_crm import people

from ..choices import CHURN_REASON_KIND, ChurnKind
from ..identity import mask_id_number, mask_phone
from ..models import Branch, Client, ContactLog, StaffProfile
from ..selectors import sees_personal_data


class BranchSerializer(serializers.ModelSerializer):
    class Meta:
        model = Branch
        fields = ["id", "code", "name", "city"]


class ClientBriefSerializer(serializers.ModelSerializer):
    """A client as other records show it."""

    class Meta:
        model = Client
        fields = ["id", "account_id", "name"]


class StaffSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    user_id = serializers.IntegerField(source="user.id", read_only=True)
    branch = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = StaffProfile
        fields = ["user_id", "username", "employee_code", "display_name", "branch", "role", "is_active"]


class SegmentsSerializer(serializers.Serializer):
    purpose = serializers.CharField()
    fund_size = serializers.CharField()
    volume = serializers.CharField()
    tenure = serializers.CharField()


class ChurnSerializer(serializers.Serializer):
    score = serializers.IntegerField(source="churn_score")
    signals = serializers.ListField(child=serializers.CharField(), source="churn_signals")
    churned = serializers.BooleanField()


class LoyaltySerializer(serializers.Serializer):
    points = serializers.IntegerField(source="loyalty_points")
    loyal = serializers.BooleanField()


@extend_schema_field(OpenApiTypes.STR)
class EmployeeCodeField(serializers.SlugRelatedField):
    """A staff member by employee code (the back-office's `manager_code`).

    A user without a staff profile (a superuser made with `createsuperuser`) has no code: null, never an error.
    """

    def to_representation(self, obj):
        return people.employee_code(obj) or None


class ClientSerializer(serializers.ModelSerializer):
    branch = serializers.SlugRelatedField(slug_field="code", queryset=Branch.objects.all())
    account_manager = EmployeeCodeField(
        slug_field="staff_profile__employee_code",
        queryset=get_user_model().objects.filter(staff_profile__isnull=False),
        allow_null=True, required=False,
    )
    id_number = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=64)
    id_number_masked = serializers.SerializerMethodField()
    segments = serializers.SerializerMethodField()
    churn = serializers.SerializerMethodField()
    lifetime_value = serializers.SerializerMethodField()
    loyalty = serializers.SerializerMethodField()
    # The seed's taxonomy: inevitable or accidental, from the reason a person recorded (null while none is).
    churn_kind = serializers.SerializerMethodField()

    class Meta:
        model = Client
        fields = [
            "id", "account_id", "name", "client_type", "status", "branch", "account_manager", "profile_complete",
            "id_type", "id_number", "id_number_masked", "birthday", "gender", "phone", "phone_alt", "email",
            "province", "city", "address", "occupation", "industry", "spot_products", "open_date", "close_date",
            "churn_reason", "churn_kind", "channel", "intermediary_code", "investor_class", "risk_level", "tags",
            "is_key", "key_proposed_at",
            "consent_phone", "consent_sms", "consent_email", "consent_wechat",
            "segments", "churn", "lifetime_value", "loyalty",
        ]
        # Branch, manager, status, key mark, investor class and risk level stay writable so that a change the
        # caller may not make is refused by the service with its reason, not silently ignored.
        # The consent flags cache the newest service consent per channel: consent is recorded as a record
        # (POST /api/clients/{id}/consents/), never by editing the client.
        read_only_fields = ["id", "profile_complete", "key_proposed_at", "consent_phone", "consent_sms",
                            "consent_email", "consent_wechat"]

    def _segment(self, obj):
        return getattr(obj, "segment", None)

    # The nested shapes are built as plain dicts (the serializers above describe them in the schema): a
    # serializer per row and shape, with its fields deep-copied, was a third of a 50-row page's time.

    @extend_schema_field(serializers.ChoiceField(choices=ChurnKind.choices, allow_null=True))
    def get_churn_kind(self, obj):
        return CHURN_REASON_KIND.get(obj.churn_reason)

    def get_id_number_masked(self, obj) -> str:
        return mask_id_number(obj.id_number)

    @extend_schema_field(SegmentsSerializer(allow_null=True))
    def get_segments(self, obj):
        seg = self._segment(obj)
        return {"purpose": seg.purpose, "fund_size": seg.fund_size, "volume": seg.volume,
                "tenure": seg.tenure} if seg else None

    @extend_schema_field(ChurnSerializer(allow_null=True))
    def get_churn(self, obj):
        seg = self._segment(obj)
        return {"score": seg.churn_score, "signals": [str(s) for s in seg.churn_signals],
                "churned": seg.churned} if seg else None

    @extend_schema_field(serializers.DecimalField(max_digits=18, decimal_places=2, allow_null=True))
    def get_lifetime_value(self, obj):
        seg = self._segment(obj)
        return str(seg.lifetime_value) if seg and seg.lifetime_value is not None else None

    @extend_schema_field(LoyaltySerializer(allow_null=True))
    def get_loyalty(self, obj):
        seg = self._segment(obj)
        return {"points": seg.loyalty_points, "loyal": seg.loyal} if seg else None

    def _sees_personal_data(self) -> bool:
        """Asked once per answer (a list's rows share one child serializer)."""
        if not hasattr(self, "_personal"):
            request = self.context.get("request")
            self._personal = request is None or sees_personal_data(request.user)
        return self._personal

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not self._sees_personal_data():
            for key in ("birthday", "email", "address", "phone_alt"):
                data[key] = None if key == "birthday" else ""
            data["phone"] = mask_phone(instance.phone)
        return data


class KeyProposalSerializer(serializers.Serializer):
    """Propose a key client (`decision` "propose"), or decide a waiting proposal ("confirm" or "decline")."""

    decision = serializers.ChoiceField(choices=["propose", "confirm", "decline"])
    note = serializers.CharField(required=False, allow_blank=True, max_length=255, default="")


class ContactLogSerializer(serializers.ModelSerializer):
    by = serializers.CharField(source="by.username", read_only=True, default=None)

    class Meta:
        model = ContactLog
        fields = ["id", "contacted_at", "channel", "place", "summary", "impression", "next_step", "by"]
        read_only_fields = ["id", "by"]
