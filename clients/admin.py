from django.contrib import admin

from .models import Branch, StaffProfile


@admin.register(Branch)
class BranchAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "city", "is_complete"]
    search_fields = ["code", "name"]


@admin.register(StaffProfile)
class StaffProfileAdmin(admin.ModelAdmin):
    list_display = ["employee_code", "display_name", "branch", "role", "is_active"]
    list_filter = ["role", "is_active", "branch"]
    search_fields = ["employee_code", "display_name", "user__username"]
