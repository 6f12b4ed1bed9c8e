"""Consent records (append-only) and the log of views of unmasked personal data."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from clients.querysets import ClientScopedQuerySet

from .choices import AccessVia, ConsentChannel, ConsentHow, ConsentPurpose


class ConsentRecord(models.Model):
    """One consent given or withdrawn for a channel and purpose; the newest per (channel, purpose) holds.

    Rows are never edited or deleted: a change of mind is a new row, so the history is the evidence.
    """

    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="consents",
                               verbose_name=_("client"))
    channel = models.CharField(_("channel"), max_length=16, choices=ConsentChannel.choices)
    purpose = models.CharField(_("purpose"), max_length=16, choices=ConsentPurpose.choices)
    given = models.BooleanField(pgettext_lazy("consent", "given"))
    at = models.DateTimeField(_("when"), default=timezone.now)
    how = models.CharField(_("how"), max_length=16, choices=ConsentHow.choices)
    evidence = models.CharField(_("evidence reference"), max_length=255, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", verbose_name=_("recorded by"))
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    objects = ClientScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("consent record")
        verbose_name_plural = _("consent records")
        indexes = [models.Index(fields=["client", "channel", "purpose", "-at", "-id"], name="consent_latest")]

    def __str__(self):
        return f"{self.client_id} {self.channel}/{self.purpose} {'+' if self.given else '-'} {self.at:%Y-%m-%d}"


class PersonalDataAccess(models.Model):
    """One request that showed a client's unmasked personal data: who, when, which client, what, how."""

    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="+",
                               verbose_name=_("client"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
                           verbose_name=_("by"))
    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    fields = models.JSONField(_("what was seen"), default=list)
    via = models.CharField(_("via"), max_length=8, choices=AccessVia.choices)
    path = models.CharField(_("page or endpoint"), max_length=255, blank=True)

    objects = ClientScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("personal data access")
        verbose_name_plural = _("personal data access log")

    def __str__(self):
        return f"{self.by_id} {self.client_id} {self.at:%Y-%m-%d %H:%M}"

    def seen_display(self) -> str:
        """The fields seen, by their names on the client record, in the reader's language."""
        meta = self.client._meta
        return ", ".join(str(meta.get_field(name).verbose_name) for name in self.fields)


class Deidentification(models.Model):
    """A closed account whose personal data was de-identified once its retention period ended."""

    client = models.OneToOneField("clients.Client", on_delete=models.CASCADE, related_name="+",
                                  verbose_name=_("client"))
    closed_on = models.DateField(_("account closed on"))
    due_on = models.DateField(_("retention ended on"))
    done_at = models.DateTimeField(_("de-identified at"), default=timezone.now, db_index=True)
    fields = models.JSONField(_("fields replaced"), default=list)

    objects = ClientScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-done_at", "-id"]
        verbose_name = _("de-identification")
        verbose_name_plural = _("de-identifications")

    def __str__(self):
        return f"{self.client_id} {self.due_on}"
