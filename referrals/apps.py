from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReferralsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "referrals"
    verbose_name = _("Relationships")

    def ready(self):
        from clients import list_filters
        from clients.imports.hooks import register_clients_imported
        from clients.panels import Panel, register
        from futures_crm.context_processors import ALL_PAGE_ROLES, NavItem, register_nav

        from . import filtersets, scorecard
        from .access import CLUB_READERS, INTERMEDIARY_READERS, MANAGEMENT, REFERRAL_READERS, SCORECARD_READERS
        from .services import relationships_from_import

        # The workload page's client counts and the scorecard's open the client list, which names the figure.
        list_filters.register(list_filters.ListFilters(
            key="referrals", filters=filtersets.client_list_filters(),
            figures={"managed": _("Clients under care"), **scorecard.CLIENT_FIGURES}))
        # A clients file's referrer and intermediary columns become referrals and links in its transaction.
        register_clients_imported(relationships_from_import)

        register_nav(
            NavItem("referrals:workload", _("Managers"), MANAGEMENT, "relationships",
                    ("referrals:handover", "referrals:key_clients", "referrals:orphans", "referrals:assign")),
            NavItem("referrals:intermediaries", _("Intermediaries"), INTERMEDIARY_READERS, "relationships",
                    ("referrals:intermediary*", "referrals:compliance", "referrals:statement")),
            NavItem("referrals:scorecard", _("Intermediary scorecard"), SCORECARD_READERS, "relationships"),
            NavItem("referrals:referrals", _("Referrals"), REFERRAL_READERS, "relationships",
                    ("referrals:referral", "referrals:referral_new", "referrals:conversion")),
            NavItem("referrals:club", _("Club"), CLUB_READERS, "relationships", ("referrals:membership",)),
        )
        register(Panel(key="relationships", template="referrals/panel_relationships.html",
                       context="referrals.views.relationships_panel_context", order=40,
                       roles=frozenset(ALL_PAGE_ROLES)))
