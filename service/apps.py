from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceConfig(AppConfig):
    default_auto_field = 'django.db.models.BigAutoField'
    name = 'service'
    verbose_name = _("Service desk")

    def ready(self):
        from clients.panels import Panel, register
        from futures_crm.context_processors import NavItem, register_nav
        from futures_crm.roles import SUITABILITY_WORKLIST_ROLES

        from . import roles, selectors, texts  # noqa: F401 - texts registers its codes

        register(Panel(key="service", template="service/client_panel.html",
                       context="service.selectors.client_panel",
                       order=50, roles=frozenset(roles.PAGE_ROLES)))
        register_nav(
            NavItem("service:my_day", _("My day"), roles.PAGE_ROLES, "service"),
            NavItem("service:lookup", _("Caller lookup"), roles.PAGE_ROLES, "service", ("lookup",)),
            NavItem("service:tickets", _("Tickets"), roles.PAGE_ROLES, "service",
                    ("service:ticket_*", "service:deadlines")),
            NavItem("service:tasks", _("Tasks"), roles.PAGE_ROLES, "service", ("service:task_*",)),
            NavItem("service:surveys", _("Surveys"), roles.PAGE_ROLES, "service", ("service:survey_*",)),
            NavItem("service:return_visits", _("Return visits"), roles.PAGE_ROLES, "service",
                    ("service:return_visit_*",)),
            NavItem("service:care", _("Client care"), roles.PAGE_ROLES, "service", ("service:message_*",)),
            NavItem("service:prospects", _("Prospects"), roles.PAGE_ROLES, "clients", ("service:prospect_*",)),
            NavItem("service:activities", _("Activities"), roles.PAGE_ROLES, "relationships",
                    ("service:activity_*",)),
            NavItem("service:campaign_results", _("Activity results"), roles.ANALYSIS_ROLES, "analysis",
                    ("service:campaign_recipients",)),
            NavItem("service:suitability_worklist", _("Suitability worklist"), SUITABILITY_WORKLIST_ROLES, "clients",
                    ("service:suitability_*", "clients:suitability_alert_*")),
        )
