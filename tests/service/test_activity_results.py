"""Activity results (issue 14): invited, responded, attended, converted and cost per conversion, counted by hand on
a constructed activity, per role; each count opens the activity's recipients behind it; the API and the export."""

import datetime
import html as htmllib
import io
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from service import activity_results
from service.models import Activity, ActivityRecipient
from tests.factories import ClientFactory
from tests.referrals.test_drilldown import browser

from .helpers import settle, trade

pytestmark = pytest.mark.django_db
D = datetime.date(2026, 10, 15)
COUNT_LINK = re.compile(r'<a href="([^"]*\?result=(\w+)#recipients)">(\d+)</a>')
RECIPIENT_COUNT = re.compile(r'<small class="count" id="recipient-count">(\d+)</small>')


def day(offset: int) -> datetime.date:
    return D + datetime.timedelta(days=offset)


@pytest.fixture
def campaign(staff, book):
    """A seminar (cost 1,000.01) held on D; conversion window 30 days. Who converted, and why not:
    zhang (am1) attended, no trade before, commission on D+3: converted;
    zhao (am1) accepted, traded D-5 and D+2: was trading, not converted;
    li (am2) invited, lots on D+30 (the last day of the window): converted;
    wang (Beijing) declined, traded D+31: too late;
    x (am1) only selected, traded D+1: never invited, not counted;
    y (am2) did not attend, a settlement row with no commission and no lots on D+1: not a traded day;
    z (am2) left out for suitability."""
    sh = book["zhang"].branch
    x = ClientFactory(branch=sh, account_manager=staff["am1"], name="未邀请")
    y = ClientFactory(branch=sh, account_manager=staff["am2"], name="缺席")
    z = ClientFactory(branch=sh, account_manager=staff["am2"], name="不适当")
    seminar = Activity.objects.create(kind="seminar", title="年度策略会", held_on=D, cost=Decimal("1000.01"))
    statuses = {book["zhang"]: ("attended", ""), book["zhao"]: ("accepted", "会来"), book["li"]: ("invited", ""),
                book["wang"]: ("declined", ""), x: ("selected", ""), y: ("absent", ""), z: ("refused", "")}
    for client, (status, response) in statuses.items():
        ActivityRecipient.objects.create(activity=seminar, client=client, status=status, response=response)
    settle(book["zhang"], day(3), commission="12.50")
    trade(book["zhao"], day(-5), "rb")
    trade(book["zhao"], day(2), "rb")
    trade(book["li"], day(30), "cu")
    trade(book["wang"], day(31), "cu")
    trade(x, day(1), "rb")
    settle(y, day(1), commission="0")
    # A mailing nobody answered: no conversion, so no cost per conversion.
    mailing = Activity.objects.create(kind="mailing", title="月度研报", held_on=day(-40), cost=Decimal("300.00"))
    ActivityRecipient.objects.create(activity=mailing, client=book["zhang"], status="invited")
    return {"seminar": seminar, "mailing": mailing}


# invited, responded, attended, converted, rate, cost, cost per conversion — counted by hand from the fixture.
EXPECTED = {
    "head": (5, 3, 1, 2, Decimal("0.4000"), Decimal("1000.01"), Decimal("500.01")),
    "am1": (2, 2, 1, 1, Decimal("0.5000"), Decimal("400.00"), Decimal("400.00")),  # 1000.01 × 2/5 = 400.004
    "bm_sh": (4, 2, 1, 2, Decimal("0.5000"), Decimal("800.01"), Decimal("400.01")),  # 800.008; 800.01 / 2
    "bm_bj": (1, 1, 0, 0, Decimal("1.0000") * 0, Decimal("200.00"), None),
}


@pytest.mark.parametrize("who", list(EXPECTED))
def test_results_are_the_hand_counts_in_each_readers_scope(staff, campaign, who):
    r = activity_results.activity_result(user=staff[who], activity=campaign["seminar"])
    invited, responded, attended, converted, rate, cost, per = EXPECTED[who]
    assert (r["invited"], r["responded"], r["attended"], r["converted"]) == (invited, responded, attended, converted)
    assert r["conversion_rate"] == rate and r["cost"] == cost and r["cost_per_conversion"] == per


def test_the_window_is_a_setting(staff, campaign, settings):
    settings.ACTIVITY_CONVERSION_DAYS = 29  # li's trade on D+30 falls out; zhao's D-5 still counts as trading
    assert activity_results.activity_result(user=staff["head"], activity=campaign["seminar"])["converted"] == 1
    settings.ACTIVITY_CONVERSION_DAYS = 4  # zhao's D-5 is now before the window: zhao converted too
    assert activity_results.activity_result(user=staff["head"], activity=campaign["seminar"])["converted"] == 2


@pytest.mark.parametrize("who", ["head", "am1", "bm_sh"])
def test_each_count_on_the_results_list_opens_that_many_recipients(staff, campaign, who):
    b = browser(staff[who])
    page = b.get(reverse("service:campaign_results"), {"held_from": day(-60).isoformat(),
                                                        "held_to": D.isoformat()}).content.decode()
    links = COUNT_LINK.findall(page)
    assert len(links) == 8  # four results of two activities
    seminar = [(result, int(n)) for url, result, n in links if f"/{campaign['seminar'].pk}/" in url]
    assert [n for _r, n in seminar] == list(EXPECTED[who][:4])
    for url, _result, n in links:
        listed = b.get(htmllib.unescape(url)).content.decode()
        assert RECIPIENT_COUNT.findall(listed) == [n], url
    assert "—" in page  # the mailing's cost per conversion


def test_the_activity_page_shows_its_results_and_its_converted_recipients(staff, campaign, book):
    b = browser(staff["bm_sh"], "zh-hans")
    url = reverse("service:activity_detail", args=[campaign["seminar"].pk])
    page = b.get(url).content.decode()
    assert "800.01" in page and "400.01" in page and "50.0%" in page
    assert "转化" in page
    converted = b.get(url, {"result": "converted"}).content.decode()
    assert RECIPIENT_COUNT.findall(converted) == ["2"]
    assert book["zhang"].name in converted and book["li"].name in converted and book["zhao"].name not in converted


def test_the_results_export_holds_the_figures_as_numbers(staff, campaign):
    b = browser(staff["head"])
    response = b.get(reverse("service:campaign_results"), {"export": "xlsx"})
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("Date", "Kind", "Title", "Invited")
    seminar = next(r for r in rows if r[2] == "年度策略会")
    assert seminar[3:] == (5, 3, 1, 2, 0.4, 1000.01, 500.01)
    mailing = next(r for r in rows if r[2] == "月度研报")
    assert mailing[6:] == (0, 0, 300, None)


def test_the_api_gives_the_same_results_with_money_as_decimal_strings(staff, campaign, api, book):
    r = api(staff["bm_sh"]).get("/api/activities/results/", {"held_from": D.isoformat()})
    assert r.status_code == 200
    assert r.json()["results"] == [{
        "id": campaign["seminar"].pk, "kind": "seminar", "title": "年度策略会", "held_on": D.isoformat(),
        "invited": 4, "responded": 2, "attended": 1, "converted": 2, "conversion_rate": "0.5000",
        "cost": "800.01", "cost_per_conversion": "400.01", "conversion_days": 30}]
    one = api(staff["bm_bj"]).get(f"/api/activities/{campaign['seminar'].pk}/results/").json()
    assert one["cost"] == "200.00" and one["cost_per_conversion"] is None and one["conversion_rate"] == "0.0000"
    listed = api(staff["bm_sh"]).get(f"/api/activities/{campaign['seminar'].pk}/recipients/",
                                     {"result": "converted"}).json()
    assert sorted(x["client"]["id"] for x in listed["results"]) == sorted([book["zhang"].pk, book["li"].pk])
    assert api(staff["bm_sh"]).get(f"/api/activities/{campaign['seminar'].pk}/recipients/",
                                   {"result": "nonsense"}).status_code == 400


def test_results_are_counted_in_one_grouped_query(staff, campaign, django_assert_num_queries):
    activities = Activity.objects.all()
    with django_assert_num_queries(2):  # the activities, then the recipients grouped by activity
        rows = activity_results.activity_results(user=staff["head"], activities=activities)
    assert [r["converted"] for r in rows] == [2, 0]
