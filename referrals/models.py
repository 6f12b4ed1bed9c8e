"""Intermediaries (居间人) and who introduced which client (extended by the relationships issue)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from clients.querysets import ClientScopedQuerySet
from futures_crm.models import TimeStampedModel

from .choices import IntermediaryKind, IntermediaryStatus


class Intermediary(TimeStampedModel):
    """A registered intermediary who introduces clients for a rebate."""

    code = models.CharField(_("intermediary code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=128)
    kind = models.CharField(_("kind"), max_length=16, choices=IntermediaryKind.choices,
                            default=IntermediaryKind.PERSON)
    status = models.CharField(_("status"), max_length=16, choices=IntermediaryStatus.choices,
                              default=IntermediaryStatus.ACTIVE)

    class Meta:
        ordering = ["code"]
        verbose_name = _("intermediary")
        verbose_name_plural = _("intermediaries")

    def __str__(self):
        return f"{self.name} ({self.code})"


class IntermediaryLink(TimeStampedModel):
    """A dated attribution of a client to an intermediary; `valid_to` empty means current."""

    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="intermediary_links",
                               verbose_name=_("client"))
    intermediary = models.ForeignKey(Intermediary, on_delete=models.PROTECT, related_name="links",
                                     verbose_name=_("intermediary"))
    valid_from = models.DateField(_("from"))
    valid_to = models.DateField(_("to"), null=True, blank=True)

    objects = ClientScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-valid_from", "-id"]
        verbose_name = _("intermediary attribution")
        verbose_name_plural = _("intermediary attributions")

    def __str__(self):
        return f"{self.client_id} ← {self.intermediary_id} {self.valid_from}"
