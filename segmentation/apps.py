from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SegmentationConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "segmentation"
    verbose_name = _("Segmentation")

    def ready(self):
        from clients import list_filters
        from clients.panels import Panel, register
        from futures_crm.context_processors import NavItem, register_nav
        from futures_crm.roles import FIRM_WIDE_ROLES
        from referrals.access import REFERRAL_READERS
        from service.roles import PROSPECT_FUNNEL_ROLES, TICKET_DEADLINE_ROLES
        from service.selectors import register_my_day_section

        from . import churn_analysis, filtersets, scorecard, selectors, texts  # noqa: F401 - texts registers its codes

        register(Panel(key="segmentation", template="segmentation/panel.html",
                       context="segmentation.selectors.client_panel",
                       order=10))
        list_filters.register(list_filters.ListFilters(
            key="segmentation", filters=filtersets.client_list_filters(), sorts=filtersets.CLIENT_SORTS,
            key_clients=filtersets.key_clients(), figures=filtersets.FIGURES))
        list_filters.register(list_filters.ListFilters(
            key="churn", filters=churn_analysis.client_list_filters(), figures=churn_analysis.FIGURES))
        list_filters.register(list_filters.ListFilters(key="scorecard", figures=scorecard.CLIENT_FIGURES))
        register_my_day_section("churn", selectors.high_churn_clients)
        register_nav(
            NavItem("segmentation:dashboard", _("Segments"), selectors.DASHBOARD_ROLES, "analysis",
                    ("segmentation:policy", "segmentation:override*")),
            NavItem("segmentation:scorecard", _("Scorecard"), scorecard.SCORECARD_ROLES, "analysis",
                    ("segmentation:scorecard-*",)),
            NavItem("segmentation:reports", _("Scheduled reports"), selectors.DASHBOARD_ROLES, "analysis"),
            NavItem("segmentation:trends", _("Trends"), selectors.INDICATOR_ROLES, "analysis"),
            NavItem("segmentation:migration", _("Segment migration"), selectors.DASHBOARD_ROLES, "analysis"),
            NavItem("segmentation:churn", _("Churn analysis"), churn_analysis.CHURN_ROLES, "analysis"),
            NavItem("segmentation:ranking", _("Branch ranking"), FIRM_WIDE_ROLES, "analysis"),
            NavItem("segmentation:concentration", _("Value concentration"), selectors.DASHBOARD_ROLES, "analysis"),
            NavItem("segmentation:prospect_funnel", _("Prospect funnel"), PROSPECT_FUNNEL_ROLES,
                    "analysis"),
            NavItem("segmentation:referral_funnel", _("Referral funnel"), REFERRAL_READERS, "analysis"),
            NavItem("segmentation:ticket_deadlines", _("Ticket deadlines"), TICKET_DEADLINE_ROLES, "analysis"),
            NavItem("segmentation:runs", _("Nightly runs"), selectors.RUN_ROLES, "admin"),
        )
