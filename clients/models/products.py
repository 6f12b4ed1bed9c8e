"""Products and their risk levels (产品风险等级), and the suitability alerts matching raises."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from futures_crm import texts
from futures_crm.models import TimeStampedModel

from ..choices import (
    EligibilityKind,
    Exchange,
    ProductClass,
    ProductRiskLevel,
    SuitabilityAlertKind,
    SuitabilityAlertStatus,
)
from ..querysets import ClientScopedQuerySet


class ProductQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The product table is firm-wide reference data: every staff role reads all of it."""
        from futures_crm.roles import user_role

        return self if user_role(user) is not None else self.none()


class Product(TimeStampedModel):
    """A traded product (品种) of an exchange, with its risk level and the exchange's eligibility rules."""

    exchange = models.CharField(_("exchange"), max_length=8, choices=Exchange.choices)
    # The product code as the settlement rows spell it (`ContractSettlement.product`, e.g. "cu", "IF").
    code = models.CharField(_("product code"), max_length=16)
    name = models.CharField(_("name"), max_length=64)
    product_class = models.CharField(_("product class"), max_length=24, choices=ProductClass.choices)
    risk_level = models.CharField(_("product risk level"), max_length=2, choices=ProductRiskLevel.choices)
    # Eligibility rules an exchange sets for opening trading (e.g. CFFEX index futures, special products).
    min_funds = models.DecimalField(_("minimum available funds"), max_digits=18, decimal_places=2,
                                    default=Decimal("0"))
    needs_knowledge_test = models.BooleanField(_("knowledge test required"), default=False)
    needs_trading_experience = models.BooleanField(_("trading experience required"), default=False)
    # The thresholds of the test and the experience, when required (CFFEX: a score of 80, ten days and twenty
    # trades of simulated trading).
    min_knowledge_score = models.PositiveSmallIntegerField(_("knowledge-test pass score"), default=80)
    min_experience_days = models.PositiveSmallIntegerField(_("minimum simulated-trading days"), default=10)
    min_experience_trades = models.PositiveSmallIntegerField(_("minimum simulated trades"), default=20)

    objects = ProductQuerySet.as_manager()

    class Meta:
        ordering = ["exchange", "code"]
        verbose_name = _("product")
        verbose_name_plural = _("products")
        constraints = [models.UniqueConstraint(fields=["exchange", "code"], name="product_exchange_code_uniq")]

    def __str__(self):
        return f"{self.name} ({self.exchange} {self.code})"


class EligibilityRecord(models.Model):
    """Evidence of an exchange eligibility requirement met by a client (准入材料): funds verified, a knowledge
    test, simulated-trading experience. Appended only through `clients.suitability.eligibility_record`; the
    newest record of each kind is the one that holds."""

    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="eligibility_records",
                               verbose_name=_("client"))
    kind = models.CharField(_("requirement"), max_length=24, choices=EligibilityKind.choices)
    dated_on = models.DateField(pgettext_lazy("eligibility evidence", "dated"))
    funds = models.DecimalField(_("available funds"), max_digits=18, decimal_places=2, null=True, blank=True)
    score = models.PositiveSmallIntegerField(_("knowledge-test score"), null=True, blank=True)
    trading_days = models.PositiveSmallIntegerField(_("simulated-trading days"), null=True, blank=True)
    trades = models.PositiveIntegerField(_("simulated trades"), null=True, blank=True)
    evidence_ref = models.CharField(_("evidence reference"), max_length=128)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", verbose_name=_("recorded by"))
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    objects = ClientScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-dated_on", "-id"]
        verbose_name = _("eligibility evidence")
        verbose_name_plural = _("eligibility evidence")
        indexes = [models.Index(fields=["client", "kind", "-dated_on"], name="eligibility_latest_idx")]

    def __str__(self):
        return f"{self.client_id} {self.kind} {self.dated_on}"


class SuitabilityAlert(models.Model):
    """A client trading a product above its assessed level (适当性不匹配), or without the exchange's eligibility
    evidence on file (准入不符), with the evidence of the day."""

    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="suitability_alerts",
                               verbose_name=_("client"))
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+", verbose_name=_("product"))
    trade_date = models.DateField(_("trading day"))
    lots = models.PositiveIntegerField(_("lots"))
    client_level = models.CharField(_("client risk level"), max_length=2, blank=True)
    product_level = models.CharField(_("product risk level"), max_length=2)
    kind = models.CharField(_("kind"), max_length=16, choices=SuitabilityAlertKind.choices,
                            default=SuitabilityAlertKind.LEVEL)
    # An eligibility alert's evidence: each requirement not met, as a generated text (code, params).
    unmet = models.JSONField(_("requirements not met"), default=list, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=SuitabilityAlertStatus.choices,
                              default=SuitabilityAlertStatus.OPEN)
    created_at = models.DateTimeField(pgettext_lazy("alert", "raised"), auto_now_add=True)
    resolved_at = models.DateTimeField(pgettext_lazy("suitability alert", "resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", verbose_name=pgettext_lazy("suitability alert", "resolved by"))

    objects = ClientScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-trade_date", "-id"]
        verbose_name = _("suitability alert")
        verbose_name_plural = _("suitability alerts")
        # One open alert per client, product and kind: a rerun or the next day's trades add nothing.
        constraints = [models.UniqueConstraint(fields=["client", "product", "kind"], condition=Q(status="open"),
                                               name="suitability_alert_one_open_kind")]

    def __str__(self):
        return f"{self.client_id} {self.product_id} {self.trade_date}"

    def unmet_texts(self) -> list[str]:
        """The requirements not met, in the reader's language."""
        return [texts.render(item.get("code"), item.get("params"), item.get("text", "")) for item in self.unmet]
