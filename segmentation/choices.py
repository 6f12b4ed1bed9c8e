"""Enumerations of the nightly engine."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Axis(models.TextChoices):
    PURPOSE = "purpose", _("Purpose")
    FUND_SIZE = "fund_size", _("Fund size")
    VOLUME = "volume", _("Trading volume")
    TENURE = "tenure", _("Tenure")


class TransitionSource(models.TextChoices):
    START = "start", _("First classification")
    RULE = "rule", _("Rule")
    PERSON = "person", _("Person")


class RunStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class Signal(models.TextChoices):
    EQUITY_OUTFLOW = "equity_outflow", _("Equity outflow")
    VOLUME_DROP = "volume_drop", _("Volume drop")
    HEAVY_LOSS = "heavy_loss", _("Heavy loss")
    COMPLAINT_OVERDUE = "complaint_overdue", _("Overdue complaint")
    ORPHANED = "orphaned", _("Orphaned")
    TURNED_DORMANT = "turned_dormant", _("Turned dormant")


class LoyaltyCriterion(models.TextChoices):
    EXCLUSIVE = "exclusive", _("Trades futures only with us")
    LONG_TENURE = "long_tenure", _("Account open for 3 years or more")
    REFERS = "refers", _("Referred a client who opened an account")
    PRAISES = "praises", _("Latest satisfaction 9/10 or more")


class ReportFrequency(models.TextChoices):
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")


class ReportFormat(models.TextChoices):
    PDF = "pdf", "PDF"
    XLSX = "xlsx", "XLSX"
