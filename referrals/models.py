"""Relationships: intermediaries (居间人), manager assignments and handovers, rebates, referrals, the club."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from clients.choices import ContactChannel
from clients.querysets import ClientScopedQuerySet
from futures_crm.models import TimeStampedModel

from .choices import (
    AssignmentKind,
    ClubLevel,
    HandoverStrategy,
    IntermediaryKind,
    IntermediaryStatus,
    LinkSource,
    MembershipStatus,
    ReferralStatus,
    StatementStatus,
)
from .querysets import IntermediaryChildQuerySet, IntermediaryQuerySet, ReferralQuerySet

MONEY = {"max_digits": 18, "decimal_places": 2}
# Shares such as 0.4000 (40 %) of net commission.
SHARE = {"max_digits": 5, "decimal_places": 4}


class Intermediary(TimeStampedModel):
    """A registered intermediary who introduces clients for a rebate."""

    code = models.CharField(_("intermediary code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=128)
    kind = models.CharField(_("kind"), max_length=16, choices=IntermediaryKind.choices,
                            default=IntermediaryKind.PERSON)
    status = models.CharField(_("status"), max_length=16, choices=IntermediaryStatus.choices,
                              default=IntermediaryStatus.ACTIVE)
    id_number = models.CharField(_("ID or licence number"), max_length=64, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    qualification_certificate = models.CharField(_("futures qualification certificate"), max_length=64,
                                                 blank=True)
    association_registration = models.CharField(_("futures association registration"), max_length=64, blank=True)
    contract_start = models.DateField(_("contract start"), null=True, blank=True)
    contract_end = models.DateField(_("contract end"), null=True, blank=True)
    exclusive = models.BooleanField(_("serves this firm only"), default=True)
    rebate_rate = models.DecimalField(_("rebate rate (share of net commission)"), default=0, **SHARE)
    exchange_rebate_share = models.DecimalField(_("share of exchange rebates"), null=True, blank=True, **SHARE)
    branch = models.ForeignKey("clients.Branch", verbose_name=_("branch"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="intermediaries")
    left_on = models.DateField(pgettext_lazy("intermediary", "left on"), null=True, blank=True)

    objects = IntermediaryQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("intermediary")
        verbose_name_plural = _("intermediaries")
        constraints = [
            models.CheckConstraint(condition=Q(rebate_rate__gte=0, rebate_rate__lte=1), name="intermediary_rate_share"),
        ]

    def __str__(self):
        return f"{self.name} ({self.code})"

    @property
    def id_number_masked(self) -> str:
        from clients.identity import mask_id_number

        return mask_id_number(self.id_number)


class IntermediaryTraining(TimeStampedModel):
    """One training an intermediary attended (date, hours, topic)."""

    intermediary = models.ForeignKey(Intermediary, on_delete=models.CASCADE, related_name="trainings",
                                     verbose_name=_("intermediary"))
    trained_on = models.DateField(_("date"))
    hours = models.DecimalField(_("hours"), max_digits=5, decimal_places=1)
    topic = models.CharField(_("topic"), max_length=255)

    objects = IntermediaryChildQuerySet.as_manager()

    class Meta:
        ordering = ["-trained_on", "-id"]
        verbose_name = _("training record")
        verbose_name_plural = _("training records")

    def __str__(self):
        return f"{self.intermediary_id} {self.trained_on} {self.topic}"


class IntermediaryRelative(TimeStampedModel):
    """A relative the intermediary declared; none of them may be its client."""

    intermediary = models.ForeignKey(Intermediary, on_delete=models.CASCADE, related_name="relatives",
                                     verbose_name=_("intermediary"))
    name = models.CharField(_("name"), max_length=128)
    relation = models.CharField(_("relation"), max_length=32, blank=True)
    id_number = models.CharField(_("ID number"), max_length=64, db_index=True)

    objects = IntermediaryChildQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("declared relative")
        verbose_name_plural = _("declared relatives")

    def __str__(self):
        return f"{self.intermediary_id} {self.name}"


class IntermediaryLink(TimeStampedModel):
    """A dated attribution of a client to an intermediary; `valid_to` empty means current."""

    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="intermediary_links",
                               verbose_name=_("client"))
    intermediary = models.ForeignKey(Intermediary, on_delete=models.PROTECT, related_name="links",
                                     verbose_name=_("intermediary"))
    valid_from = models.DateField(pgettext_lazy("date range", "from"))
    valid_to = models.DateField(pgettext_lazy("date range", "to"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=16, choices=LinkSource.choices, default=LinkSource.MANUAL)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("by"))
    reason = models.CharField(_("reason"), max_length=255, blank=True)

    objects = ClientScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-valid_from", "-id"]
        verbose_name = _("intermediary attribution")
        verbose_name_plural = _("intermediary attributions")
        constraints = [
            # One current attribution per client: the rebate must never count a client twice.
            models.UniqueConstraint(fields=["client"], condition=Q(valid_to__isnull=True),
                                    name="intermediary_link_one_current"),
        ]

    def __str__(self):
        return f"{self.client_id} ← {self.intermediary_id} {self.valid_from}"


class Handover(TimeStampedModel):
    """A leaving manager's book spread over successors (离职交接), done as one operation."""

    leaving_manager = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                        verbose_name=_("leaving manager"))
    strategy = models.CharField(_("strategy"), max_length=16, choices=HandoverStrategy.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
                           verbose_name=_("by"))
    reason = models.TextField(_("reason"), blank=True)
    client_count = models.PositiveIntegerField(pgettext_lazy("count", "clients"), default=0)
    notified = models.BooleanField(_("clients notified"), default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("handover")
        verbose_name_plural = _("handovers")

    def __str__(self):
        return f"{self.leaving_manager_id} {self.created_at:%Y-%m-%d}"


class ManagerAssignment(models.Model):
    """One change of a client's account manager: from, to, when, by whom and why."""

    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="manager_assignments",
                               verbose_name=_("client"))
    from_manager = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+", verbose_name=pgettext_lazy("change", "from"))
    to_manager = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=pgettext_lazy("change", "to"))
    at = models.DateTimeField(_("when"), db_index=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                           related_name="+", verbose_name=_("by"))
    reason = models.TextField(_("reason"))
    kind = models.CharField(_("kind"), max_length=24, choices=AssignmentKind.choices, default=AssignmentKind.ASSIGN)
    handover = models.ForeignKey(Handover, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="assignments", verbose_name=_("handover"))

    objects = ClientScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("manager assignment")
        verbose_name_plural = _("manager assignments")

    def __str__(self):
        return f"{self.client_id} {self.from_manager_id}→{self.to_manager_id}"


class RebateStatement(TimeStampedModel):
    """An intermediary's rebate (居间报酬) for one month: draft until confirmed, then frozen."""

    intermediary = models.ForeignKey(Intermediary, on_delete=models.PROTECT, related_name="statements",
                                     verbose_name=_("intermediary"))
    month = models.DateField(_("month"), help_text=_("First day of the month."))
    status = models.CharField(_("status"), max_length=16, choices=StatementStatus.choices,
                              default=StatementStatus.DRAFT)
    rebate_rate = models.DecimalField(_("rebate rate"), **SHARE)
    exchange_rebate_share = models.DecimalField(_("share of exchange rebates"), default=0, **SHARE)
    # The share of exchange fees the exchanges refunded that month (交易所返还), entered when drafting.
    exchange_refund_rate = models.DecimalField(_("exchange refund rate"), default=0, **SHARE)
    commission = models.DecimalField(_("commission"), default=0, **MONEY)
    exchange_fee = models.DecimalField(_("exchange fee"), default=0, **MONEY)
    net_commission = models.DecimalField(_("net commission"), default=0, **MONEY)
    commission_rebate = models.DecimalField(_("commission rebate"), default=0, **MONEY)
    exchange_rebate = models.DecimalField(_("exchange rebate"), default=0, **MONEY)
    total = models.DecimalField(_("rebate total"), default=0, **MONEY)
    drafted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("drafted by"))
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+", verbose_name=_("confirmed by"))
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)

    objects = IntermediaryChildQuerySet.as_manager()

    class Meta:
        ordering = ["-month", "intermediary__code"]
        verbose_name = _("rebate statement")
        verbose_name_plural = _("rebate statements")
        constraints = [models.UniqueConstraint(fields=["intermediary", "month"], name="rebate_statement_month_uniq")]

    def __str__(self):
        return f"{self.intermediary_id} {self.month:%Y-%m}"


class RebateLine(models.Model):
    """One client's part of a rebate statement."""

    statement = models.ForeignKey(RebateStatement, on_delete=models.CASCADE, related_name="lines",
                                  verbose_name=_("statement"))
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("client"))
    trading_days = models.PositiveSmallIntegerField(pgettext_lazy("count", "trading days"))
    commission = models.DecimalField(_("commission"), **MONEY)
    exchange_fee = models.DecimalField(_("exchange fee"), **MONEY)
    net_commission = models.DecimalField(_("net commission"), **MONEY)
    commission_rebate = models.DecimalField(_("commission rebate"), **MONEY)
    exchange_rebate = models.DecimalField(_("exchange rebate"), **MONEY)
    total = models.DecimalField(_("rebate"), **MONEY)

    class Meta:
        ordering = ["client__account_id"]
        verbose_name = _("rebate line")
        verbose_name_plural = _("rebate lines")
        constraints = [models.UniqueConstraint(fields=["statement", "client"], name="rebate_line_client_uniq")]


class Referral(TimeStampedModel):
    """A client or staff member referred a person (客户开发客户), followed to a funded account."""

    referrer_client = models.ForeignKey("clients.Client", null=True, blank=True, on_delete=models.CASCADE,
                                        related_name="referrals_made", verbose_name=_("referring client"))
    referrer_staff = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                       related_name="referrals_made", verbose_name=_("referring staff member"))
    referred_client = models.OneToOneField("clients.Client", null=True, blank=True, on_delete=models.SET_NULL,
                                           related_name="referral_received", verbose_name=_("referred account"))
    prospect_name = models.CharField(_("referred person"), max_length=128)
    prospect_phone = models.CharField(_("phone"), max_length=32, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=ReferralStatus.choices,
                              default=ReferralStatus.REFERRED)
    referred_on = models.DateField(_("referred on"))
    contacted_on = models.DateField(_("contacted on"), null=True, blank=True)
    opened_on = models.DateField(_("opened on"), null=True, blank=True)
    funded_on = models.DateField(_("funded on"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("recorded by"))

    objects = ReferralQuerySet.as_manager()

    class Meta:
        ordering = ["-referred_on", "-id"]
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        constraints = [
            models.CheckConstraint(
                condition=Q(referrer_client__isnull=False) | Q(referrer_staff__isnull=False),
                name="referral_has_referrer",
            ),
        ]

    def __str__(self):
        return f"{self.prospect_name} ({self.get_status_display()})"


class ReferralReward(TimeStampedModel):
    """A reward given for a referral: what, when, approved by whom."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="rewards",
                                 verbose_name=_("referral"))
    what = models.CharField(_("reward"), max_length=255)
    amount = models.DecimalField(_("value (CNY)"), null=True, blank=True, **MONEY)
    given_on = models.DateField(_("given on"))
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                    related_name="+", verbose_name=_("approved by"))

    class Meta:
        ordering = ["-given_on", "-id"]
        verbose_name = _("referral reward")
        verbose_name_plural = _("referral rewards")

    def __str__(self):
        return f"{self.referral_id} {self.what}"


class ClubMembership(TimeStampedModel):
    """A client's club (俱乐部) membership: level, joined, status."""

    client = models.OneToOneField("clients.Client", on_delete=models.CASCADE, related_name="club_membership",
                                  verbose_name=_("client"))
    level = models.CharField(_("level"), max_length=16, choices=ClubLevel.choices, default=ClubLevel.STANDARD)
    joined_on = models.DateField(_("joined on"))
    status = models.CharField(_("status"), max_length=16, choices=MembershipStatus.choices,
                              default=MembershipStatus.ACTIVE)

    objects = ClientScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-joined_on", "-id"]
        verbose_name = _("club membership")
        verbose_name_plural = _("club memberships")

    def __str__(self):
        return f"{self.client_id} {self.level}"


# The channel a handover notice is logged under when the user does not pick one.
DEFAULT_NOTICE_CHANNEL = ContactChannel.SMS
