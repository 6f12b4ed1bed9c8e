"""Navigation entries of the import pages (added from ClientsConfig.ready)."""

from django.utils.translation import gettext_lazy as _

from futures_crm.context_processors import ALL_PAGE_ROLES, NAV_ITEMS

from .formats import IMPORT_PAGE_ROLES


def register() -> None:
    for entry in (("clients:alert_list", _("Alerts"), ALL_PAGE_ROLES),
                  ("clients:import_list", _("Imports"), IMPORT_PAGE_ROLES)):
        if entry[0] not in {e[0] for e in NAV_ITEMS}:
            NAV_ITEMS.append(entry)
