from django.apps import AppConfig


class ClientsConfig(AppConfig):
    default_auto_field = 'django.db.models.BigAutoField'
    name = 'clients'

    def ready(self):
        from . import texts  # noqa: F401 - registers the imports' text codes
        from .imports import nav, panels

        nav.register()
        panels.register_panels()
