"""Configuration data in the Django admin: branches, staff (user + profile on one page), roles' groups.

Clients themselves are edited on the staff pages, through the services that audit every change.
"""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from futures_crm.roles import PRODUCT_EDITOR_ROLES, user_role

from .forms import ProductForm
from .models import Branch, Product, StaffProfile
from .suitability import PRODUCT_EDIT_FIELDS, product_update


@admin.register(Branch)
class BranchAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "city", "is_complete"]
    list_filter = ["city", "is_complete"]
    search_fields = ["code", "name"]


@admin.register(StaffProfile)
class StaffProfileAdmin(admin.ModelAdmin):
    list_display = ["employee_code", "display_name", "branch", "role", "is_active"]
    list_filter = ["role", "is_active", "branch"]
    search_fields = ["employee_code", "display_name", "user__username"]
    list_select_related = ["branch", "user"]
    autocomplete_fields = ["user"]


class StaffProfileInline(admin.StackedInline):
    model = StaffProfile
    can_delete = False
    fk_name = "user"
    extra = 0


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class StaffUserAdmin(UserAdmin):
    """The auth user with its staff profile, so a new colleague is set up on one page."""

    inlines = [StaffProfileInline]
    list_display = ["username", "staff_name", "staff_role", "staff_branch", "is_active", "is_staff"]
    list_filter = ["staff_profile__role", "staff_profile__branch", "is_active", "is_staff"]
    list_select_related = ["staff_profile__branch"]

    @admin.display(description=StaffProfile._meta.get_field("display_name").verbose_name)
    def staff_name(self, user):
        return getattr(getattr(user, "staff_profile", None), "display_name", "")

    @admin.display(description=StaffProfile._meta.get_field("role").verbose_name)
    def staff_role(self, user):
        profile = getattr(user, "staff_profile", None)
        return profile.get_role_display() if profile else ""

    @admin.display(description=StaffProfile._meta.get_field("branch").verbose_name)
    def staff_branch(self, user):
        profile = getattr(user, "staff_profile", None)
        return profile.branch if profile else ""


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    """The product risk table; a change goes through `product_update` (compliance and administrators)."""

    list_display = ["exchange", "code", "name", "product_class", "risk_level", "min_funds"]
    list_filter = ["exchange", "product_class", "risk_level"]
    search_fields = ["code", "name"]
    readonly_fields = ["exchange", "code"]
    fields = ["exchange", "code", *PRODUCT_EDIT_FIELDS]
    form = ProductForm  # an empty threshold keeps its value, as on the product page

    def has_add_permission(self, request):
        return False  # the table is seeded by a migration; a new product arrives the same way

    def has_delete_permission(self, request, obj=None):
        return False  # alerts refer to products

    def has_change_permission(self, request, obj=None):
        return user_role(request.user) in PRODUCT_EDITOR_ROLES and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        product_update(product=obj, by=request.user, **{n: form.cleaned_data[n] for n in PRODUCT_EDIT_FIELDS})
