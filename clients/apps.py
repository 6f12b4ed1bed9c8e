from django.apps import AppConfig


class ClientsConfig(AppConfig):
    default_auto_field = 'django.db.models.BigAutoField'
    name = 'clients'

    def ready(self):
        from django.utils.translation import gettext_lazy as _

        from futures_crm.context_processors import ALL_PAGE_ROLES, NavItem, register_nav

        from . import texts  # noqa: F401 - registers the imports' text codes
        from .imports import nav, panels
        from .imports.hooks import register_clients_imported
        from .panels import Panel, register
        from .suitability import record_imported_levels

        nav.register()
        register_clients_imported(record_imported_levels)
        # The client page lists the client's open mismatch alerts (nothing when it has none).
        register(Panel(key="suitability_mismatch", template="clients/_suitability_mismatch_panel.html",
                       context="clients.product_views.mismatch_panel", order=15))
        register_nav(NavItem("clients:product_list", _("Products and risk levels"), ALL_PAGE_ROLES, "clients",
                             ("clients:product_*",)))
        panels.register_panels()
