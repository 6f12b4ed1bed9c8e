"""Base views: role checks, row-level scoping and the one filtered list page shared by every app."""

from pathlib import PurePath

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect
from django.utils.functional import cached_property
from django.views.generic import TemplateView
from django_filters.views import FilterView

from .exports import EXPORT_FORMATS, export_response
from .roles import API_ONLY_ROLES, Role, user_role


class StaffRequiredMixin(LoginRequiredMixin):
    """Logged-in staff with a role; `allowed_roles` (None: every page role) narrows it."""

    allowed_roles = None

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        role = user_role(request.user)
        if role is None or role in API_ONLY_ROLES:
            raise PermissionDenied
        if self.allowed_roles is not None and role not in self.allowed_roles:
            raise PermissionDenied
        self.role = role
        return super().dispatch(request, *args, **kwargs)


class ScopedQuerysetMixin(StaffRequiredMixin):
    """List/detail views: the model's `visible_to(user)` is applied before anything else."""

    def get_queryset(self):
        return super().get_queryset().visible_to(self.request.user)


class CappedCountPaginator(Paginator):
    """Counts the rows up to `cap` and no further: past it, the page says "more than" (`capped`).

    Counting a million clients took longer than showing a page of them; past ten thousand rows nobody reads the
    number, they narrow the search (and the export still holds every row).
    """

    cap = 10_000
    capped = False

    @cached_property
    def count(self) -> int:
        # Without the list's order (kept, it walks the sort index through rows of other scopes) and columns.
        counted = self.object_list.order_by().values("pk")[: self.cap + 1].count()
        self.capped = counted > self.cap
        return min(counted, self.cap)


class FilteredListView(ScopedQuerysetMixin, FilterView):
    """The list page of every app: the rows the user may see, narrowed by the app's FilterSet, paginated,
    sortable by the FilterSet's `ordering`, and `?export=csv` or `?export=xlsx` exports exactly the filtered rows.

    A subclass names its `filterset_class` and either a `queryset` (scoped here with `visible_to(user)`) or
    its own `get_queryset` (a selector that scopes). `export_columns`, (header, function of the row) pairs,
    turn the CSV and XLSX exports on, under `export_name` (its extension follows the format). The context
    adds `query_string` (the filters without the page, for paging and export links) and `sort_links` (per
    `ordering` value: its URL and arrow).
    """

    template_name = "generic/list.html"
    paginate_by = 50
    # Lists that may hold a firm's million rows count at most this many (CappedCountPaginator); None: all.
    count_cap: int | None = None
    export_name = "export.csv"
    export_columns = ()
    # Dashboard figures this list explains (`?figure=code`): code → label, "%(name)s" standing for the display
    # value of the filter `name` the link set ("Open tasks of %(owner)s").
    figures: dict = {}

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        params = self.request.GET.copy()
        params.pop("page", None)
        ctx["query_string"] = params.urlencode()
        ctx["sort_links"] = self.sort_links(params)
        paginator = ctx.get("paginator")
        # A figure opened from a dashboard is compared with the list's count: that one is exact.
        count = paginator and (paginator.object_list.count() if getattr(paginator, "capped", False)
                               else paginator.count)
        ctx["figure"] = self.figure(count) if paginator else None
        return ctx

    def get_paginator(self, queryset, per_page, **kwargs):
        if not self.count_cap:
            return super().get_paginator(queryset, per_page, **kwargs)
        paginator = CappedCountPaginator(queryset, per_page, **kwargs)
        paginator.cap = self.count_cap
        return paginator

    def figure_labels(self) -> dict:
        return self.figures

    def figure(self, count: int) -> dict | None:
        """Opened from a dashboard: the figure this list explains and its count, the rows listed (so the number
        clicked and the list agree, or the difference shows)."""
        label = self.figure_labels().get(self.request.GET.get("figure", ""))
        form = self.filterset.form
        if label is None or not form.is_valid():
            return None
        try:
            return {"label": str(label) % filter_display_values(form), "count": count}
        except (KeyError, TypeError, ValueError):
            return None  # a link that lacks the filter its label names explains nothing

    def sort_links(self, params) -> dict:
        """Each sort of the FilterSet's `ordering`: a link sorting by it (the other way when it is current)."""
        ordering = self.filterset.filters.get("ordering")
        if ordering is None:
            return {}
        current = params.get("ordering", "")
        params = params.copy()
        links = {}
        for name in ordering.param_map:
            params["ordering"] = f"-{name}" if current == name else name
            links[name] = {"url": "?" + params.urlencode(),
                           "arrow": "▲" if current == name else "▼" if current == f"-{name}" else ""}
        return links

    def render_to_response(self, context, **kwargs):
        fmt = self.request.GET.get("export")
        if self.export_columns and fmt in EXPORT_FORMATS:
            return self.export(self.object_list, fmt)
        return super().render_to_response(context, **kwargs)

    def export(self, queryset, fmt="csv"):
        """The filtered rows (all of them, not the page) as CSV or XLSX, one column per `export_columns` entry."""
        rows = queryset.iterator(chunk_size=2000)
        return export_response(fmt, PurePath(self.export_name).stem,
                               [str(header) for header, _value in self.export_columns],
                               ([value(row) for _header, value in self.export_columns] for row in rows))


def filter_display_values(form) -> dict:
    """The filters a bound filter form holds, as a reader would name them: a choice by its label, a person
    as "姓名 (工号)", anything else as itself."""
    from . import people

    values = {}
    for name, value in form.cleaned_data.items():
        if value in (None, ""):
            continue
        field = form.fields[name]
        if hasattr(value, "pk"):
            values[name] = people.label(value) if hasattr(value, "staff_profile") else str(value)
        elif getattr(field, "choices", None):
            values[name] = dict(field.choices).get(value, value)
        else:
            values[name] = value
    return values


# Where each role starts its day: the page made for its work (the firm's or the branch's figures come from the
# dashboard, which scopes itself by role).
LANDING_PAGES = {
    Role.ADMIN: "segmentation:dashboard",
    Role.HEAD_OFFICE: "segmentation:dashboard",
    Role.BRANCH_MANAGER: "segmentation:dashboard",
    Role.ACCOUNT_MANAGER: "service:my_day",
    Role.SERVICE_AGENT: "service:lookup",
    Role.COMPLIANCE: "referrals:compliance",
    Role.MARKETING: "service:activities",
}


class HomeView(StaffRequiredMixin, TemplateView):
    def get(self, request, *args, **kwargs):
        return redirect(LANDING_PAGES.get(self.role, "service:my_day"))
