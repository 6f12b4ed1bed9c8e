from django.contrib import admin

from .models import NightlyRun, Policy, SegmentOverride, SegmentTransition


@admin.register(NightlyRun)
class NightlyRunAdmin(admin.ModelAdmin):
    list_display = ["id", "trade_date", "status", "policy_version", "mode", "started_at", "finished_at"]
    list_filter = ["status"]
    readonly_fields = [f.name for f in NightlyRun._meta.fields]


@admin.register(Policy)
class PolicyAdmin(admin.ModelAdmin):
    """Read-only here: a new version is made on the policy page, never by editing an old one."""

    list_display = ["version", "note", "created_by", "created_at"]
    readonly_fields = ["version", "params", "note", "created_by", "created_at"]

    def has_add_permission(self, request):
        return False


@admin.register(SegmentTransition)
class SegmentTransitionAdmin(admin.ModelAdmin):
    list_display = ["client", "axis", "from_value", "to_value", "on_date", "source", "by"]
    list_filter = ["axis", "source"]
    raw_id_fields = ["client", "by"]


@admin.register(SegmentOverride)
class SegmentOverrideAdmin(admin.ModelAdmin):
    list_display = ["client", "axis", "value", "expires_on", "by", "removed_at"]
    raw_id_fields = ["client", "by", "removed_by"]
