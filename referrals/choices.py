from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class IntermediaryKind(models.TextChoices):
    PERSON = "person", _("Natural person")
    INSTITUTION = "institution", _("Institution")


class IntermediaryStatus(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("intermediary status", "Active")
    SUSPENDED = "suspended", _("Suspended")
    LEFT = "left", _("Left")


class AssignmentKind(models.TextChoices):
    ASSIGN = "assign", _("Assignment")
    HANDOVER = "handover", _("Handover")
    INTERMEDIARY_LEFT = "intermediary_left", _("Intermediary left")


class HandoverStrategy(models.TextChoices):
    MANUAL = "manual", _("By hand")
    COUNT = "count", _("Balanced by client count")
    EQUITY = "equity", _("Balanced by equity")


class LinkSource(models.TextChoices):
    IMPORT = "import", _("Imported intermediary code")
    MANUAL = "manual", _("Set by hand")
    TRANSFER = "transfer", _("Transfer from a leaving intermediary")


class StatementStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    CONFIRMED = "confirmed", _("Confirmed")


class ReferralStatus(models.TextChoices):
    REFERRED = "referred", _("Referred")
    CONTACTED = "contacted", _("Contacted")
    OPENED = "opened", _("Account opened")
    FUNDED = "funded", _("Funded")


# The order a referral moves through; each state has the date field that records it.
REFERRAL_FLOW = [ReferralStatus.REFERRED, ReferralStatus.CONTACTED, ReferralStatus.OPENED, ReferralStatus.FUNDED]
REFERRAL_DATE_FIELD = {
    ReferralStatus.REFERRED: "referred_on",
    ReferralStatus.CONTACTED: "contacted_on",
    ReferralStatus.OPENED: "opened_on",
    ReferralStatus.FUNDED: "funded_on",
}


class ClubLevel(models.TextChoices):
    STANDARD = "standard", _("Standard")
    SILVER = "silver", _("Silver")
    GOLD = "gold", _("Gold")
    DIAMOND = "diamond", _("Diamond")


class MembershipStatus(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("membership status", "Active")
    SUSPENDED = "suspended", _("Suspended")
    LEFT = "left", _("Left")
