"""Navigation: the menus of entries the current user's role may use; apps add theirs with `register_nav`."""

from fnmatch import fnmatchcase
from functools import lru_cache
from typing import NamedTuple

from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.translation import pgettext_lazy

from .roles import API_ONLY_ROLES, Role, user_role

ALL_PAGE_ROLES = set(Role) - API_ONLY_ROLES

# The top bar's menus, in order. A menu with one entry for the user is a plain link.
NAV_GROUPS = {
    "clients": pgettext_lazy("main menu", "Clients"),
    "service": pgettext_lazy("main menu", "Service"),
    "relationships": pgettext_lazy("main menu", "Relationships"),
    "analysis": pgettext_lazy("main menu", "Analysis"),
    "admin": pgettext_lazy("main menu", "Administration"),
}


class NavItem(NamedTuple):
    url_name: str
    label: str
    roles: set
    group: str
    # URL names (shell patterns) of the pages that belong to this entry's section: its menu item is highlighted
    # there. Every page's URL name belongs to one section (tests/test_navigation.py checks it).
    section: tuple = ()

    def is_current(self, view_name: str) -> bool:
        return view_name == self.url_name or any(fnmatchcase(view_name, p) for p in self.section)


NAV_ITEMS: list[NavItem] = []


def register_nav(*items: NavItem) -> None:
    """Add entries to the menus (once each: AppConfig.ready() may run again in tests)."""
    known = {item.url_name for item in NAV_ITEMS}
    NAV_ITEMS.extend(item for item in items if item.url_name not in known)


register_nav(NavItem("clients:list", pgettext_lazy("main menu", "Clients"), ALL_PAGE_ROLES, "clients",
                     ("clients:create", "clients:detail", "clients:edit", "clients:contact_add",
                      "clients:suitability_add", "clients:eligibility_add", "clients:reveal_id", "clients:key_client",
                      "privacy:consent_new", "clients:history", "clients:statement")))


def nav_menus(role, view_name: str, is_staff: bool = False) -> list[dict]:
    """The menus a role sees, each with its entries (url, label, current) and whether it holds the current page.
    Staff users (`is_staff`) also get the Django admin site under Administration."""
    menus = {key: {"key": key, "label": label, "entries": [], "current": False} for key, label in NAV_GROUPS.items()}
    admin_site = NavItem("admin:index", pgettext_lazy("main menu", "Admin site"), {role}, "admin", ("admin:*",))
    for item in NAV_ITEMS + ([admin_site] if is_staff else []):
        if role not in item.roles:
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        current = item.is_current(view_name)
        menus[item.group]["entries"].append({"url": url, "label": item.label, "name": item.url_name,
                                             "current": current})
        menus[item.group]["current"] |= current
    return [menu for menu in menus.values() if menu["entries"]]


@lru_cache(maxsize=1024)
def _nav_menus_cached(role, view_name: str, is_staff: bool, prefix: str, urlconf, entries: int) -> tuple:
    """`nav_menus`, built once per role, page, URL prefix and number of registered entries (its labels stay
    lazy: translated when shown, in the reader's language)."""
    return tuple(nav_menus(role, view_name, is_staff))


def navigation(request):
    role = user_role(getattr(request, "user", None))
    match = getattr(request, "resolver_match", None)
    view_name = match.view_name if match else ""
    # The same for every request of a role on a page: reversing each entry's URL took a millisecond a page.
    menus = (_nav_menus_cached(role, view_name, request.user.is_staff, get_script_prefix(), get_urlconf(),
                               len(NAV_ITEMS)) if role is not None else ())
    return {"nav_menus": menus, "user_role": role}
