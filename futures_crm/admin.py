"""The audit trail in the admin: readable by administrators, never editable."""

from django.contrib import admin

from .models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["at", "actor", "action", "object_type", "object_id", "client"]
    list_filter = ["action", "object_type"]
    search_fields = ["object_id", "client__account_id", "actor__username"]
    date_hierarchy = "at"
    list_select_related = ["actor", "client"]
    raw_id_fields = ["client", "actor"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
