"""Suitability matching (适当性匹配): products, mismatch alerts, renewal tasks, the worklist and the product API."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from clients.models import ContractSettlement, Product, SuitabilityAlert, SuitabilityAssessment
from clients.suitability import product_update, suitability_alert_resolve, suitability_match
from futures_crm.audit import AuditEntry
from service.models import Task
from service.suitability import suitability_renewals, suitability_worklist

DAY = datetime.date(2025, 3, 14)


def assess(client, level, *, cls="ordinary", expires=None, assessed=None):
    assessed = assessed or DAY - datetime.timedelta(days=100)
    SuitabilityAssessment.objects.create(client=client, investor_class=cls, risk_level=level, assessed_on=assessed,
                                         expires_on=expires or assessed + datetime.timedelta(days=730))
    client.risk_level, client.investor_class = level, cls
    client.save(update_fields=["risk_level", "investor_class"])


def trade(client, exchange, product, lots=2, day=DAY):
    ContractSettlement.objects.create(
        trade_date=day, client=client, exchange=exchange, instrument=f"{product}2505", product=product,
        hedge_flag="speculation", buy_lots=lots, sell_lots=0, turnover=Decimal("1000.00"),
        commission=Decimal("5.00"), exchange_fee=Decimal("1.00"), close_profit=Decimal("0"), long_position=lots,
        short_position=0, margin=Decimal("100.00"))


def test_the_migration_seeds_the_exchanges_main_products(db):
    levels = dict(Product.objects.values_list("code", "risk_level"))
    assert levels["rb"] == "R3" and levels["cu"] == "R3"  # commodity futures
    assert levels["IF"] == "R4" and levels["T"] == "R4" and levels["IO"] == "R4"  # financial futures, options
    assert levels["sc"] == "R4"  # crude oil
    assert set(Product.objects.values_list("exchange", flat=True)) == {"SHFE", "DCE", "CZCE", "CFFEX", "INE", "GFEX"}
    index = Product.objects.get(exchange="CFFEX", code="IF")
    assert index.min_funds == Decimal("500000") and index.needs_knowledge_test and index.needs_trading_experience


@pytest.mark.parametrize("level, product, exchange, mismatch", [
    ("C3", "rb", "SHFE", False),  # C3 ↔ R3: allowed
    ("C3", "IF", "CFFEX", True),  # C3 vs R4: above the client's level
    ("C4", "IF", "CFFEX", False),
    ("C5", "sc", "INE", False),
    ("C2", "rb", "SHFE", True),
])
def test_matching_on_each_boundary(book, level, product, exchange, mismatch):
    zhang = book["zhang"]
    assess(zhang, level)
    trade(zhang, exchange, product, lots=3)
    assert suitability_match(day=DAY) == int(mismatch)
    alerts = list(SuitabilityAlert.objects.filter(client=zhang))
    assert len(alerts) == int(mismatch)
    if mismatch:
        a = alerts[0]
        assert (a.trade_date, a.product.code, a.lots, a.client_level) == (DAY, product, 3, level)


def test_the_lowest_category_may_trade_nothing_above_r1(book):
    Product.objects.create(exchange="SHFE", code="zz", name="R1 品种", product_class="commodity_future",
                           risk_level="R1")
    Product.objects.filter(code="m").update(risk_level="R2")
    zhang = book["zhang"]
    assess(zhang, "C1")
    trade(zhang, "SHFE", "zz")
    trade(zhang, "DCE", "m")
    assert suitability_match(day=DAY) == 1
    assert SuitabilityAlert.objects.get(client=zhang).product.code == "m"


def test_an_unassessed_client_counts_as_the_lowest_category_and_professionals_are_not_matched(book):
    trade(book["zhang"], "SHFE", "rb")  # never assessed
    assess(book["zhao"], "C1", cls="professional")
    trade(book["zhao"], "CFFEX", "IF")
    suitability_match(day=DAY)
    assert list(SuitabilityAlert.objects.values_list("client", flat=True)) == [book["zhang"].pk]


def test_a_rerun_and_the_next_day_raise_no_second_open_alert(book):
    zhang = book["zhang"]
    assess(zhang, "C3")
    trade(zhang, "CFFEX", "IF")
    trade(zhang, "CFFEX", "IF", day=DAY + datetime.timedelta(days=1))
    assert suitability_match(day=DAY) == 1
    assert suitability_match(day=DAY) == 0
    assert suitability_match(day=DAY + datetime.timedelta(days=1)) == 0
    assert SuitabilityAlert.objects.count() == 1


def test_only_compliance_and_admin_resolve_alerts_and_edit_products(book, staff):
    zhang = book["zhang"]
    assess(zhang, "C3")
    trade(zhang, "CFFEX", "IF")
    suitability_match(day=DAY)
    alert = SuitabilityAlert.objects.get()
    with pytest.raises(PermissionDenied):
        suitability_alert_resolve(alert=alert, by=staff["am1"])
    suitability_alert_resolve(alert=alert, by=staff["compliance"])
    alert.refresh_from_db()
    assert alert.status == "resolved" and alert.resolved_by == staff["compliance"]
    assert suitability_match(day=DAY) == 1  # still trading above its level: a new alert
    product = Product.objects.get(code="rb")
    for role in ("am1", "bm_sh", "head", "agent", "marketing", "backoffice"):
        with pytest.raises(PermissionDenied):
            product_update(product=product, by=staff[role], risk_level="R4")
    product_update(product=product, by=staff["compliance"], risk_level="R4", reason="波动加大")
    assert Product.objects.get(code="rb").risk_level == "R4"
    assert AuditEntry.objects.filter(action="product.update", after={"risk_level": "R4"}).exists()


# ---------------------------------------------------------------- renewals


def test_renewal_tasks_are_opened_once(book, staff):
    zhang, zhao, li, wang = book["zhang"], book["zhao"], book["li"], book["wang"]
    assess(zhang, "C3", expires=DAY + datetime.timedelta(days=30))  # expires within 30 days
    assess(zhao, "C3", expires=DAY - datetime.timedelta(days=5))  # expired
    assess(li, "C3", expires=DAY + datetime.timedelta(days=31))  # valid beyond 30 days
    # The latest assessment counts: an old expired one replaced by a valid one opens nothing.
    assess(wang, "C3", assessed=DAY - datetime.timedelta(days=900), expires=DAY - datetime.timedelta(days=170))
    assess(wang, "C4", assessed=DAY - datetime.timedelta(days=10))
    assert suitability_renewals(day=DAY) == 2
    assert suitability_renewals(day=DAY) == 0  # the night rerun: still one each
    tasks = {t.client_id: t for t in Task.objects.filter(kind="suitability_renewal")}
    assert set(tasks) == {zhang.pk, zhao.pk}
    assert tasks[zhang.pk].owner == staff["am1"] and tasks[zhang.pk].status == "open"
    assert tasks[zhang.pk].due_on == DAY + datetime.timedelta(days=30)
    assert tasks[zhao.pk].due_on == DAY + datetime.timedelta(days=7)


def test_the_worklist_is_scoped(book, staff):
    zhang, li, wang = book["zhang"], book["li"], book["wang"]
    for c in (zhang, li, wang):
        assess(c, "C3", expires=DAY - datetime.timedelta(days=1))
    seen = {name: set(suitability_worklist(user=staff[name], today=DAY).values_list("name", flat=True))
            for name in ("compliance", "head", "bm_sh", "bm_bj", "am1", "am2")}
    assert seen["compliance"] == seen["head"] == {"张三", "李四", "王五"}
    assert seen["bm_sh"] == {"张三", "李四"} and seen["bm_bj"] == {"王五"}
    assert seen["am1"] == {"张三"} and seen["am2"] == {"李四"}


def test_the_worklist_page_shows_expired_and_mismatched_clients(client, book, staff):
    zhang, zhao = book["zhang"], book["zhao"]
    assess(zhang, "C3", expires=DAY - datetime.timedelta(days=1))
    assess(zhao, "C2", expires=datetime.date.today() + datetime.timedelta(days=400))
    trade(zhao, "CFFEX", "IF", lots=4)
    suitability_match(day=DAY)
    client.force_login(staff["compliance"])
    page = client.get("/service/suitability/").content.decode()
    assert "张三" in page and "赵敏" in page and "沪深300股指期货" in page and "Resolve" in page
    detail = client.get(f"/clients/{zhao.pk}/").content.decode()
    assert "Suitability mismatches" in detail and "沪深300股指期货 (CFFEX IF)" in detail
    assert "Suitability mismatches" not in client.get(f"/clients/{zhang.pk}/").content.decode()
    client.force_login(staff["am2"])
    page = client.get("/service/suitability/").content.decode()
    assert "张三" not in page and "赵敏" not in page
    client.force_login(staff["agent"])
    assert client.get("/service/suitability/").status_code == 403


# ---------------------------------------------------------------- the product API and pages


def test_the_product_api_lists_and_filters(api, staff):
    rows = api(staff["am1"]).get("/api/products/?exchange=CFFEX&page_size=500").json()
    rows = rows.get("results", rows)
    assert {r["exchange"] for r in rows} == {"CFFEX"}
    index = next(r for r in rows if r["product"] == "IF")
    assert index["risk_level"] == "R4" and index["name"] == "沪深300股指期货"
    assert api(staff["am1"]).get("/api/products/?exchange=NOPE").status_code == 400
    assert api(staff["am1"]).post("/api/products/", {}).status_code in (403, 405)


def test_the_product_api_needs_a_staff_role(api, db):
    from django.contrib.auth import get_user_model

    nobody = get_user_model().objects.create_user(username="nobody", password="x")
    assert api(nobody).get("/api/products/").status_code == 403


def test_compliance_edits_a_product_on_its_page(client, staff):
    product = Product.objects.get(code="lc")
    client.force_login(staff["am1"])
    assert "lc" in client.get("/clients/products/").content.decode()
    assert client.get(f"/clients/products/{product.pk}/edit/").status_code == 403
    client.force_login(staff["compliance"])
    response = client.post(f"/clients/products/{product.pk}/edit/", {
        "name": "碳酸锂", "product_class": "commodity_future", "risk_level": "R4", "min_funds": "100000",
        "needs_knowledge_test": "on"})
    assert response.status_code == 302
    product.refresh_from_db()
    assert product.risk_level == "R4" and product.needs_knowledge_test and not product.needs_trading_experience


# ---------------------------------------------------------------- every door: a level comes with an assessment


def test_a_level_from_a_clients_file_is_recorded_as_an_assessment(branches, staff):
    from clients.identity import id_card_with_check
    from clients.imports.services import import_run
    from clients.models import Client

    row = {"account_id": "90000001", "name": "钱七", "client_type": "individual", "id_type": "id_card",
           "id_number": id_card_with_check("11010119850315123"), "branch_code": "SH01", "open_date": "2024-03-01",
           "risk_level": "C4"}
    import_run(kind="clients", rows=[row], by=staff["backoffice"])
    import_run(kind="clients", rows=[row], by=staff["backoffice"])  # the same level again: nothing new
    client = Client.objects.get(account_id="90000001")
    first = SuitabilityAssessment.objects.get(client=client)
    assert (client.risk_level, client.investor_class) == ("C4", "ordinary")
    assert (first.risk_level, first.investor_class, first.assessed_by) == ("C4", "ordinary", staff["backoffice"])
    assert first.evidence_ref.startswith("import")
    import_run(kind="clients", rows=[{**row, "risk_level": "C5"}], by=staff["backoffice"])
    assert list(SuitabilityAssessment.objects.filter(client=client).values_list("risk_level", flat=True)) == [
        "C5", "C4"]


@pytest.mark.parametrize("field, value", [("risk_level", "C5"), ("investor_class", "professional")])
def test_the_api_refuses_a_direct_change_of_level_or_class(api, book, staff, field, value):
    response = api(staff["admin"]).patch(f"/api/clients/{book['zhang'].pk}/", {field: value}, format="json")
    assert response.status_code == 400 and "suitability assessment" in str(response.json())


def test_the_worklist_and_the_product_api_cost_the_same_for_one_client_or_many(client, api, book, staff):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def cost():
        client.force_login(staff["compliance"])
        with CaptureQueriesContext(connection) as page:
            assert client.get("/service/suitability/").status_code == 200
        with CaptureQueriesContext(connection) as rest:
            assert api(staff["compliance"]).get("/api/products/").status_code == 200
        return len(page), len(rest)

    assess(book["zhang"], "C2", expires=DAY)
    trade(book["zhang"], "CFFEX", "IF")
    suitability_match(day=DAY)
    one = cost()
    for name in ("zhao", "li", "wang"):
        assess(book[name], "C2", expires=DAY)
        trade(book[name], "CFFEX", "IF")
        trade(book[name], "INE", "sc")
    suitability_match(day=DAY)
    assert cost() == one


def test_the_admin_edits_a_product_through_the_service(client, django_user_model):
    from futures_crm.audit import AuditEntry

    root = django_user_model.objects.create_superuser("root", password="x-pass-123")
    client.force_login(root)
    product = Product.objects.get(code="ec")
    assert client.get("/admin/clients/product/").status_code == 200
    assert client.get("/admin/clients/product/add/").status_code == 403
    response = client.post(f"/admin/clients/product/{product.pk}/change/", {
        "name": "集运指数(欧线)", "product_class": "commodity_future", "risk_level": "R5", "min_funds": "100000",
        "needs_knowledge_test": "on", "needs_trading_experience": "on"})
    assert response.status_code == 302
    assert Product.objects.get(pk=product.pk).risk_level == "R5"
    assert AuditEntry.objects.filter(action="product.update", actor=root).exists()
