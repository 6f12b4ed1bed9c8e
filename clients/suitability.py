"""Suitability matching (适当性匹配): the product risk table and the mismatch alerts.

Every write here is a service (the product page, the admin and the nightly run call these functions); the
matching is one set-based statement over the day's contract settlement. Renewal tasks and the worklist,
which need the service desk's tasks, are in `service.suitability`.
"""

import datetime

from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import DateField, OuterRef, Subquery
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _

from futures_crm.audit import audit_record, diff, snapshot
from futures_crm.roles import PRODUCT_EDITOR_ROLES, user_role

from .choices import InvestorClass, SuitabilityAlertStatus
from .models import Product, SuitabilityAlert, SuitabilityAssessment

PRODUCT_EDIT_FIELDS = ["name", "product_class", "risk_level", "min_funds", "needs_knowledge_test",
                       "needs_trading_experience"]


def _product_editor(by) -> None:
    if user_role(by) not in PRODUCT_EDITOR_ROLES:
        raise PermissionDenied(_("Only compliance edits the product risk table."))


@transaction.atomic
def product_update(*, product: Product, by, reason: str = "", **changes) -> Product:
    """Change a product's risk level, class or eligibility rules (compliance and administrators only)."""
    _product_editor(by)
    product = Product.objects.select_for_update().get(pk=product.pk)
    before = snapshot(product, PRODUCT_EDIT_FIELDS)
    for name, value in changes.items():
        if name not in PRODUCT_EDIT_FIELDS:
            raise PermissionDenied(_("The exchange and product code of a product are not edited."))
        setattr(product, name, value)
    product.full_clean()
    product.save()
    old, new = diff(before, snapshot(product, PRODUCT_EDIT_FIELDS))
    if new:
        audit_record(actor=by, action="product.update", obj=product, before=old, after=new, reason=reason)
    return product


@transaction.atomic
def suitability_alert_resolve(*, alert: SuitabilityAlert, by) -> SuitabilityAlert:
    """Close a mismatch alert once compliance has dealt with it (a new mismatch later raises a new one)."""
    _product_editor(by)
    if SuitabilityAlert.objects.filter(pk=alert.pk, status=SuitabilityAlertStatus.OPEN).update(
            status=SuitabilityAlertStatus.RESOLVED, resolved_at=timezone.now(), resolved_by=by):
        audit_record(actor=by, action="suitability_alert.resolve", obj=alert, client=alert.client,
                     after={"product": alert.product_id, "trade_date": alert.trade_date})
    alert.refresh_from_db()
    return alert


# ---------------------------------------------------------------- matching

# A client of level Cn may trade products up to Rn. An unassessed client counts as the lowest category (C1):
# nothing above R1 may be offered before an assessment. Professional investors are outside the matching duty
# (the 2017 rules let them take any product), so only ordinary (or unclassified) investors are matched.
# The one comparison, shared by the nightly matching and campaign outreach (`clients_below`).
BELOW_LEVEL_SQL = ("{client}.investor_class <> 'professional' "
                   "AND substr({product}, 2)::int > COALESCE(NULLIF(substr({client}.risk_level, 2), '')::int, 1)")
MATCH_SQL = """
    INSERT INTO clients_suitabilityalert
        (client_id, product_id, trade_date, lots, client_level, product_level, status, created_at)
    SELECT cs.client_id, p.id, %(day)s, SUM(cs.buy_lots + cs.sell_lots), c.risk_level, p.risk_level, 'open', now()
    FROM clients_contractsettlement cs
    JOIN clients_product p ON p.exchange = cs.exchange AND p.code = cs.product
    JOIN clients_client c ON c.id = cs.client_id
    WHERE cs.trade_date = %(day)s
      AND {below}
    GROUP BY cs.client_id, p.id, c.risk_level, p.risk_level
    HAVING SUM(cs.buy_lots + cs.sell_lots) > 0
    ON CONFLICT (client_id, product_id) WHERE status = 'open' DO NOTHING
""".replace("{below}", BELOW_LEVEL_SQL.format(client="c", product="p.risk_level"))


def clients_below(product_level: str):
    """The clients whose level does not reach `product_level` (R1–R5): the nightly matching's rule, for outreach
    that promotes a product. A queryset, to filter others by (`client__in=`)."""
    from .models import Client

    # A self-contained subquery (its own alias): the level is a bound parameter, nothing typed reaches the SQL.
    sql = "SELECT c.id FROM clients_client c WHERE " + BELOW_LEVEL_SQL.format(client="c", product="%s")  # noqa: S608
    below = RawSQL(sql, [product_level])  # noqa: S611
    return Client.objects.filter(pk__in=below)


def suitability_match(*, day: datetime.date) -> int:
    """Raise one alert per client and product traded above the client's level on `day` (an open alert for the
    same client and product is kept, never duplicated); the number of new alerts."""
    with connection.cursor() as cur:
        cur.execute(MATCH_SQL, {"day": day})
        return cur.rowcount


def latest_assessment(field: str):
    """The value of `field` of the client's newest assessment, for an annotation on clients."""
    return Subquery(SuitabilityAssessment.objects.filter(client=OuterRef("pk")).order_by("-assessed_on", "-id")
                    .values(field)[:1], output_field=DateField())


def record_imported_levels(*, clients, by) -> int:
    """A clients file from the back-office carries the assessment its counter made at opening: record it as an
    assessment (who: the importer; evidence: the import) wherever the file's class or level differs from the
    client's latest assessment, so a level never changes without a recorded assessment. Runs inside the import."""
    from .forms import SUITABILITY_VALID_DAYS

    latest = SuitabilityAssessment.objects.filter(client=OuterRef("pk")).order_by("-assessed_on", "-id")
    rows = (clients.exclude(risk_level="")
            .annotate(last_level=Subquery(latest.values("risk_level")[:1]),
                      last_class=Subquery(latest.values("investor_class")[:1]))
            .values_list("pk", "investor_class", "risk_level", "last_level", "last_class"))
    today = timezone.localdate()
    new = [SuitabilityAssessment(client_id=pk, investor_class=cls or InvestorClass.ORDINARY, risk_level=level,
                                 assessed_on=today, expires_on=today + datetime.timedelta(days=SUITABILITY_VALID_DAYS),
                                 assessed_by=by if getattr(by, "is_authenticated", False) else None,
                                 evidence_ref=f"import {today.isoformat()}")
           for pk, cls, level, last_level, last_class in rows
           if (level, cls or InvestorClass.ORDINARY) != (last_level, last_class)]
    SuitabilityAssessment.objects.bulk_create(new)
    # The client's class follows the assessment it now has (an unclassified client is an ordinary investor).
    clients.filter(pk__in=[a.client_id for a in new], investor_class="").update(investor_class=InvestorClass.ORDINARY)
    return len(new)
