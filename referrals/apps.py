from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReferralsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "referrals"
    verbose_name = _("Relationships")

    def ready(self):
        from clients.imports.hooks import register_clients_imported
        from clients.panels import Panel, register
        from futures_crm.context_processors import ALL_PAGE_ROLES, NAV_ITEMS

        from .access import CLUB_READERS, INTERMEDIARY_READERS, MANAGEMENT, REFERRAL_READERS
        from .services import relationships_from_import
        from .views import relationships_panel_context

        # A clients file's referrer and intermediary columns become referrals and links in its transaction.
        register_clients_imported(relationships_from_import)

        for item in [
            ("referrals:workload", _("Managers"), MANAGEMENT),
            ("referrals:intermediaries", _("Intermediaries"), INTERMEDIARY_READERS),
            ("referrals:referrals", _("Referrals"), REFERRAL_READERS),
            ("referrals:club", _("Club"), CLUB_READERS),
        ]:
            if item[0] not in {n for n, *_rest in NAV_ITEMS}:
                NAV_ITEMS.append(item)
        register(Panel(key="relationships", template="referrals/panel_relationships.html",
                       context=relationships_panel_context, order=40, roles=frozenset(ALL_PAGE_ROLES)))
