"""Read-mostly admin views; changes go through the pages and services so that they are audited."""

from django.contrib import admin

from .models import Handover, Intermediary, IntermediaryLink, ManagerAssignment, RebateStatement, Referral


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Intermediary)
class IntermediaryAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "kind", "status", "contract_end", "rebate_rate"]
    list_filter = ["kind", "status"]
    search_fields = ["code", "name"]


@admin.register(IntermediaryLink)
class IntermediaryLinkAdmin(ReadOnlyAdmin):
    list_display = ["client", "intermediary", "valid_from", "valid_to", "source"]
    list_select_related = ["client", "intermediary"]


@admin.register(ManagerAssignment)
class ManagerAssignmentAdmin(ReadOnlyAdmin):
    list_display = ["client", "from_manager", "to_manager", "at", "by", "kind"]
    list_select_related = ["client", "from_manager", "to_manager", "by"]


admin.site.register([Handover, RebateStatement, Referral], ReadOnlyAdmin)
