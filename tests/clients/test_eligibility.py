"""Exchange eligibility (准入): products carry their exchange's rules (funds, knowledge test, simulated trading),
clients carry the recorded evidence, and the nightly matching raises an alert with the evidence when a client
trades a product whose rules its evidence does not meet — on each boundary."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from clients.models import EligibilityRecord, Product, SuitabilityAlert
from clients.suitability import eligibility_match, eligibility_record
from futures_crm.audit import AuditEntry
from service.suitability import suitability_nightly

from .test_suitability import DAY, assess, trade

CFFEX_FUNDS = Decimal("500000")


def evidence(client, by, *, funds=CFFEX_FUNDS, score=80, days=10, trades=20, on=DAY):
    """Everything CFFEX asks for, exactly on its thresholds unless told otherwise (None: not recorded)."""
    if funds is not None:
        eligibility_record(client=client, by=by, kind="funds", dated_on=on, funds=funds, evidence_ref="银行流水")
    if score is not None:
        eligibility_record(client=client, by=by, kind="knowledge_test", dated_on=on, score=score,
                           evidence_ref="中金所知识测试")
    if days is not None:
        eligibility_record(client=client, by=by, kind="simulated_trading", dated_on=on, trading_days=days,
                           trades=trades, evidence_ref="仿真交易记录")


def unmet(client):
    alert = SuitabilityAlert.objects.get(client=client, kind="eligibility")
    return {item["code"]: item["params"] for item in alert.unmet}


@pytest.fixture
def zhang(book):
    assess(book["zhang"], "C4")  # level R4 is fine: only eligibility is in question
    return book["zhang"]


def test_the_seeded_rules_carry_cffex_thresholds(db):
    index = Product.objects.get(exchange="CFFEX", code="IF")
    assert (index.min_funds, index.min_knowledge_score, index.min_experience_days, index.min_experience_trades) == (
        CFFEX_FUNDS, 80, 10, 20)


def test_evidence_exactly_on_every_threshold_passes(zhang, staff):
    evidence(zhang, staff["am1"])
    trade(zhang, "CFFEX", "IF")
    assert eligibility_match(day=DAY) == 0


@pytest.mark.parametrize("changes, code, params", [
    ({"funds": Decimal("499999.99")}, "eligibility.funds",
     {"required": "500000.00", "recorded": "499999.99", "on": DAY.isoformat()}),
    ({"funds": None}, "eligibility.funds_missing", {"required": "500000.00"}),
    ({"score": 79}, "eligibility.test", {"required": 80, "recorded": 79, "on": DAY.isoformat()}),
    ({"score": None}, "eligibility.test_missing", {"required": 80}),
    ({"days": 9}, "eligibility.experience", {"days": 10, "trades": 20, "recorded_days": 9, "recorded_trades": 20,
                                             "on": DAY.isoformat()}),
    ({"trades": 19}, "eligibility.experience", {"days": 10, "trades": 20, "recorded_days": 10,
                                                "recorded_trades": 19, "on": DAY.isoformat()}),
    ({"days": None}, "eligibility.experience_missing", {"days": 10, "trades": 20}),
])
def test_one_short_on_any_rule_raises_an_alert_with_the_evidence(zhang, staff, changes, code, params):
    evidence(zhang, staff["am1"], **changes)
    trade(zhang, "CFFEX", "IF", lots=4)
    assert eligibility_match(day=DAY) == 1
    alert = SuitabilityAlert.objects.get(client=zhang)
    assert (alert.kind, alert.product.code, alert.lots, alert.trade_date) == ("eligibility", "IF", 4, DAY)
    assert unmet(zhang) == {code: params}


def test_evidence_dated_after_the_trading_day_does_not_count_and_the_newest_record_holds(zhang, staff):
    evidence(zhang, staff["am1"], on=DAY + datetime.timedelta(days=1))
    trade(zhang, "CFFEX", "IF")
    assert eligibility_match(day=DAY) == 1
    assert set(unmet(zhang)) == {"eligibility.funds_missing", "eligibility.test_missing",
                                 "eligibility.experience_missing"}
    # A retaken test with a lower score replaces the earlier pass.
    tomorrow = DAY + datetime.timedelta(days=2)
    SuitabilityAlert.objects.all().delete()
    eligibility_record(client=zhang, by=staff["am1"], kind="knowledge_test", dated_on=tomorrow, score=60,
                       evidence_ref="补考")
    trade(zhang, "CFFEX", "IF", day=tomorrow)
    assert eligibility_match(day=tomorrow) == 1
    assert unmet(zhang) == {"eligibility.test": {"required": 80, "recorded": 60, "on": tomorrow.isoformat()}}


def test_products_without_rules_and_financial_institutions_raise_nothing_and_reruns_add_nothing(zhang, book):
    trade(zhang, "SHFE", "rb")  # no eligibility rule
    assert eligibility_match(day=DAY) == 0
    wang = book["wang"]
    wang.client_type = "financial_institution"
    wang.save(update_fields=["client_type"])
    trade(wang, "CFFEX", "IF")
    trade(zhang, "CFFEX", "IF")
    assert eligibility_match(day=DAY) == 1
    assert eligibility_match(day=DAY) == 0
    assert list(SuitabilityAlert.objects.values_list("client", flat=True)) == [zhang.pk]


def test_a_compliance_edit_of_the_threshold_changes_the_outcome(zhang, staff):
    from clients.suitability import product_update

    evidence(zhang, staff["am1"], score=85)
    trade(zhang, "CFFEX", "IF")
    product_update(product=Product.objects.get(code="IF"), by=staff["compliance"], min_knowledge_score=90)
    assert eligibility_match(day=DAY) == 1
    assert unmet(zhang) == {"eligibility.test": {"required": 90, "recorded": 85, "on": DAY.isoformat()}}


def test_level_and_eligibility_alerts_stand_side_by_side_in_the_nightly_figure(book, staff):
    zhang = book["zhang"]
    assess(zhang, "C3")  # below R4 and no evidence: two alerts for IF
    trade(zhang, "CFFEX", "IF")
    assert suitability_nightly(day=DAY)["suitability_alerts"] == 2
    assert sorted(SuitabilityAlert.objects.values_list("kind", flat=True)) == ["eligibility", "level"]


def test_evidence_is_recorded_only_through_the_service_with_who_and_why(book, staff):
    zhang, wang = book["zhang"], book["wang"]
    record = eligibility_record(client=zhang, by=staff["am1"], kind="funds", dated_on=DAY, funds=Decimal("600000"),
                                score=99, evidence_ref=" 银行流水 2025-03 ")
    assert (record.recorded_by, record.funds, record.score, record.evidence_ref) == (
        staff["am1"], Decimal("600000"), None, "银行流水 2025-03")  # another kind's figure is not kept
    assert AuditEntry.objects.filter(action="eligibility.record", client_id=zhang.pk).exists()
    with pytest.raises(PermissionDenied):
        eligibility_record(client=wang, by=staff["am1"], kind="funds", dated_on=DAY, funds=1, evidence_ref="x")
    with pytest.raises(PermissionDenied):
        eligibility_record(client=zhang, by=staff["marketing"], kind="funds", dated_on=DAY, funds=1, evidence_ref="x")
    with pytest.raises(ValidationError) as err:
        eligibility_record(client=zhang, by=staff["am1"], kind="knowledge_test", dated_on=DAY, score=101,
                           evidence_ref="")
    assert set(err.value.message_dict) == {"score", "evidence_ref"}
    with pytest.raises(ValidationError) as err:
        eligibility_record(client=zhang, by=staff["am1"], kind="simulated_trading", dated_on=DAY, trading_days=12,
                           evidence_ref="仿真")
    assert set(err.value.message_dict) == {"trades"}
    assert EligibilityRecord.objects.count() == 1


def test_the_client_page_records_and_shows_evidence_and_the_worklist_shows_the_alert(book, staff):
    from tests.service.test_generated_texts import page

    zhang = book["zhang"]
    assess(zhang, "C4")
    client = page(staff["am1"], "zh-hans")
    response = client.post(f"/clients/{zhang.pk}/eligibility/", {
        "kind": "knowledge_test", "dated_on": DAY.isoformat(), "score": "70", "evidence_ref": "中金所测试 A123"})
    assert response.status_code == 302
    html = client.get(f"/clients/{zhang.pk}/").content.decode()
    assert "中金所测试 A123" in html and "交易所准入材料" in html
    trade(zhang, "CFFEX", "IF")
    eligibility_match(day=DAY)
    html = page(staff["compliance"], "zh-hans").get("/service/suitability/").content.decode()
    with translation.override("zh-hans"):
        for text in SuitabilityAlert.objects.get().unmet_texts():
            assert text in html
    assert "交易所准入不符" in html
