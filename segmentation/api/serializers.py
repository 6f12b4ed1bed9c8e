"""Segmentation API shapes."""

from rest_framework import serializers

from ..models import NightlyRun, SegmentTransition


class SegmentTransitionSerializer(serializers.ModelSerializer):
    by = serializers.CharField(source="by.username", default=None, read_only=True)

    class Meta:
        model = SegmentTransition
        fields = ["id", "axis", "from_value", "to_value", "on_date", "source", "by", "reason", "policy_version"]


class NightlyRunSerializer(serializers.ModelSerializer):
    triggered_by = serializers.CharField(source="triggered_by.username", default=None, read_only=True)
    duration = serializers.FloatField(read_only=True, allow_null=True)

    class Meta:
        model = NightlyRun
        fields = ["id", "trade_date", "policy_version", "status", "mode", "steps", "error", "started_at",
                  "finished_at", "duration", "triggered_by"]


class RunStartSerializer(serializers.Serializer):
    trade_date = serializers.DateField(required=False, allow_null=True)


class RunStartedSerializer(serializers.Serializer):
    started = serializers.BooleanField()
    run = serializers.IntegerField(help_text="The id of the run opened; its steps are queued.")
    trade_date = serializers.DateField()
    url = serializers.URLField()


class RunRefusedSerializer(serializers.Serializer):
    detail = serializers.CharField()
    run = serializers.IntegerField(allow_null=True, help_text="The run that holds the engine, when known.")
    trade_date = serializers.DateField(allow_null=True)
