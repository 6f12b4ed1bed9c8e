"""Tasks, tickets and surveys: the service desk's records (extended by the service issue)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from clients.choices import ContactChannel
from clients.querysets import ClientScopedQuerySet
from futures_crm.models import TimeStampedModel

from .choices import Priority, TaskKind, TaskStatus, TicketStatus, TicketType


class Task(TimeStampedModel):
    """A follow-up for a person; at most one open task per client and kind."""

    client = models.ForeignKey("clients.Client", null=True, blank=True, on_delete=models.CASCADE,
                               related_name="tasks", verbose_name=_("client"))
    kind = models.CharField(_("kind"), max_length=32, choices=TaskKind.choices)
    title = models.CharField(_("title"), max_length=255, blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="tasks", verbose_name=_("owner"))
    # Unassigned tasks land on their branch's worklist.
    branch = models.ForeignKey("clients.Branch", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="tasks", verbose_name=_("branch"))
    due_on = models.DateField(_("due on"))
    status = models.CharField(_("status"), max_length=16, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    outcome = models.TextField(_("outcome"), blank=True)
    source = models.CharField(_("source"), max_length=64, blank=True)

    objects = ClientScopedQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        constraints = [
            models.UniqueConstraint(fields=["client", "kind"], condition=Q(status="open"),
                                    name="task_one_open_per_client_kind"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.client_id} {self.due_on}"


class Ticket(TimeStampedModel):
    """A consultation, complaint, change request or suggestion, with a deadline."""

    client = models.ForeignKey("clients.Client", null=True, blank=True, on_delete=models.CASCADE,
                               related_name="tickets", verbose_name=_("client"))
    ticket_type = models.CharField(_("type"), max_length=32, choices=TicketType.choices)
    channel = models.CharField(_("channel"), max_length=16, choices=ContactChannel.choices)
    priority = models.CharField(_("priority"), max_length=16, choices=Priority.choices, default=Priority.NORMAL)
    subject = models.CharField(_("subject"), max_length=255)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(_("status"), max_length=16, choices=TicketStatus.choices, default=TicketStatus.NEW)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="tickets", verbose_name=_("owner"))
    deadline = models.DateTimeField(_("deadline"))
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    satisfaction = models.PositiveSmallIntegerField(_("satisfaction (0–10)"), null=True, blank=True)

    objects = ClientScopedQuerySet.as_manager()

    class Meta:
        ordering = ["deadline", "id"]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        indexes = [models.Index(fields=["ticket_type", "status", "deadline"])]

    def __str__(self):
        return f"#{self.pk} {self.subject}"


class Survey(TimeStampedModel):
    """A client's survey answers: satisfaction, exclusivity, suggestions."""

    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="surveys",
                               verbose_name=_("client"))
    answered_on = models.DateField(_("answered on"))
    satisfaction = models.PositiveSmallIntegerField(_("satisfaction (0–10)"), null=True, blank=True)
    trades_elsewhere = models.BooleanField(_("trades futures with another firm"), null=True, blank=True)
    suggestion = models.TextField(_("suggestion"), blank=True)

    objects = ClientScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-answered_on", "-id"]
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")

    def __str__(self):
        return f"{self.client_id} {self.answered_on}"
