"""Activities invite prospects (准客户) too: targeted by the prospect-list filters within the caller's scope (an
account manager their own, a branch manager their branch's), never one who already opened an account (a client
now); a prospect has no consent records nor suitability assessment, so a channel's invitation and a promoted
product above R1 leave it out, saying why; the page and the API are the same service."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from clients.models import Product
from service import services
from service.models import MessageTemplate, Prospect
from tests.factories import ClientFactory
from tests.referrals.test_drilldown import browser

from .test_care import gateway  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def prospects(staff, branches):
    """am1's A and C prospects, am2's A prospect (Shanghai), a Beijing B prospect, and am1's converted one."""
    sh, bj = branches
    make = lambda name, owner, branch, grade, client=None: Prospect.objects.create(  # noqa: E731
        name=name, source="staff", owner=owner, branch=branch, grade=grade, client=client)
    return {"a1": make("甲一", staff["am1"], sh, "A"), "c1": make("丙一", staff["am1"], sh, "C"),
            "a2": make("甲二", staff["am2"], sh, "A"), "bj": make("北京乙", None, bj, "B"),
            "done": make("已开户", staff["am1"], sh, "A", ClientFactory(branch=sh, account_manager=staff["am1"]))}


@pytest.fixture
def seminar(staff):
    return services.activity_create(by=staff["marketing"], kind="seminar", title="期货入门讲座",
                                    held_on=datetime.date(2026, 12, 12))


def names(activity):
    return set(activity.recipients.filter(prospect__isnull=False).values_list("prospect__name", flat=True))


@pytest.mark.parametrize(("who", "filters", "expected"), [
    ("marketing", {}, {"甲一", "丙一", "甲二", "北京乙"}),
    ("marketing", {"grade": "A"}, {"甲一", "甲二"}),
    ("bm_sh", {}, {"甲一", "丙一", "甲二"}),
    ("bm_bj", {}, {"北京乙"}),
    ("am1", {}, {"甲一", "丙一"}),  # the service's scope: an account manager's own prospects only
])
def test_prospects_are_targeted_within_the_callers_scope_and_never_once_converted(staff, prospects, seminar, who,
                                                                                   filters, expected):
    assert services.activity_target_prospects(activity=seminar, by=staff[who], filters=filters) == len(expected)
    assert names(seminar) == expected
    # Again: nothing added twice.
    assert services.activity_target_prospects(activity=seminar, by=staff[who], filters=filters) == 0


@pytest.mark.parametrize("filters", [{"colour": "red"}, {"grade": "Z"}])
def test_an_unknown_or_unreadable_prospect_filter_is_refused_by_name(staff, prospects, seminar, filters):
    with pytest.raises(ValidationError) as refused:
        services.activity_target_prospects(activity=seminar, by=staff["marketing"], filters=filters)
    assert set(refused.value.message_dict) == set(filters)
    assert not seminar.recipients.exists()


@pytest.mark.usefixtures("gateway")
def test_a_channel_invitation_leaves_prospects_out_for_want_of_consent(staff, book, prospects, seminar):
    services.activity_target_prospects(activity=seminar, by=staff["marketing"], filters={"grade": "A"})
    result = services.activity_invite(activity=seminar, by=staff["marketing"], channel="sms",
                                      template=MessageTemplate.objects.first())
    assert result.params["no_consent"] == 2 and result.params["invited"] == 0
    rows = seminar.recipients.filter(prospect__isnull=False)
    assert {(r.status, r.refusal_code) for r in rows} == {("refused", "activity.prospect_no_consent")}


def test_invited_without_a_channel_prospects_are_invited_unless_a_product_is_above_r1(staff, prospects, seminar):
    services.activity_target_prospects(activity=seminar, by=staff["marketing"], filters={})
    assert services.activity_invite(activity=seminar, by=staff["marketing"]).params["invited"] == 4
    assert set(seminar.recipients.values_list("status", flat=True)) == {"invited"}
    option = Product.objects.create(exchange="SHFE", code="zz", name="测试期权", product_class="commodity_future",
                                    risk_level="R3")
    promo = services.activity_create(by=staff["marketing"], kind="seminar", title="期权推介会",
                                     held_on=datetime.date(2026, 12, 20), products=[option])
    services.activity_target_prospects(activity=promo, by=staff["marketing"], filters={"grade": "A"})
    result = services.activity_invite(activity=promo, by=staff["marketing"])
    assert (result.params["invited"], result.params["refused"]) == (0, 2)
    assert {r.refusal_code for r in promo.recipients.all()} == {"activity.prospect_refusal"}


def test_the_page_and_the_api_target_prospects_through_the_service(staff, prospects, seminar, api):
    b = browser(staff["bm_sh"], "zh-hans")
    url = reverse("service:activity_detail", args=[seminar.pk])
    response = b.post(url, {"action": "target_prospects", "grade": "A"}, follow=True)
    assert names(seminar) == {"甲一", "甲二"}
    page = response.content.decode()
    assert "甲一" in page and "准客户" in page
    refused = b.post(url, {"action": "target_prospects", "colour": "red"}).content.decode()
    assert "colour" in refused and names(seminar) == {"甲一", "甲二"}
    r = api(staff["bm_bj"]).post(f"/api/activities/{seminar.pk}/target-prospects/", {}, format="json")
    assert r.status_code == 200 and r.json() == {"added": 1}
    assert names(seminar) == {"甲一", "甲二", "北京乙"}
    bad = api(staff["marketing"]).post(f"/api/activities/{seminar.pk}/target-prospects/", {"grade": "Z"},
                                       format="json")
    assert bad.status_code == 400 and "grade" in bad.json()
    assert api(staff["am1"]).post(f"/api/activities/{seminar.pk}/target-prospects/", {},
                                  format="json").status_code == 403
