"""Enumerations of the service desk."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class TaskKind(models.TextChoices):
    RETENTION = "retention", _("Retention")
    REACTIVATION = "reactivation", _("Reactivation")
    CARE = "care", _("Care")
    CALL_BACK = "call_back", _("Call back")
    SUITABILITY_RENEWAL = "suitability_renewal", _("Suitability renewal")
    COMPLETE_PROFILE = "complete_profile", _("Complete profile")
    HEDGING_PLAN = "hedging_plan", _("Hedging plan")
    RETURN_VISIT = "return_visit", _("Return visit")


class TaskStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("task status", "Open")
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
    CLOSED = "closed", pgettext_lazy("ticket status", "Closed")


OPEN_TICKET_STATUSES = [TicketStatus.NEW, TicketStatus.IN_PROGRESS, TicketStatus.WAITING]


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class Queue(models.TextChoices):
    """Where a ticket waits when no single person owns it."""

    ACCOUNT_MANAGER = "account_manager", _("Account manager")
    SERVICE_DESK = "service_desk", _("Service desk")
    COMPLIANCE = "compliance", _("Compliance")


class DeadlineUnit(models.TextChoices):
    HOURS = "hours", _("Calendar hours")
    TRADING_HOURS = "trading_hours", _("Trading hours")
    TRADING_DAYS = "trading_days", _("Trading days")
    DAYS = "days", _("Calendar days")


class TicketEventKind(models.TextChoices):
    CREATED = "created", pgettext_lazy("ticket event", "Opened")
    STATUS = "status", _("Status change")
    NOTE = "note", _("Internal note")
    REPLY = "reply", _("Reply to client")
    ASSIGN = "assign", _("Reassigned")
    ESCALATED = "escalated", _("Escalated")
    SATISFACTION = "satisfaction", _("Satisfaction recorded")


class CarePlanKind(models.TextChoices):
    BIRTHDAY = "birthday", pgettext_lazy("care occasion", "Birthday")
    SPRING_FESTIVAL = "spring_festival", _("Spring Festival")
    MID_AUTUMN = "mid_autumn", _("Mid-Autumn Festival")
    NATIONAL_DAY = "national_day", _("National Day")
    MARGIN_CALL = "margin_call", _("After a margin call")
    HEAVY_LOSS = "heavy_loss", _("After a heavy loss")


class MessageChannel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")
    WECHAT = "wechat", _("WeChat")


class MessageResult(models.TextChoices):
    SENT = "sent", _("Sent")
    REFUSED = "refused", _("Not sent: client opted out")
    NO_ADDRESS = "no_address", _("Not sent: no address")
    UNSUITABLE = "unsuitable", _("Not sent: product above the client's suitability level")
    FAILED = "failed", pgettext_lazy("message result", "Failed")


class ProspectGrade(models.TextChoices):
    A = "A", _("A: ready to open")
    B = "B", _("B: will open after some time")
    C = "C", _("C: would open but blocked for now")
    D = "D", _("D: interested, finances unstable")
    E = "E", _("E: does not yet understand futures")
    F = "F", _("F: not likely within a year")


class ProspectSource(models.TextChoices):
    STAFF = "staff", _("Staff development")
    MARKETING = "marketing", _("Marketing")
    REFERRAL = "referral", _("Client referral")
    RESEARCH = "research", _("Research-led")
    INTERMEDIARY = "intermediary", _("Intermediary")
    EVENT = "event", _("Event")


class ActivityKind(models.TextChoices):
    TRAINING = "training", _("Training")
    SEMINAR = "seminar", _("Seminar")
    BRIEFING = "briefing", _("Product briefing")
    REPORT_PUSH = "report_push", _("Research-report push")
    MAILING = "mailing", _("Mailing")
    GIFT = "gift", _("Gift")
    SURVEY = "survey", _("Survey")


class RecipientStatus(models.TextChoices):
    SELECTED = "selected", _("Selected")
    INVITED = "invited", _("Invited")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    ATTENDED = "attended", _("Attended")
    ABSENT = "absent", _("Did not attend")
    # Left out of an invitation: the promoted product is above the client's suitability level.
    REFUSED = "refused", _("Not invited: above the client's suitability level")


class ReturnVisitReason(models.TextChoices):
    """Why a client is called back (回访)."""

    NEW_ACCOUNT = "new_account", _("New account (first month)")
    SUITABILITY = "suitability", _("High-risk trading by a low-category investor")
    INTERMEDIARY = "intermediary", _("Client introduced by an intermediary")
    COMPLAINT = "complaint", _("Complaint after closure")
    OTHER = "other", pgettext_lazy("return visit reason", "Other")


class ReturnVisitStatus(models.TextChoices):
    DUE = "due", pgettext_lazy("return visit status", "Due")
    DONE = "done", pgettext_lazy("return visit status", "Done")
    OVERDUE = "overdue", pgettext_lazy("return visit status", "Overdue")
    CANCELLED = "cancelled", pgettext_lazy("return visit status", "Cancelled")


OPEN_RETURN_VISIT_STATUSES = [ReturnVisitStatus.DUE, ReturnVisitStatus.OVERDUE]


class ReturnVisitProblem(models.TextChoices):
    """What a return visit may uncover; any of them goes to compliance."""

    PROFIT_PROMISE = "profit_promise", _("Promise of profit")
    CREDIT = "credit", _("Demand for credit")
    LOWER_MARGIN = "lower_margin", _("Demand for margins lower than allowed")
    OTHER = "other", pgettext_lazy("return visit problem", "Other")
