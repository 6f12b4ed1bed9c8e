from django.contrib import admin

from .models import Activity, CarePlan, DeadlinePolicy, MessageTemplate, Prospect, Ticket


@admin.register(DeadlinePolicy)
class DeadlinePolicyAdmin(admin.ModelAdmin):
    list_display = ["ticket_type", "priority", "amount", "unit"]
    list_editable = ["amount", "unit"]
    list_filter = ["ticket_type"]


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "subject_zh", "subject_en"]
    search_fields = ["code", "name"]


@admin.register(CarePlan)
class CarePlanAdmin(admin.ModelAdmin):
    list_display = ["kind", "days_ahead", "channel", "template", "key_clients_only", "active"]
    list_editable = ["days_ahead", "channel", "template", "key_clients_only", "active"]


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    # Read-only here: status, routing and satisfaction change through the service pages (audited).
    list_display = ["id", "ticket_type", "status", "priority", "queue", "owner", "deadline"]
    list_filter = ["ticket_type", "status", "queue"]
    raw_id_fields = ["client", "owner", "opened_by"]

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Prospect)
class ProspectAdmin(admin.ModelAdmin):
    list_display = ["name", "grade", "source", "owner", "client"]
    list_filter = ["grade", "source"]
    raw_id_fields = ["referrer", "client", "owner"]


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    list_display = ["held_on", "kind", "title", "place", "cost"]
