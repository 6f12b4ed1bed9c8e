from django.db import models
from django.utils.translation import gettext_lazy as _


class IntermediaryKind(models.TextChoices):
    PERSON = "person", _("Natural person")
    INSTITUTION = "institution", _("Institution")


class IntermediaryStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    LEFT = "left", _("Left")
