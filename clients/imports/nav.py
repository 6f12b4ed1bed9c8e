"""Navigation entries of the import pages (added from ClientsConfig.ready)."""

from django.utils.translation import gettext_lazy as _

from futures_crm.context_processors import ALL_PAGE_ROLES, NavItem, register_nav

from .formats import IMPORT_PAGE_ROLES


def register() -> None:
    register_nav(
        NavItem("clients:alert_list", _("Alerts"), ALL_PAGE_ROLES, "clients", ("clients:alert_*",)),
        NavItem("clients:import_list", _("Imports"), IMPORT_PAGE_ROLES, "admin",
                ("clients:import_*", "clients:quarantine_*")),
    )
