"""Campaign outreach respects suitability: an activity promoting a product invites no client whose assessed level
is below the product's risk level (unassessed counts as C1); the refused are recorded with the reason, and the
invitation's result says how many were left out and why, on the page and the API alike."""

import datetime

import pytest
from django.utils import translation

from clients.models import Client, Product
from service import services
from service.models import ActivityRecipient
from tests.factories import ClientFactory

from .test_generated_texts import page

pytestmark = pytest.mark.django_db


def product(code, level):
    return Product.objects.create(exchange="SHFE", code=code, name=f"测试{code}", product_class="commodity_future",
                                  risk_level=level)


@pytest.fixture
def people(staff, branches):
    """C3 (assessed), C1 and an unassessed client, all am1's; and a professional C1."""
    make = lambda name, level, cls="ordinary": ClientFactory(  # noqa: E731
        name=name, branch=branches[0], account_manager=staff["am1"], risk_level=level, investor_class=cls)
    return {"c3": make("稳健三", "C3"), "c1": make("保守一", "C1"), "none": make("未评估", ""),
            "pro": make("专业户", "C1", "professional")}


def campaign(staff, people, *products):
    activity = services.activity_create(by=staff["marketing"], kind="seminar", title="期权推介会",
                                        held_on=datetime.date(2026, 12, 20), products=products)
    for client in people.values():
        ActivityRecipient.objects.create(activity=activity, client=client)
    return activity


def statuses(activity):
    return dict(activity.recipients.values_list("client__name", "status"))


def test_c3_gets_r3_but_not_r4(staff, people):
    r3 = campaign(staff, people, product("t3", "R3"))
    result = services.activity_invite(activity=r3, by=staff["marketing"])
    assert statuses(r3) == {"稳健三": "invited", "保守一": "refused", "未评估": "refused", "专业户": "invited"}
    assert (result.params["invited"], result.params["refused"], result.params["level"]) == (2, 2, "R3")

    # The highest of the promoted levels decides: R2 and R4 together are an R4 campaign.
    r4 = campaign(staff, people, product("t2", "R2"), product("t4", "R4"))
    services.activity_invite(activity=r4, by=staff["marketing"])
    assert statuses(r4) == {"稳健三": "refused", "保守一": "refused", "未评估": "refused", "专业户": "invited"}


def test_c1_only_r1_and_the_refusal_is_recorded_with_its_reason(staff, people):
    r2 = campaign(staff, people, product("t2", "R2"))
    services.activity_invite(activity=r2, by=staff["marketing"])
    rows = r2.recipients.filter(status="refused").select_related("client")
    assert {r.client.name: (r.refusal_code, r.refusal_params) for r in rows} == {
        "保守一": ("activity.refusal", {"level": "R2", "client_level": "C1"}),
        "未评估": ("activity.refusal", {"level": "R2", "client_level": "C1"})}
    with translation.override("zh-hans"):
        assert {r.refusal_text for r in rows} == {"产品风险等级 R2 高于客户风险承受等级 C1"}
    assert {r.refusal for r in rows} == {"Product risk level R2 above the client's level C1"}  # the site's language
    r1 = campaign(staff, people, product("t1", "R1"))
    services.activity_invite(activity=r1, by=staff["marketing"])
    assert set(statuses(r1).values()) == {"invited"}


def test_no_product_named_invites_everybody_as_before(staff, people):
    plain = campaign(staff, people)
    result = services.activity_invite(activity=plain, by=staff["marketing"])
    assert set(statuses(plain).values()) == {"invited"} and result.params["refused"] == 0
    assert not plain.recipients.exclude(refusal="").exists()


def test_page_shows_the_count_in_chinese_and_the_api_gives_the_same_answer(staff, people, api):
    activity = campaign(staff, people, product("t4", "R4"))
    browser = page(staff["marketing"], "zh-hans")
    html = browser.post(f"/service/activities/{activity.pk}/", {"action": "invite", "channel": "", "template": ""},
                        follow=True).content.decode()
    assert "已邀请 1 人；3 人未邀请：推介产品风险等级 R4 高于其适当性等级。" in html
    assert "产品风险等级 R4 高于客户风险承受等级 C3" in html  # the reason beside the refused recipient

    again = campaign(staff, people, product("t5", "R4"))
    response = api(staff["marketing"]).post(f"/api/activities/{again.pk}/invite/", {"channel": ""}, format="json",
                                            HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    assert response.json() == {"invited": 1, "refused": 3, "level": "R4", "no_consent": 0,
                               "message": "已邀请 1 人；3 人未邀请：推介产品风险等级 R4 高于其适当性等级。"}
    assert statuses(again) == statuses(activity)
    rows = api(staff["marketing"]).get(f"/api/activities/{again.pk}/recipients/",
                                       HTTP_ACCEPT_LANGUAGE="zh-hans").json()["results"]
    assert {r["client"]["name"]: r["refusal"] for r in rows if r["status"] == "refused"} == {
        "稳健三": "产品风险等级 R4 高于客户风险承受等级 C3", "保守一": "产品风险等级 R4 高于客户风险承受等级 C1",
        "未评估": "产品风险等级 R4 高于客户风险承受等级 C1"}
    assert Client.objects.count() == 4


def test_products_named_through_the_api(staff, api):
    t3 = product("t3", "R3")
    response = api(staff["marketing"]).post("/api/activities/", {
        "kind": "seminar", "title": "推介", "held_on": "2026-12-20", "products": [t3.pk]}, format="json")
    assert response.status_code == 201 and response.json()["products"] == [t3.pk]


def test_a_single_message_naming_a_product_is_not_sent_above_the_clients_level(staff, people, api):
    from service.models import CommunicationLog

    t4 = product("t4", "R4")
    low = services.message_send(client=people["c3"], channel="sms", body="新品种推介", purpose="service", product=t4)
    assert (low.result, low.detail) == ("unsuitable", "Product risk level R4 above the client's level C3")
    ok = services.message_send(client=people["c3"], channel="sms", body="新品种推介", purpose="service",
                               product=product("t3", "R3"))
    assert ok.result != "unsuitable"
    response = api(staff["am1"]).post("/api/communications/", {
        "client": people["none"].pk, "channel": "sms", "body": "推介", "product": t4.pk}, format="json")
    assert response.status_code == 201, response.content
    assert CommunicationLog.objects.get(pk=response.json()["id"]).result == "unsuitable"


def test_the_message_page_names_a_product_and_says_why_not_sent(staff, people):
    from service.models import CommunicationLog

    t2 = product("t2", "R2")
    browser = page(staff["am1"], "zh-hans")
    browser.post(f"/service/clients/{people['c1'].pk}/message/", {
        "channel": "sms", "purpose": "service", "body": "推介", "product": t2.pk}, follow=True)
    entry = CommunicationLog.objects.get(client=people["c1"])
    assert (entry.result, entry.detail) == ("unsuitable", "产品风险等级 R2 高于客户风险承受等级 C1")
