from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ConsentChannel(models.TextChoices):
    PHONE = "phone", pgettext_lazy("consent channel", "Phone call")
    SMS = "sms", _("SMS")
    EMAIL = "email", _("E-mail")
    WECHAT = "wechat", _("WeChat")
    APP = "app", pgettext_lazy("consent channel", "App notification")


class ConsentPurpose(models.TextChoices):
    SERVICE = "service", pgettext_lazy("consent purpose", "Service")
    MARKETING = "marketing", pgettext_lazy("consent purpose", "Marketing")
    RESEARCH = "research", pgettext_lazy("consent purpose", "Research push")


class ConsentHow(models.TextChoices):
    PAPER = "paper", pgettext_lazy("consent given", "Paper form")
    APP = "app", pgettext_lazy("consent given", "In the app")
    CALL = "call", pgettext_lazy("consent given", "On a call")
    ONLINE = "online", pgettext_lazy("consent given", "Online")
    MIGRATED = "migrated", pgettext_lazy("consent given", "Migrated from the old flags")


class AccessVia(models.TextChoices):
    PAGE = "page", pgettext_lazy("access via", "Page")
    API = "api", pgettext_lazy("access via", "API")
