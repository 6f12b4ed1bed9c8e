"""The client archive (客户档案): branches, staff, clients, suitability and contact logs."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from futures_crm.models import TimeStampedModel
from futures_crm.roles import Role

from ..choices import (
    AccountStatus,
    Channel,
    ChurnReason,
    ClientType,
    ContactChannel,
    Gender,
    IdType,
    InvestorClass,
    RiskLevel,
)
from ..identity import mask_id_number
from ..querysets import ClientQuerySet, ClientScopedQuerySet


class Branch(TimeStampedModel):
    """A branch office (营业部); created by its code when an import names an unknown one."""

    code = models.CharField(_("branch code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=128)
    city = models.CharField(_("city"), max_length=64, blank=True)
    is_complete = models.BooleanField(_("profile complete"), default=True)

    # The import's branch for the clients an accounts file names before a clients file gives their branch.
    PLACEHOLDER = "UNASSIGNED"

    class Meta:
        ordering = ["code"]
        verbose_name = _("branch")
        verbose_name_plural = _("branches")

    def __str__(self):
        if self.code == self.PLACEHOLDER:  # its stored name is the code; readers see what it means
            return str(_("Branch not known yet"))
        return f"{self.name} ({self.code})" if self.name != self.code else self.code


class StaffProfile(TimeStampedModel):
    """A staff member's working identity: employee code, branch, role, active flag."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile", verbose_name=_("user")
    )
    employee_code = models.CharField(_("employee code"), max_length=32, unique=True)
    display_name = models.CharField(_("name"), max_length=64)
    branch = models.ForeignKey(
        Branch, verbose_name=_("branch"), null=True, blank=True, on_delete=models.PROTECT, related_name="staff"
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    is_active = models.BooleanField(pgettext_lazy("staff member", "active"), default=True)
    left_on = models.DateField(pgettext_lazy("staff member", "left on"), null=True, blank=True)

    class Meta:
        ordering = ["employee_code"]
        verbose_name = _("staff profile")
        verbose_name_plural = _("staff profiles")

    def __str__(self):
        return f"{self.display_name} ({self.employee_code})"


class Client(TimeStampedModel):
    """A client account and everything the archive knows about its holder."""

    account_id = models.CharField(_("fund account"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=128)
    # Stored pinyin keys so `zhangsan` and `zs` find 张三 through an index, not per request.
    name_pinyin = models.CharField(_("name pinyin"), max_length=255, blank=True, db_index=True, editable=False)
    name_initials = models.CharField(_("name initials"), max_length=64, blank=True, db_index=True, editable=False)
    client_type = models.CharField(_("client type"), max_length=32, choices=ClientType.choices)
    id_type = models.CharField(_("ID type"), max_length=32, choices=IdType.choices, blank=True)
    id_number = models.CharField(_("ID number"), max_length=64, blank=True)
    id_last4 = models.CharField(_("ID last four"), max_length=4, blank=True, db_index=True, editable=False)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    gender = models.CharField(_("gender"), max_length=8, choices=Gender.choices, blank=True)
    phone = models.CharField(_("mobile phone"), max_length=32, blank=True, db_index=True)
    phone_alt = models.CharField(_("other phone"), max_length=32, blank=True, db_index=True)
    email = models.EmailField(_("e-mail"), blank=True)
    province = models.CharField(_("province"), max_length=32, blank=True)
    city = models.CharField(_("city"), max_length=64, blank=True)
    address = models.CharField(_("address"), max_length=255, blank=True)
    occupation = models.CharField(_("occupation"), max_length=64, blank=True)
    industry = models.CharField(_("industry"), max_length=64, blank=True)
    spot_products = models.CharField(_("spot products traded"), max_length=255, blank=True)
    branch = models.ForeignKey(Branch, verbose_name=_("branch"), on_delete=models.PROTECT, related_name="clients")
    open_date = models.DateField(_("open date"), null=True, blank=True)
    close_date = models.DateField(_("close date"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=AccountStatus.choices, default=AccountStatus.ACTIVE)
    churn_reason = models.CharField(_("churn reason"), max_length=32, choices=ChurnReason.choices, blank=True)
    channel = models.CharField(_("acquisition channel"), max_length=32, choices=Channel.choices, blank=True)
    account_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("account manager"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="managed_clients",
    )
    intermediary_code = models.CharField(_("intermediary code"), max_length=32, blank=True, db_index=True)
    referrer = models.ForeignKey(
        "self", verbose_name=_("referred by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="referred_clients",
    )
    investor_class = models.CharField(_("investor class"), max_length=16, choices=InvestorClass.choices, blank=True)
    risk_level = models.CharField(_("risk level"), max_length=2, choices=RiskLevel.choices, blank=True)
    tags = models.JSONField(_("tags"), default=list, blank=True)
    is_key = models.BooleanField(_("key client"), default=False, help_text=_("Marked key by hand."))
    # An account manager's proposal that the client be a key client, waiting for a branch manager's decision.
    key_proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("key client proposed by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    key_proposed_at = models.DateTimeField(_("key client proposed at"), null=True, blank=True)
    key_proposal_note = models.CharField(_("why a key client"), max_length=255, blank=True)
    # A cache of the newest service-purpose consent record per channel (privacy.ConsentRecord), written only
    # by privacy.services.consent_record: no record means no consent, so a new client starts without.
    consent_phone = models.BooleanField(_("accepts calls"), default=False)
    consent_sms = models.BooleanField(_("accepts SMS"), default=False)
    consent_email = models.BooleanField(_("accepts e-mail"), default=False)
    consent_wechat = models.BooleanField(_("accepts WeChat"), default=False)
    profile_complete = models.BooleanField(_("profile complete"), default=True)

    objects = ClientQuerySet.as_manager()

    class Meta:
        ordering = ["account_id"]
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        permissions = [
            ("reveal_id_number", _("Can reveal full ID numbers")),
            ("view_auditentry_all", _("Can read the audit trail")),
        ]
        indexes = [models.Index(fields=["branch", "account_manager"]), models.Index(fields=["status"])]

    def __str__(self):
        return f"{self.name} ({self.account_id})"

    @property
    def id_number_masked(self) -> str:
        return mask_id_number(self.id_number)


class SuitabilityAssessment(TimeStampedModel):
    """One investor-suitability assessment (投资者适当性); the newest is the current one."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="suitability_assessments",
                               verbose_name=_("client"))
    investor_class = models.CharField(_("investor class"), max_length=16, choices=InvestorClass.choices)
    risk_level = models.CharField(_("risk level"), max_length=2, choices=RiskLevel.choices)
    knowledge_score = models.PositiveSmallIntegerField(_("knowledge-test score"), null=True, blank=True)
    questionnaire_score = models.PositiveSmallIntegerField(_("questionnaire score"), null=True, blank=True)
    # Where the signed questionnaire is kept (scan number, e-contract id): the assessment's evidence.
    evidence_ref = models.CharField(_("evidence reference"), max_length=128, blank=True)
    assessed_on = models.DateField(_("assessed on"))
    expires_on = models.DateField(_("expires on"))
    assessed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", verbose_name=_("assessed by"))

    objects = ClientScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-assessed_on", "-id"]
        verbose_name = _("suitability assessment")
        verbose_name_plural = _("suitability assessments")

    def __str__(self):
        return f"{self.client_id} {self.risk_level} {self.assessed_on}"

    @property
    def is_expired(self) -> bool:
        return self.expires_on < timezone.localdate()


class ContactLog(TimeStampedModel):
    """A visit or call record: when, how, where, what was said and what comes next."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="contact_logs", verbose_name=_("client"))
    contacted_at = models.DateTimeField(_("when"), default=timezone.now)
    channel = models.CharField(_("channel"), max_length=16, choices=ContactChannel.choices)
    place = models.CharField(_("place"), max_length=128, blank=True)
    summary = models.TextField(_("what was said"))
    impression = models.TextField(_("impression"), blank=True)
    next_step = models.CharField(_("next step"), max_length=255, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
                           verbose_name=_("by"))

    objects = ClientScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-contacted_at", "-id"]
        verbose_name = _("contact log entry")
        verbose_name_plural = _("contact log")

    def __str__(self):
        return f"{self.client_id} {self.contacted_at:%Y-%m-%d} {self.channel}"
