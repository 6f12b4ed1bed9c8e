"""Nightly results per client. The nightly-engine issue fills and extends these."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from clients.querysets import ClientScopedQuerySet


class Purpose(models.TextChoices):
    HEDGER = "hedger", _("Hedger")
    SPECULATOR = "speculator", _("Speculator")


class FundSize(models.TextChoices):
    LARGE = "large", _("Large")
    MEDIUM = "medium", _("Medium")
    RETAIL = "retail", _("Retail")


class Volume(models.TextChoices):
    ORDINARY = "ordinary", _("Ordinary")
    KEY_SERVICE = "key_service", _("Key service")
    ACTIVE = "active", _("Active")
    DORMANT = "dormant", _("Dormant")


class Tenure(models.TextChoices):
    NEW = "new", _("New")
    OLD = "old", _("Old")


class ClientSegment(models.Model):
    """The current four axes, churn, value and loyalty of one client, as of `as_of`."""

    client = models.OneToOneField("clients.Client", on_delete=models.CASCADE, related_name="segment",
                                  primary_key=True)
    as_of = models.DateField(_("as of"))
    policy_version = models.PositiveIntegerField(_("policy version"), default=1)
    purpose = models.CharField(_("purpose"), max_length=16, choices=Purpose.choices)
    fund_size = models.CharField(_("fund size"), max_length=16, choices=FundSize.choices)
    volume = models.CharField(_("trading volume"), max_length=16, choices=Volume.choices)
    tenure = models.CharField(_("tenure"), max_length=8, choices=Tenure.choices)
    churn_score = models.PositiveSmallIntegerField(_("churn risk score"), default=0)
    churn_signals = models.JSONField(_("churn signals"), default=list, blank=True)
    churned = models.BooleanField(_("churned"), default=False)
    lifetime_value = models.DecimalField(_("lifetime value"), max_digits=18, decimal_places=2, null=True, blank=True)
    loyalty_points = models.PositiveSmallIntegerField(_("loyalty points"), default=0)
    loyal = models.BooleanField(_("loyal"), default=False)

    objects = ClientScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("client segment")
        verbose_name_plural = _("client segments")
        indexes = [
            models.Index(fields=["purpose"]),
            models.Index(fields=["fund_size"]),
            models.Index(fields=["volume"]),
            models.Index(fields=["churn_score"]),
        ]

    def __str__(self):
        return f"{self.client_id} {self.purpose}/{self.fund_size}/{self.volume}/{self.tenure}"
