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
from service.models import Activity, ActivityRecipient, Prospect
from tests.factories import ClientFactory
from tests.referrals.test_drilldown import browser

from .helpers import settle, trade

pytestmark = pytest.mark.django_db
D = datetime.date(2026, 10, 15)
COUNT_LINK = re.compile(r'<a href="([^"]*\?result=(\w+)#recipients)">(\d+)</a>')
# A count of clients or of prospects under a result (the small line under each total).
KIND_LINK = re.compile(r'<a href="([^"]*\?result=(\w+)&amp;who=(\w+)#recipients)" title="[^"]*">(\d+)</a>')
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
    assert seminar[3:10] == (5, 3, 1, 2, 0.4, 1000.01, 500.01)
    assert seminar[10:] == (5, 3, 1, 2, 0, 0, 0, 0)  # clients, then prospects
    assert rows[0][10] == "Invited (Clients)" and rows[0][14] == "Invited (Prospects)"
    mailing = next(r for r in rows if r[2] == "月度研报")
    assert mailing[6:10] == (0, 0, 300, None)


def test_the_api_gives_the_same_results_with_money_as_decimal_strings(staff, campaign, api, book):
    r = api(staff["bm_sh"]).get("/api/activities/results/", {"held_from": D.isoformat()})
    assert r.status_code == 200
    assert r.json()["results"] == [{
        "id": campaign["seminar"].pk, "kind": "seminar", "title": "年度策略会", "held_on": D.isoformat(),
        "invited": 4, "responded": 2, "attended": 1, "converted": 2,
        "clients": {"invited": 4, "responded": 2, "attended": 1, "converted": 2},
        "prospects": {"invited": 0, "responded": 0, "attended": 0, "converted": 0}, "conversion_rate": "0.5000",
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


# ---------------------------------------------------------------- prospects (准客户) as recipients


@pytest.fixture
def with_prospects(staff, branches, campaign):
    """The seminar's prospects, beside its clients. Who converted (opened an account within 30 days), and why not:
    p1 (am1) invited, account opened D+10: converted;
    p2 (am2) attended, account opened D+31: too late;
    p3 (Beijing) accepted, no account;
    p4 (am1) only selected, account opened D+1: never invited, not counted;
    p5 (am2) invited, account opened D-1: opened before the activity, not converted by it."""
    sh, bj = branches
    rows = {"p1": (staff["am1"], sh, "invited", 10), "p2": (staff["am2"], sh, "attended", 31),
            "p3": (None, bj, "accepted", None), "p4": (staff["am1"], sh, "selected", 1),
            "p5": (staff["am2"], sh, "invited", -1)}
    prospects = {}
    for name, (owner, branch, status, opened) in rows.items():
        client = None if opened is None else ClientFactory(branch=branch, account_manager=owner, open_date=day(opened))
        prospects[name] = Prospect.objects.create(name=f"准客户{name}", source="staff", owner=owner, branch=branch,
                                                  client=client)
        ActivityRecipient.objects.create(activity=campaign["seminar"], prospect=prospects[name], status=status)
    return prospects


# clients (invited, responded, attended, converted), prospects (the same), rate, cost, cost per conversion. Everyone
# invited: 5 clients + 4 prospects = 9, so the cost share is 1000.01 × (the reader's invited) / 9.
EXPECTED_BOTH = {
    "head": ((5, 3, 1, 2), (4, 2, 1, 1), Decimal("0.3333"), Decimal("1000.01"), Decimal("333.34")),  # 1000.01 / 3
    "am1": ((2, 2, 1, 1), (1, 0, 0, 1), Decimal("0.6667"), Decimal("333.34"), Decimal("166.67")),  # × 3/9; / 2
    "bm_sh": ((4, 2, 1, 2), (3, 1, 1, 1), Decimal("0.4286"), Decimal("777.79"), Decimal("259.26")),  # × 7/9; / 3
    "bm_bj": ((1, 1, 0, 0), (1, 1, 0, 0), Decimal("0.0000"), Decimal("222.22"), None),  # × 2/9
}
FIELDS = ("invited", "responded", "attended", "converted")


@pytest.mark.parametrize("who", list(EXPECTED_BOTH))
def test_prospect_recipients_are_counted_apart_and_together(staff, campaign, with_prospects, who):
    r = activity_results.activity_result(user=staff[who], activity=campaign["seminar"])
    clients, prospects, rate, cost, per = EXPECTED_BOTH[who]
    assert tuple(r["clients"][f] for f in FIELDS) == clients
    assert tuple(r["prospects"][f] for f in FIELDS) == prospects
    assert tuple(r[f] for f in FIELDS) == tuple(c + p for c, p in zip(clients, prospects, strict=True))
    assert (r["conversion_rate"], r["cost"], r["cost_per_conversion"]) == (rate, cost, per)


def test_a_prospect_converts_only_within_the_window(staff, campaign, with_prospects, settings):
    settings.ACTIVITY_CONVERSION_DAYS = 9  # p1's account opened on D+10 falls out
    assert activity_results.activity_result(user=staff["head"], activity=campaign["seminar"])["prospects"][
        "converted"] == 0
    settings.ACTIVITY_CONVERSION_DAYS = 31  # p2's D+31 comes in
    assert activity_results.activity_result(user=staff["head"], activity=campaign["seminar"])["prospects"][
        "converted"] == 2


@pytest.mark.parametrize("who", ["head", "am1", "bm_sh", "bm_bj"])
def test_each_client_and_prospect_count_opens_that_many_recipients(staff, campaign, with_prospects, who):
    b = browser(staff[who])
    url = reverse("service:activity_detail", args=[campaign["seminar"].pk])
    page = b.get(url).content.decode()
    links = KIND_LINK.findall(page)
    assert len(links) == 8
    clients, prospects, *_rest = EXPECTED_BOTH[who]
    assert [int(n) for _u, _r, kind, n in links if kind == "clients"] == list(clients)
    assert [int(n) for _u, _r, kind, n in links if kind == "prospects"] == list(prospects)
    for link, _result, _kind, n in links:
        assert RECIPIENT_COUNT.findall(b.get(htmllib.unescape(link)).content.decode()) == [n], link
    converted = b.get(url, {"result": "converted", "who": "prospects"}).content.decode()
    assert ("准客户p1" in converted) == (who in ("head", "am1", "bm_sh"))
    assert "准客户p2" not in converted


def test_the_api_lists_prospect_recipients_and_their_counts(staff, campaign, with_prospects, api):
    seminar = campaign["seminar"]
    one = api(staff["am1"]).get(f"/api/activities/{seminar.pk}/results/").json()
    assert one["prospects"] == {"invited": 1, "responded": 0, "attended": 0, "converted": 1}
    assert one["cost_per_conversion"] == "166.67"
    listed = api(staff["am1"]).get(f"/api/activities/{seminar.pk}/recipients/", {"who": "prospects"}).json()
    assert sorted(r["prospect"]["name"] for r in listed["results"]) == ["准客户p1", "准客户p4"]
    assert all(r["client"] is None for r in listed["results"])
    p1 = with_prospects["p1"]
    assert next(r for r in listed["results"] if r["prospect"]["id"] == p1.pk)["prospect"]["client"] == p1.client_id


def test_a_recipient_is_a_client_or_a_prospect_never_both_nor_neither(campaign, with_prospects, book):
    from django.db import IntegrityError, transaction

    for kwargs in ({}, {"client": book["zhang"], "prospect": with_prospects["p3"]}):
        with pytest.raises(IntegrityError), transaction.atomic():
            ActivityRecipient.objects.create(activity=campaign["mailing"], **kwargs)
    with pytest.raises(IntegrityError), transaction.atomic():  # once per activity
        ActivityRecipient.objects.create(activity=campaign["seminar"], prospect=with_prospects["p3"])


TOTAL_LINK = re.compile(r'<a href="([^"]*/activities/recipients/\?[^"]*result=(\w+)(?:&amp;who=(\w+))?&amp;figure=(\w+)'
                        r'#recipients)"[^>]*>(\d+)</a>')
LIST_COUNT = re.compile(r'<p class="count">(\d+) records?</p>')
BANNER = re.compile(r'<p class="banner" id="figure-banner">([^<]*)</p>')


@pytest.mark.parametrize("who", ["head", "am1", "bm_sh", "bm_bj"])
def test_each_total_opens_the_recipients_of_the_listed_activities_that_make_it(staff, campaign, with_prospects, who):
    b = browser(staff[who])
    page = b.get(reverse("service:campaign_results"), {"held_from": day(-60).isoformat(),
                                                        "held_to": D.isoformat()}).content.decode()
    totals = page[page.index('id="results-total"'):]
    links = TOTAL_LINK.findall(totals)
    assert len(links) == 12  # four results: the total, its clients and its prospects
    clients, prospects, *_rest = EXPECTED_BOTH[who]
    mailing = {"invited": 1 if who in ("head", "am1", "bm_sh") else 0}  # zhang, am1's, in Shanghai
    for (url, _result, kind, figure, n), expected in zip(links, [
            x for i, key in enumerate(FIELDS)
            for x in (clients[i] + prospects[i] + mailing.get(key, 0), clients[i] + mailing.get(key, 0),
                      prospects[i])], strict=True):
        assert int(n) == expected, url
        listed = b.get(htmllib.unescape(url)).content.decode()
        assert LIST_COUNT.findall(listed) == [n], url
        assert BANNER.search(listed).group(1).strip().endswith(f"— {n}"), url
        assert figure == ("activity_results_who" if kind else "activity_results")
