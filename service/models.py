"""Tasks, tickets and surveys: the service desk's records (extended by the service issue)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from clients.choices import ContactChannel
from clients.querysets import ClientScopedQuerySet
from futures_crm import texts
from futures_crm.models import TimeStampedModel

from .choices import (
    ActivityKind,
    CarePlanKind,
    DeadlineUnit,
    MessageChannel,
    MessageResult,
    Priority,
    ProspectGrade,
    ProspectSource,
    Queue,
    RecipientStatus,
    ReturnVisitProblem,
    ReturnVisitReason,
    ReturnVisitStatus,
    TaskKind,
    TaskStatus,
    TicketEventKind,
    TicketStatus,
    TicketType,
)
from .querysets import ProspectQuerySet, RecipientQuerySet, TaskQuerySet, TicketQuerySet


class Task(TimeStampedModel):
    """A follow-up for a person; at most one open task per client and kind."""

    client = models.ForeignKey("clients.Client", null=True, blank=True, on_delete=models.CASCADE,
                               related_name="tasks", verbose_name=_("client"))
    kind = models.CharField(_("kind"), max_length=32, choices=TaskKind.choices)
    title = models.CharField(_("title"), max_length=255, blank=True)
    # A generated title: its code and parameters (futures_crm.texts), shown in the reader's language.
    title_code = models.CharField(_("title code"), max_length=64, blank=True, db_default="")
    title_params = models.JSONField(_("title parameters"), default=dict, blank=True, db_default={})
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="tasks", verbose_name=_("owner"))
    # Unassigned tasks land on their branch's worklist.
    branch = models.ForeignKey("clients.Branch", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="tasks", verbose_name=_("branch"))
    due_on = models.DateField(_("due on"))
    status = models.CharField(_("status"), max_length=16, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    outcome = models.TextField(_("outcome"), blank=True)
    source = models.CharField(_("source"), max_length=64, blank=True)
    # A follow-up may concern a prospect instead of a client.
    prospect = models.ForeignKey("service.Prospect", null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="tasks", verbose_name=_("prospect"))
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)

    objects = TaskQuerySet.as_manager()

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

    @property
    def title_text(self) -> str:
        """The title in the reader's language (a generated one), or as typed."""
        return texts.shown(self, "title")


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
    queue = models.CharField(_("queue"), max_length=32, choices=Queue.choices, default=Queue.SERVICE_DESK)
    # An unknown caller's number, kept so the ticket can be linked once the caller is identified.
    caller_phone = models.CharField(_("caller phone"), max_length=32, blank=True)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+", verbose_name=_("opened by"))
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)

    objects = TicketQuerySet.as_manager()

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
    comments = models.TextField(_("comments"), blank=True)
    activity = models.ForeignKey("service.Activity", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="surveys", verbose_name=_("activity"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                           related_name="+", verbose_name=_("recorded by"))

    objects = ClientScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-answered_on", "-id"]
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")

    def __str__(self):
        return f"{self.client_id} {self.answered_on}"


class DeadlinePolicy(TimeStampedModel):
    """How long a ticket of one type and priority may stay open (edited by managers)."""

    ticket_type = models.CharField(_("type"), max_length=32, choices=TicketType.choices)
    priority = models.CharField(_("priority"), max_length=16, choices=Priority.choices)
    amount = models.PositiveIntegerField(pgettext_lazy("number of units", "amount"))
    unit = models.CharField(_("unit"), max_length=16, choices=DeadlineUnit.choices)

    class Meta:
        ordering = ["ticket_type", "priority"]
        verbose_name = _("deadline policy")
        verbose_name_plural = _("deadline policies")
        constraints = [models.UniqueConstraint(fields=["ticket_type", "priority"], name="deadline_policy_uniq")]

    def __str__(self):
        return f"{self.get_ticket_type_display()} / {self.get_priority_display()}: {self.amount} {self.unit}"


class TicketEvent(models.Model):
    """One step on a ticket's timeline: opened, status change, note, reply, reassignment, escalation."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events", verbose_name=_("ticket"))
    at = models.DateTimeField(_("when"), auto_now_add=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                           related_name="+", verbose_name=_("by"))
    kind = models.CharField(_("kind"), max_length=16, choices=TicketEventKind.choices)
    from_status = models.CharField(pgettext_lazy("change", "from"), max_length=16, choices=TicketStatus.choices,
                                   blank=True)
    to_status = models.CharField(pgettext_lazy("change", "to"), max_length=16, choices=TicketStatus.choices, blank=True)
    text = models.TextField(_("text"), blank=True)
    # A step the system words (an assignment, an escalation): its code and parameters (futures_crm.texts).
    text_code = models.CharField(_("text code"), max_length=64, blank=True, db_default="")
    text_params = models.JSONField(_("text parameters"), default=dict, blank=True, db_default={})

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket timeline")

    def __str__(self):
        return f"#{self.ticket_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"

    @property
    def text_shown(self) -> str:
        return texts.shown(self, "text")


class Notification(models.Model):
    """A message to a staff member inside the CRM (escalations); also e-mailed."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications",
                                  verbose_name=_("recipient"))
    ticket = models.ForeignKey(Ticket, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications",
                               verbose_name=_("ticket"))
    message = models.CharField(_("message"), max_length=255)
    message_code = models.CharField(_("message code"), max_length=64, blank=True, db_default="")
    message_params = models.JSONField(_("message parameters"), default=dict, blank=True, db_default={})
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self):
        return self.message_text

    @property
    def message_text(self) -> str:
        return texts.shown(self, "message")


class MessageTemplate(TimeStampedModel):
    """A bilingual message with client fields (`{{ client.name }}`, `{{ manager }}`)."""

    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name (Chinese)"), max_length=128)
    name_en = models.CharField(_("name (English)"), max_length=128, blank=True, db_default="")
    subject_zh = models.CharField(_("subject (Chinese)"), max_length=255, blank=True)
    body_zh = models.TextField(_("text (Chinese)"))
    subject_en = models.CharField(_("subject (English)"), max_length=255, blank=True)
    body_en = models.TextField(_("text (English)"), blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")

    def __str__(self):
        return self.display_name

    @property
    def display_name(self) -> str:
        """The name in the reader's language (the Chinese one when it has no English name)."""
        english = translation.get_language() or ""
        return self.name_en if english.startswith("en") and self.name_en else self.name


class CarePlan(TimeStampedModel):
    """A care rule (客户关怀): on an occasion, open a care task and send a greeting."""

    kind = models.CharField(_("occasion"), max_length=32, choices=CarePlanKind.choices, unique=True)
    days_ahead = models.PositiveSmallIntegerField(
        _("task days ahead"), default=3, help_text=_("The care task is opened this many days before the occasion."))
    template = models.ForeignKey(MessageTemplate, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+", verbose_name=_("message template"))
    channel = models.CharField(_("channel"), max_length=16, choices=MessageChannel.choices, default=MessageChannel.SMS)
    # Heavy loss: the day's P&L below minus this share of the previous balance (0.20 = a 20 % loss).
    loss_ratio = models.DecimalField(_("heavy-loss ratio"), max_digits=5, decimal_places=4, default="0.2000")
    key_clients_only = models.BooleanField(_("tasks for key clients only"), default=False)
    active = models.BooleanField(pgettext_lazy("care plan", "active"), default=True)

    class Meta:
        ordering = ["kind"]
        verbose_name = _("care plan")
        verbose_name_plural = _("care plans")

    def __str__(self):
        return self.get_kind_display()


class CommunicationLog(models.Model):
    """Every message sent (or refused) to a client: channel, template, when, by whom, result."""

    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="communications",
                               verbose_name=_("client"))
    channel = models.CharField(_("channel"), max_length=16, choices=MessageChannel.choices)
    template = models.ForeignKey(MessageTemplate, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+", verbose_name=_("template"))
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    body = models.TextField(_("text"))
    sent_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                           related_name="+", verbose_name=_("by"))
    result = models.CharField(_("result"), max_length=16, choices=MessageResult.choices)
    detail = models.CharField(_("detail"), max_length=255, blank=True)
    # "birthday:2026-12-01": a care run sends one message per client and occasion, however often it runs.
    occasion = models.CharField(_("occasion"), max_length=64, blank=True)

    objects = ClientScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-sent_at", "-id"]
        verbose_name = _("communication")
        verbose_name_plural = _("communications log")
        constraints = [
            models.UniqueConstraint(fields=["client", "occasion", "channel"], condition=~Q(occasion=""),
                                    name="communication_once_per_occasion"),
        ]

    def __str__(self):
        return f"{self.client_id} {self.channel} {self.sent_at:%Y-%m-%d}"


class Prospect(TimeStampedModel):
    """A prospective client (准客户), graded A–F by how likely they are to open an account."""

    name = models.CharField(_("name"), max_length=128)
    phone = models.CharField(_("phone"), max_length=32, blank=True, db_index=True)
    email = models.EmailField(_("e-mail"), blank=True)
    grade = models.CharField(_("grade"), max_length=1, choices=ProspectGrade.choices, default=ProspectGrade.F)
    source = models.CharField(_("source"), max_length=16, choices=ProspectSource.choices)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="prospects", verbose_name=_("owner"))
    branch = models.ForeignKey("clients.Branch", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="prospects", verbose_name=_("branch"))
    referrer = models.ForeignKey("clients.Client", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="referred_prospects", verbose_name=_("referred by"))
    intermediary_code = models.CharField(_("intermediary code"), max_length=32, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    client = models.OneToOneField("clients.Client", null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="prospect", verbose_name=_("opened account"))
    converted_at = models.DateTimeField(_("converted at"), null=True, blank=True)

    objects = ProspectQuerySet.as_manager()

    class Meta:
        ordering = ["grade", "name", "id"]
        verbose_name = _("prospect")
        verbose_name_plural = _("prospects")

    def __str__(self):
        return f"{self.name} ({self.grade})"


class ProspectVisit(models.Model):
    """One contact with a prospect, as the manager recorded it."""

    prospect = models.ForeignKey(Prospect, on_delete=models.CASCADE, related_name="visits",
                                 verbose_name=_("prospect"))
    at = models.DateTimeField(_("when"), default=timezone.now)
    place = models.CharField(_("place"), max_length=128, blank=True)
    said = models.TextField(_("what was said"))
    impression = models.TextField(_("impression"), blank=True)
    failure_reason = models.TextField(_("why the meeting failed"), blank=True)
    service_given = models.TextField(_("service given"), blank=True)
    assessment = models.TextField(_("own assessment"), blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                           related_name="+", verbose_name=_("by"))

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("prospect visit")
        verbose_name_plural = _("prospect visits")

    def __str__(self):
        return f"{self.prospect_id} {self.at:%Y-%m-%d}"


class ProspectGradeChange(models.Model):
    """A prospect's grade history."""

    prospect = models.ForeignKey(Prospect, on_delete=models.CASCADE, related_name="grade_changes",
                                 verbose_name=_("prospect"))
    at = models.DateTimeField(_("when"), auto_now_add=True)
    from_grade = models.CharField(pgettext_lazy("change", "from"), max_length=1, choices=ProspectGrade.choices,
                                  blank=True)
    to_grade = models.CharField(pgettext_lazy("change", "to"), max_length=1, choices=ProspectGrade.choices)
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    reason_code = models.CharField(_("reason code"), max_length=64, blank=True, db_default="")
    reason_params = models.JSONField(_("reason parameters"), default=dict, blank=True, db_default={})
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                           related_name="+", verbose_name=_("by"))

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("grade change")
        verbose_name_plural = _("grade history")

    def __str__(self):
        return f"{self.prospect_id} {self.from_grade}→{self.to_grade}"

    @property
    def reason_text(self) -> str:
        return texts.shown(self, "reason")


class Activity(TimeStampedModel):
    """A marketing or service activity: training, seminar, briefing, push, mailing, gift, survey."""

    kind = models.CharField(_("kind"), max_length=16, choices=ActivityKind.choices)
    title = models.CharField(_("title"), max_length=255)
    held_on = models.DateField(_("date"))
    place = models.CharField(_("place"), max_length=128, blank=True)
    cost = models.DecimalField(_("cost (CNY)"), max_digits=14, decimal_places=2, default=0)
    description = models.TextField(_("description"), blank=True)
    # The filters that chose the recipients, kept so the list can be explained later.
    target_filters = models.JSONField(_("target filters"), default=dict, blank=True)
    # The products it promotes: recipients below the highest of their risk levels are not invited.
    products = models.ManyToManyField("clients.Product", blank=True, related_name="+",
                                      verbose_name=_("promoted products"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("created by"))

    class Meta:
        ordering = ["-held_on", "-id"]
        verbose_name = _("activity")
        verbose_name_plural = _("activities")

    def __str__(self):
        return f"{self.title} ({self.held_on})"


class ActivityRecipient(TimeStampedModel):
    """A client, or a prospect (准客户), targeted by an activity: invitation, attendance and response."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="recipients",
                                 verbose_name=_("activity"))
    # Exactly one of client and prospect (activity_recipient_one_person).
    client = models.ForeignKey("clients.Client", null=True, blank=True, on_delete=models.CASCADE,
                               related_name="activity_records", verbose_name=_("client"))
    prospect = models.ForeignKey(Prospect, null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="activity_records", verbose_name=_("prospect"))
    status = models.CharField(_("status"), max_length=16, choices=RecipientStatus.choices,
                              default=RecipientStatus.SELECTED)
    response = models.TextField(_("response"), blank=True)
    # Why the client was not invited (futures_crm.texts: code and params, read in the reader's language).
    refusal = models.CharField(_("reason not invited"), max_length=255, blank=True, db_default="")
    refusal_code = models.CharField(_("reason code"), max_length=64, blank=True, db_default="")
    refusal_params = models.JSONField(_("reason parameters"), default=dict, blank=True, db_default={})

    objects = RecipientQuerySet.as_manager()

    class Meta:
        ordering = ["activity", "client", "prospect"]
        verbose_name = _("activity recipient")
        verbose_name_plural = _("activity recipients")
        constraints = [
            models.UniqueConstraint(fields=["activity", "client"], name="activity_recipient_uniq"),
            models.UniqueConstraint(fields=["activity", "prospect"], name="activity_recipient_prospect_uniq"),
            models.CheckConstraint(
                condition=Q(client__isnull=False, prospect__isnull=True) | Q(client__isnull=True,
                                                                             prospect__isnull=False),
                name="activity_recipient_one_person"),
        ]

    def __str__(self):
        return f"{self.activity_id} {self.client_id or f'p{self.prospect_id}'} {self.status}"

    @property
    def refusal_text(self) -> str:
        return texts.shown(self, "refusal")


class ReturnVisit(TimeStampedModel):
    """A return visit (回访): why the client is called back, when, and what the call found.

    Scheduled nightly (service.return_visits) or by hand; at most one open visit per client and reason.
    """

    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="return_visits",
                               verbose_name=_("client"))
    reason = models.CharField(_("reason"), max_length=16, choices=ReturnVisitReason.choices)
    status = models.CharField(_("status"), max_length=16, choices=ReturnVisitStatus.choices,
                              default=ReturnVisitStatus.DUE)
    due_on = models.DateField(_("due on"))
    task = models.ForeignKey(Task, null=True, blank=True, on_delete=models.SET_NULL, related_name="return_visits",
                             verbose_name=_("task"))
    # The closed complaint a complaint visit follows up (a ticket is visited once).
    ticket = models.ForeignKey(Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="return_visits",
                               verbose_name=_("ticket"))
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+", verbose_name=pgettext_lazy("return visit", "visited by"))
    channel = models.CharField(_("channel"), max_length=16, choices=ContactChannel.choices, blank=True)
    questions = models.TextField(_("questions asked"), blank=True)
    answers = models.TextField(_("answers"), blank=True)
    # ReturnVisitProblem values found on the call.
    problems = models.JSONField(_("problems found"), default=list, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    # The compliance ticket the problems raised.
    compliance_ticket = models.ForeignKey(Ticket, null=True, blank=True, on_delete=models.SET_NULL,
                                          related_name="+", verbose_name=_("compliance ticket"))

    objects = ClientScopedQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("return visit")
        verbose_name_plural = _("return visits")
        constraints = [
            models.UniqueConstraint(fields=["client", "reason"], condition=Q(status__in=["due", "overdue"]),
                                    name="return_visit_one_open_per_client_reason"),
        ]
        indexes = [models.Index(fields=["status", "due_on"])]

    def __str__(self):
        return f"{self.client_id} {self.reason} {self.due_on}"

    @property
    def problem_labels(self) -> list[str]:
        return [str(ReturnVisitProblem(p).label) for p in self.problems if p in ReturnVisitProblem.values]
