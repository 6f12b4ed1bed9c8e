from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceConfig(AppConfig):
    default_auto_field = 'django.db.models.BigAutoField'
    name = 'service'
    verbose_name = _("Service desk")

    def ready(self):
        from clients.panels import Panel, register
        from futures_crm.context_processors import NAV_ITEMS

        from . import roles, selectors, texts  # noqa: F401 - texts registers its codes

        register(Panel(key="service", template="service/client_panel.html", context=selectors.client_panel,
                       order=50, roles=frozenset(roles.PAGE_ROLES)))
        entries = [
            ("service:my_day", _("My day"), roles.PAGE_ROLES),
            ("service:lookup", _("Caller lookup"), roles.PAGE_ROLES),
            ("service:tickets", _("Tickets"), roles.PAGE_ROLES),
            ("service:tasks", _("Tasks"), roles.PAGE_ROLES),
            ("service:prospects", _("Prospects"), roles.PAGE_ROLES),
            ("service:activities", _("Activities"), roles.PAGE_ROLES),
            ("service:surveys", _("Surveys"), roles.PAGE_ROLES),
            ("service:care", _("Client care"), roles.PAGE_ROLES),
        ]
        known = {name for name, _label, _roles in NAV_ITEMS}
        NAV_ITEMS.extend(e for e in entries if e[0] not in known)
