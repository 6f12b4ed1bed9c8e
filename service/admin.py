"""Service configuration in the admin; records with business rules change through the services (audited).

Deadline policies are saved by `deadline_policy_set`; prospects and activities are read-only here (their
rules, such as an activity's cost not below zero, live in the services the pages and the API call).
"""

from django.contrib import admin

from . import services
from .models import Activity, CarePlan, DeadlinePolicy, MessageTemplate, Prospect, Ticket


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(DeadlinePolicy)
class DeadlinePolicyAdmin(admin.ModelAdmin):
    list_display = ["ticket_type", "priority", "amount", "unit"]
    list_editable = ["amount", "unit"]
    list_filter = ["ticket_type"]

    def get_readonly_fields(self, request, obj=None):
        # A policy is the deadline of one type and priority: editing it never moves it to another.
        return ["ticket_type", "priority"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        # Through the service, so the change is audited like the deadline page's.
        saved = services.deadline_policy_set(ticket_type=obj.ticket_type, priority=obj.priority, amount=obj.amount,
                                             unit=obj.unit, by=request.user)
        obj.pk = saved.pk


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
class ProspectAdmin(ReadOnlyAdmin):
    list_display = ["name", "grade", "source", "owner", "client"]
    list_filter = ["grade", "source"]
    raw_id_fields = ["referrer", "client", "owner"]


@admin.register(Activity)
class ActivityAdmin(ReadOnlyAdmin):
    list_display = ["held_on", "kind", "title", "place", "cost"]
