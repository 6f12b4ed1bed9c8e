from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FuturesCrmConfig(AppConfig):
    name = "futures_crm"
    verbose_name = _("CRM core")

    def ready(self):
        from django.db.models.signals import post_migrate

        from . import security  # noqa: F401 - connects the lockout audit
        from .roles import sync_role_groups

        post_migrate.connect(sync_role_groups, sender=self)
