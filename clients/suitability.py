"""Suitability matching (适当性匹配): the product risk table and the mismatch alerts.

Every write here is a service (the product page, the admin and the nightly run call these functions); the
matching is one set-based statement over the day's contract settlement. Renewal tasks and the worklist,
which need the service desk's tasks, are in `service.suitability`.
"""

import datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import DateField, OuterRef, Subquery
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _

from futures_crm.audit import audit_record, diff, snapshot
from futures_crm.roles import PRODUCT_EDITOR_ROLES, SUITABILITY_ROLES, user_role
from futures_crm.validation import RuleErrors

from .choices import EligibilityKind, InvestorClass, SuitabilityAlertStatus
from .models import Client, EligibilityRecord, Product, SuitabilityAlert, SuitabilityAssessment

PRODUCT_EDIT_FIELDS = ["name", "product_class", "risk_level", "min_funds", "needs_knowledge_test",
                       "min_knowledge_score", "needs_trading_experience", "min_experience_days",
                       "min_experience_trades"]


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
        (client_id, product_id, trade_date, lots, client_level, product_level, status, created_at, kind, unmet)
    SELECT cs.client_id, p.id, %(day)s, SUM(cs.buy_lots + cs.sell_lots), c.risk_level, p.risk_level, 'open', now(),
           'level', '[]'::jsonb
    FROM clients_contractsettlement cs
    JOIN clients_product p ON p.exchange = cs.exchange AND p.code = cs.product
    JOIN clients_client c ON c.id = cs.client_id
    WHERE cs.trade_date = %(day)s
      AND {below}
    GROUP BY cs.client_id, p.id, c.risk_level, p.risk_level
    HAVING SUM(cs.buy_lots + cs.sell_lots) > 0
    ON CONFLICT (client_id, product_id, kind) WHERE status = 'open' DO NOTHING
""".replace("{below}", BELOW_LEVEL_SQL.format(client="c", product="p.risk_level"))


def clients_below(product_level: str):
    """The clients whose level does not reach `product_level` (R1–R5): the nightly matching's rule, for outreach
    that promotes a product. A queryset, to filter others by (`client__in=`)."""
    from .models import Client

    # A self-contained subquery (its own alias): the level is a bound parameter, nothing typed reaches the SQL.
    sql = "SELECT c.id FROM clients_client c WHERE " + BELOW_LEVEL_SQL.format(client="c", product="%s")  # noqa: S608
    below = RawSQL(sql, [product_level])  # noqa: S611
    return Client.objects.filter(pk__in=below)


# Exchange eligibility (准入): a product with requirements (funds, knowledge test, simulated trading) traded by a
# client whose newest evidence of each kind, dated by the trading day, does not meet them. Financial
# institutions (特殊单位客户) are outside the exchanges' eligibility rules. Each requirement not met is one
# generated text (code and params: what is required, what is on file) — the alert's evidence.
ELIGIBILITY_SQL = """
    INSERT INTO clients_suitabilityalert
        (client_id, product_id, trade_date, lots, client_level, product_level, status, created_at, kind, unmet)
    SELECT t.client_id, t.product_id, %(day)s, t.lots, t.client_level, t.product_level, 'open', now(),
           'eligibility', u.unmet
    FROM (
        SELECT cs.client_id, p.id AS product_id, SUM(cs.buy_lots + cs.sell_lots) AS lots,
               c.risk_level AS client_level, p.risk_level AS product_level, p.min_funds,
               p.needs_knowledge_test, p.min_knowledge_score,
               p.needs_trading_experience, p.min_experience_days, p.min_experience_trades
        FROM clients_contractsettlement cs
        JOIN clients_product p ON p.exchange = cs.exchange AND p.code = cs.product
        JOIN clients_client c ON c.id = cs.client_id
        WHERE cs.trade_date = %(day)s AND c.client_type <> 'financial_institution'
          AND (p.min_funds > 0 OR p.needs_knowledge_test OR p.needs_trading_experience)
        GROUP BY cs.client_id, p.id, c.id
        HAVING SUM(cs.buy_lots + cs.sell_lots) > 0
    ) t
    LEFT JOIN LATERAL (SELECT e.funds, e.dated_on FROM clients_eligibilityrecord e
                       WHERE e.client_id = t.client_id AND e.kind = 'funds' AND e.dated_on <= %(day)s
                       ORDER BY e.dated_on DESC, e.id DESC LIMIT 1) f ON true
    LEFT JOIN LATERAL (SELECT e.score, e.dated_on FROM clients_eligibilityrecord e
                       WHERE e.client_id = t.client_id AND e.kind = 'knowledge_test' AND e.dated_on <= %(day)s
                       ORDER BY e.dated_on DESC, e.id DESC LIMIT 1) k ON true
    LEFT JOIN LATERAL (SELECT e.trading_days, e.trades, e.dated_on FROM clients_eligibilityrecord e
                       WHERE e.client_id = t.client_id AND e.kind = 'simulated_trading' AND e.dated_on <= %(day)s
                       ORDER BY e.dated_on DESC, e.id DESC LIMIT 1) s ON true
    CROSS JOIN LATERAL (
        SELECT jsonb_agg(item) AS unmet FROM (VALUES
            (CASE WHEN t.min_funds > 0 AND f.funds IS NULL THEN jsonb_build_object(
                 'code', 'eligibility.funds_missing', 'params', jsonb_build_object('required', t.min_funds::text))
             WHEN t.min_funds > 0 AND f.funds < t.min_funds THEN jsonb_build_object(
                 'code', 'eligibility.funds', 'params', jsonb_build_object(
                     'required', t.min_funds::text, 'recorded', f.funds::text, 'on', f.dated_on::text)) END),
            (CASE WHEN t.needs_knowledge_test AND k.score IS NULL THEN jsonb_build_object(
                 'code', 'eligibility.test_missing', 'params', jsonb_build_object('required', t.min_knowledge_score))
             WHEN t.needs_knowledge_test AND k.score < t.min_knowledge_score THEN jsonb_build_object(
                 'code', 'eligibility.test', 'params', jsonb_build_object(
                     'required', t.min_knowledge_score, 'recorded', k.score, 'on', k.dated_on::text)) END),
            (CASE WHEN t.needs_trading_experience AND s.trading_days IS NULL THEN jsonb_build_object(
                 'code', 'eligibility.experience_missing', 'params', jsonb_build_object(
                     'days', t.min_experience_days, 'trades', t.min_experience_trades))
             WHEN t.needs_trading_experience
                  AND (s.trading_days < t.min_experience_days OR s.trades < t.min_experience_trades)
             THEN jsonb_build_object('code', 'eligibility.experience', 'params', jsonb_build_object(
                     'days', t.min_experience_days, 'trades', t.min_experience_trades,
                     'recorded_days', s.trading_days, 'recorded_trades', s.trades, 'on', s.dated_on::text)) END)
        ) v(item) WHERE item IS NOT NULL
    ) u
    WHERE u.unmet IS NOT NULL
    ON CONFLICT (client_id, product_id, kind) WHERE status = 'open' DO NOTHING
"""


def suitability_match(*, day: datetime.date) -> int:
    """Raise one alert per client and product traded above the client's level on `day` (an open alert for the
    same client and product is kept, never duplicated); the number of new alerts."""
    with connection.cursor() as cur:
        cur.execute(MATCH_SQL, {"day": day})
        return cur.rowcount


def eligibility_match(*, day: datetime.date) -> int:
    """Raise one alert per client and product traded on `day` without the exchange's eligibility evidence on file
    (an open eligibility alert of the same client and product is kept, never duplicated); the number raised."""
    with connection.cursor() as cur:
        cur.execute(ELIGIBILITY_SQL, {"day": day})
        return cur.rowcount


# ---------------------------------------------------------------- eligibility evidence

ELIGIBILITY_FIELDS = {EligibilityKind.FUNDS: ("funds",), EligibilityKind.KNOWLEDGE_TEST: ("score",),
                      EligibilityKind.SIMULATED_TRADING: ("trading_days", "trades")}


@transaction.atomic
def eligibility_record(*, client: Client, by, kind: str, dated_on: datetime.date, evidence_ref: str,
                       funds: Decimal | None = None, score: int | None = None, trading_days: int | None = None,
                       trades: int | None = None) -> EligibilityRecord:
    """Append evidence of an exchange requirement (funds verified, knowledge test, simulated trading) for a client
    the recorder sees; the only way a client's eligibility evidence changes (who, when and the evidence
    reference are kept, with an audit entry)."""
    if user_role(by) not in SUITABILITY_ROLES:
        raise PermissionDenied(_("Your role cannot make this change."))
    client = Client.objects.visible_to(by).select_for_update().filter(pk=client.pk).first()
    if client is None:
        raise PermissionDenied(_("This client is outside your scope."))
    values = {"funds": funds, "score": score, "trading_days": trading_days, "trades": trades}
    errors = RuleErrors()
    if kind not in EligibilityKind.values:
        errors.add("kind", _("Choose a requirement."), code="kind")
    else:
        for name in ELIGIBILITY_FIELDS[EligibilityKind(kind)]:
            if values[name] is None:
                errors.add(name, _("Give the figure this evidence records."), code="required")
        # Figures of another kind of evidence are not kept (a funds record has no score).
        values = {name: value if name in ELIGIBILITY_FIELDS[EligibilityKind(kind)] else None
                  for name, value in values.items()}
    errors.happened("dated_on", dated_on, _("Evidence cannot be dated in the future."))
    if not (evidence_ref or "").strip():
        errors.add("evidence_ref", _("Give the evidence reference (document or system record)."), code="required")
    if values["funds"] is not None:
        errors.non_negative("funds", values["funds"])
    if values["score"] is not None and not 0 <= values["score"] <= 100:
        errors.add("score", _("The knowledge-test score is out of 100."), code="score")
    errors.raise_if_any()
    record = EligibilityRecord(client=client, kind=kind, dated_on=dated_on, evidence_ref=evidence_ref.strip(),
                               recorded_by=by, **values)
    record.full_clean()
    record.save()
    audit_record(actor=by, action="eligibility.record", obj=record, client=client,
                 after=snapshot(record, ["kind", "dated_on", "funds", "score", "trading_days", "trades",
                                         "evidence_ref"]))
    return record


def eligibility_on_file(client) -> dict:
    """The newest evidence of each kind for `client` (kind → record, or None)."""
    latest = {}
    for record in client.eligibility_records.select_related("recorded_by__staff_profile").order_by("-dated_on", "-id"):
        latest.setdefault(record.kind, record)
    return {kind: latest.get(kind) for kind in EligibilityKind.values}


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
