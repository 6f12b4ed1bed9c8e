"""Enumerations of the service desk."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class TaskKind(models.TextChoices):
    RETENTION = "retention", _("Retention")
    REACTIVATION = "reactivation", _("Reactivation")
    CARE = "care", _("Care")
    CALL_BACK = "call_back", _("Call back")
    SUITABILITY_RENEWAL = "suitability_renewal", _("Suitability renewal")
    COMPLETE_PROFILE = "complete_profile", _("Complete profile")
    HEDGING_PLAN = "hedging_plan", _("Hedging plan")


class TaskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class TicketType(models.TextChoices):
    TRADING_CONSULTATION = "trading_consultation", _("Trading consultation")
    MARKET_CONSULTATION = "market_consultation", _("Market consultation")
    COMPLAINT = "complaint", _("Complaint")
    ACCOUNT_CHANGE = "account_change", _("Account change")
    SUGGESTION = "suggestion", _("Suggestion")


class TicketStatus(models.TextChoices):
    NEW = "new", _("New")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING = "waiting", _("Waiting for client")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


OPEN_TICKET_STATUSES = [TicketStatus.NEW, TicketStatus.IN_PROGRESS, TicketStatus.WAITING]


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")
