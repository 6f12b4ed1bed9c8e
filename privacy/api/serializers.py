from rest_framework import serializers

from ..models import ConsentRecord


class ConsentSerializer(serializers.ModelSerializer):
    """One consent record; POST appends one (the service checks the role, the scope and the rules)."""

    recorded_by = serializers.CharField(source="recorded_by.username", read_only=True, default=None)
    at = serializers.DateTimeField(required=False, allow_null=True, default=None)

    class Meta:
        model = ConsentRecord
        fields = ["id", "channel", "purpose", "given", "at", "how", "evidence", "recorded_by", "recorded_at"]
        read_only_fields = ["id", "recorded_by", "recorded_at"]
