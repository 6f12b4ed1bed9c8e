"""Navigation entries the current user's role may use; apps add theirs to NAV_ITEMS."""

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from .roles import API_ONLY_ROLES, Role, user_role

ALL_PAGE_ROLES = set(Role) - API_ONLY_ROLES

# (url name, label, roles that see it). Apps append their own entries in AppConfig.ready().
NAV_ITEMS: list[tuple[str, str, set]] = [
    ("clients:list", _("Clients"), ALL_PAGE_ROLES),
]


def navigation(request):
    role = user_role(getattr(request, "user", None))
    items = []
    if role is not None:
        for url_name, label, roles in NAV_ITEMS:
            if role in roles:
                try:
                    items.append({"url": reverse(url_name), "label": label, "name": url_name})
                except NoReverseMatch:
                    continue
    return {"nav_items": items, "user_role": role}
