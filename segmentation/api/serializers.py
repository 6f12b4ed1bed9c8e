"""Segmentation API shapes."""

import datetime

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from ..models import IndicatorScope, NightlyRun, SegmentTransition
from ..selectors import INDICATOR_COUNTS, INDICATOR_MONEY, INDICATOR_RATIOS


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


INDICATOR_MAX_DAYS = 3 * 366  # a longer series is refused: three years of daily points at most


class IndicatorQuerySerializer(serializers.Serializer):
    """The query of /api/indicators/: which series, over which days (default: the last 365 days)."""

    scope = serializers.ChoiceField(choices=IndicatorScope.choices)
    code = serializers.CharField(required=False, allow_blank=True, max_length=64,
                                 help_text="Branch code, account manager's employee code or intermediary code; "
                                           "not used for the firm.")
    locals()["from"] = serializers.DateField(required=False, input_formats=["%Y-%m-%d"], help_text="YYYY-MM-DD")
    to = serializers.DateField(required=False, input_formats=["%Y-%m-%d"], help_text="YYYY-MM-DD (default: today)")

    def validate(self, attrs):
        if attrs["scope"] == IndicatorScope.FIRM:
            attrs["code"] = ""
        elif not attrs.get("code"):
            raise serializers.ValidationError({"code": [_("Required for this scope.")]})
        end = attrs.get("to") or timezone.localdate()
        start = attrs.get("from") or end - datetime.timedelta(days=365)
        if start > end:
            raise serializers.ValidationError({"from": [_("Must be on or before “to”.")]})
        if (end - start).days + 1 > INDICATOR_MAX_DAYS:
            raise serializers.ValidationError(
                {"from": [_("The range is too long: at most %(days)s days.") % {"days": INDICATOR_MAX_DAYS}]})
        attrs["from"], attrs["to"] = start, end
        return attrs


class IndicatorPointSerializer(serializers.Serializer):
    """One day of a series (the schema of the answer; money and ratios are decimal strings)."""

    date = serializers.DateField()
    segments = serializers.DictField(allow_null=True, help_text="Clients per value of each axis.")


for _name in INDICATOR_COUNTS:
    IndicatorPointSerializer._declared_fields[_name] = serializers.IntegerField(allow_null=True)
for _name in (*INDICATOR_MONEY, *INDICATOR_RATIOS, "contacts_per_client", "tickets_per_client", "tasks_per_client"):
    IndicatorPointSerializer._declared_fields[_name] = serializers.DecimalField(
        max_digits=20, decimal_places=4, allow_null=True, coerce_to_string=True)


class IndicatorSeriesSerializer(serializers.Serializer):
    scope = serializers.ChoiceField(choices=IndicatorScope.choices)
    code = serializers.CharField()
    locals()["from"] = serializers.DateField()
    to = serializers.DateField()
    series = IndicatorPointSerializer(many=True)


class ReportSubscriptionSerializer(serializers.Serializer):
    """One of the caller's scheduled reports (segmentation.reports): the dashboard's `scope` ("firm",
    "branch:<id>", "manager:<id>"), weekly or monthly, PDF or XLSX, in `language` (default: the request's)."""

    id = serializers.IntegerField(read_only=True)
    scope = serializers.CharField(max_length=32, help_text='"firm", "branch:<id>" or "manager:<id>".')
    scope_label = serializers.CharField(read_only=True, allow_null=True,
                                        help_text="The dashboard's name; null when the caller may no longer see it "
                                                  "(nothing is sent then).")
    frequency = serializers.CharField(max_length=16, help_text="weekly or monthly.")
    format = serializers.CharField(max_length=16, help_text="pdf or xlsx.")
    language = serializers.CharField(max_length=16, required=False)
    last_sent_on = serializers.DateField(read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)


class ReportSubscriptionChangeSerializer(serializers.Serializer):
    """What PATCH changes: the format and the language (the frequency and the dashboard are a new subscription)."""

    format = serializers.CharField(max_length=16, required=False)
    language = serializers.CharField(max_length=16, required=False)


class ReportSendSerializer(serializers.Serializer):
    """One report e-mailed: the period it covers (the week's Monday or the month's first day), when, to whom."""

    period_start = serializers.DateField()
    sent_at = serializers.DateTimeField()
    recipient = serializers.EmailField()
