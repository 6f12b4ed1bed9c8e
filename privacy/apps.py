from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    """Personal information (个人信息): consent records, the access log, retention."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "privacy"
    verbose_name = _("Personal information")

    def ready(self):
        from clients import access_log
        from clients.panels import Panel, register
        from futures_crm.context_processors import NavItem, register_nav
        from futures_crm.roles import API_ONLY_ROLES, Role

        from . import selectors, services

        register(Panel(key="consents", template="privacy/client_panel.html",
                       context="privacy.selectors.client_panel",
                       order=60, roles=frozenset(set(Role) - API_ONLY_ROLES)))
        access_log.register(services.access_record)
        register_nav(NavItem("privacy:access_log", _("Personal data access log"), selectors.PRIVACY_READERS,
                             "admin", ("privacy:access_*", "privacy:retention*")))
